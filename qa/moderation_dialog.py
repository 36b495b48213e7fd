"""The moderation dialog: a second look at an audit, on the same state-table engine.

Follows City of London's moderation template (docs/domain.md section 5, 002 Appendix 2):
agree with each domain's grade, and if not, the grade the moderator would give and
why; the same for the overall grade; agree with the recommendations; the outcome
(confirm, regrade, return to the author); actions arising. The outcome comes before
the actions so that when a downgrade needs actions (Lambeth's rule, the framework's
`moderation.downgrade_requires_actions`) the error appears where the action is added.

The final grade: confirmed keeps the auditor's overall grade, regraded takes the
moderator's, returned leaves none (the author redoes the audit).

A framework may add its own template's questions (`moderation.questions`: City of
London's question 15, its child and service recommendations asked apart, the panel's
date), each on the step it names, in the framework's words and field kinds; questions
on the recommendations step take the place of its one built-in question. A framework
that declares none gets the dialog exactly as before.

**Blind moderation** (`moderation.blind`, issue 15) is a variation of this dialog, not
another: a first step, `blind`, asks the moderator's own grade for each domain and
overall with nothing of the auditor's grades on screen; the `grades` step then shows
both side by side and asks, as always, whether they agree. Once the moderator has
moved past it the blind step is sealed (`seal_blind`: it leaves the trail, so *Back*
cannot reach it): the blind grades stay as they were given before the auditor's were
seen, which is what makes them the unbiased measure agreement is counted from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from qa.dialog import END, Dialog, DialogError, DialogState, Fact, RaisedFlag, Step, summary
from qa.forms import (
    YES_NO,
    ActionDraft,
    follow_up_fields,
    follow_ups,
    grade_options,
    slot_steps,
    slots,
)
from qa.framework import Domain, Framework, ModerationQuestion
from qa.validation import JSON, Context, Field, Group, Option

__all__ = [
    "BLIND_STEP",
    "OUTCOMES",
    "ActionDraft",
    "DomainModeration",
    "ModerationResult",
    "QuestionAnswer",
    "blind_grades",
    "build_moderation_dialog",
    "is_downgrade",
    "moderation_result",
    "resume_state",
    "seal_blind",
]

# The framework's outcome keys, as recorded (Moderation.outcome) and as offered.
OUTCOMES: dict[str, tuple[str, str]] = {
    "confirm": ("confirmed", "Confirm the grade"),
    "regrade": ("regraded", "Regrade"),
    "return": ("returned", "Return it to its author to redo"),
}
QUESTION_STEPS = ("grades", "overall", "recommendations", "outcome")
ACTIONS_PER_PAGE = 3
ACTION_PAGES = 4
NO = ("no",)
BLIND_STEP = "blind"
BLIND_OVERALL = "overall"


def blind_key(domain: str) -> str:
    """The field key of the moderator's blind grade for `domain` (or `overall`)."""
    return f"blind.{domain}"


def blind_grades(state: DialogState) -> dict[str, str]:
    """The grades the moderator gave blind, by domain key and `overall` (none when the
    dialog has no blind step or it was not answered). Read from the step's own answers,
    not the trail: a sealed blind step is off the trail but its answers are kept."""
    given = state.answers.get(BLIND_STEP, {})
    return {
        k.removeprefix("blind."): v
        for k, v in given.items()
        if k.startswith("blind.") and isinstance(v, str)
    }


def resume_state(dialog: Dialog, state: DialogState) -> DialogState:
    """A saved moderation as this dialog can carry on with it: one saved at a step the
    dialog no longer has (the framework's `moderation.blind` was switched off while it
    was at the blind step) starts again at the first step, its answers kept."""
    if state.finished or state.step in dialog.steps:
        return state
    return replace(state, step=dialog.start, trail=())


def seal_blind(state: DialogState) -> DialogState:
    """Once past the blind step, take it off the trail: *Back* from the side-by-side
    step then stays put, and the blind grades cannot be changed after the auditor's
    grades were seen. A dialog without a blind step is returned unchanged."""
    if BLIND_STEP not in state.trail:
        return state
    return replace(state, trail=tuple(t for t in state.trail if t != BLIND_STEP))


def is_downgrade(framework: Framework, given: str, moderated: str) -> bool:
    """`moderated` is a worse grade than `given` (grades are listed best first)."""
    keys = framework.grade_keys
    return keys.index(moderated) > keys.index(given)


