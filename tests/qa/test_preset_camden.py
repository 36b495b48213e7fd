"""Camden's framework as written (docs/frameworks/camden.md), one test per rule.

Each test loads the shipped preset and checks the rule's effect: the allocation engine
over a year, the escalation rules, or an audit submitted in Slack and in Teams.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from qa.forms import build_audit_dialog
from qa.framework import preset
from qa.grading import escalations_for
from qa.working_days import Month
from tests.qa.allocation_authorities import department, months_from, simulate
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
    conversations; the framework gives no frequency, and binding them to their area needs
    area-bound cadences, so the preset allocates them nothing rather than any case."""
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
