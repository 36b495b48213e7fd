"""Wandsworth's framework as written (docs/frameworks/wandsworth.md), one test per rule.

Each test loads the shipped preset and checks the rule's effect: the audit dialog, the
escalation rules, the allocation engine over a year, or a moderation in Slack and Teams.
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
from tests.handlers.moderation_world import moderations
from tests.qa.allocation_authorities import department, months_from, simulate
from tests.qa.preset_chat import PLATFORMS, Platform, preset_chat

NAME = "wandsworth"


def test_wandsworth_no_invented_audit_domains() -> None:
    """32: "The standard case audit tool is embedded in the child's social care record";
    the framework names no domains and no checklist, so the preset invents none: one
    graded domain (a file needs one), saying so, and no checklist."""
    fw = preset(NAME)
    assert [d.key for d in fw.audit_form.domains] == ["practice"]
    assert "gives no audit domains" in fw.audit_form.domains[0].help
    assert fw.audit_form.checklist == []
    dialog = build_audit_dialog(fw, fw.area_keys[0], case_reference="REF-1")
    assert [g.label for g in dialog.step("domains").groups] == [fw.audit_form.domains[0].label]
    assert "checklist" not in [s.key for s in dialog.steps.values()]


def test_wandsworth_team_manager_ensures_a_recorded_response() -> None:
    """34: the team manager ensures "a recorded response to audit findings"; no grade is
    escalated beyond them (the old preset also asked the service manager)."""
    fw = preset(NAME)
    for grade in ("inadequate", "requires_improvement"):
        plans = escalations_for(
            fw,
            grade=grade,
            audit_id=1,
            service_ad_ids=[],
            role_holders={"team_manager": [5], "service_manager": [6], "head_of_service": [7]},
            now=datetime(2026, 12, 1, 10, tzinfo=UTC),
            tz=ZoneInfo("Europe/London"),
        )
        assert {p.owner_id for p in plans} == {5}, grade


def test_wandsworth_dip_sample_three_more_of_the_workers_cases_after_ri_or_inadequate() -> None:
    """33: "the Team Manager must dip sample three more cases allocated to the social
    worker": over a year, each RI or Inadequate audit is followed by three dip samples of
    that worker's cases, held by a team manager."""
    fw = preset(NAME)
    y = simulate(fw, department(fw), months_from(Month(2025, 1), 12))
    cases = {c.id: c for c in y.authority.cases}
    staff = {s.id: s for s in y.authority.staff}
    per_month_worker: Counter[tuple[Month, int]] = Counter()
    for month, plan in y.plans.items():
        for a in plan.allocations:
            if a.activity == "dip_sample":
                assert a.case_id is not None and "team_manager" in staff[a.person_id].roles
                per_month_worker[(month, cases[a.case_id].worker_id)] += 1
    assert per_month_worker, "a year has RI or Inadequate audits, so dip samples"
    assert set(per_month_worker.values()) == {3}
    # (tests/qa/test_allocation_presets.py checks they follow exactly those audits.)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("amended", [False, True])
def test_wandsworth_feedback_if_their_findings_or_grades_are_amended(
    platform: Platform,
    amended: bool,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """29: "Peer auditors are given feedback if their findings or grades are amended
    through moderation": a confirmed audit tells the auditor nothing, a regraded one does.
    (The Head of Safeguarding Standards' dip sample is made to include this audit.)"""
    fw = preset(NAME)
    sampled = fw.model_copy(
        update={"moderation": fw.moderation.model_copy(update={"sample_share": 1.0})}
    )
    with preset_chat(
        platform,
        NAME,
        db_url=db_url,
        engine=engine,
        now=now,
        monkeypatch=monkeypatch,
        framework=sampled,
    ) as chat:
        chat.submit_audit("good")
        [row] = moderations(engine)
        if amended:
            chat.moderate(row, grade="requires_improvement", outcome="regraded")
        else:
            chat.moderate(row, outcome="confirmed")
        chat.deliver()
        assert chat.the_audit().status == "final"
        told = chat.queued("moderation_outcome")
        assert [m.person_id for m in told] == ([chat.world.audit.auditor_id] if amended else [])
        heard = [t for t in chat.texts_to(chat.world.audit.auditor_id) if "regraded" in t]
        assert bool(heard) == amended