def _judgement(framework: Framework, key: str, label: str, given: str) -> list[Field]:
    return [
        Field(
            f"mod.{key}.agree",
            "Do you agree with this grade?",
            "choice",
            YES_NO,
            group=f"mod.{key}",
            missing=f"Say whether you agree with the grade for {label}",
            summary_label=f"{label[:1].upper()}{label[1:]}: agree?",
        ),
        Field(
            f"mod.{key}.grade",
            "The grade you would give",
            "grade",
            grade_options(framework),
            group=f"mod.{key}",
            required_if=(f"mod.{key}.agree", NO),
            missing=f"Choose the grade you would give for {label}",
            summary_label=f"{label}: your grade",
        ),
        Field(
            f"mod.{key}.why",
            "Why?",
            "text",
            group=f"mod.{key}",
            multiline=True,
            required_if=(f"mod.{key}.agree", NO),
            max_length=1000,
            missing="Say why you would grade it differently",
            summary_label=f"{label}: why",
        ),
    ]


def _same_grade_check(keys: Mapping[str, str]) -> Callable[..., dict[str, str]]:
    """Disagreeing while giving the same grade is a slip: say so at the grade."""

    def check(values: Mapping[str, JSON], _: DialogState, __: Context) -> dict[str, str]:
        return {
            f"mod.{k}.grade": "That is the grade already given: choose another, or answer Yes"
            for k, given in keys.items()
            if values.get(f"mod.{k}.agree") == "no" and values.get(f"mod.{k}.grade") == given
        }

    return check


def _outcome_check(values: Mapping[str, JSON], state: DialogState, _: Context) -> dict[str, str]:
    agrees = state.merged().get("mod.overall.agree") == "yes"
    outcome = values.get("mod.outcome")
    if outcome == "regraded" and agrees:
        return {
            "mod.outcome": "You agreed with the overall grade, so there is nothing to regrade: "
            "choose Confirm, or go back and give your grade under Overall grade"
        }
    if outcome == "confirmed" and not agrees:
        return {
            "mod.outcome": "You gave a different overall grade: choose Regrade, or go back "
            "and agree with the overall grade"
        }
    return {}


def _actions_check(framework: Framework, given: str) -> Callable[..., dict[str, str]]:
    def check(values: Mapping[str, JSON], state: DialogState, _: Context) -> dict[str, str]:
        a = state.merged()
        moderated = a.get("mod.overall.grade")
        if not (
            framework.moderation.downgrade_requires_actions
            and a.get("mod.outcome") == "regraded"
            and isinstance(moderated, str)
            and is_downgrade(framework, given, moderated)
            and not framework.grade(moderated).good_or_better
            and not slots(values, "act")
        ):
            return {}
        label = framework.grade(moderated).label
        return {"act.1.action": f"A regrade to {label} needs at least one action: add it here"}

    return check


def question_key(q: ModerationQuestion) -> str:
    """The field key of a framework question's answer (its comments: `<key>.comments`)."""
    return f"mod.q.{q.key}"


def _question(q: ModerationQuestion) -> tuple[Group | None, list[Field]]:
    """A framework's own moderation question as written: its answer in the kind it
    names and, where the template has one, a comments box beneath."""
    key = question_key(q)
    group = Group(key, q.section, q.help) if q.section else None
    answer = Field(
        key,
        q.label,
        q.field_kind,
        tuple(Option(a, a) for a in q.answers),
        required=q.required,
        help="" if group else q.help,
        group=key if group else "",
        multiline=q.kind == "text",
        max_length=1000 if q.kind == "text" else None,
        summary_label=q.section or q.label,
    )
    fields = [answer]
    if q.comments:
        fields.append(
            Field(
                f"{key}.comments",
                q.comments,
                "text",
                group=answer.group,
                multiline=True,
                max_length=1000,
                required=False,
                required_if=(key, tuple(q.comments_required_for))
                if q.comments_required_for
                else None,
                missing=f"Add your comments on “{q.section or q.label}”",
                summary_label=f"{q.section or q.label}: comments",
            )
        )
    return group, fields


def _questions(framework: Framework, step: str) -> tuple[tuple[Field, ...], tuple[Group, ...]]:
    """The fields and headings of the framework's questions asked on `step`."""
    asked = [_question(q) for q in framework.moderation.questions if q.step == step]
    fields = tuple(f for _, fs in asked for f in fs)
    return fields, tuple(g for g, _ in asked if g is not None)


def _action(framework: Framework, n: int) -> tuple[Group, list[Field]]:
    return Group(f"act.{n}", f"Action {n}"), follow_up_fields(framework, f"act.{n}", f"Action {n}")


