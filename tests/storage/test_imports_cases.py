"""`import cases`: cases from a case-recording system's export, all or nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, col, select

from qa.framework import load_framework
from storage.imports import ImportRejected, ImportResult, import_cases, import_staff
from storage.models import AuditLogEntry, Case, Person, Team

FRAMEWORK = load_framework(str(Path(__file__).parents[1] / "data" / "framework-small.yml"))
STAFF = b"""email,name,roles,team,service,line_manager_email,capacity,slack_user_id,teams_user_id
tm@council.gov.uk,Tom Manager,team_manager,Alpha,Early Help,,,,
sw@council.gov.uk,Sam Worker,practitioner,Alpha,Early Help,tm@council.gov.uk,,,
cp@council.gov.uk,Cat Protect,practitioner,Beta,Children in Need,,,,
"""
HEADER = "case_reference,service,team,worker_email,area,status,opened_on"
CASES = [
    "EH-001,Early Help,Alpha,sw@council.gov.uk,early_help,open,2025-01-02",
    "EH-002,Early Help,Alpha,,early_help,closed,2025-02-03",
    "CP-001,Children in Need,Beta,cp@council.gov.uk,cin_cp,open,2025-03-04",
]


@pytest.fixture(autouse=True)
def staff(engine: Engine, now: datetime) -> None:
    """Cases need the teams and workers of a staff import."""
    import_staff(engine=engine, source=STAFF, framework=FRAMEWORK, now=now)


def write(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "cases.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def run(engine: Engine, path: Path | bytes, now: datetime, **kw: Any) -> ImportResult:
    return import_cases(engine=engine, source=path, framework=FRAMEWORK, now=now, **kw)


def problems(engine: Engine, path: Path | bytes, now: datetime, **kw: Any) -> list[str]:
    with pytest.raises(ImportRejected) as exc:
        run(engine, path, now, **kw)
    return [str(p) for p in exc.value.problems]


def cases(engine: Engine) -> dict[str, Case]:
    with Session(engine) as s:
        return {c.reference: c for c in s.exec(select(Case)).all()}


def case_log(engine: Engine) -> list[AuditLogEntry]:
    with Session(engine) as s:
        q = select(AuditLogEntry).where(AuditLogEntry.record_type == "case")
        return list(s.exec(q.order_by(col(AuditLogEntry.id))).all())


def fingerprint(engine: Engine, db_url: str) -> tuple[dict[str, int], str]:
    """Row counts of every table, and on SQLite a hash of the checkpointed file's bytes."""
    with engine.connect() as conn:
        counts = {
            t.name: conn.execute(sa_select(func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables
        }
        conn.rollback()
    digest = ""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        raw = sqlite3.connect(str(url.database), isolation_level=None)
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
        digest = hashlib.sha256(Path(str(url.database)).read_bytes()).hexdigest()
    return counts, digest


# -- importing -----------------------------------------------------------------------


def test_cases_are_created_with_their_team_worker_and_an_audit_log_row(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    result = run(engine, write(tmp_path, *CASES), now)

    assert (result.main.created, result.main.unchanged) == (3, 0)
    found = cases(engine)
    with Session(engine) as s:
        sam = s.exec(select(Person).where(Person.email == "sw@council.gov.uk")).one()
        alpha = s.exec(select(Team).where(Team.name == "Alpha")).one()
    eh1 = found["EH-001"]
    assert (eh1.worker_id, eh1.team_id, eh1.service_id) == (sam.id, alpha.id, alpha.service_id)
    assert (eh1.area, eh1.status, eh1.opened_on) == ("early_help", "open", date(2025, 1, 2))
    assert found["EH-002"].worker_id is None and found["EH-002"].status == "closed"
    log = case_log(engine)
    assert [(r.action, r.record_id) for r in log] == [
        ("create", str(found[ref].id)) for ref in ("EH-001", "EH-002", "CP-001")
    ]
    assert all(r.actor == "cli:import" for r in log)
    assert log[0].after is not None and log[0].after["worker"] == "sw@council.gov.uk"


def test_reimporting_the_same_file_changes_nothing(
    engine: Engine, db_url: str, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, *CASES)
    run(engine, path, now)
    before = fingerprint(engine, db_url)

    result = run(engine, path, now + timedelta(days=1))

    assert not result.changed and result.main.unchanged == 3
    assert fingerprint(engine, db_url) == before


def test_a_changed_case_is_updated_in_place_and_logged(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *CASES), now)
    ids = {ref: c.id for ref, c in cases(engine).items()}
    changed = [CASES[0].replace("sw@", "tm@").replace(",open,", ",closed,"), *CASES[1:]]

    result = run(engine, write(tmp_path, *changed), now)

    assert (result.main.updated, result.main.unchanged) == (1, 2)
    assert {ref: c.id for ref, c in cases(engine).items()} == ids
    assert cases(engine)["EH-001"].status == "closed"
    update = [r for r in case_log(engine) if r.action == "update"]
    assert len(update) == 1 and update[0].before is not None and update[0].after is not None
    assert (update[0].before["worker"], update[0].after["worker"]) == (
        "sw@council.gov.uk",
        "tm@council.gov.uk",
    )
    assert str(result.changes[0]) == (
        "update case EH-001: worker 'sw@council.gov.uk' → 'tm@council.gov.uk', "
        "status 'open' → 'closed'"
    )


def test_sync_deactivates_cases_missing_from_the_file_and_never_deletes(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *CASES), now)

    result = run(engine, write(tmp_path, *CASES[:2]), now, sync=True)

    assert result.main.deactivated == 1
    found = cases(engine)
    assert len(found) == 3 and not found["CP-001"].active and found["EH-001"].active
    assert [r.action for r in case_log(engine)][-1] == "deactivate"
    again = run(engine, write(tmp_path, *CASES[:2]), now, sync=True)
    assert not again.changed  # already inactive: nothing more to do


def test_without_sync_cases_missing_from_the_file_are_left_alone(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *CASES), now)

    assert not run(engine, write(tmp_path, *CASES[:2]), now).changed
    assert cases(engine)["CP-001"].active


