"""Camden's framework as written (docs/frameworks/camden.md), one test per rule.

Each test loads the shipped preset and checks the rule's effect: the allocation engine
over a year, the escalation rules, or an audit submitted in Slack and in Teams.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from qa.allocation import StaffMember
from qa.forms import build_audit_dialog
from qa.framework import preset
from qa.grading import escalations_for
from qa.moderation import SubmittedAudit, select_for_moderation
from qa.working_days import Month
from storage.models import Case, Person, Team
from tests.handlers.moderation_world import moderations
from tests.qa.allocation_authorities import QA_TEAM, Authority, department, months_from, simulate
from tests.qa.preset_chat import PLATFORMS, Platform, preset_chat

CHILDREN = ["early_help", "cin_cp", "cla_permanency", "care_leavers", "disabled_children"]


def test_camden_no_escalation_deadlines() -> None:
    """Camden QAF sets no grade escalation: no grade asks anyone for remedial action."""
    fw = preset("camden")
    assert fw.escalation.grades == []
    for grade in fw.grade_keys:
        plans = escalations_for(
            fw,
            grade=grade,
            audit_id=1,
            service_ad_ids=[],
            role_holders={"head_of_service": [2], "head_of_qa": [3]},
            now=datetime(2026, 12, 1, 10, tzinfo=UTC),
            tz=ZoneInfo("Europe/London"),
        )
        assert plans == (), grade


@pytest.mark.parametrize("platform", PLATFORMS)
def test_camden_no_escalation_deadlines_in_chat(
    platform: Platform,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An Inadequate learning conversation goes to moderation (5.2.2), and nobody is asked
    for remedial action by a deadline (the old preset sent 7-day requests)."""
    with preset_chat(
        platform,
        "camden",
        db_url=db_url,
        engine=engine,
        now=now,
        monkeypatch=monkeypatch,
        reach=["head_of_service", "head_of_qa", "director"],
    ) as chat:
        chat.submit_audit("inadequate")
        assert chat.the_audit().status == "submitted"
        chat.deliver()
        assert chat.escalations() == []
        assert chat.queued("escalation_request") == []
        told = [t for pid in chat.holders("head_of_service") for t in chat.texts_to(pid)]
        assert any("Moderate" in t for t in told), "the Inadequate one is moderated"
        assert not any("remedial" in t.lower() for t in told)


def test_camden_ten_months_a_year_none_in_august_or_december() -> None:
    fw = preset("camden")
    y = simulate(fw, department(fw), months_from(Month(2025, 1), 12))
    per_month = {m.month: len(y.plans[m].allocations) for m in y.plans}
    assert per_month[8] == per_month[12] == 0
    assert all(per_month[m] > 0 for m in per_month if m not in (8, 12))


def test_camden_front_door_dip_samples_are_not_learning_conversations() -> None:
    """Appendix 1 measures the front door by "Joint CSFH dip samples", not learning
    conversations: no front-door area is allocated and no front-door domain graded."""
    fw = preset("camden")
    assert not [a for a in fw.area_keys if "front" in a or "mash" in a]
    assert not [d for d in fw.audit_form.domains if "front" in d.key]
    y = simulate(fw, department(fw), months_from(Month(2025, 1), 12))
    cases = {c.id: c for c in y.authority.cases}
    areas = Counter(
        cases[a.case_id].area for p in y.plans.values() for a in p.allocations if a.case_id
    )
    assert set(areas) <= set(fw.area_keys) and areas


def test_camden_children_are_audited_against_appendix_1_standards() -> None:
    fw = preset("camden")
    for area in CHILDREN:
        keys = [d.key for d in fw.domains_for(area)]
        assert keys == [
            "assessment",
            "planning",
            "safeguarding",
            "participation",
            "relationships",
            "recording_oversight",
        ], area


def test_camden_18_25_cohort_is_audited_for_the_six_principles() -> None:
    """5.2.4: the 18-25 cohort is audited "with a focus on empowerment, proportionality,
    protection, prevention, partnership and accountability"; the dialog grades that
    focus, not the children's standards of Appendix 1."""
    fw = preset("camden")
    assert [d.key for d in fw.domains_for("cypds_18_25")] == ["care_act_principles"]
    dialog = build_audit_dialog(fw, "cypds_18_25", case_reference="REF-1")
    [group] = dialog.step("domains").groups
    for principle in ("Empowerment", "proportionality", "protection", "prevention"):
        assert principle in group.label
    assert "partnership and accountability" in group.label


def test_camden_cp_chairs_and_iros_are_not_given_unbound_cadences() -> None:
    """7: CP chairs and IROs monitor CP work and CLA care planning through learning
    conversations; the framework gives no frequency, so the preset allocates them
    nothing rather than invent one."""
    fw = preset("camden")
    assert {"cp_chair", "iro"} <= set(fw.role_keys)
    assert not [c for c in fw.cadences if c.role in {"cp_chair", "iro"}]


def test_camden_no_weekly_audit_tracking() -> None:
    """5.1's weekly dashboards are activity data, not learning conversation findings."""
    assert preset("camden").summary.weekly_tracking_roles == []


def test_camden_every_outstanding_and_inadequate_is_moderated() -> None:
    moderation = preset("camden").moderation
    assert moderation.always_grades == ["outstanding", "inadequate"]
    assert moderation.sample_grades == ["good", "requires_improvement"]


# -- moderation sized by the moderators' slots (5.2.2) ----------------------------------

