"""Wandsworth's framework as written (docs/frameworks/wandsworth.md), one test per rule.

Each test loads the shipped preset and checks the rule's effect: the audit dialog, the
escalation rules, the allocation engine over a year, or a moderation in Slack and Teams.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.app import build_app
from bot.composition import router
from bot.deps import Deps
from bot.routing_keys import keys_for
from qa.forms import SAME_CONCERNS, build_audit_dialog
from qa.framework import load_framework, preset
from qa.grading import escalations_for
from qa.working_days import Month
from storage.models import Allocation, Escalation, OutboxMessage, Person
from tests.bot.test_audit_slack import SlackAudit, app_for
from tests.bot.test_audit_teams import TeamsAudit
from tests.bot.test_teams_adapter import make_settings
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.handlers.audit_world import (
    AAD_AUDITOR,
    SLACK_AUDITOR,
    World,
    make_dip_sample,
    seed_world,
)
from tests.handlers.moderation_world import connect_teams, moderations
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


def _dip_sample_world(engine: Engine, now: datetime) -> World:
    """The shipped preset's world with its allocation made a dip sample (33)."""
    world = make_dip_sample(engine, seed_world(engine, now, NAME), now)
    return replace(world, framework=load_framework(NAME))  # as shipped, not overridden


def _answer_same_concerns(step: str, values: dict[str, Any]) -> dict[str, Any]:
    if step == "overall":
        values = {
            k: ("requires_improvement" if k == "overall.grade" else v) for k, v in values.items()
        }
        values[SAME_CONCERNS] = "yes"
    return values


def _caseload(engine: Engine, world: World) -> tuple[list[Allocation], list[OutboxMessage]]:
    with Session(engine) as session:
        rows = session.exec(
            select(Allocation)
            .where(Allocation.person_id == world.auditor_id)
            .where(Allocation.activity == "audit")
        ).all()
        prompts = session.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.idempotency_key).startswith("allocation-caseload:")
            )
        ).all()
        return list(rows), list(prompts)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_wandsworth_the_same_concerns_found_again_audit_the_caseload_at_once(
    platform: Platform, db_url: str, engine: Engine, now: datetime
) -> None:
    """33: "If the same concerns are found the social worker's case load is audited": the
    team manager's dip sample answers yes to the same concerns, and the worker's other
    open cases are allocated to them at once, one prompt, no "Not now", nobody asked to
    approve (the old preset asked the Head of Safeguarding Standards first)."""
    world = _dip_sample_world(engine, now)
    assert world.framework.dip_sample is not None
    assert world.framework.dip_sample.caseload == "allocate"
    dialog = build_audit_dialog(
        world.framework, world.area, case_reference=world.reference, dip_sample=True
    )
    if platform == "slack":
        with FakeSlack() as slack:
            client, keys = app_for(db_url, engine, slack, now, world, routes=router())
            with client:
                sa = SlackAudit(client, slack, keys, world)
                sa.dialog = dialog
                sa.open()
                while sa.step() != "review":
                    body = sa.submit(_answer_same_concerns(sa.step(), sa.answer("good")))
                    assert body.get("response_action") == "update", body
                sa.submit({})
                report = asyncio.run(client.app.state.sender.drain(timeout=10))
                assert report.remaining == 0, report
                sent = [
                    json.dumps(c.params)
                    for c in slack.calls_to("chat.postMessage")
                    if c.params.get("channel") in (SLACK_AUDITOR, f"D{SLACK_AUDITOR}")
                ]
    else:
        with FakeConnector() as connector:
            connect_teams(engine, connector.url)
            with Session(engine) as session:
                auditor = session.get(Person, world.auditor_id)
                assert auditor is not None
                auditor.teams_conversation = {
                    "serviceUrl": connector.url,
                    "conversation": {"id": f"a:chat-{AAD_AUDITOR}"},
                }
                session.add(auditor)
                session.commit()
            settings = make_settings(db_url, QA_BOT_FRAMEWORK=NAME)
            deps = Deps(settings, world.framework, engine, clock=lambda: now, router=router())
            with TestClient(build_app(deps, background=False)) as client:
                ta = TeamsAudit(client, connector, keys_for(settings), world)
                ta.dialog = dialog
                ta.start()
                while ta.step() != "review":
                    ta.press("audit.step", _answer_same_concerns(ta.step(), ta.answer()))
                ta.press("audit.step", {})
                report = asyncio.run(client.app.state.sender.drain(timeout=10))
                assert report.remaining == 0, report
                # Teams: the bot opens the auditor's personal chat to send the prompt.
                sent = [json.dumps(c.body) for c in connector.messages()]
    rows, prompts = _caseload(engine, world)
    assert rows and all("Whole-caseload audit" in r.reason for r in rows)
    assert [p.person_id for p in prompts] == [world.auditor_id]
    told = [t for t in sent if "Whole-caseload audit" in t]
    assert len(told) == 1 and "Not now" not in told[0]
    with Session(engine) as session:
        asks = session.exec(select(Escalation).where(Escalation.kind == "dip_sample")).all()
    assert all(e.status == "done" for e in asks), "nobody asked to approve"