def build_moderation_dialog(
    framework: Framework,
    *,
    domain_grades: Mapping[str, str],
    overall_grade: str,
    case_reference: str = "",
    blind: bool | None = None,
) -> Dialog:
    """The moderation dialog for one audit, given the grades its author gave; `blind`
    (default: the framework's `moderation.blind`) asks the moderator's grades first."""
    blind = framework.moderation.blind if blind is None else blind
    unknown = [g for g in (*domain_grades.values(), overall_grade) if g not in framework.grade_keys]
    if unknown:
        raise DialogError(f"grade '{unknown[0]}' is not in the framework's grade scale")
    vocab = framework.vocabulary
    label = {g.key: g.label for g in framework.grades}
    domains = [d for d in framework.audit_form.domains if d.key in domain_grades]
    given = {d.key: domain_grades[d.key] for d in domains}
    outcomes = tuple(Option(*OUTCOMES[o]) for o in framework.moderation.outcomes)

    def case_facts(_: Dialog, __: DialogState, ___: Context) -> tuple[Fact, ...]:
        return (Fact("Case", case_reference),) if case_reference else ()

    def grade_facts(dialog: Dialog, state: DialogState, ctx: Context) -> tuple[Fact, ...]:
        ref = case_facts(dialog, state, ctx)
        if not blind:
            return (*ref, Fact("Overall grade given", label[overall_grade]))
        mine = blind_grades(state)
        side = "Side by side: given, and yours"
        rows = [(d.label, given[d.key], mine.get(d.key)) for d in domains]
        rows.append(("Overall grade", overall_grade, mine.get(BLIND_OVERALL)))
        return (
            *ref,
            *(
                Fact(what, f"{label[g]} · you: {label.get(m or '', 'not given')}", side)
                for what, g, m in rows
            ),
        )

    def overall_facts(_: Dialog, state: DialogState, __: Context) -> tuple[Fact, ...]:
        a = state.merged()
        rows = [Fact("Overall grade given", label[overall_grade])]
        for d in domains:
            mine = a.get(f"mod.{d.key}.grade") if a.get(f"mod.{d.key}.agree") == "no" else None
            shown = label[given[d.key]] + (f" (you: {label[str(mine)]})" if mine else "")
            rows.append(Fact(d.label, shown, "Domain grades"))
        return tuple(rows)

    def review_facts(dialog: Dialog, state: DialogState, ctx: Context) -> tuple[Fact, ...]:
        return summary(dialog, state, ctx)

    steps: list[Step] = [
        Step(
            "review",
            "Check and submit",
            (END,),
            facts=review_facts,
            submit_label="Submit",
            intro=f"Check your {vocab.moderation} before you submit it.",
        ),
    ]
    steps[:0] = slot_steps(
        key="actions",
        title="Actions arising",
        noun="action",
        after="review",
        make=lambda n: _action(framework, n),
        per_page=ACTIONS_PER_PAGE,
        pages=ACTION_PAGES,
        intro="Actions arising from this moderation, if any: leave an action blank to skip it.",
    )
    steps[0] = replace(steps[0], checks=(_actions_check(framework, overall_grade),))
    reason = Field(
        "mod.outcome.reason",
        "Reason or comments for the author",
        "text",
        multiline=True,
        max_length=1000,
        required_if=("mod.outcome", ("returned",)),
        missing=f"Say why the {vocab.audit} is being returned, so its author knows what to redo",
    )
    asked = {k: _questions(framework, k) for k in QUESTION_STEPS}
    steps.insert(
        0,
        Step(
            "outcome",
            "Outcome",
            ("actions",),
            checks=(_outcome_check,),
            fields=(
                Field("mod.outcome", "Outcome", "choice", outcomes, missing="Choose an outcome"),
                reason,
                *asked["outcome"][0],
            ),
            groups=asked["outcome"][1],
        ),
    )
    steps.insert(
        0,
        Step(
            "recommendations",
            "Recommendations",
            ("outcome",),
            groups=asked["recommendations"][1],
            fields=asked["recommendations"][0]
            or (
                Field(
                    "mod.recommendations.agree",
                    "Do you agree with the recommendations made?",
                    "choice",
                    YES_NO,
                    missing="Say whether you agree with the recommendations",
                ),
                Field(
                    "mod.recommendations.comments",
                    "What should change?",
                    "text",
                    multiline=True,
                    max_length=1000,
                    required_if=("mod.recommendations.agree", NO),
                    missing="Say what should change in the recommendations",
                ),
            ),
        ),
    )
    steps.insert(
        0,
        Step(
            "overall",
            "Overall grade",
            ("recommendations",),
            fields=(
                *_judgement(framework, "overall", "the overall grade", overall_grade),
                *asked["overall"][0],
            ),
            groups=(
                Group("mod.overall", "Overall grade", f"Given: {label[overall_grade]}"),
                *asked["overall"][1],
            ),
            checks=(_same_grade_check({"overall": overall_grade}),),
            facts=overall_facts,
        ),
    )
    steps.insert(
        0,
        Step(
            "grades",
            "Domain grades",
            ("overall",),
            facts=grade_facts,
            fields=(
                *(f for d in domains for f in _judgement(framework, d.key, d.label, given[d.key])),
                *asked["grades"][0],
            ),
            groups=(
                *(Group(f"mod.{d.key}", d.label, f"Given: {label[given[d.key]]}") for d in domains),
                *asked["grades"][1],
            ),
            checks=(_same_grade_check(given),),
            intro=(
                f"Your grades and those given in this {vocab.audit}, side by side. "
                "Do you agree with the grades given?"
                if blind
                else f"Do you agree with the grades given in this {vocab.audit}?"
            ),
        ),
    )
    if blind:
        steps.insert(0, _blind_step(framework, domains, case_facts))
    flags = tuple(Option(f.key, f.label) for f in framework.audit_form.urgent_flags)
    start = BLIND_STEP if blind else "grades"
    return Dialog("moderation", {s.key: s for s in steps}, start=start, flags=flags)