SLOTS = {"head_of_service": 4, "head_of_qa": 1, "head_of_practice_learning": 1, "qa_manager": 1}


def test_camden_moderation_slots_are_four_per_head_of_service_and_one_per_head() -> None:
    """5.2.2: "Operational Heads of Service will complete four moderations a month"; the
    Heads of QA and of Practice and Learning "along with their service managers ...
    moderate one learning conversation per month". Over a year, every active month."""
    fw = preset("camden")
    y = simulate(fw, department(fw), months_from(Month(2025, 1), 12))
    staff = {s.id: s for s in y.authority.staff}
    for month, plan in y.plans.items():
        slots = Counter(a.person_id for a in plan.allocations if a.activity == "moderation")
        if month.month in (8, 12):
            assert not slots, month
            continue
        for role, each in SLOTS.items():
            holders = [s.id for s in y.authority.by_role(role)]
            assert holders and all(slots[pid] == each for pid in holders), (month, role)
        assert set(slots) == {p for p in staff if set(staff[p].roles) & set(SLOTS)}


def _submitted(y_audits: list[tuple[int, str, date]]) -> list[SubmittedAudit]:
    return [
        SubmittedAudit(
            id=i,
            case_id=i,
            case_team="Service 1 team 1",
            case_service="Service 1",
            case_team_manager_ids=(),
            worker_id=None,
            auditor_id=1000 + i,
            auditor_line_manager_id=None,
            overall_grade=grade,
            domain_grades={},
            submitted_on=on,
        )
        for i, grade, on in y_audits
    ]


def test_camden_a_selection_of_good_and_ri_fills_the_moderation_slots() -> None:
    """5.2.2: every Outstanding and Inadequate conversation and "a selection" of Good and
    Requires Improvement ones, as many as the month's slots hold ("Combined, these total
    12 moderations per month across the services"). Each month of a year's allocation,
    the month's conversations are selected against the slots that month allocated: the
    selection is exactly the slots' size (no fixed share; the old preset's was 25%)."""
    fw = preset("camden")
    assert fw.moderation.fill_slots
    y = simulate(fw, department(fw), months_from(Month(2025, 1), 12))
    grades = {(h.case_id, h.completed_on): h.grade for h in y.history}
    for month, plan in y.plans.items():
        slots = sum(1 for a in plan.allocations if a.activity == "moderation")
        done = [
            (n, grades[(a.case_id, a.due_on)] or "good", a.due_on)
            for n, a in enumerate(plan.allocations)
            if a.case_id is not None and a.activity == "audit"
        ]
        if not slots:
            continue
        audits = _submitted(done)
        picks = select_for_moderation(fw, month, audits, free_slots=slots)
        always = [a.id for a in audits if a.overall_grade in fw.moderation.always_grades]
        assert {p.audit_id for p in picks} >= set(always), month
        assert len(picks) == max(len(always), min(slots, len(audits))), month
        assert all(
            "to fill this month's moderation slots" in p.reason
            for p in picks
            if p.basis == "sample"
        )


def test_camden_qa_officer_takes_learning_conversations_up_to_capacity() -> None:
    """5.2.2: "The Quality Assurance, Audit and Practice Development Officer has capacity
    to undertake more learning conversations": no cadence names the officer, yet every
    active month of a year they are given conversations, up to their capacity (4, a
    default), once the cadences are served. The old preset gave them nothing."""
    fw = preset("camden")
    base = department(fw)
    lead = base.by_role("head_of_qa")[0].id
    officer = StaffMember(
        len(base.staff) + 1, "qa.officer@example.gov.uk", ("qa_officer",), QA_TEAM, None, lead
    )
    authority = Authority((*base.staff, officer), base.cases)
    y = simulate(fw, authority, months_from(Month(2025, 1), 12))
    for month, plan in y.plans.items():
        mine = [a for a in plan.allocations if a.person_id == officer.id]
        if month.month in (8, 12):
            assert mine == [], month
            continue
        assert len(mine) == fw.role("qa_officer").default_capacity == 4, month
        assert all(a.activity == "audit" and a.basis == "capacity" for a in mine), month


@pytest.mark.parametrize("platform", PLATFORMS)
def test_camden_a_good_conversation_fills_a_head_of_services_free_slot_in_chat(
    platform: Platform,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """5.2.2: with slots free, a Good learning conversation is part of "a selection" and
    is moderated (the old preset's 25% share left this one out), by a Head of Service of
    the case's own service ("the work across their services") rather than another.
    The world's own Head of Service sits in the case's team (so may not moderate it):
    a second one joins the service's leadership team."""
    with preset_chat(
        platform, "camden", db_url=db_url, engine=engine, now=now, monkeypatch=monkeypatch
    ) as chat:
        with Session(engine) as session:
            case = session.get(Case, chat.world.audit.case_id)
            assert case is not None
            leadership = Team(name="Service leadership", service_id=case.service_id)
            session.add(leadership)
            session.flush()
            heads = [
                p
                for p in session.exec(select(Person).order_by(col(Person.id)))
                if p.roles == ["head_of_service"] and p.id != chat.world.line_manager_id
            ]
            own = heads[0]
            own.team_id = leadership.id
            session.add(own)
            session.commit()
            own_id = own.id
        chat.submit_audit("good")
        [row] = moderations(engine)
        assert row.moderator_id == own_id, "a Head of Service of the case's own service"
        chat.deliver()
        asked = chat.texts_to(own_id or 0)
        assert any(chat.world.audit.reference in t and "to fill this month" in t for t in asked)
