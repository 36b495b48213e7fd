"""`qa-bot import staff|cases` through the real command line (typer's CliRunner)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from bot.cli import app
from storage.models import AuditLogEntry, Case, Person

Invoke = Callable[..., Result]
FRAMEWORK = str(Path(__file__).parents[1] / "data" / "framework-small.yml")
STAFF = """email,name,roles,team,service,line_manager_email,capacity,slack_user_id,teams_user_id
tm@council.gov.uk,Tom Manager,team_manager,Alpha,Early Help,,,,
sw@council.gov.uk,Sam Worker,practitioner,Alpha,Early Help,tm@council.gov.uk,,,
"""
CASES = """case_reference,service,team,worker_email,area,status,opened_on
EH-001,Early Help,Alpha,sw@council.gov.uk,early_help,open,2025-01-02
EH-002,Early Help,Alpha,,early_help,open,2025-02-03
"""


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(tmp_path)  # no stray .env from the working directory
    env = {"QA_BOT_DATABASE_URL": db_url, "QA_BOT_FRAMEWORK": FRAMEWORK}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(app, ["import", *args], env=env)

    return invoke


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_importing_staff_then_cases_succeeds_and_summarises(
    cli: Invoke, engine: Engine, tmp_path: Path
) -> None:
    staff = cli("staff", write(tmp_path, "staff.csv", STAFF))
    cases = cli("cases", write(tmp_path, "cases.csv", CASES))

    assert staff.exit_code == 0, staff.output
    assert "staff.csv: 2 people created, 0 updated, 0 unchanged, 0 deactivated." in staff.stdout
    assert "1 team created" in staff.stdout
    assert cases.exit_code == 0, cases.output
    assert "cases.csv: 2 cases created" in cases.stdout
    assert (count(engine, Person), count(engine, Case)) == (2, 2)


def test_reimporting_says_no_changes(cli: Invoke, engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "staff.csv", STAFF)
    cli("staff", path)
    logged = count(engine, AuditLogEntry)

    again = cli("staff", path)

    assert again.exit_code == 0
    assert again.stdout.startswith("staff.csv: no changes (2 people up to date).")
    assert count(engine, AuditLogEntry) == logged


def test_json_output_is_for_scripts(cli: Invoke, tmp_path: Path) -> None:
    result = cli("staff", write(tmp_path, "staff.csv", STAFF), "--json")

    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["ok"], data["created"], data["updated"], data["deactivated"]) == (True, 2, 0, 0)
    assert data["by_record_type"]["team"]["created"] == 1


def test_a_bad_file_lists_each_problem_on_its_own_line_exits_1_and_writes_nothing(
    cli: Invoke, engine: Engine, tmp_path: Path
) -> None:
    bad = (
        STAFF
        + "x@council.gov.uk,X,wizard,Alpha,Early Help,,,,\nnot-an-email,Y,practitioner,B,S,,,,\n"
    )

    result = cli("staff", write(tmp_path, "staff.csv", bad))

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("staff.csv row 4, roles: 'wizard' is not a role")
    assert lines[1].startswith("staff.csv row 5, email: 'not-an-email' is not an email address")
    assert lines[2] == (
        "Nothing was imported: 2 problem(s) in staff.csv. Fix them and run the import again."
    )
    assert count(engine, Person) == 0 and count(engine, AuditLogEntry) == 0


def test_a_bad_file_with_json_lists_the_problems(cli: Invoke, tmp_path: Path) -> None:
    result = cli("cases", write(tmp_path, "cases.csv", CASES), "--json")  # no staff yet

    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert [(p["row"], p["column"]) for p in data["problems"]] == [
        (2, "service"),
        (2, "team"),
        (2, "worker_email"),
        (3, "service"),
        (3, "team"),
    ]


def test_dry_run_reports_and_writes_nothing(cli: Invoke, engine: Engine, tmp_path: Path) -> None:
    result = cli("staff", write(tmp_path, "staff.csv", STAFF), "--dry-run")

    assert result.exit_code == 0
    assert result.stdout.startswith("Dry run, nothing written. staff.csv would give: 2 people")
    assert "create person tm@council.gov.uk" in result.stdout
    assert count(engine, Person) == 0


def test_sync_deactivates_what_the_file_no_longer_lists(
    cli: Invoke, engine: Engine, tmp_path: Path
) -> None:
    cli("staff", write(tmp_path, "staff.csv", STAFF))
    cli("cases", write(tmp_path, "cases.csv", CASES))

    result = cli("cases", write(tmp_path, "cases.csv", CASES.splitlines()[0] + "\n"), "--sync")

    assert result.exit_code == 0
    assert "0 cases created, 0 updated, 0 unchanged, 2 deactivated" in result.stdout
    with Session(engine) as s:
        assert not any(c.active for c in s.exec(select(Case)).all())


def test_a_missing_file_is_a_user_error(cli: Invoke, tmp_path: Path) -> None:
    result = cli("staff", str(tmp_path / "nope.csv"))

    assert result.exit_code == 1
    assert "there is no file at" in result.stderr


LAMBETH_STAFF = (
    STAFF.splitlines()[0]
    + """
dir@council.gov.uk,Dee Director,director,Directorate,Directorate,,,,
ad@council.gov.uk,Ade Director,assistant_director,Directorate,Directorate,dir@council.gov.uk,,,
tm@council.gov.uk,Tom Manager,team_manager,Alpha,Early Help,ad@council.gov.uk,,,
tm2@council.gov.uk,Tia Manager,team_manager,Beta,Children Looked After,dir@council.gov.uk,,,
"""
)


def test_import_staff_warns_of_a_service_no_assistant_director_would_hear_about(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lambeth escalates to "the relevant Assistant Director": Early Help's is found up
    its line management (the AD sits in the directorate); Children Looked After has none."""
    monkeypatch.chdir(tmp_path)
    env = {"QA_BOT_DATABASE_URL": db_url, "QA_BOT_FRAMEWORK": "lambeth"}
    path = write(tmp_path, "staff.csv", LAMBETH_STAFF)
    result = CliRunner().invoke(app, ["import", "staff", path], env=env)
    assert result.exit_code == 0, result.output
    assert "Warning: service 'Children Looked After' has no Assistant Director" in result.stdout
    assert "'Early Help'" not in result.stdout
    as_json = CliRunner().invoke(app, ["import", "staff", path, "--json"], env=env)
    [warning] = json.loads(as_json.stdout)["escalation_warnings"]
    assert "Children Looked After" in warning
    check = CliRunner().invoke(app, ["framework", "check", "lambeth", "--with-staff"], env=env)
    assert check.exit_code == 0, check.output
    assert "Warning: service 'Children Looked After' has no Assistant Director" in check.stdout
    plain = CliRunner().invoke(app, ["framework", "check", "lambeth"], env=env)
    assert "Warning" not in plain.stdout, "a file check alone reads no database"
