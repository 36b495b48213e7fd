"""The demo history: deterministic, shaped like real work, and telling an improving story."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from demo.authority import DEMO_QA_LEAD_EMAIL, DemoAuthority, generate
from demo.history import DemoHistory, HistoryAudit, generate_history, history_months
from demo.history_answers import with_person_ids
from demo.history_build import Builder
from demo.history_days import Days
from demo.history_lead import keep_a_moderation, lead_month
from demo.history_review import Review
from demo.history_text import prompt_kind
from demo.history_world import World
from qa.dialog import END, Advanced, DialogState, apply
from qa.forms import build_audit_dialog, result
from qa.framework import Framework, preset, preset_names
from qa.grading import is_good_or_better
from qa.privacy import find_sensitive
from qa.report_themes import is_quotable
from qa.working_days import Month

TODAY = date(2026, 11, 18)  # a Wednesday, part way through the month
LONDON = ZoneInfo("Europe/London")
PRESETS = preset_names()


@cache
def authority(name: str) -> DemoAuthority:
    return generate(preset(name), today=TODAY)


@cache
def history(name: str, seed: int = 2026) -> DemoHistory:
    return generate_history(preset(name), authority(name), today=TODAY, seed=seed)


def good_share(fw: Framework, audits: list[HistoryAudit]) -> float:
    graded = [a.grade for a in audits if a.grade]
    return sum(is_good_or_better(fw, g) for g in graded) / len(graded)


def free_texts(h: DemoHistory) -> Iterator[str]:
    """Every text a person would have typed (dates and choices are not free text)."""
    for a in h.audits:
        yield from a.narrative.values()
        for answers in a.answers["answers"].values():
            for key, value in answers.items():
                if key.endswith((".evidence", ".note", ".action", ".impact")) or key.startswith(
                    "narrative."
                ):
                    yield value
    yield from (m.comments for m in h.moderations)
    for r in h.recommendations:
        yield from (r.action, r.impact, r.impact_note or "")
    yield from (e.response or "" for e in h.escalations)


def test_the_same_inputs_give_the_same_history_and_another_seed_another() -> None:
    fw = preset("camden")
    again = generate_history(fw, generate(fw, today=TODAY), today=TODAY)

    assert again == history("camden")
    assert history("camden", seed=7) != history("camden")


@pytest.mark.parametrize("name", PRESETS)
def test_a_year_of_work_for_every_preset(name: str) -> None:
    h = history(name)

    assert h.months == tuple(m.key for m in history_months(TODAY))
    assert len(h.months) == 14 and h.months[-1] == "2026-11"
    assert len(h.submitted) >= 40
    assert {a.status for a in h.audits} >= {"submitted", "final"}
    assert h.moderations and h.recommendations
    # Escalations only where the framework escalates (Camden and City of London set no
    # grade escalation: issue 13); urgent flags are raised only now and then.
    assert bool([e for e in h.escalations if e.kind == "grade"]) == bool(
        preset(name).escalation.grades
    )
    assert {a.month for a in h.allocations} >= set(h.months[-6:-1]) & {
        m.key for m in history_months(TODAY) if m.month in preset(name).allocation.active_months
    }


@pytest.mark.parametrize("name", PRESETS)
def test_good_or_better_rises_over_the_year(name: str) -> None:
    fw, h = preset(name), history(name)
    audits = sorted(h.submitted, key=lambda a: a.submitted_at or datetime.min.replace(tzinfo=UTC))
    # The first and last thirds of the year: City of London's 71 reviews fall in two
    # windows, so halves compare one window with the other on a handful of reviews.
    third = len(audits) // 3

    first, second = good_share(fw, audits[:third]), good_share(fw, audits[-third:])

    assert 0.45 <= first <= 0.7
    assert second - first >= 0.05
    assert 0.6 <= good_share(fw, audits[-len(audits) // 4 :]) <= 0.9


def test_re_audits_of_cases_below_good_mostly_move_up() -> None:
    moved = Counter[bool]()
    for name in PRESETS:
        fw = preset(name)
        by_case: dict[str, list[HistoryAudit]] = {}
        for a in sorted(history(name).submitted, key=lambda a: a.submitted_at or TODAY):
            by_case.setdefault(a.case, []).append(a)
        for audits in by_case.values():
            for before, after in itertools.pairwise(audits):
                if before.grade and not is_good_or_better(fw, before.grade):
                    moved[is_good_or_better(fw, after.overall_grade or "")] += 1

    assert sum(moved.values()) >= 40
    assert 0.65 <= moved[True] / sum(moved.values()) <= 0.85


@pytest.mark.parametrize("name", PRESETS)
def test_every_audit_grades_the_domains_of_its_case_area(name: str) -> None:
    fw, h = preset(name), history(name)
    area = {c.reference: c.area for c in authority(name).cases}

    for a in h.submitted:
        assert a.area == area[a.case]
        assert set(a.domain_grades) == {d.key for d in fw.domains_for(a.area)}
        assert set(a.domain_grades.values()) <= set(fw.grade_keys)
        assert set(a.narrative) == {p.key for p in fw.audit_form.narrative}


@pytest.mark.parametrize("name", PRESETS)
def test_no_text_holds_a_personal_detail_or_a_name(name: str) -> None:
    texts = [t for t in free_texts(history(name)) if t]
    people = [p.name.split()[-1] for p in authority(name).people]

    assert texts
    for t in texts:
        assert find_sensitive(t) == [], t
        assert "@" not in t and not any(ch.isdigit() for ch in t), t
        assert not any(f" {surname} " in f" {t} " for surname in people), t


def test_narrative_sentences_can_be_quoted_to_the_board() -> None:
    for name in PRESETS:
        for a in history(name).submitted:
            for text in a.narrative.values():
                assert all(is_quotable(s + ".") for s in text.rstrip(".").split(". ")), text


def test_narrative_prompts_are_read_for_what_they_ask() -> None:
    kinds = {p.key: prompt_kind(p) for p in preset("wandsworth").audit_form.narrative}

    assert kinds == {"good_practice": "strengths", "improvement": "improve"}


@pytest.mark.parametrize("name", PRESETS)
def test_saved_answers_replay_through_the_real_audit_dialog(name: str) -> None:
    """Each submitted audit's saved state is what clicking through the dialog would save."""
    fw, h = preset(name), history(name)
    people = {p.email: i for i, p in enumerate(authority(name).people, start=1)}
    names = {i: e for e, i in people.items()}
    for a in h.submitted[:: max(1, len(h.submitted) // 15)]:
        saved = DialogState.from_json(with_person_ids(a.answers, people))
        dialog = build_audit_dialog(fw, a.area)
        state = dialog.start_state()
        submitted_on = (a.submitted_at or datetime.now(UTC)).astimezone(LONDON).date()
        for step in saved.trail:
            outcome = apply(
                dialog, state, step, saved.answers.get(step, {}), today=submitted_on,
                known_people=names,
            )  # fmt: skip
            assert isinstance(outcome, Advanced), (a.key, step, outcome)
            state = outcome.state
        assert state.step == END and state.answers == saved.answers
        got = result(state, fw)
        assert got.overall_grade == a.overall_grade
        assert got.domain_grades == dict(a.domain_grades)
        assert got.narrative == dict(a.narrative)
        recs = [r for r in h.recommendations if r.audit == a.key]
        assert [(names[r.owner_id], r.due_on, r.action) for r in got.recommendations] == [
            (r.owner, r.due_on, r.action) for r in recs
        ]


@pytest.mark.parametrize("name", PRESETS)
def test_everything_that_happened_happened_before_today(name: str) -> None:
    h = history(name)
    start = datetime.combine(TODAY, time(0), LONDON)
    instants = [t for a in h.allocations for t in (a.created_at, a.updated_at)]
    for a in h.audits:
        instants += [a.created_at, a.updated_at, *(e.at for e in a.events)]
        instants += [t for t in (a.submitted_at, a.finalised_at) if t]
    instants += [t for m in h.moderations for t in (m.created_at, m.completed_at) if t]
    instants += [t for r in h.recommendations for t in (r.created_at, r.completed_at) if t]
    instants += [t for e in h.escalations for t in (e.created_at, e.responded_at) if t]

    assert all(t.tzinfo is not None and t < start for t in instants)
    for a in h.submitted:
        assert a.created_at <= (a.submitted_at or a.created_at) <= a.updated_at
        assert a.finalised_at is None or (
            a.submitted_at is not None and a.finalised_at > a.submitted_at
        )
    for r in h.recommendations:
        assert r.due_on > r.created_at.astimezone(LONDON).date()
        assert r.completed_at is None or r.completed_at >= r.created_at


def test_moderators_mostly_agree_and_regrade_about_one_in_seven() -> None:
    outcomes = Counter(
        m.outcome
        for name in PRESETS
        for m in history(name).moderations
        if m.status == "completed" and (m.is_chair or not preset(name).moderation.panel)
    )
    decided = sum(outcomes.values())

    assert outcomes["confirmed"] / decided >= 0.7
    assert 0.08 <= outcomes["regraded"] / decided <= 0.22
    assert 0 < outcomes["returned"] / decided <= 0.12


def test_a_moderation_decides_the_final_grade() -> None:
    h = history("lambeth")
    audits = {a.key: a for a in h.audits}
    for m in h.moderations:
        a = audits[m.audit]
        if m.outcome in ("confirmed", "regraded"):
            assert (a.status, a.final_grade) == ("final", m.moderated_grade)
        elif m.status == "assigned":
            assert a.status == "submitted" and a.final_grade is None


def test_most_recommendations_are_done_on_time_and_a_few_are_overdue() -> None:
    due = [
        r for name in PRESETS for r in history(name).recommendations if r.due_on < TODAY
    ]  # fmt: skip
    on_time = [r for r in due if r.completed_at and r.completed_at.date() <= r.due_on]
    overdue = [r for r in due if r.status == "open"]

    assert 0.6 <= len(on_time) / len(due) <= 0.8
    assert 0.02 <= len(overdue) / len(due) <= 0.2
    assert all(r.completed_at and r.impact_note for r in due if r.status == "done")


@pytest.mark.parametrize("name", PRESETS)
def test_every_worrying_grade_was_escalated_and_most_were_answered(name: str) -> None:
    fw, h = preset(name), history(name)
    rules = {g.grade for g in fw.escalation.grades}
    asked = {(e.audit, e.grade) for e in h.escalations if e.kind == "grade"}

    for a in h.submitted:
        if a.overall_grade in rules:
            assert (a.key, a.overall_grade) in asked
        if a.final_grade in rules:
            assert (a.key, a.final_grade) in asked
    if not rules:  # the framework escalates no grade (Camden, City of London)
        assert not asked
        return
    answered = [e for e in h.escalations if e.status == "responded"]
    assert len(answered) / len(h.escalations) >= 0.8
    assert all(e.responded_at and e.response for e in answered)
    assert all(e.deadline > e.created_at for e in h.escalations)


def test_the_demo_qa_lead_has_this_months_work_still_to_do() -> None:
    for name in ("camden", "lambeth", "wandsworth"):
        h = history(name)
        mine = [a for a in h.allocations if a.person == DEMO_QA_LEAD_EMAIL and a.case]
        this_month = [a for a in mine if a.month == Month.of(TODAY).key]

        assert this_month and {a.status for a in this_month} == {"allocated"}
        assert any(a.status == "completed" for a in mine)


def test_once_this_months_work_is_due_the_demo_qa_lead_still_has_one_to_start() -> None:
    fw = preset("lambeth")
    late = date(2026, 11, 26)
    h = generate_history(fw, generate(fw, today=late), today=late)
    mine = [a for a in h.allocations if a.person == DEMO_QA_LEAD_EMAIL and a.month == "2026-11"]

    assert all(a.due_on < late for a in mine)
    assert 1 <= [a.status for a in mine].count("allocated") < len(mine)


def test_a_month_whose_allocation_day_is_today_is_left_to_the_monthly_job() -> None:
    fw = preset("lambeth")
    first_working_day = date(2026, 12, 1)
    h = generate_history(fw, generate(fw, today=first_working_day), today=first_working_day)

    assert "2026-12" in h.months
    assert not [a for a in h.allocations if a.month == "2026-12"]


def test_an_authority_made_for_another_framework_is_refused() -> None:
    with pytest.raises(ValueError, match="made for framework 'camden'"):
        generate_history(preset("lambeth"), authority("camden"), today=TODAY)


def test_a_framework_that_flags_no_grade_good_or_better_still_works() -> None:
    fw = preset("camden")
    grades = [g.model_copy(update={"good_or_better": False}) for g in fw.grades]
    h = generate_history(fw.model_copy(update={"grades": grades}), authority("camden"), today=TODAY)

    assert h.submitted and {a.overall_grade for a in h.submitted} <= set(fw.grade_keys)


# 7 December and 15 August: Camden allocates nothing; 1 January: before the month's
# allocation day; 29 February of a leap year.
ANY_MONTH = (date(2026, 12, 7), date(2027, 8, 15), date(2027, 1, 1), date(2028, 2, 29))


@pytest.mark.parametrize("today", ANY_MONTH, ids=str)
def test_the_demo_qa_lead_has_every_flow_to_try_in_any_month(today: date) -> None:
    fw = preset("camden")
    h = generate_history(fw, generate(fw, today=today), today=today)
    lead = DEMO_QA_LEAD_EMAIL
    audits = {a.key: a for a in h.audits}

    to_start = [a for a in h.allocations if a.person == lead and a.case and a.status == "allocated"]
    assert to_start and {a.month for a in to_start} == {h.lead_month}
    assert h.lead_month is not None and Month.parse(h.lead_month).month in (
        fw.allocation.active_months
    )
    moderating = [m for m in h.moderations if m.moderator == lead and m.status == "assigned"]
    assert moderating
    assert all(audits[m.audit].auditor != lead for m in moderating)
    assert all(audits[m.audit].status == "submitted" for m in moderating)
    assert [r for r in h.recommendations if r.owner == lead and r.status == "open"]
    assert [e for e in h.escalations if e.owner == lead and e.status == "open"]


def test_in_a_month_with_no_allocations_the_lead_works_on_the_months_before() -> None:
    fw = preset("camden")
    december = date(2026, 12, 7)
    h = generate_history(fw, generate(fw, today=december), today=december)

    assert h.lead_month == "2026-11"
    assert not [a for a in h.allocations if a.month == "2026-12"]


@pytest.mark.parametrize("name", ["camden", "city-of-london"])  # one by one, and a panel
def test_a_lead_with_every_moderation_done_is_left_one_to_do(name: str) -> None:
    fw = preset(name)
    world = World(fw, authority(name))
    rng = random.Random(5)
    builder = Builder(world, rng, Days(fw, TODAY, LONDON, rng))
    review = Review(builder)
    covered = history_months(TODAY)
    builder.lead_month = lead_month(builder, covered)
    for i, month in enumerate(covered):
        builder.month(month, i / (len(covered) - 1))
        review.moderate(month)
    review.moderations = [
        replace(m, status="completed") if m.moderator == DEMO_QA_LEAD_EMAIL else m
        for m in review.moderations
    ]

    assert keep_a_moderation(review)

    [mine] = [
        m
        for m in review.moderations
        if m.moderator == DEMO_QA_LEAD_EMAIL and m.status == "assigned"
    ]
    panel = [m for m in review.moderations if m.audit == mine.audit]
    assert all(m.status == "assigned" and m.outcome is None for m in panel)
    assert sum(m.is_chair for m in panel) == 1 or not fw.moderation.panel
    assert len({m.moderator for m in panel}) == len(panel)
    [audit] = [a for a in builder.audits if a.key == mine.audit]
    assert audit.status == "submitted" and audit.final is None
    assert audit.auditor != world.person_id[DEMO_QA_LEAD_EMAIL]
