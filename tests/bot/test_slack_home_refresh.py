"""The Slack App Home follows the person's work: it is republished after a message
reaches them, at most once per interval, and never for someone without a Slack id."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime

from sqlalchemy import Engine

from storage.db import session_scope
from storage.models import Allocation, Case, Service, Team
from storage.outbox import Message, enqueue
from tests.chat import TestClient, add_person
from tests.fakes.slack_api import FakeSlack


def test_a_message_reaching_a_person_refreshes_their_home_tab(
    api: TestClient,
    slack: FakeSlack,
    engine: Engine,
    now: datetime,
) -> None:
    pid = add_person(
        engine, now, email="tm@council.gov.uk", name="Tam Manager", roles=["team_manager"],
        slack_user_id="UTM",
    )  # fmt: skip
    with session_scope(engine) as s:
        svc = Service(name="Early Help")
        s.add(svc)
        s.flush()
        team = Team(name="EH 1", service_id=svc.id or 0)
        s.add(team)
        s.flush()
        case = Case(reference="REF-77", service_id=svc.id or 0, team_id=team.id or 0,
                    area="early_help", opened_on=date(2026, 1, 1))  # fmt: skip
        s.add(case)
        s.flush()
        s.add(Allocation(month="2026-12", person_id=pid, case_id=case.id, due_on=date(2026, 12, 17),
                         created_at=now, updated_at=now))  # fmt: skip
        for i in range(3):
            enqueue(session=s, message=Message("notice", f"k{i}", {"text": "Hello"},
                                               person_id=pid), now=now)  # fmt: skip
    sender = api.app.state.sender  # type: ignore[attr-defined]
    report = asyncio.run(sender.drain(timeout=20))
    assert report.delivered == 3
    home = api.app.state.slack_home  # type: ignore[attr-defined]
    assert home.wait_idle(10)
    publishes = slack.calls_to("views.publish")
    assert len(publishes) == 1  # three messages, one refresh (debounced)
    assert publishes[0].params["user_id"] == "UTM"
    view = publishes[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "home" and "REF-77" in json.dumps(view)  # their open work
