"""Lambeth's framework as written (docs/frameworks/lambeth.md), one test per rule.

Each test loads the shipped preset and checks the rule's effect: the escalation rules,
the calendar over a year, or an audit submitted in Slack and in Teams.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from qa.framework import preset
from qa.grading import escalations_for
from qa.working_days import Month
from tests.handlers.moderation_world import moderations
from tests.qa.allocation_authorities import department, months_from, simulate
from tests.qa.preset_chat import PLATFORMS, Platform, preset_chat
from tests.qa.preset_year import reminders_over_a_year

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


def _plans(grade: str) -> dict[int, int]:
    """Who is asked for remedial action on `grade`, and in how many days."""
    plans = escalations_for(
        preset("lambeth"),
        grade=grade,
        audit_id=1,
        service_ad_ids=[20],
        role_holders={"director": [10], "assistant_director": [20], "qa_lead": [30]},
        now=NOW,
        tz=LONDON,
    )
    return {p.owner_id: (p.deadline.date() - NOW.date()).days for p in plans}


def test_lambeth_inadequate_escalates_to_the_director_and_ad_within_7_days() -> None:
    """4: "escalated to the Director for Social Care and the relevant Assistant Director
    for immediate remedial action within 7 days for Inadequate audits"."""
    assert _plans("inadequate") == {10: 7, 20: 7}


def test_lambeth_requires_improvement_escalates_within_14_days() -> None:
    assert _plans("requires_improvement") == {10: 14, 20: 14}


def test_lambeth_good_or_better_is_not_escalated() -> None:
    assert _plans("good") == {} and _plans("outstanding") == {}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_lambeth_inadequate_reaches_the_director_in_chat(
    platform: Platform,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An Inadequate audit submitted in chat asks the Director for remedial action within
    7 days, and the request reaches them; the practice assurance lead is asked to moderate."""
    with preset_chat(
        platform,
        "lambeth",
        db_url=db_url,
        engine=engine,
        now=now,
        monkeypatch=monkeypatch,
        reach=["director", "assistant_director"],
    ) as chat:
        chat.submit_audit("inadequate")
        chat.deliver()
        rows = chat.escalations()
        directors = chat.holders("director")
        mine = [r for r in rows if r.owner_id in directors]
        assert mine and {r.grade for r in rows} == {"inadequate"}
        deadline = mine[0].deadline
        assert deadline is not None
        assert (deadline.astimezone(LONDON).date() - now.astimezone(LONDON).date()) == (
            timedelta(days=7)
        )
        told = [t for pid in directors for t in chat.texts_to(pid)]
        assert any(chat.world.audit.reference in t for t in told)
        moderators = chat.holders("practice_assurance_lead")
        asked = [t for pid in moderators for t in chat.texts_to(pid)]
        assert any("Moderate" in t for t in asked), "every audit is moderated"


def test_lambeth_practice_week_report_goes_to_sam_the_month_after() -> None:
    """6: the Academy's report goes to SAM "no later than one month after the Practice
    Week event": a reminder for the week, then one for the report the month after."""
    dues = reminders_over_a_year(preset("lambeth"))
    week = [d for d in dues if d.activity == "Annual Practice Week"]
    report = [d for d in dues if d.activity.startswith("Practice Week report to SAM")]
    assert [d.month.month for d in week] == [6]
    assert [d.month.month for d in report] == [7]
    assert report[0].channel == "sam" and report[0].owner_role == "principal_social_worker"


def test_lambeth_monthly_landing_the_learning_managers_forum_and_performance_panel() -> None:
    """4, 7, 10: three monthly meetings, reminded every month of the year."""
    dues = reminders_over_a_year(preset("lambeth"))
    for activity in (
        "Landing the Learning meeting",
        "Managers Forum",
        "Performance Panel (completion of actions from audits)",
    ):
        months = sorted({d.month.month for d in dues if d.activity == activity})
        assert months == list(range(1, 13)), activity


def test_lambeth_report_recipients_are_roles_of_the_framework() -> None:
    """4: "The report is shared with the relevant Assistant Director, Service Manager,
    PSW and PDLs": each is a role, so reports to named roles can name them."""
    fw = preset("lambeth")
    wanted = {
        "assistant_director",
        "service_manager",
        "principal_social_worker",
        "practice_development_lead",
    }
    assert wanted <= set(fw.role_keys)
    assert fw.summary.post_to == ["sam"]


def test_lambeth_weekly_review_until_good_is_on() -> None:
    """4: PRIMs "at weekly intervals until practice and decision making is evaluated as
    'Good' or better"."""
    assert preset("lambeth").escalation.case_review_weekly_until_good is True


def test_lambeth_reviewing_officers_audit_their_own_area_of_planning() -> None:
    """4: each auditor completes "one audit of a case in a particular area of planning
    every month": over a year, IROs are allocated only looked-after cases, CP chairs and
    CIN reviewing officers only child-in-need and protection ones; the other roles' are
    not bound (the old preset drew every role's case from every area)."""
    fw = preset("lambeth")
    y = simulate(fw, department(fw), months_from(Month(2025, 4), 12))
    cases = {c.id: c for c in y.authority.cases}
    staff = {s.id: s for s in y.authority.staff}
    areas: dict[str, set[str]] = {}
    for plan in y.plans.values():
        for a in plan.allocations:
            if a.case_id is not None and a.activity == "audit":
                for role in staff[a.person_id].roles:
                    areas.setdefault(role, set()).add(cases[a.case_id].area)
    assert areas["iro"] == {"cla_permanency"}
    assert areas["cp_chair"] == {"cin_cp"}
    assert areas["cin_reviewing_officer"] == {"cin_cp"}
    assert len(areas["team_manager"]) > 1, "team managers are not bound to one area"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_lambeth_a_regrade_withdraws_the_escalation_in_chat(
    platform: Platform,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """4: the practice assurance lead will "give an overall grading": an Inadequate
    audit regraded Good by the moderator withdraws the Director's and the AD's requests,
    and each is told why (the old preset left them standing)."""
    with preset_chat(
        platform,
        "lambeth",
        db_url=db_url,
        engine=engine,
        now=now,
        monkeypatch=monkeypatch,
        reach=["director", "assistant_director"],
    ) as chat:
        chat.submit_audit("inadequate")
        asked = chat.escalations()
        assert asked and {e.grade for e in asked} == {"inadequate"}
        [row] = moderations(engine)
        chat.moderate(row, grade="good", outcome="regraded")
        after = chat.escalations()
        assert {(e.grade, e.status) for e in after} == {("inadequate", "withdrawn")}
        chat.deliver()
        for e in after:
            told = [t for t in chat.texts_to(e.owner_id) if "withdrawn" in t]
            assert len(told) == 1, e.owner_id
            assert "regraded the audit up from Inadequate to Good" in told[0]
