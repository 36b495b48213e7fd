"""One dialog controller: open, show a step, check it, keep a draft, go back, resume,
submit, refuse; each dialog in chat is a `DialogFlow` run by it.

A dialog is a state table (`qa.dialog`) whose state lives in a database row, never
only in a modal dialog or a card. Whatever the dialog (an audit, a moderation,
and the observations, themed audits and calibration cases to come), people meet it
the same way, and the same `Interaction`s arrive, named after the flow:

- `<name>.step` (form, `<name>:<id>:<step>`): check the step's answers and move on,
  or answer with errors by field, or with privacy warnings to confirm; the last step
  submits;
- `<name>.back` (button, with what is typed): keep the answers and go back a step;
- `<name>.save` (a card's *Save*) and `<name>.step.closed` (a modal closed): keep what
  is typed as a draft ("never lose an answer");
- opening it (a button naming `<name>:<id>`) shows the step it is at, or its receipt
  once it is finished.

What differs between dialogs is a `DialogFlow`: how to open (and authorise) its
record, how to keep its state, how a step and a receipt read, what submitting does.
A new dialog is a flow plus its templates (`<name>_step`, `<name>_refused`...).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from handlers.dialog_session import OpenDialog, Refusal, confirmed, parse_key
from handlers.interaction import Reply
from handlers.turn import Handler, Turn
from qa.dialog import (
    Advanced,
    DialogClosed,
    DialogError,
    DialogState,
    Invalid,
    NeedsConfirmation,
    Outcome,
    StepView,
    apply,
    view,
)
from qa.validation import Context, draft_value

log = logging.getLogger(__name__)

R = TypeVar("R", bound=OpenDialog)


@dataclass(frozen=True)
class StepNotes:
    """What the controller has to say on a step: errors by field, privacy warnings to
    confirm, and a notice above it."""

    errors: Mapping[str, str] | None = None
    warnings: Mapping[str, str] | None = None
    notice: str = ""


class DialogFlow(ABC, Generic[R]):
    """One dialog in chat: what is particular to it, the controller doing the rest.

    `name` is the routing-key kind and the prefix of its action ids and templates
    (`<name>.step`, `<name>_step`, `<name>_refused`). A flow says how to open (and
    authorise) its record, keep its state, show a step, answer once finished, submit,
    answer *Save for later*, and what to check or record when it is opened again.
    """

    name: ClassVar[str]
    moved_on: ClassVar[str] = "That step was already saved, so here is where your {dialog} is now."

    @abstractmethod
    def open(self, turn: Turn, record_id: int) -> R | Refusal:
        """The record if this person may work on it, else why not."""

    @abstractmethod
    def persist(self, turn: Turn, op: R) -> None:
        """Keep `op.state` in its row (a draft)."""

    @abstractmethod
    def step_context(self, turn: Turn, op: R, sv: StepView, notes: StepNotes) -> dict[str, Any]:
        """The `<name>_step` template's context for the step `sv` shows."""

    @abstractmethod
    def finished(self, turn: Turn, op: R) -> list[Reply]:
        """The answer to anything sent to a finished dialog (its receipt)."""

    @abstractmethod
    def submit(self, turn: Turn, op: R) -> list[Reply]:
        """What the last step does, once it passes."""

    @abstractmethod
    def saved(self, turn: Turn, op: R) -> Reply:
        """The answer to *Save for later*."""

    def on_resume(self, turn: Turn, op: R) -> Refusal | None:
        """What opening it at its step checks or records first: a refusal, or None."""
        return None

    def moved_on_notice(self, turn: Turn) -> str:
        """Shown when a step arrives that is no longer open (sent twice, or stale)."""
        return self.moved_on.format(dialog=self.name)

    def refuse(self, reason: str) -> list[Reply]:
        return Refusal(self.name, reason).reply()

    # -- opening --------------------------------------------------------------------

    def target(self, turn: Turn, *, with_step: bool) -> tuple[R, str | None] | list[Reply]:
        """The record the routing key names, opened for this person (and its step),
        or the refusal to answer with."""
        parsed = parse_key(turn.interaction.routing_key, self.name)
        if parsed is None or (with_step and parsed[1] is None):
            return self.refuse("invalid")
        op = self.open(turn, parsed[0])
        if isinstance(op, Refusal):
            log.info(
                "%s refused: id=%s person=%s reason=%s",
                self.name,
                parsed[0],
                turn.person.id,
                op.reason,
            )
            return op.reply()
        return op, parsed[1]

    def at_step(self, turn: Turn) -> tuple[R, str] | list[Reply]:
        """The record and the step a step's button or form names, or the refusal."""
        target = self.target(turn, with_step=True)
        if isinstance(target, list):
            return target
        op, step = target
        return op, step or ""

    def resume(self, turn: Turn, op: R, *, notice: str = "") -> list[Reply]:
        """The dialog at the step it is at, or its receipt once finished."""
        refusal = self.on_resume(turn, op)
        if refusal is not None:
            return refusal.reply()
        if op.state.finished:
            return self.finished(turn, op)
        return [self.step_reply(turn, op, notice=notice)]

    # -- the current step -------------------------------------------------------------

    def step_reply(
        self,
        turn: Turn,
        op: R,
        *,
        errors: Mapping[str, str] | None = None,
        warnings: Mapping[str, str] | None = None,
        notice: str = "",
    ) -> Reply:
        """The current step. Errors on its fields are shown inline by their field; an error
        about something not on the screen is shown on its first field (or as a note)."""
        sv = view(op.dialog, op.state, today=turn.today, known_people=op.people)
        keys = [f.key for f in sv.fields]
        field_errors = {k: v for k, v in (errors or {}).items() if k in keys}
        stray = [v for k, v in (errors or {}).items() if k not in keys]
        if stray and keys:
            first = keys[0]
            field_errors[first] = " ".join([field_errors.get(first, ""), *stray]).strip()
        notes = StepNotes(field_errors if keys else errors, warnings, notice)
        context = self.step_context(turn, op, sv, notes)
        return Reply(f"{self.name}_step", context, errors=field_errors)

    def save(self, turn: Turn, op: R, state: DialogState) -> None:
        op.state = state
        self.persist(turn, op)

    def keep_draft(self, turn: Turn, op: R, step: str | None, values: Mapping[str, Any]) -> None:
        """Save what is typed on the current step without checking or moving it on.

        Only when the values are for the step the dialog is at and carry at least one
        of its fields (a button with no inputs must not blank a step).
        """
        state = op.state
        if step != state.step or state.finished:
            return
        fields = op.dialog.step(step).fields
        if not any(f.key in values for f in fields):
            return
        ctx = Context(today=turn.today, known_people=op.people)
        drafted = {f.key: draft_value(f, values.get(f.key), ctx) for f in fields}
        answers = {k: v for k, v in drafted.items() if v is not None}
        self.save(turn, op, state.with_answers(step, answers))

    def _apply(self, turn: Turn, op: R, step: str, **how: Any) -> Outcome:
        """Submit `step` with what this interaction carries (`how`: back, confirmed)."""
        values = turn.interaction.values
        return apply(
            op.dialog, op.state, step, values, today=turn.today, known_people=op.people, **how
        )

    # -- the handlers -------------------------------------------------------------------

    def on_open(self, turn: Turn) -> list[Reply]:
        """Open at the step it is at (its receipt, once submitted)."""
        target = self.target(turn, with_step=False)
        if isinstance(target, list):
            return target
        return self.resume(turn, target[0])

    def on_step(self, turn: Turn) -> list[Reply]:
        """A step's form: on, back to it with errors or warnings, or (last step) submit."""
        target = self.at_step(turn)
        if isinstance(target, list):
            return target
        op, step = target
        values = turn.interaction.values
        try:
            outcome = self._apply(turn, op, step, confirm_sensitive=confirmed(values))
        except DialogClosed:
            return self.finished(turn, op)
        except DialogError:
            return [self.step_reply(turn, op, notice=self.moved_on_notice(turn))]
        self.save(turn, op, outcome.state)
        if isinstance(outcome, Invalid):
            return [self.step_reply(turn, op, errors=outcome.errors)]
        if isinstance(outcome, NeedsConfirmation):
            return [self.step_reply(turn, op, warnings=outcome.warnings)]
        assert isinstance(outcome, Advanced)
        if outcome.state.finished:
            return self.submit(turn, op)
        return [self.step_reply(turn, op)]

    def on_back(self, turn: Turn) -> list[Reply]:
        """Back a step, keeping what was typed on this one (unchecked)."""
        target = self.at_step(turn)
        if isinstance(target, list):
            return target
        op, step = target
        if op.state.finished:
            return self.finished(turn, op)
        try:
            outcome = self._apply(turn, op, step, action="back")
        except DialogError:
            return [self.step_reply(turn, op)]
        self.save(turn, op, outcome.state)
        return [self.step_reply(turn, op)]

    def _keep_typed(self, turn: Turn) -> R | list[Reply]:
        """Keep what is typed on the step the form names; the record, or the refusal."""
        target = self.at_step(turn)
        if isinstance(target, list):
            return target
        op, step = target
        self.keep_draft(turn, op, step, turn.interaction.values)
        return op

    def on_save(self, turn: Turn) -> list[Reply]:
        """Save and stop for now (a card's *Save*): what is typed is kept; opening it again picks
        it up."""
        kept = self._keep_typed(turn)
        return kept if isinstance(kept, list) else [self.saved(turn, kept)]

    def on_closed(self, turn: Turn) -> list[Reply]:
        """The modal dialog was closed. Keep what was typed; say nothing (not even a
        refusal: nobody is looking)."""
        self._keep_typed(turn)
        return []

    def routes(self, *, open_action: str) -> tuple[dict[str, Handler], dict[str, Handler]]:
        """(actions, submissions) this flow answers, for its `Conversation`."""
        actions: dict[str, Handler] = {
            open_action: self.on_open,
            f"{self.name}.back": self.on_back,
            f"{self.name}.save": self.on_save,
        }
        submissions: dict[str, Handler] = {
            f"{self.name}.step": self.on_step,
            f"{self.name}.step.closed": self.on_closed,
        }
        return actions, submissions
