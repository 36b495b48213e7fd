"""`qa-bot export person|case` and `qa-bot retention` through the real command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from bot.commands import export, retention
from storage.models import Audit, AuditLogEntry
from tests.storage.dp_records import FREE_TEXT, history, people

Invoke = Callable[..., Result]
FRAMEWORK = str(Path(__file__).parents[1] / "data" / "framework-small.yml")
AT = "2026-12-01T09:00:00+00:00"  # tests/conftest.py NOW


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(tmp_path)  # no stray .env from the working directory
    env = {"QA_BOT_DATABASE_URL": db_url, "QA_BOT_FRAMEWORK": FRAMEWORK}
    root = typer.Typer()
    root.add_typer(export.app, name="export")
    retention.register(root)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(root, list(args), env=env)

    return invoke


@pytest.fixture
def seeded(engine: Engine, now: datetime) -> None:
    # An 80-month-old trail is past the default 72 months; `--at` runs retention at `now`.
    at = now
    with Session(engine) as session:
        who = people(session, at)
        history(session, who, reference="EH-OLD", at=at - timedelta(days=31 * 80))
        history(session, who, reference="EH-NEW", at=at - timedelta(days=7), text="recent")
        session.commit()


def log_count(engine: Engine, action: str) -> int:
    with Session(engine) as s:
        q = select(func.count()).select_from(AuditLogEntry).where(AuditLogEntry.action == action)
        return int(s.exec(q).one())


def test_export_person_prints_their_data_as_json(cli: Invoke, engine: Engine, seeded: None) -> None:
    result = cli("export", "person", "Ann.Auditor@council.gov.uk")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["kind"] == "subject_access" and document["schema_version"] == 1
    assert document["person"]["email"] == "ann.auditor@council.gov.uk"
    assert len(document["audits"]) == 2
    assert log_count(engine, "export.subject_access") == 1


def test_export_case_writes_the_file_named_by_out(
    cli: Invoke, engine: Engine, seeded: None, tmp_path: Path
) -> None:
    out = tmp_path / "eh-new.json"

    result = cli("export", "case", "EH-NEW", "--out", str(out))

    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["subject"]["reference"] == "EH-NEW"
    assert [a["case_id"] for a in document["audits"]] == [document["case"]["id"]]
    assert "EH-OLD" not in out.read_text(encoding="utf-8")
    assert log_count(engine, "export.case") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("person", "nobody@council.gov.uk"), "no one with the email"),
        (("case", "XX-404"), "there is no case with the reference"),
    ],
)
def test_export_of_something_unknown_says_so_and_exits_1(
    cli: Invoke, engine: Engine, seeded: None, args: tuple[str, str], message: str
) -> None:
    result = cli("export", *args)

    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""
    assert log_count(engine, "export.subject_access") + log_count(engine, "export.case") == 0


def test_retention_dry_run_reports_and_changes_nothing(
    cli: Invoke, engine: Engine, seeded: None
) -> None:
    result = cli("retention", "--dry-run", "--at", AT)

    assert result.exit_code == 0, result.output
    assert (
        "1 audit record(s) older than" in result.stdout and "would be anonymised" in result.stdout
    )
    assert "Dry run: nothing was changed." in result.stdout
    with Session(engine) as s:
        assert any(FREE_TEXT in json.dumps(a.narrative) for a in s.exec(select(Audit)))
    assert log_count(engine, "retention.run") == 0


def test_retention_applies_the_policy_and_records_the_run(
    cli: Invoke, engine: Engine, seeded: None
) -> None:
    result = cli("retention", "--json", "--at", AT)

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["anonymised"]["audit"] == 1 and summary["dry_run"] is False
    with Session(engine) as s:
        assert not any(FREE_TEXT in json.dumps(a.narrative) for a in s.exec(select(Audit)))
    assert log_count(engine, "retention.run") == 1


def test_retention_refuses_an_unreadable_time(cli: Invoke, seeded: None) -> None:
    result = cli("retention", "--at", "last tuesday")

    assert result.exit_code == 1
    assert "is not an ISO-8601 time" in result.stderr
