"""The retention policy: old free text anonymised, old messages and log rows deleted."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, col, select

from bot.composition import jobs as all_jobs
from qa.framework import Framework, Retention, load_framework
from qa.working_days import add_months
from reminders.retention import RETENTION
from reminders.schedule import Ticker
from storage.models import (
    Allocation,
    Audit,
    AuditLogEntry,
    Escalation,
    Moderation,
    OutboxMessage,
    Recommendation,
    RecommendationUpdate,
)
from storage.retention import RetentionReport, apply_retention
from tests.storage.dp_records import FREE_TEXT, People, Trail, history, people

SMALL = Path(__file__).parents[1] / "data" / "framework-small.yml"
RECENT_TEXT = "Recent note about the family"


def framework(*, audits: int = 24, outbox: int = 90, log: int = 72) -> Framework:
    base = load_framework(str(SMALL))
    policy = Retention(audits_months=audits, outbox_days=outbox, audit_log_months=log)
    return base.model_copy(update={"retention": policy})


def months_ago(now: datetime, n: int) -> datetime:
    d = add_months(now.date(), -n)
    return now.replace(year=d.year, month=d.month, day=d.day)


@pytest.fixture
def world(engine: Engine, now: datetime) -> tuple[People, Trail, Trail]:
    """An old trail (30 months ago, past a 24-month policy) and a recent one (last week)."""
    with Session(engine) as session:
        who = people(session, now)
        old = history(session, who, reference="EH-OLD", at=months_ago(now, 30))
        recent = history(
            session, who, reference="EH-NEW", at=now - timedelta(days=7), text=RECENT_TEXT
        )
        session.commit()
    return who, old, recent


def run(engine: Engine, fw: Framework, now: datetime, *, dry_run: bool = False) -> RetentionReport:
    with Session(engine) as session:
        report = apply_retention(
            session=session, framework=fw, now=now, actor="cli", dry_run=dry_run
        )
        session.commit()
    return report


def everything(engine: Engine, *, but_runs: bool = False) -> str:
    """Every row of every table as JSON text: where a stray copy of free text would show.

    `but_runs` leaves out the summary rows retention runs add to the audit log.
    """
    out: list[dict[str, Any]] = []
    with Session(engine) as session:
        for table in SQLModel.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in session.execute(table.select())]
            out += [r for r in rows if not (but_runs and r.get("action") == "retention.run")]
    return json.dumps(out, default=str, ensure_ascii=False)


def get(engine: Engine, model: type[Any], row_id: int) -> Any:
    with Session(engine) as session:
        return session.get(model, row_id)


def test_old_audits_lose_their_free_text_everywhere_but_keep_their_grades(
    engine: Engine, now: datetime, world: tuple[People, Trail, Trail]
) -> None:
    _who, old, _recent = world
    assert FREE_TEXT in everything(engine)

    report = run(engine, framework(), now)

    assert FREE_TEXT not in everything(engine)  # rows and audit-log snapshots alike
    audit = get(engine, Audit, old.audit)
    assert audit.overall_grade == audit.final_grade == "inadequate"
    assert audit.domain_grades == {"assessment": "inadequate", "planning": "requires_improvement"}
    assert audit.urgent_flags == ["safeguarding"]
    assert audit.narrative == {"working_well": ""}
    saved = audit.answers
    assert saved["step"] == "end" and saved["trail"][0] == "context"
    assert saved["answers"]["checklist"] == {
        "checklist.visits.answer": "Partly",
        "checklist.visits.action": "",
    }
    assert saved["answers"]["overall"] == {"overall.grade": "inadequate"}
    assert saved["answers"]["domains"]["domain.planning.evidence"] == ""
    assert saved["answers"]["recommendations"]["rec.1.due"] == "2027-01-15"
    assert saved["answers"]["recommendations"]["rec.1.owner"] == 2
    assert saved["flags"] == [{"key": "safeguarding", "note": "", "by": 1, "step": "domains"}]
    assert get(engine, Moderation, old.moderation).moderated_grade == "inadequate"
    assert get(engine, Recommendation, old.recommendation).status == "done"
    assert get(engine, Allocation, old.allocation).decline_reason == ""
    assert report.anonymised == {
        "audit": 1,
        "moderation": 1,
        "recommendation": 1,
        "recommendation_update": 1,
        "escalation": 1,
        "allocation": 1,
        "qa_alert": 0,
    }
    assert report.log_rows_redacted == 6


def test_recent_work_is_left_exactly_as_it_was(
    engine: Engine, now: datetime, world: tuple[People, Trail, Trail]
) -> None:
    _who, _old, recent = world
    before = {m: get(engine, m, i) for m, i in _rows(recent)}

    run(engine, framework(), now)

    assert RECENT_TEXT in everything(engine)
    for model, row_id in _rows(recent):
        assert get(engine, model, row_id) == before[model], model.__name__


def _rows(trail: Trail) -> list[tuple[type[Any], int]]:
    return [
        (Audit, trail.audit),
        (Moderation, trail.moderation),
        (Recommendation, trail.recommendation),
        (RecommendationUpdate, trail.update),
        (Escalation, trail.escalation),
        (Allocation, trail.allocation),
    ]


def test_sent_messages_older_than_the_policy_are_deleted_and_pending_ones_kept(
    engine: Engine, now: datetime, world: tuple[People, Trail, Trail]
) -> None:
    _who, old, recent = world
    with Session(engine) as session:
        stuck = OutboxMessage(
            idempotency_key="stuck",
            template="notice",
            status="failed",
            next_attempt_at=months_ago(now, 30),
            created_at=months_ago(now, 30),
        )
        session.add(stuck)
        session.commit()
        stuck_id = stuck.id

    report = run(engine, framework(outbox=90), now)

    assert report.outbox_deleted == 1
    assert get(engine, OutboxMessage, old.outbox) is None
    assert get(engine, OutboxMessage, recent.outbox) is not None
    assert get(engine, OutboxMessage, stuck_id or 0) is not None  # never sent: a person must see it


def test_audit_log_rows_older_than_the_policy_are_deleted_and_the_run_is_recorded(
    engine: Engine, now: datetime, world: tuple[People, Trail, Trail]
) -> None:
    report = run(engine, framework(audits=72, log=24), now)

    cutoff = months_ago(now, 24)
    with Session(engine) as session:
        rows = session.exec(select(AuditLogEntry).order_by(col(AuditLogEntry.id))).all()
    assert report.audit_log_deleted == 7  # the old trail's rows
    assert all(r.at >= cutoff for r in rows)
    summary = rows[-1]
    assert (summary.action, summary.record_type, summary.actor) == (
        "retention.run",
        "retention",
        "cli",
    )
    assert summary.after is not None
    assert summary.after["audit_log_deleted"] == 7
    assert summary.after["anonymised"]["audit"] == 0  # 30 months is inside a 72-month policy


def test_a_dry_run_counts_the_same_and_changes_nothing(
    engine: Engine, now: datetime, world: tuple[People, Trail, Trail]
) -> None:
    before = everything(engine)

    dry = run(engine, framework(log=24), now, dry_run=True)

    assert everything(engine) == before
    assert dry.dry_run and any("would be" in line for line in dry.lines())
    real = run(engine, framework(log=24), now)
    assert (dry.anonymised, dry.outbox_deleted, dry.audit_log_deleted) == (
        real.anonymised,
        real.outbox_deleted,
        real.audit_log_deleted,
    )
    assert dry.changed == real.changed > 0


def test_running_again_changes_nothing_more(
    engine: Engine, now: datetime, world: tuple[People, Trail, Trail]
) -> None:
    run(engine, framework(), now)
    after_first = everything(engine, but_runs=True)

    again = run(engine, framework(), now + timedelta(hours=1))

    assert again.changed == 0
    assert everything(engine, but_runs=True) == after_first


def test_the_retention_job_runs_nightly_at_two_in_the_morning(
    engine: Engine, now: datetime, world: tuple[People, Trail, Trail]
) -> None:
    assert all_jobs()["retention"] is RETENTION
    ticker = Ticker(
        engine=engine, framework=framework(), tz=_london(), jobs={"retention": RETENTION}
    )
    at_two = datetime(2026, 12, 2, 2, 0, tzinfo=_london())
    assert ticker.next_run(RETENTION, now=now) == at_two

    ran = ticker.tick(at_two + timedelta(minutes=1))

    ((name, result),) = ran.ran
    assert name == "retention" and result.changed > 0
    assert FREE_TEXT not in everything(engine)
    assert ticker.tick(at_two + timedelta(minutes=2)).ran == ()  # once a night


def _london() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/London")