def _blind_step(
    framework: Framework,
    domains: Sequence[Domain],
    facts: Callable[[Dialog, DialogState, Context], tuple[Fact, ...]],
) -> Step:
    """The moderator's own grades, asked before any of the auditor's are shown: the
    step names no grade given, only the case."""
    vocab = framework.vocabulary
    options = grade_options(framework)
    keys = [*(d.key for d in domains), BLIND_OVERALL]
    labels = [*(d.label for d in domains), "Overall grade"]
    return Step(
        BLIND_STEP,
        "Your grades",
        ("grades",),
        facts=facts,
        fields=tuple(
            Field(
                blind_key(k),
                "Your grade",
                "grade",
                options,
                group=blind_key(k),
                missing=f"Choose your grade for {what}",
                summary_label=f"{what}: your blind grade",
            )
            for k, what in zip(keys, labels, strict=True)
        ),
        groups=tuple(Group(blind_key(k), what) for k, what in zip(keys, labels, strict=True)),
        intro=(
            f"Grade this {vocab.audit} yourself first, from the case record. The grades "
            "given are shown beside yours on the next step, and yours cannot be changed "
            "once you have seen them."
        ),
    )


@dataclass(frozen=True)
class DomainModeration:
    agrees: bool
    grade: str | None = None
    why: str = ""


@dataclass(frozen=True)
class QuestionAnswer:
    """The answer to one of the framework's own questions (as stored: an option, text,
    an ISO date) and its comments."""

    answer: JSON | None
    comments: str = ""


@dataclass(frozen=True)
class ModerationResult:
    """A finished moderation, ready to store (Moderation columns, Recommendation rows)."""

    outcome: str  # confirmed / regraded / returned
    final_grade: str | None
    moderated_grade: str | None
    domains: dict[str, DomainModeration]
    overall_agrees: bool
    recommendations_agree: bool
    recommendations_comments: str
    reason: str
    actions: tuple[ActionDraft, ...]
    urgent_flags: tuple[RaisedFlag, ...]
    # The framework's own questions (`moderation.questions`), by key: those answered.
    questions: dict[str, QuestionAnswer] = field(default_factory=dict)
    # Blind moderation: the grades given before the auditor's were seen (domain keys
    # and `overall`); empty when the framework's moderation is not blind.
    blind: dict[str, str] = field(default_factory=dict)


def _text(a: Mapping[str, JSON], key: str) -> str:
    value = a.get(key)
    return value if isinstance(value, str) else ""


def moderation_result(
    state: DialogState, framework: Framework, *, overall_grade: str
) -> ModerationResult:
    """What the finished moderation decided; `overall_grade` is the auditor's."""
    if not state.finished:
        raise DialogError(f"the moderation is not finished yet: it is at step '{state.step}'")
    a = state.merged()
    domains = {
        d.key: DomainModeration(
            agrees=a[f"mod.{d.key}.agree"] == "yes",
            grade=_text(a, f"mod.{d.key}.grade") or None,
            why=_text(a, f"mod.{d.key}.why"),
        )
        for d in framework.audit_form.domains
        if f"mod.{d.key}.agree" in a
    }
    overall_agrees = a.get("mod.overall.agree") == "yes"
    moderated = None if overall_agrees else _text(a, "mod.overall.grade") or None
    outcome = _text(a, "mod.outcome")
    final = {"confirmed": overall_grade, "regraded": moderated}.get(outcome)
    actions = tuple(
        ActionDraft(n, _text(s, "action"), owner, due) for n, s, owner, due in follow_ups(a, "act")
    )
    return ModerationResult(
        outcome=outcome,
        final_grade=final,
        moderated_grade=moderated,
        domains=domains,
        overall_agrees=overall_agrees,
        recommendations_agree=a.get("mod.recommendations.agree") == "yes",
        recommendations_comments=_text(a, "mod.recommendations.comments"),
        reason=_text(a, "mod.outcome.reason"),
        actions=actions,
        urgent_flags=state.flags,
        questions={
            q.key: QuestionAnswer(a[question_key(q)], _text(a, f"{question_key(q)}.comments"))
            for q in framework.moderation.questions
            if question_key(q) in a
        },
        blind=blind_grades(state),
    )
