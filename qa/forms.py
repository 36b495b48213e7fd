"""The framework's audit form as dialog steps, fields and, at the end, a result.

The audit form is configuration (docs/domain.md section 4), so nothing here names an
authority: the checklist, the graded domains for the case's area, the feedback and
narrative prompts, the grade scale and the recommendation levels all come from the
framework. Long lists are split into pages so that no step has more than
`MAX_INPUTS` inputs (a modal dialog holds at most `qa.chat_platforms.MODAL_BLOCKS`).

Field keys are unique across the dialog and say what they hold
(`domain.<key>.grade`, `rec.<n>.due`): `result` reads the answers back by key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from qa.dialog import END, Dialog, DialogError, DialogState, Fact, RaisedFlag, Step, summary
from qa.framework import Domain, Framework, Prompt
from qa.validation import JSON, Context, Field, Group, Option
from qa.working_days import add_months, long_date

__all__ = [
    "MAX_INPUTS",
    "YES_NO",
    "ActionDraft",
    "AuditResult",
    "ChecklistAnswer",
    "FeedbackAnswer",
    "RecommendationDraft",
    "build_audit_dialog",
    "follow_up_fields",
    "follow_ups",
    "grade_options",
    "result",
    "review_period",
    "slot_steps",
    "slots",
]

MAX_INPUTS = 40
RECOMMENDATIONS_PER_PAGE = 3
RECOMMENDATION_PAGES = 5
DUE_WITHIN_MONTHS = 24
YES_NO = (Option("yes", "Yes"), Option("no", "No"))
SPOKEN = (*YES_NO, Option("not_applicable", "Not applicable"))
METHODS = tuple(
    Option(v, label)
    for v, label in [
        ("in_person", "In person"),
        ("home_visit", "Home visit"),
        ("video", "Video call"),
        ("phone", "Phone call"),
        ("written", "Email or letter"),
        ("other", "Other"),
    ]
)


def review_period(today: date, months: int) -> tuple[date, date]:
    """The practice an audit looks at: the last `months` months up to today."""
    return add_months(today, -months), today


def grade_options(framework: Framework) -> tuple[Option, ...]:
    """The grade scale, best first, each with its descriptor as help text."""
    return tuple(Option(g.key, g.label, g.descriptor) for g in framework.grades)


Item = tuple[Group | None, list[Field]]


def _pages(items: Sequence[Item]) -> list[list[Item]]:
    pages: list[list[Item]] = [[]]
    for item in items:
        if pages[-1] and sum(len(i[1]) for i in pages[-1]) + len(item[1]) > MAX_INPUTS:
            pages.append([])
        pages[-1].append(item)
    return pages


def _paged_steps(key: str, title: str, items: Sequence[Item], after: str) -> list[Step]:
    """`key`, or `key_1`, `key_2`... when the items need more than one page."""
    pages = _pages(items)
    keys = [key] if len(pages) == 1 else [f"{key}_{i}" for i in range(1, len(pages) + 1)]
    n = len(pages)
    titles = [title] if n == 1 else [f"{title} {i}/{n}" for i in range(1, n + 1)]
    return [
        Step(
            key=k,
            title=titles[i],
            goes_to=(keys[i + 1] if i + 1 < len(keys) else after,),
            fields=tuple(f for _, fs in page for f in fs),
            groups=tuple(g for g, _ in page if g is not None),
        )
        for i, (k, page) in enumerate(zip(keys, pages, strict=True))
    ]


def slot_steps(
    *,
    key: str,
    title: str,
    noun: str,
    after: str,
    make: Callable[[int], tuple[Group, list[Field]]],
    per_page: int,
    pages: int,
    intro: str,
) -> list[Step]:
    """Pages of repeatable entries (0..n): each page has `per_page` blank slots and
    asks whether to add more on another page. A slot left wholly blank is skipped."""
    steps: list[Step] = []
    for p in range(1, pages + 1):
        k = key if p == 1 else f"{key}_{p}"
        nxt = f"{key}_{p + 1}"
        entries = [make((p - 1) * per_page + i) for i in range(1, per_page + 1)]
        fields = [f for _, fs in entries for f in fs]
        more = Field(
            f"{key}.more.{p}",
            f"Add more {noun}s on another page?",
            "choice",
            YES_NO,
            required=False,
        )
        last = p == pages
        steps.append(
            Step(
                key=k,
                title=title if p == 1 else f"{title} {p}",
                goes_to=(after,) if last else (nxt, after),
                fields=tuple(fields if last else [*fields, more]),
                choose=None if last else _more_chooser(k, more.key, nxt, after),
                groups=tuple(g for g, _ in entries),
                optional_groups=frozenset(g.key for g, _ in entries),
                intro=intro,
            )
        )
    return steps


def _more_chooser(step: str, field: str, more: str, after: str) -> Callable[[DialogState], str]:
    return lambda s: more if s.answers.get(step, {}).get(field) == "yes" else after


def follow_up_fields(framework: Framework, group: str, title: str) -> list[Field]:
    """What must happen, who owns it and by when: a recommendation and a moderation's
    action arising ask it the same way (`<group>.action`, `.owner`, `.due`)."""
    bank = framework.reminders.bank_holidays == "england_and_wales"
    return [
        Field(
            f"{group}.action",
            "Action",
            "text",
            group=group,
            max_length=500,
            multiline=True,
            missing="Say what needs to happen",
            summary_label=title,
        ),
        Field(
            f"{group}.owner",
            "Owner",
            "person",
            group=group,
            missing="Choose who will do this",
            summary_label=f"{title}: owner",
        ),
        Field(
            f"{group}.due",
            "Due date",
            "date",
            group=group,
            dates="future_working_day",
            bank_holidays=bank,
            max_months_ahead=DUE_WITHIN_MONTHS,
            missing="Pick a due date",
            summary_label=f"{title}: due",
        ),
    ]


def _recommendation(framework: Framework, n: int) -> tuple[Group, list[Field]]:
    levels = framework.audit_form.recommendation_levels
    g = f"rec.{n}"
    fields = follow_up_fields(framework, g, f"Recommendation {n}")
    impact = Field(
        f"{g}.impact",
        "Intended impact",
        "text",
        group=g,
        max_length=500,
        missing="Say what difference this should make for the child or family",
        summary_label=f"Recommendation {n}: intended impact",
    )
    fields.insert(1, impact)
    if len(levels) > 1:
        opts = tuple(Option(lv, lv.replace("_", " ").capitalize()) for lv in levels)
        fields.insert(
            0,
            Field(
                f"{g}.level",
                "For the",
                "choice",
                opts,
                group=g,
                missing="Choose who this recommendation is for",
                summary_label=f"Recommendation {n}: for the",
            ),
        )
    return Group(g, f"Recommendation {n}"), fields


def _domain(framework: Framework, d: Domain) -> tuple[Group, list[Field]]:
    g = f"domain.{d.key}"
    return Group(g, d.label, d.help), [
        Field(
            f"{g}.grade",
            "Grade",
            "grade",
            grade_options(framework),
            group=g,
            missing=f"Choose a grade for {d.label}",
            summary_label=f"{d.label}: grade",
        ),
        Field(
            f"{g}.evidence",
            "Evidence (a short note)",
            "text",
            group=g,
            max_length=1000,
            multiline=True,
            missing=f"Add a short evidence note for {d.label}",
            summary_label=f"{d.label}: evidence",
        ),
    ]


def _feedback(p: Prompt) -> tuple[Group, list[Field]]:
    g = f"feedback.{p.key}"
    yes = (f"{g}.spoken", ("yes",))
    return Group(g, p.label), [
        Field(
            f"{g}.spoken",
            "Did this conversation happen?",
            "choice",
            SPOKEN,
            group=g,
            required=p.required,
            missing="Say whether this conversation happened",
            summary_label=p.label,
        ),
        Field(
            f"{g}.date",
            "When?",
            "date",
            group=g,
            required_if=yes,
            dates="not_future",
            missing="Pick the date of this conversation",
            summary_label="When",  # follows the prompt itself on the check page
        ),
        Field(
            f"{g}.method",
            "How?",
            "choice",
            METHODS,
            group=g,
            required_if=yes,
            missing="Choose how this conversation happened",
            summary_label="How",
        ),
        Field(
            f"{g}.note",
            "Anything to add? (optional)",
            "text",
            group=g,
            required=False,
            max_length=500,
            summary_label="Note",
        ),
    ]


def _narrative(p: Prompt) -> Item:
    return None, [
        Field(
            f"narrative.{p.key}",
            p.label,
            "text",
            required=p.required,
            max_length=3000,
            multiline=True,
            missing=f"Please answer “{p.label}” (a sentence or two will do)",
        )
    ]


def _checklist(framework: Framework, area: str) -> list[Item]:
    opts = tuple(Option(o, o) for o in framework.audit_form.checklist_options)
    return [
        (
            None,
            [
                Field(
                    f"checklist.{i.key}.answer",
                    i.label,
                    "choice",
                    opts,
                    missing=f"Choose an answer for “{i.label}”",
                ),
                Field(
                    f"checklist.{i.key}.action",
                    "Action needed, if any",
                    "text",
                    required=False,
                    max_length=500,
                    summary_label=f"{i.label}: action",
                ),
            ],
        )
        for i in framework.checklist_for(area)
    ]


def _needs_recommendation(
    framework: Framework, area: str, *, at: str | None
) -> Callable[..., dict[str, str]]:
    """A checklist answer that needs a recommendation (City of London QAF 2024: where
    identity is not ascertained the reasons "are raised as a recommendation") stops the
    audit going on without one.

    On a recommendations page (`at`: its first slot's action, where one is added) it
    waits while the person goes on to another page; on the review step (`at` None) the
    message names the question and says where to add it, so the audit is never
    submitted without one."""
    items = [i for i in framework.checklist_for(area) if i.needs_recommendation]

    def check(values: Mapping[str, JSON], state: DialogState, _: Context) -> dict[str, str]:
        more = any(k.startswith("recommendations.more.") and v == "yes" for k, v in values.items())
        answers = state.merged()
        if more or slots(answers, "rec"):
            return {}
        for i in items:
            answer = answers.get(f"checklist.{i.key}.answer")
            if isinstance(answer, str) and answer in i.needs_recommendation:
                said = f"You answered “{answer}” to “{i.label}”: add a recommendation for it"
                if at is None:
                    return {f"checklist.{i.key}.answer": f"{said}. Go back to Recommendations."}
                return {at: f"{said} here."}
        return {}

    return check


def _context_facts(
    framework: Framework, area: str, case_reference: str, team: str
) -> Callable[[Dialog, DialogState, Context], tuple[Fact, ...]]:
    form = framework.audit_form
    checklist = framework.checklist_for(area)
    look = [f"the practice standards ({len(checklist)} checks)"] if checklist else []
    look += [d.label for d in framework.domains_for(area)]
    if framework.feedback_for(area):
        look.append("conversations with the people involved")

    def facts(_: Dialog, __: DialogState, ctx: Context) -> tuple[Fact, ...]:
        start, end = review_period(ctx.today, form.review_period_months)
        rows = [
            ("Case", case_reference),
            ("Area", framework.area(area).label),
            ("Team", team),
            ("Review period", f"{long_date(start)} to {long_date(end)}"),
            ("What to look at", "; ".join(look)),
        ]
        return tuple(Fact(label, value) for label, value in rows if value)

    return facts


def _grade_facts(framework: Framework, area: str) -> Callable[..., tuple[Fact, ...]]:
    def facts(_: Dialog, state: DialogState, __: Context) -> tuple[Fact, ...]:
        answers = state.merged()
        out = []
        for d in framework.domains_for(area):
            grade = answers.get(f"domain.{d.key}.grade")
            if isinstance(grade, str) and grade in framework.grade_keys:
                out.append(Fact(d.label, framework.grade(grade).label, "Domain grades"))
        return tuple(out)

    return facts


def _review_facts(dialog: Dialog, state: DialogState, ctx: Context) -> tuple[Fact, ...]:
    labels = {o.value: o.label for o in dialog.flags}
    flags = tuple(Fact("Urgent flag raised", labels.get(f.key, f.key)) for f in state.flags)
    return (*summary(dialog, state, ctx), *flags)


SAME_CONCERNS = "dip.same_concerns"  # the dip-sampler's answer (Wandsworth QAF 33)


def _same_concerns() -> Field:
    return Field(
        SAME_CONCERNS,
        "Are the same concerns present as in the audit that started this dip sample?",
        "choice",
        (Option("yes", "Yes, the same concerns"), Option("no", "No")),
        missing="Say whether the same concerns are present",
    )


def build_audit_dialog(
    framework: Framework,
    area: str,
    *,
    case_reference: str = "",
    team: str = "",
    dip_sample: bool = False,
) -> Dialog:
    """The audit dialog for a case in `area`: the state table, built from the form.

    A dip sample (`dip_sample`, where the framework has one) also asks, with the
    overall grade, whether the same concerns are present: that answer, not the grade
    alone, decides whether the worker's whole caseload is audited.
    """
    if area not in framework.area_keys:
        known = ", ".join(framework.area_keys)
        raise DialogError(f"area '{area}' is not in the framework (areas: {known})")
    form = framework.audit_form
    vocab = framework.vocabulary
    steps: list[Step] = [
        Step(
            "review",
            "Check and submit",
            (END,),
            facts=_review_facts,
            submit_label="Submit",
            intro=f"Check your {vocab.audit} before you submit it. Use Back to change anything.",
        ),
    ]
    rec_intro = "Add what needs to happen, if anything: leave a recommendation blank to skip it."
    rec_steps = slot_steps(
        key="recommendations",
        title="Recommendations",
        noun="recommendation",
        after=steps[0].key,
        make=lambda n: _recommendation(framework, n),
        per_page=RECOMMENDATIONS_PER_PAGE,
        pages=RECOMMENDATION_PAGES,
        intro=rec_intro,
    )
    if any(i.needs_recommendation for i in framework.checklist_for(area)):
        rec_steps = [
            replace(s, checks=(*s.checks, _needs_recommendation(framework, area, at=first)))
            for s in rec_steps
            for first in [next(f.key for f in s.fields if f.key.endswith(".action"))]
        ]
        steps[0] = replace(
            steps[0], checks=(*steps[0].checks, _needs_recommendation(framework, area, at=None))
        )
    steps[:0] = rec_steps
    overall = Field(
        "overall.grade",
        "Overall grade",
        "grade",
        grade_options(framework),
        missing="Choose an overall grade",
    )
    steps.insert(
        0,
        Step(
            "overall",
            "Overall grade",
            (steps[0].key,),
            fields=(overall, _same_concerns())
            if dip_sample and framework.dip_sample
            else (overall,),
            facts=_grade_facts(framework, area),
            intro="Weigh the grades you gave each domain, shown here.",
        ),
    )
    sections: list[tuple[str, str, list[Item]]] = [
        ("checklist", "Practice standards", _checklist(framework, area)),
        ("domains", "Grades", [_domain(framework, d) for d in framework.domains_for(area)]),
        ("feedback", "Feedback", [_feedback(p) for p in framework.feedback_for(area)]),
        ("narrative", "Findings", [_narrative(p) for p in framework.narrative_for(area)]),
    ]
    for key, title, items in reversed(sections):
        if items:
            steps[:0] = _paged_steps(key, title, items, after=steps[0].key)
    start = f"Your {vocab.audit} of case {case_reference}." if case_reference else ""
    steps.insert(
        0,
        Step(
            "context",
            "About this case",
            (steps[0].key,),
            submit_label="Start",
            facts=_context_facts(framework, area, case_reference, team),
            intro=f"{start} Look at practice over the review period, in the "
            "case record and with the people involved.".strip(),
        ),
    )
    flags = tuple(Option(f.key, f.label) for f in form.urgent_flags)
    return Dialog("audit", {s.key: s for s in steps}, start="context", flags=flags)


# -- the result, read back from the answers ------------------------------------------


@dataclass(frozen=True)
class ChecklistAnswer:
    answer: str
    action: str = ""


@dataclass(frozen=True)
class FeedbackAnswer:
    spoken: str  # yes / no / not_applicable
    on: date | None = None
    method: str = ""
    note: str = ""


@dataclass(frozen=True)
class ActionDraft:
    """A numbered follow-up someone owns by a date (a moderation's action); stored as a
    Recommendation row, so an audit's recommendation is the same thing with more said."""

    number: int
    action: str
    owner_id: int
    due_on: date


@dataclass(frozen=True)
class RecommendationDraft(ActionDraft):
    """An audit's recommendation: an action with its level and the impact it should have."""

    level: str
    impact: str


@dataclass(frozen=True)
class AuditResult:
    """A finished audit, ready to store (Audit columns, Recommendation rows)."""

    domain_grades: dict[str, str]
    domain_evidence: dict[str, str]
    overall_grade: str
    checklist: dict[str, ChecklistAnswer]
    narrative: dict[str, str]
    feedback: dict[str, FeedbackAnswer]
    recommendations: tuple[RecommendationDraft, ...]
    urgent_flags: tuple[RaisedFlag, ...]


def _text(answers: Mapping[str, JSON], key: str) -> str:
    value = answers.get(key)
    return value if isinstance(value, str) else ""


def _texts(answers: Mapping[str, JSON], keys: Sequence[str], field: str) -> dict[str, str]:
    """The text answers to `field` (a key pattern, "domain.{}.grade") for each of `keys`;
    a question not answered (not on the trail) is left out, not read as ""."""
    return {k: _text(answers, field.format(k)) for k in keys if field.format(k) in answers}


def _date(answers: Mapping[str, JSON], key: str) -> date | None:
    value = answers.get(key)
    return date.fromisoformat(value) if isinstance(value, str) else None


def slots(answers: Mapping[str, JSON], prefix: str) -> list[tuple[int, dict[str, JSON]]]:
    """Filled slots `prefix.<n>.<part>` as (n, {part: value}), by number."""
    found: dict[int, dict[str, JSON]] = {}
    for key, value in answers.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == prefix and parts[1].isdigit():
            found.setdefault(int(parts[1]), {})[parts[2]] = value
    return sorted(found.items())


def follow_ups(
    answers: Mapping[str, JSON], prefix: str
) -> list[tuple[int, dict[str, JSON], int, date]]:
    """The `prefix.<n>` slots asked by `follow_up_fields` (a recommendation, a
    moderation's action arising) that name an owner and a due date, as (n, the slot's
    parts, owner, due): a slot left blank is not a follow-up."""
    out = []
    for n, slot in slots(answers, prefix):
        owner, due = slot.get("owner"), _date(slot, "due")
        if isinstance(owner, int) and due is not None:
            out.append((n, slot, owner, due))
    return out


def result(state: DialogState, framework: Framework) -> AuditResult:
    """What the finished audit says. Only steps on the trail count: a page left
    behind by going back and choosing otherwise is not part of the audit."""
    if not state.finished:
        raise DialogError(f"the audit is not finished yet: it is at step '{state.step}'")
    a = state.merged()
    form = framework.audit_form
    level = form.recommendation_levels[0]
    recs = [
        RecommendationDraft(
            number=n,
            action=_text(rec, "action"),
            owner_id=owner,
            due_on=due,
            level=str(rec.get("level", level)),
            impact=_text(rec, "impact"),
        )
        for n, rec, owner, due in follow_ups(a, "rec")
    ]
    feedback = {
        p.key: FeedbackAnswer(
            spoken=_text(a, f"feedback.{p.key}.spoken"),
            on=_date(a, f"feedback.{p.key}.date"),
            method=_text(a, f"feedback.{p.key}.method"),
            note=_text(a, f"feedback.{p.key}.note"),
        )
        for p in form.feedback
        if f"feedback.{p.key}.spoken" in a
    }
    domains = [d.key for d in form.domains]
    return AuditResult(
        domain_grades=_texts(a, domains, "domain.{}.grade"),
        domain_evidence=_texts(a, domains, "domain.{}.evidence"),
        overall_grade=_text(a, "overall.grade"),
        checklist={
            i.key: ChecklistAnswer(
                _text(a, f"checklist.{i.key}.answer"), _text(a, f"checklist.{i.key}.action")
            )
            for i in form.checklist
            if f"checklist.{i.key}.answer" in a
        },
        narrative=_texts(a, [p.key for p in form.narrative], "narrative.{}"),
        feedback=feedback,
        recommendations=tuple(recs),
        urgent_flags=state.flags,
    )
