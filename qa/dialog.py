"""The dialog engine: a dialog is a state table, and `apply` moves along it.

Modelled on python-telegram-bot's ConversationHandler (architecture.md, convention
3): each `Step` names the steps it may go to (`goes_to`) and, when there is more than
one, chooses among them from the answers so far; `END` finishes. The audit dialog
(`qa.forms.build_audit_dialog`) and the moderation dialog
(`qa.moderation_dialog.build_moderation_dialog`) are two tables on this engine.

State is data, never only in a modal dialog's hidden metadata or a card: `DialogState`
round-trips through JSON into the `answers` column, so a dialog interrupted today
resumes tomorrow by rendering `state.step` with `state.answers` filled in. Answers
submitted on a step are always kept, even when moving back or when they do not pass
(`Invalid.state` carries them): nobody loses what they typed. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from qa.chat_platforms import TITLE_CHARS
from qa.field_kinds import kind_of
from qa.privacy import warnings_for
from qa.validation import JSON, Context, Field, Group, Option, draft_value, validate

__all__ = [
    "END",
    "Advanced",
    "Dialog",
    "DialogClosed",
    "DialogError",
    "DialogState",
    "Fact",
    "Invalid",
    "Move",
    "NeedsConfirmation",
    "Outcome",
    "RaisedFlag",
    "Step",
    "StepView",
    "apply",
    "describe_value",
    "goto",
    "raise_flag",
    "summary",
    "view",
]

END = "end"
TITLE_MAX = TITLE_CHARS  # the smallest platform's limit on a dialog's title
STATE_VERSION = 1

Check = Callable[[Mapping[str, JSON], "DialogState", Context], dict[str, str]]
Action = Literal["next", "back"]


class DialogError(ValueError):
    """A move the dialog cannot make; the message is written for a person."""


class DialogClosed(DialogError):
    """The dialog has reached END: nothing more can be submitted."""


@dataclass(frozen=True)
class Step:
    """One screen. `choose(state)` picks among `goes_to` when there are several.

    `checks` are rules across fields (and across steps: they see the whole state);
    they run once every field passes on its own. `facts` are read-only lines shown
    above the inputs (the case, the domain grades beside the overall grade).
    """

    key: str
    title: str
    goes_to: tuple[str, ...]
    fields: tuple[Field, ...] = ()
    choose: Callable[[DialogState], str] | None = None
    intro: str = ""
    groups: tuple[Group, ...] = ()
    optional_groups: frozenset[str] = frozenset()
    checks: tuple[Check, ...] = ()
    facts: Callable[[Dialog, DialogState, Context], tuple[Fact, ...]] | None = None
    submit_label: str = "Next"

    def __post_init__(self) -> None:
        if len(self.title) > TITLE_MAX:
            raise ValueError(f"step {self.key!r}: title {self.title!r} is over {TITLE_MAX}")
        if not self.goes_to:
            raise ValueError(f"step {self.key!r} goes nowhere; use END to finish")

    def next(self, state: DialogState) -> str:
        """The step after this one, given the answers in `state` (a key or END)."""
        target = self.choose(state) if self.choose else self.goes_to[0]
        if target not in self.goes_to:
            raise DialogError(f"step {self.key!r} chose {target!r}, not in its table")
        return target


@dataclass(frozen=True)
class Fact:
    """A read-only line: `section` groups lines on the review screen."""

    label: str
    value: str
    section: str = ""


@dataclass(frozen=True)
class Dialog:
    """A state table: steps by key, a first step, and the urgent flags on offer."""

    name: str
    steps: Mapping[str, Step]
    start: str
    flags: tuple[Option, ...] = ()

    def __post_init__(self) -> None:
        if self.start not in self.steps:
            raise ValueError(f"dialog {self.name!r} starts at unknown step {self.start!r}")
        seen: set[str] = set()
        for step in self.steps.values():
            for target in step.goes_to:
                if target != END and target not in self.steps:
                    raise ValueError(f"step {step.key!r} goes to unknown step {target!r}")
            for f in step.fields:
                if f.key in seen:
                    raise ValueError(f"field {f.key!r} appears twice in {self.name!r}")
                seen.add(f.key)

    def step(self, key: str) -> Step:
        try:
            return self.steps[key]
        except KeyError:
            raise DialogError(f"there is no step {key!r} in the {self.name} dialog") from None

    def start_state(self) -> DialogState:
        return DialogState(dialog=self.name, step=self.start)

    def mermaid(self) -> str:
        """The table as a Mermaid flowchart, for the docs (as conversationbot.py has)."""
        lines = ["flowchart TD"]
        for step in self.steps.values():
            for target in step.goes_to:
                lines.append(f"    {step.key} --> {'END((END))' if target == END else target}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Move:
    """One entry of the history: `confirmed` lists fields kept despite a privacy warning."""

    action: str
    from_step: str
    to_step: str
    confirmed: tuple[str, ...] = ()


@dataclass(frozen=True)
class RaisedFlag:
    key: str
    note: str
    by: int
    step: str


@dataclass(frozen=True)
class DialogState:
    """Where a dialog is. `trail` is the steps taken to get here (back pops it);
    `answers` are by step then field, in stored form; treat both as read-only."""

    dialog: str
    step: str
    trail: tuple[str, ...] = ()
    answers: Mapping[str, Mapping[str, JSON]] = field(default_factory=dict)
    flags: tuple[RaisedFlag, ...] = ()
    history: tuple[Move, ...] = ()

    @property
    def finished(self) -> bool:
        return self.step == END

    def merged(self) -> dict[str, JSON]:
        """Answers of the steps on the trail and the current one: what counts."""
        out: dict[str, JSON] = {}
        for key in (*self.trail, self.step):
            out.update(self.answers.get(key, {}))
        return out

    def with_answers(self, step: str, values: Mapping[str, JSON]) -> DialogState:
        return replace(self, answers={**self.answers, step: dict(values)})

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "dialog": self.dialog,
            "step": self.step,
            "trail": list(self.trail),
            "answers": {k: dict(v) for k, v in self.answers.items()},
            "flags": [vars(f) for f in self.flags],
            "history": [{**vars(m), "confirmed": list(m.confirmed)} for m in self.history],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DialogState:
        """Rebuild a saved state; a damaged one is a DialogError saying what is wrong."""
        try:
            answers = data.get("answers", {})
            if not isinstance(answers, dict) or not all(
                isinstance(v, dict) for v in answers.values()
            ):
                raise TypeError("answers must be a mapping of steps to answers")
            return cls(
                dialog=str(data["dialog"]),
                step=str(data["step"]),
                trail=tuple(str(s) for s in data.get("trail", [])),
                answers={str(k): dict(v) for k, v in answers.items()},
                flags=tuple(RaisedFlag(**f) for f in data.get("flags", [])),
                history=tuple(
                    Move(**{**m, "confirmed": tuple(m.get("confirmed", []))})
                    for m in data.get("history", [])
                ),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise DialogError(f"the saved dialog cannot be read: {exc}") from None


@dataclass(frozen=True)
class Advanced:
    state: DialogState
    next_step: str


@dataclass(frozen=True)
class Invalid:
    """Errors by field key; `state` keeps the answers as submitted, on the same step."""

    errors: dict[str, str]
    state: DialogState


@dataclass(frozen=True)
class NeedsConfirmation:
    """Free text that looks like personal details: submit again with confirm_sensitive."""

    warnings: dict[str, str]
    state: DialogState


Outcome = Advanced | Invalid | NeedsConfirmation


def _open_at(dialog: Dialog, state: DialogState, step: str) -> DialogState:
    """The state with `step` current: it is, or it is on the trail (an edit)."""
    if state.dialog != dialog.name:
        raise DialogError(f"this state belongs to the {state.dialog} dialog, not the {dialog.name}")
    if state.finished:
        raise DialogClosed(f"this {dialog.name} has already been submitted")
    dialog.step(step)
    if step == state.step:
        return state
    if step in state.trail:
        i = state.trail.index(step)
        return replace(state, step=step, trail=state.trail[:i])
    current = dialog.step(state.step).title
    raise DialogError(f"that step is no longer open: this {dialog.name} is at '{current}'")


def apply(
    dialog: Dialog,
    state: DialogState,
    step: str,
    submitted_values: Mapping[str, Any],
    *,
    today: date,
    known_people: Mapping[int, str],
    confirm_sensitive: bool = False,
    action: Action = "next",
) -> Outcome:
    """Submit `step`: move back (unchecked) or on (checked), always keeping answers."""
    ctx = Context(today=today, known_people=known_people)
    opened = _open_at(dialog, state, step)
    state = opened if opened is state else _log(opened, Move("goto", state.step, step))
    s = dialog.step(step)
    drafted = {f.key: draft_value(f, submitted_values.get(f.key), ctx) for f in s.fields}
    draft = state.with_answers(step, {k: v for k, v in drafted.items() if v is not None})
    if action == "back":
        if not draft.trail:
            return Advanced(draft, step)
        to = draft.trail[-1]
        moved = replace(draft, step=to, trail=draft.trail[:-1])
        return Advanced(_log(moved, Move("back", step, to)), to)
    cleaned, errors = validate(s.fields, submitted_values, ctx, optional_groups=s.optional_groups)
    if not errors:
        checked = state.with_answers(step, cleaned)
        for check in s.checks:
            errors.update(
                {k: v for k, v in check(cleaned, checked, ctx).items() if k not in errors}
            )
    if errors:
        return Invalid(errors, draft)
    texts = {f.key: str(cleaned[f.key]) for f in s.fields if f.kind == "text" and f.key in cleaned}
    warnings = warnings_for(texts)
    if warnings and not confirm_sensitive:
        return NeedsConfirmation(warnings, draft)
    done = state.with_answers(step, cleaned)
    to = s.next(done)
    moved = replace(done, step=to, trail=(*done.trail, step))
    return Advanced(_log(moved, Move("next", step, to, tuple(warnings))), to)


def _log(state: DialogState, move: Move) -> DialogState:
    return replace(state, history=(*state.history, move))


def goto(dialog: Dialog, state: DialogState, step: str) -> DialogState:
    """Reopen an earlier step (a "Change" button on the review screen)."""
    opened = _open_at(dialog, state, step)
    return opened if opened is state else _log(opened, Move("goto", state.step, step))


def raise_flag(
    dialog: Dialog, state: DialogState, flag_key: str, note: str, *, by: int
) -> DialogState:
    """Record an urgent flag once (raising it again changes nothing); the caller
    escalates at once when the returned state has the flag and the old one did not."""
    if flag_key not in {o.value for o in dialog.flags}:
        known = ", ".join(o.label for o in dialog.flags) or "none"
        raise DialogError(f"there is no urgent flag {flag_key!r} here (flags: {known})")
    if any(f.key == flag_key for f in state.flags):
        return state
    flag = RaisedFlag(key=flag_key, note=note.strip(), by=by, step=state.step)
    return replace(state, flags=(*state.flags, flag))


# -- what a renderer needs -----------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    """Everything a modal dialog or a card shows for one step, channel-neutral.

    `values` pre-fill the inputs (resuming a draft); `flags` are the urgent flags one
    tap away on every step, `raised` those already recorded.
    """

    dialog: str
    key: str
    title: str
    intro: str
    facts: tuple[Fact, ...]
    groups: tuple[Group, ...]
    fields: tuple[Field, ...]
    values: Mapping[str, JSON]
    people: Mapping[int, str]
    can_go_back: bool
    submit_label: str
    number: int
    flags: tuple[Option, ...]
    raised: tuple[str, ...]

    def block_budget(self) -> int:
        """An upper bound of the blocks in a modal dialog (`qa.chat_platforms.MODAL_BLOCKS`):
        an intro, a header and one section per ten
        facts of each section, a header and a divider per group, one input per field,
        and one actions row (back, urgent flag). Renderers keep within this shape."""
        sections: dict[str, int] = {}
        for f in self.facts:
            sections[f.section] = sections.get(f.section, 0) + 1
        fact_blocks = sum(1 + -(-n // 10) for n in sections.values())
        return 1 + fact_blocks + 2 * len(self.groups) + len(self.fields) + 1


def describe_value(f: Field, value: JSON, people: Mapping[int, str]) -> str:
    """An answer as a person reads it: option labels, dates in full, people by name."""
    return kind_of(f.kind).describe(f, value, people)


def summary(dialog: Dialog, state: DialogState, ctx: Context) -> tuple[Fact, ...]:
    """Every answer on the trail, by step: the review screen at a glance."""
    out: list[Fact] = []
    for key in state.trail:
        step = dialog.steps.get(key)
        if step is None:
            continue
        answers = state.answers.get(key, {})
        for f in step.fields:
            if f.key in answers:
                value = describe_value(f, answers[f.key], ctx.known_people)
                out.append(Fact(f.summary_label or f.label, value, section=step.title))
    return tuple(out)


def view(
    dialog: Dialog, state: DialogState, *, today: date, known_people: Mapping[int, str]
) -> StepView:
    """The current step, filled in with the answers saved so far."""
    if state.finished:
        raise DialogClosed(f"this {dialog.name} has already been submitted")
    s = dialog.step(state.step)
    ctx = Context(today=today, known_people=known_people)
    return StepView(
        dialog=dialog.name,
        key=s.key,
        title=s.title,
        intro=s.intro,
        facts=s.facts(dialog, state, ctx) if s.facts else (),
        groups=s.groups,
        fields=s.fields,
        values=dict(state.answers.get(s.key, {})),
        people=dict(known_people),
        can_go_back=bool(state.trail),
        submit_label=s.submit_label,
        number=len(state.trail) + 1,
        flags=dialog.flags,
        raised=tuple(f.key for f in state.flags),
    )
