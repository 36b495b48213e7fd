"""City of London: identity not ascertained must be raised as a recommendation.

CoL QAF 2024, "Evidencing Anti-Racist Practice": "All quality assurance process should
be able to clearly ascertain the ethnic and religious backgrounds of children and their
families and any specific additional needs, where this is not the case the reasons for
this are clearly evidenced on the record or are raised as a recommendation." The
reviewer answers No; the review is refused, with a message naming the question, until
a recommendation is added; then it is submitted. Walked through signed Slack
`view_submission`s and Teams `Action.Execute` invokes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.models import Audit, Recommendation
from tests.bot.test_audit_slack import SlackAudit, app_for
from tests.bot.test_audit_teams import TeamsAudit, elements, teams_app_for
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.handlers.audit_world import World, answers_for, seed_world

PRESET = "city-of-london"
ITEM = "checklist.identity_recorded.answer"
QUESTION = "The ethnic and religious backgrounds of the child and family"


def answers(step: Any, owner: str, *, recs: int) -> dict[str, Any]:
    """A careful reviewer's answers: identity not ascertained (No); `recs` recommendations."""
    values = answers_for(step, owner=owner, recs=recs)
    if ITEM in values:
        values[ITEM] = "No"
    return values


def submitted(engine: Engine, world: World) -> tuple[Audit | None, int]:
    with Session(engine) as session:
        audit = session.exec(
            select(Audit).where(Audit.allocation_id == world.allocation_id)
        ).first()
        recs = session.exec(select(Recommendation).where(Recommendation.source == "audit")).all()
        return audit, len(recs)


# -- Slack -------------------------------------------------------------------------------


@pytest.fixture
def in_slack(db_url: str, engine: Engine, slack: FakeSlack, now: datetime) -> Iterator[SlackAudit]:
    world = seed_world(engine, now, PRESET)
    client, keys = app_for(db_url, engine, slack, now, world)
    with client:
        yield SlackAudit(client, slack, keys, world)


def test_city_of_london_ethnicity_needs_recommendation_in_slack(
    in_slack: SlackAudit, engine: Engine
) -> None:
    a = in_slack
    a.open()
    while a.step() != "recommendations":
        body = a.submit(answers(a.dialog.step(a.step()), a.owner(), recs=0))
        assert body.get("response_action") == "update", body
    body = a.submit(answers(a.dialog.step(a.step()), a.owner(), recs=0))
    assert body["response_action"] == "errors"
    [(where, said)] = body["errors"].items()
    assert where == "rec.1.action"
    assert "You answered “No” to “" + QUESTION in said and "add a recommendation" in said
    draft, _ = submitted(engine, a.world)
    assert draft is None or draft.status != "submitted"
    body = a.submit(answers(a.dialog.step(a.step()), a.owner(), recs=1))
    assert body.get("response_action") == "update" and a.step() == "review"
    body = a.submit({})
    assert "response_action" not in body, "the modal closes on submit"
    audit, recs = submitted(engine, a.world)
    assert audit is not None and audit.status == "submitted" and recs == 1


# -- Teams -------------------------------------------------------------------------------


@pytest.fixture
def in_teams(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector
) -> Iterator[TeamsAudit]:
    world = seed_world(engine, now, PRESET)
    client, keys = teams_app_for(db_url, engine, now, world, PRESET)
    with client:
        yield TeamsAudit(client, connector, keys, world)


def error_under(card: dict[str, Any], field: str) -> str:
    body = elements(card)
    at = next(i for i, e in enumerate(body) if e.get("id") == field)
    assert body[at + 1]["type"] == "TextBlock" and body[at + 1]["color"] == "attention"
    return str(body[at + 1]["text"])


def test_city_of_london_ethnicity_needs_recommendation_in_teams(
    in_teams: TeamsAudit, engine: Engine
) -> None:
    a = in_teams
    a.start()
    while a.step() != "recommendations":
        a.press("audit.step", answers(a.dialog.step(a.step()), a.owner(), recs=0))
    a.press("audit.step", answers(a.dialog.step(a.step()), a.owner(), recs=0))
    assert a.step() == "recommendations", "refused: the same card again"
    said = error_under(a.card, "rec.1.action")
    assert "No" in said and QUESTION in said and "add a recommendation" in said
    a.press("audit.step", answers(a.dialog.step(a.step()), a.owner(), recs=1))
    assert a.step() == "review"
    a.press("audit.step", {})
    audit, recs = submitted(engine, a.world)
    assert audit is not None and audit.status == "submitted" and recs == 1