def test_dry_run_reports_the_changes_and_writes_nothing(
    engine: Engine, db_url: str, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *CASES[:2]), now)
    before = fingerprint(engine, db_url)

    result = run(
        engine,
        write(tmp_path, CASES[0].replace("open", "closed"), CASES[2]),
        now,
        dry_run=True,
        sync=True,
    )

    assert (result.main.created, result.main.updated, result.main.deactivated) == (1, 1, 1)
    assert [c.action for c in result.changes] == ["create", "update", "deactivate"]
    assert fingerprint(engine, db_url) == before


def test_worker_email_column_may_be_left_out(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(
        tmp_path,
        "EH-9,Early Help,Alpha,early_help,open,2025-01-02",
        header="case_reference,service,team,area,status,opened_on",
    )

    assert run(engine, path, now).main.created == 1


def test_status_is_accepted_in_any_case(engine: Engine, tmp_path: Path, now: datetime) -> None:
    run(engine, write(tmp_path, CASES[0].replace("open", "Open")), now)

    assert cases(engine)["EH-001"].status == "open"


def test_a_few_thousand_cases_import_and_reimport_with_progress(
    engine: Engine, db_url: str, tmp_path: Path, now: datetime
) -> None:
    rows = [
        f"R{i:05},Early Help,Alpha,sw@council.gov.uk,early_help,open,2025-01-02"
        for i in range(3000)
    ]
    seen: list[tuple[str, int, int]] = []

    result = run(engine, write(tmp_path, *rows), now, progress=lambda *a: seen.append(a))

    assert result.main.created == 3000 and len(cases(engine)) == 3000
    assert len(case_log(engine)) == 3000
    assert ("writing", 3000, 3000) in seen and ("checking cases.csv", 3000, 3000) in seen
    before = fingerprint(engine, db_url)
    assert not run(engine, write(tmp_path, *rows), now).changed
    assert fingerprint(engine, db_url) == before


# -- every validation rule -----------------------------------------------------------


def test_missing_column_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(tmp_path, header="case_reference,service,team,worker_email,area,status")

    assert problems(engine, path, now) == ["cases.csv header: the column 'opened_on' is missing"]


def test_unknown_column_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(tmp_path, header=HEADER + ",child_name")

    assert problems(engine, path, now)[0].startswith(
        "cases.csv header, child_name: 'child_name' is not a column of this file"
    )


def test_unknown_team_is_a_problem_with_a_suggestion(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, CASES[0].replace("Alpha", "Alpah"), CASES[1].replace("Alpha", "Zed"))

    assert problems(engine, path, now) == [
        "cases.csv row 2, team: 'Alpah' is not a team in the staff list; did you mean 'Alpha'?",
        "cases.csv row 3, team: 'Zed' is not a team in the staff list; if it is new, import "
        "staff first",
    ]


def test_unknown_service_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(tmp_path, CASES[0].replace("Early Help", "Early Hlp"))

    assert problems(engine, path, now) == [
        "cases.csv row 2, service: 'Early Hlp' is not a service in the staff list; did you "
        "mean 'Early Help'?"
    ]


def test_team_of_another_service_is_a_problem(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, CASES[0].replace("Alpha", "Beta"))

    assert problems(engine, path, now) == [
        "cases.csv row 2, team: 'Beta' is not a team of service 'Early Help' (the staff list "
        "has it under 'Children in Need')"
    ]


def test_unknown_area_is_a_problem_with_a_suggestion(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, CASES[0].replace("early_help", "Early Help"))

    assert problems(engine, path, now) == [
        "cases.csv row 2, area: 'Early Help' is not an area of planning in the framework file; "
        "did you mean 'early_help'? (known: early_help, cin_cp)"
    ]


def test_duplicate_case_reference_is_a_problem(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, *CASES, CASES[1])

    assert problems(engine, path, now) == [
        "cases.csv row 5, case_reference: EH-002 is already in row 3; list each case once"
    ]


def test_unknown_worker_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(tmp_path, CASES[0].replace("sw@", "someone@"))

    assert problems(engine, path, now) == [
        "cases.csv row 2, worker_email: someone@council.gov.uk is not in the staff list; import "
        "them first, or leave the cell empty if unallocated"
    ]


def test_malformed_worker_email_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(tmp_path, CASES[0].replace("sw@council.gov.uk", "Sam Worker"))

    assert problems(engine, path, now) == [
        "cases.csv row 2, worker_email: 'Sam Worker' is not an email address "
        "(like name@council.gov.uk)"
    ]


def test_bad_dates_are_problems(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(
        tmp_path,
        CASES[0].replace("2025-01-02", "02/01/2025"),
        CASES[1].replace("2025-02-03", "2025-02-30"),
        CASES[2].replace("2025-03-04", "2027-03-04"),
    )

    assert problems(engine, path, now) == [
        "cases.csv row 2, opened_on: '02/01/2025' is not a date written as YYYY-MM-DD "
        "(did you mean 2025-01-02?)",
        "cases.csv row 3, opened_on: '2025-02-30' is not a real date",
        "cases.csv row 4, opened_on: 2027-03-04 is in the future",
    ]


def test_bad_status_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(tmp_path, CASES[0].replace(",open,", ",pending,"))

    assert problems(engine, path, now) == [
        "cases.csv row 2, status: 'pending' is not a case status; write open or closed"
    ]


def test_empty_required_cell_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(tmp_path, ",Early Help,Alpha,,early_help,,2025-01-02")

    assert problems(engine, path, now) == [
        "cases.csv row 2, case_reference: this cell is empty but is needed",
        "cases.csv row 2, status: this cell is empty but is needed",
    ]


def test_non_utf8_bytes_are_reported_with_their_row_column_and_value(
    engine: Engine, now: datetime
) -> None:
    dashed = CASES[1].replace("EH-002", "EH\u2013002")  # an en dash: 0x96 in Windows-1252
    data = HEADER + "\n" + CASES[0] + "\n" + dashed + "\n"

    assert problems(engine, data.encode("cp1252"), now) == [
        "cases.csv row 3, case_reference: byte 0x96 (character 3) is not UTF-8; save the file "
        "as 'CSV UTF-8'"
    ]


def test_formula_like_case_reference_is_stored_as_text_with_a_warning(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    result = run(engine, write(tmp_path, CASES[0].replace("EH-001", "-EH001")), now)

    assert "-EH001" in cases(engine)
    assert [(w.row, w.column) for w in result.warnings] == [(2, "case_reference")]


def test_a_bad_file_leaves_the_database_byte_identical(
    engine: Engine, db_url: str, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *CASES), now)
    before = fingerprint(engine, db_url)
    bad = [
        CASES[0].replace("open", "closed"),
        "NEW-1,Early Help,Alpha,,early_help,open,2025-01-01",
        CASES[1].replace("early_help", "nowhere"),
    ]

    problems(engine, write(tmp_path, *bad), now, sync=True)

    assert fingerprint(engine, db_url) == before
