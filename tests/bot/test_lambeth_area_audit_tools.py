"""Lambeth: each area of planning has its own audit tool, picked by the case's area.

Lambeth QAF 4: "Each area of planning has a bespoke audit tool", and the auditor "will
also consult the CP Chair or IRO where relevant and in scope of the audit". An Early
Help case's audit grades referrals and decision making and does not ask about a CP
Chair or IRO (it has neither); a child-protection case's audit asks about them and does
not grade referrals. Walked through signed Slack `view_submission`s and Teams
`Action.Execute` invokes, each to a submitted audit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from storage.models import Allocation, Audit, Case, Person
from tests.bot.test_audit_slack import SlackAudit, app_for
from tests.bot.test_audit_teams import TeamsAudit, inputs, teams_app_for
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.handlers.audit_world import World, answers_for, seed_world

PRESET = "lambeth"
CONSULT = "feedback.cp_chair_iro.spoken"
REFERRALS = "domain.referrals_decision_making.grade"
AREAS = ["early_help", "cin_cp"]


def in_area(engine: Engine, world: World, area: str) -> World:
    """The world's allocation moved to an open case in `area` (not the auditor's team's)."""
    with Session(engine) as session:
        allocation = session.get(Allocation, world.allocation_id)
        auditor = session.get(Person, world.auditor_id)
        assert allocation is not None and auditor is not None
        case = session.exec(
            select(Case)
            .where(Case.area == area, Case.status == "open", Case.team_id != auditor.team_id)
            .order_by(col(Case.id))
        ).first()
        assert case is not None and case.id is not None
        allocation.case_id = case.id
        session.add(allocation)
        session.commit()
        return replace(world, case_id=case.id, reference=case.reference, area=area)


def stored(engine: Engine, world: World) -> Audit:
    with Session(engine) as session:
        return session.exec(select(Audit).where(Audit.allocation_id == world.allocation_id)).one()


def expect(area: str) -> tuple[bool, bool]:
    """(asks the CP Chair/IRO consultation, grades referrals) for a case in `area`."""
    return area != "early_help", area == "early_help"


# -- Slack -------------------------------------------------------------------------------


@pytest.fixture(params=AREAS)
def in_slack(
    request: pytest.FixtureRequest, db_url: str, engine: Engine, slack: FakeSlack, now: datetime
) -> Iterator[SlackAudit]:
    world = in_area(engine, seed_world(engine, now, PRESET), str(request.param))
    client, keys = app_for(db_url, engine, slack, now, world)
    with client:
        yield SlackAudit(client, slack, keys, world)


def blocks(view: dict[str, Any]) -> set[str]:
    return {b["block_id"] for b in view["blocks"] if "block_id" in b}


def test_lambeth_area_audit_tools_in_slack(in_slack: SlackAudit, engine: Engine) -> None:
    a = in_slack
    consults, grades_referrals = expect(a.world.area)
    a.open()
    seen: set[str] = set()
    text = ""
    while a.step() != "review":
        seen |= blocks(a.view)
        text += json.dumps(a.view, ensure_ascii=False)
        body = a.submit(a.answer("good"))
        assert body.get("response_action") == "update", body
    assert (CONSULT in seen, REFERRALS in seen) == (consults, grades_referrals)
    assert ("Consultation with the CP Chair or IRO" in text) == consults
    a.submit({})
    audit = stored(engine, a.world)
    assert audit.status == "submitted"
    assert ("referrals_decision_making" in (audit.domain_grades or {})) == grades_referrals


# -- Teams -------------------------------------------------------------------------------


@pytest.fixture(params=AREAS)
def in_teams(
    request: pytest.FixtureRequest,
    db_url: str,
    engine: Engine,
    now: datetime,
    connector: FakeConnector,
) -> Iterator[TeamsAudit]:
    world = in_area(engine, seed_world(engine, now, PRESET), str(request.param))
    client, keys = teams_app_for(db_url, engine, now, world, PRESET)
    with client:
        yield TeamsAudit(client, connector, keys, world)


def test_lambeth_area_audit_tools_in_teams(in_teams: TeamsAudit, engine: Engine) -> None:
    a = in_teams
    consults, grades_referrals = expect(a.world.area)
    a.start()
    seen: set[str] = set()
    while a.step() != "review":
        seen |= set(inputs(a.card))
        a.press("audit.step", answers_for(a.dialog.step(a.step()), owner=a.owner(), grade="good"))
    assert (CONSULT in seen, REFERRALS in seen) == (consults, grades_referrals)
    a.press("audit.step", {})
    audit = stored(engine, a.world)
    assert audit.status == "submitted"
    assert ("referrals_decision_making" in (audit.domain_grades or {})) == grades_referrals
