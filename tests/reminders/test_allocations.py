"""The monthly allocation job and `qa-bot allocate`: once per person, safe to re-run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli import app
from demo.authority import generate
from qa.framework import Framework, preset
from qa.working_days import Month
from reminders.allocations import ALLOCATE_MONTH
from reminders.schedule import Ticker
from storage.db import session_scope
from storage.models import Allocation, Case, OutboxMessage, Person
from storage.seed import seed_demo

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def camden(engine) -> Framework:  # type: ignore[no-untyped-def]
    fw = preset("camden")
    authority = generate(fw, today=datetime(2026, 11, 1).date(), staff=60, cases=400)
    with session_scope(engine) as s:
        seed_demo(
            session=s, framework=fw, authority=authority, now=datetime(2026, 11, 1, tzinfo=UTC)
        )
    return fw


def _ticker(engine, fw: Framework) -> Ticker:  # type: ignore[no-untyped-def]
    return Ticker(
        engine=engine, framework=fw, tz=LONDON, jobs={ALLOCATE_MONTH.name: ALLOCATE_MONTH}
    )


def test_allocation_day_sends_each_person_one_prompt_and_the_qa_lead_a_summary(
    engine, camden: Framework
) -> None:  # type: ignore[no-untyped-def]
    ticker = _ticker(engine, camden)
    # 1 December 2026 is a Tuesday, the first working day; Camden allocates at 09:00.
    before = datetime(2026, 12, 1, 8, 59, tzinfo=UTC)
    ticker.tick(datetime(2026, 11, 30, 12, tzinfo=UTC))
    ticker.tick(before)
    with Session(engine) as s:
        assert s.exec(select(Allocation)).all() == []
    # Camden makes no allocations in December: the job runs and allocates nothing.
    ticker.tick(datetime(2026, 12, 1, 9, 1, tzinfo=UTC))
    with Session(engine) as s:
        assert s.exec(select(Allocation)).all() == []
    # 4 January 2027 (Monday) is the first working day of an active month.
    ticker.tick(datetime(2027, 1, 4, 9, 1, tzinfo=UTC))
    with Session(engine) as s:
        allocations = s.exec(select(Allocation)).all()
        prompts = s.exec(
            select(OutboxMessage).where(OutboxMessage.template == "allocation_prompt")
        ).all()
        summaries = s.exec(
            select(OutboxMessage).where(OutboxMessage.template == "allocation_summary")
        ).all()
        leads = [p for p in s.exec(select(Person)) if camden.qa_lead_role in p.roles]
        refs = {c.reference for c in s.exec(select(Case))}
    assert allocations and all(a.month == "2027-01" for a in allocations)
    assert len(prompts) == len({a.person_id for a in allocations})
    assert len(summaries) == len(leads) >= 1
    for prompt in prompts:
        items = prompt.context["items"]
        assert items and all(i["reference"] is None or i["reference"] in refs for i in items)
        # no names in the prompt: only references, areas, teams, dates and reasons
        assert set(items[0]) == {
            "allocation_id", "activity", "reference", "area", "team", "due", "due_on", "reason",
            "routing_key",
        }  # fmt: skip


def test_running_the_job_and_the_cli_both_makes_no_second_allocation(
    engine, db_url: str, camden: Framework, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    _ticker(engine, camden).run_job(ALLOCATE_MONTH, now=datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    with Session(engine) as s:
        first = len(s.exec(select(Allocation)).all())
        sent = len(s.exec(select(OutboxMessage)).all())
    monkeypatch.setenv("QA_BOT_DATABASE_URL", db_url)
    monkeypatch.setenv("QA_BOT_FRAMEWORK", "camden")
    result = CliRunner().invoke(app, ["allocate", "--month", "2027-01", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["created"] == 0 and out["messages_queued"] == 0
    with Session(engine) as s:
        assert len(s.exec(select(Allocation)).all()) == first
        assert len(s.exec(select(OutboxMessage)).all()) == sent


def test_dry_run_shows_the_plan_and_stores_nothing(
    engine, db_url: str, camden: Framework, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QA_BOT_DATABASE_URL", db_url)
    monkeypatch.setenv("QA_BOT_FRAMEWORK", "camden")
    result = CliRunner().invoke(app, ["allocate", "--month", "2027-02", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["dry_run"] and len(out["allocations"]) > 0
    assert all(a["case"] is None or a["case"].startswith("DEMO-") for a in out["allocations"])
    with Session(engine) as s:
        assert s.exec(select(Allocation)).all() == []
        assert s.exec(select(OutboxMessage)).all() == []


def test_a_bad_month_is_a_user_error(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_BOT_DATABASE_URL", db_url)
    result = CliRunner().invoke(app, ["allocate", "--month", "2027-13"])
    assert result.exit_code == 1
    assert "YYYY-MM" in result.output


def test_month_keys_sort_like_months() -> None:
    assert Month.parse("2026-12").key < Month.parse("2027-01").key


def test_a_top_up_tells_people_only_about_what_is_new_to_them(engine, camden: Framework) -> None:  # type: ignore[no-untyped-def]
    from reminders.allocations import queue_prompts

    _ticker(engine, camden).run_job(ALLOCATE_MONTH, now=datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    at = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        first = s.exec(select(Allocation)).first()
        assert first is not None
        spare = s.exec(select(Case).where(Case.id != first.case_id)).first()
        assert spare is not None
        extra = Allocation(
            month="2027-01",
            person_id=first.person_id,
            case_id=spare.id,
            due_on=first.due_on,
            reason="topped up",
            created_at=at,
            updated_at=at,
        )
        s.add(extra)
        s.flush()
        extra_id = extra.id
        assert queue_prompts(session=s, framework=camden, month=Month(2027, 1), now=at) == 1
        assert queue_prompts(session=s, framework=camden, month=Month(2027, 1), now=at) == 0
    with Session(engine) as s:
        more = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key
                == f"allocation-prompt:{first.person_id}:2027-01:more:{extra_id}"
            )
        ).one()
    assert [i["allocation_id"] for i in more.context["items"]] == [extra_id]


def test_allocate_lists_exactly_what_it_stores_moderation_slots_included(
    engine, db_url: str, camden: Framework, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Issue 17 item 4: the dry run, the real run and a re-run agree, slot for slot."""
    monkeypatch.setenv("QA_BOT_DATABASE_URL", db_url)
    monkeypatch.setenv("QA_BOT_FRAMEWORK", "camden")
    run = ["allocate", "--month", "2027-01", "--json"]
    dry = json.loads(CliRunner().invoke(app, [*run, "--dry-run"]).output)
    real = json.loads(CliRunner().invoke(app, run).output)
    assert real["created"] == len(real["allocations"]) == len(dry["allocations"])
    with Session(engine) as s:
        rows = s.exec(select(Allocation)).all()
        heads = {p.id: p.email for p in s.exec(select(Person)) if "head_of_service" in p.roles}
        prompts = {
            m.person_id: m.context
            for m in s.exec(
                select(OutboxMessage).where(OutboxMessage.template == "allocation_prompt")
            )
        }
    assert len(rows) == real["created"]
    assert heads
    for pid, email in heads.items():
        # Camden QAF 5.2.2: "Operational Heads of Service will complete four moderations a month"
        slots = [r for r in rows if r.person_id == pid and r.activity == "moderation"]
        assert len(slots) == 4, email
        listed = [a for a in real["allocations"] if a["person"] == email]
        assert len([a for a in listed if a["activity"] == "moderation"]) == 4
        told = [i for i in prompts[pid]["items"] if i["activity"] == "moderation"]
        assert len(told) == 4
    again = json.loads(CliRunner().invoke(app, run).output)
    assert again["created"] == 0 and again["allocations"] == []
    with Session(engine) as s:
        assert len(s.exec(select(Allocation)).all()) == len(rows)
