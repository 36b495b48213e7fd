"""Inspection mode through the real endpoints: `/qa inspection ...` on Slack, a typed
`inspection ...` on Teams, and the daily chase at a frozen time.

The dataset (tests/handlers/inspection_dataset.py) works out by hand who should get
each case: the fastest auditor who is independent of it (not their own team's case,
not one worked by someone they line-manage). The lead is told who got what; each
auditor gets the usual allocation prompt with Start; the allocations are urgent and
chased each working day until submitted, once a day.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import typer
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.commands import inspection
from bot.composition import jobs
from reminders.jobs import JobContext
from storage.models import Allocation, Audit, InspectionAudit, OutboxMessage
from tests import chat
from tests.chat import (
    TestClient,
    app_client,
    deliver_unpaced,
    post_command,
    slack_settings,
    teams_settings,
)
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.handlers.helpers import small_framework
from tests.handlers.inspection_dataset import GUID, NOW, Seeded, seed

LINE = "inspection CASE-1, CASE-2, CASE-3, NOPE-9 in 5 days"
LONDON = ZoneInfo("Europe/London")
EXPECTED = {"CASE-1": "Fay", "CASE-2": "Max", "CASE-3": "Sol"}


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    return seed(engine)


@pytest.fixture
def slack_api(
    db_url: str, engine: Engine, slack: FakeSlack, seeded: Seeded
) -> Iterator[TestClient]:
    with app_client(slack_settings(db_url, slack.url), engine, NOW) as client:
        yield client


@pytest.fixture
def teams_api(db_url: str, engine: Engine, seeded: Seeded) -> Iterator[TestClient]:
    with app_client(teams_settings(db_url), engine, NOW) as client:
        yield client


def allocations(engine: Engine) -> dict[int, Allocation]:
    with Session(engine) as s:
        rows = s.exec(
            select(Allocation).join(InspectionAudit, InspectionAudit.allocation_id == Allocation.id)  # type: ignore[arg-type]
        ).all()
        return {r.case_id or 0: r for r in rows}


def check_allocated(engine: Engine, seeded: Seeded) -> None:
    rows = allocations(engine)
    assert {seeded.cases[ref]: seeded.people[who] for ref, who in EXPECTED.items()} == {
        case: row.person_id for case, row in rows.items()
    }
    assert {row.due_on.isoformat() for row in rows.values()} == {"2026-12-15"}
    assert all("Inspection" in row.reason for row in rows.values())


def lead_text(text: str) -> None:
    assert "Inspection mode: 3 audits allocated now, urgent, due by" in text
    for ref, who in EXPECTED.items():
        assert f"{ref}: {who} Example" in text
    assert "No open case has the reference: NOPE-9" in text


def slack_text(payload: dict[str, Any]) -> str:
    return chat.all_text(payload).replace("\\n", "\n")


def test_a_qa_lead_starts_inspection_mode_on_slack_and_each_auditor_gets_a_prompt(
    slack_api: TestClient, slack: FakeSlack, engine: Engine, seeded: Seeded
) -> None:
    response = post_command(slack_api, None, "U01LEE", LINE)
    assert response.status_code == 200
    lead_text(slack_text(response.json()))
    check_allocated(engine, seeded)
    deliver_unpaced(slack_api)
    sent = slack.calls_to("chat.postMessage")
    to = {c.params["channel"]: c.params for c in sent}
    assert set(to) == {"U02FAY", "U03MAX", "U04SOL"}, list(to)
    fay = json.dumps(to["U02FAY"].get("blocks"))
    assert "CASE-1" in fay and "audit.start" in fay and "CASE-2" not in fay


def test_a_qa_lead_starts_inspection_mode_on_teams(
    teams_api: TestClient, connector: FakeConnector, engine: Engine, seeded: Seeded
) -> None:
    reply = chat.say(teams_api, connector, GUID.format(1), LINE)
    body = reply.body["attachments"][0]["content"]["body"]
    facts = {f["title"]: f["value"] for b in body if b["type"] == "FactSet" for f in b["facts"]}
    assert facts == {ref: f"{who} Example" for ref, who in EXPECTED.items()}
    words = " ".join(b.get("text", "") for b in body)
    assert "Inspection mode: 3 audits allocated now, urgent, due by" in words
    assert "No open case has the reference: NOPE-9" in words
    check_allocated(engine, seeded)


def test_starting_again_allocates_nothing_twice(
    slack_api: TestClient, engine: Engine, seeded: Seeded
) -> None:
    for _ in range(2):
        assert post_command(slack_api, None, "U01LEE", LINE).status_code == 200
    with Session(engine) as s:
        assert len(s.exec(select(InspectionAudit)).all()) == 3
    check_allocated(engine, seeded)


def test_only_unknown_references_allocate_nothing_and_say_so(
    teams_api: TestClient, connector: FakeConnector, engine: Engine, seeded: Seeded
) -> None:
    """Seen in the Playground: "0 audits allocated ... each auditor has their case"."""
    reply = chat.say(teams_api, connector, GUID.format(1), "inspection NOPE-9 in 5 days")
    text = json.dumps(reply.body, ensure_ascii=False)
    assert "Inspection mode: nothing allocated." in text
    assert "Each auditor" not in text and "0 audits" not in text
    assert "No open case has the reference: NOPE-9" in text
    assert allocations(engine) == {}


def test_only_a_qa_lead_may_start_it_and_a_line_without_days_gets_the_usage(
    slack_api: TestClient, engine: Engine
) -> None:
    refused = slack_text(post_command(slack_api, None, "U02FAY", LINE).json())
    assert "Only a QA lead can start inspection mode" in refused
    usage = slack_text(post_command(slack_api, None, "U01LEE", "inspection CASE-1").json())
    assert "How many days do the auditors have?" in usage
    assert "inspection CR-1042, CR-2210 in 5 days" in usage
    assert allocations(engine) == {}


def chase(engine: Engine, at: datetime) -> int:
    job = jobs()["inspection_chase"]
    with Session(engine) as s:
        result = job.run(JobContext(s, small_framework(), LONDON, at))
        s.commit()
    return result.enqueued


def chases(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as s:
        return list(
            s.exec(select(OutboxMessage).where(OutboxMessage.template == "inspection_chase"))
        )


def test_the_auditors_are_chased_each_working_day_until_they_submit(
    slack_api: TestClient, engine: Engine, seeded: Seeded
) -> None:
    assert post_command(slack_api, None, "U01LEE", LINE).status_code == 200
    assert chase(engine, NOW) == 0  # not on the day they were given it
    friday = datetime(2026, 12, 11, 10, 0, tzinfo=UTC)
    assert chase(engine, friday) == 3
    assert chase(engine, friday.replace(hour=14)) == 0  # once a day
    assert chase(engine, datetime(2026, 12, 12, 10, 0, tzinfo=UTC)) == 0  # Saturday
    assert chase(engine, datetime(2026, 12, 11, 6, 0, tzinfo=UTC)) == 0  # before hours
    # Fay submits hers; the others are chased on Monday, and CASE-1 no more
    rows = allocations(engine)
    with Session(engine) as s:
        row = rows[seeded.cases["CASE-1"]]
        s.add(
            Audit(allocation_id=row.id, case_id=row.case_id or 0, auditor_id=row.person_id,
                  status="submitted", submitted_at=friday, created_at=friday, updated_at=friday)
        )  # fmt: skip
        s.commit()
    monday = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)
    assert chase(engine, monday) == 2
    texts = [m.context for m in chases(engine) if m.idempotency_key.endswith("2026-12-14")]
    refs = sorted(i["reference"] for c in texts for i in c["items"])
    assert refs == ["CASE-2", "CASE-3"]


def test_the_cli_starts_inspection_mode_and_queues_the_lead_s_list(
    db_url: str, engine: Engine, seeded: Seeded, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"QA_BOT_DATABASE_URL": db_url, "QA_BOT_FRAMEWORK": str(chat.SMALL)}
    root = typer.Typer()
    root.add_typer(inspection.app, name="inspection")
    args = ["inspection", "start", "--cases", "CASE-1,CASE-2,CASE-3,NOPE-9", "--days", "5"]
    result = CliRunner().invoke(root, [*args, "--at", "2026-12-10T10:00"], env=env)
    assert result.exit_code == 0, result.output
    lead_text(result.output)
    check_allocated(engine, seeded)
    with Session(engine) as s:
        told = s.exec(
            select(OutboxMessage).where(OutboxMessage.template == "inspection_reply")
        ).all()
    assert [m.person_id for m in told] == [seeded.people["Lee"]]
    bad = CliRunner().invoke(root, ["inspection", "start", "--cases", "CASE-1", "--days", "0"])
    assert bad.exit_code == 1 and "--days must be from 1 to 60" in bad.output
