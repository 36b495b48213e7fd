"""`import staff`: people, teams and services from staff.csv, all or nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, col, select

from qa.framework import load_framework
from storage.imports import ImportRejected, ImportResult, escape_for_export, import_staff
from storage.models import AuditLogEntry, Person, Service, Team

FRAMEWORK = load_framework(str(Path(__file__).parents[1] / "data" / "framework-small.yml"))
HEADER = "email,name,roles,team,service,line_manager_email,capacity,slack_user_id,teams_user_id"
STAFF = [
    "hos@council.gov.uk,Hana Head,head_of_service,Alpha,Early Help,,,,",
    "tm@council.gov.uk,Tom Manager,team_manager;practitioner,Alpha,Early Help,"
    "hos@council.gov.uk,2,U0TM,",
    "sw@council.gov.uk,Sam Worker,practitioner,Beta,Children in Need,tm@council.gov.uk,,,",
]


def write(tmp_path: Path, *lines: str, header: str = HEADER, name: str = "staff.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def run(engine: Engine, path: Path | bytes, now: datetime, **kw: Any) -> ImportResult:
    return import_staff(engine=engine, source=path, framework=FRAMEWORK, now=now, **kw)


def problems(engine: Engine, path: Path | bytes, now: datetime, **kw: Any) -> list[str]:
    with pytest.raises(ImportRejected) as exc:
        run(engine, path, now, **kw)
    return [str(p) for p in exc.value.problems]


def people(engine: Engine) -> dict[str, Person]:
    with Session(engine) as s:
        return {p.email: p for p in s.exec(select(Person)).all()}


def audit_rows(engine: Engine) -> list[AuditLogEntry]:
    with Session(engine) as s:
        return list(s.exec(select(AuditLogEntry).order_by(col(AuditLogEntry.id))).all())


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


def test_new_staff_are_created_with_their_teams_services_and_line_managers(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    result = run(engine, write(tmp_path, *STAFF), now)

    assert (result.main.created, result.main.updated, result.main.deactivated) == (3, 0, 0)
    assert result.counts["team"].created == 2 and result.counts["service"].created == 2
    found = people(engine)
    assert found["tm@council.gov.uk"].roles == ["team_manager", "practitioner"]
    assert found["tm@council.gov.uk"].capacity == 2
    assert found["tm@council.gov.uk"].slack_user_id == "U0TM"
    assert found["sw@council.gov.uk"].line_manager_id == found["tm@council.gov.uk"].id
    assert found["tm@council.gov.uk"].line_manager_id == found["hos@council.gov.uk"].id
    with Session(engine) as s:
        teams = {t.name: t for t in s.exec(select(Team)).all()}
        services = {x.id: x.name for x in s.exec(select(Service)).all()}
    assert services[teams["Beta"].service_id] == "Children in Need"
    assert found["sw@council.gov.uk"].team_id == teams["Beta"].id


def test_every_created_record_gets_an_audit_log_row_from_the_cli_import(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *STAFF), now)

    rows = audit_rows(engine)
    assert {(r.record_type, r.action) for r in rows} == {
        ("person", "create"),
        ("team", "create"),
        ("service", "create"),
    }
    assert len([r for r in rows if r.record_type == "person"]) == 3
    assert all(r.actor == "cli:import" and r.at == now for r in rows)
    sam = next(r for r in rows if r.after and r.after.get("email") == "sw@council.gov.uk")
    assert sam.after is not None and sam.after["line_manager"] == "tm@council.gov.uk"
    assert sam.record_id == str(people(engine)["sw@council.gov.uk"].id)


def test_reimporting_the_same_file_changes_nothing(
    engine: Engine, db_url: str, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, *STAFF)
    run(engine, path, now)
    before = fingerprint(engine, db_url)

    result = run(engine, path, now + timedelta(days=1))

    assert not result.changed
    assert result.main.unchanged == 3 and result.changes == []
    assert fingerprint(engine, db_url) == before


def test_emails_are_matched_whatever_their_case(
    engine: Engine, db_url: str, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *STAFF), now)
    before = fingerprint(engine, db_url)

    result = run(engine, write(tmp_path, *(line.upper()[:2] + line[2:] for line in STAFF)), now)

    assert not result.changed
    assert fingerprint(engine, db_url) == before


def test_a_staff_member_moving_team_is_updated_in_place_and_logged(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *STAFF), now)
    sam_id = people(engine)["sw@council.gov.uk"].id
    moved = [*STAFF[:2], "sw@council.gov.uk,Sam Worker,practitioner,Alpha,Early Help,,,,"]

    result = run(engine, write(tmp_path, *moved), now + timedelta(days=1))

    assert (result.main.created, result.main.updated, result.main.unchanged) == (0, 1, 2)
    sam = people(engine)["sw@council.gov.uk"]
    assert sam.id == sam_id and sam.line_manager_id is None
    assert sam.updated_at == now + timedelta(days=1)
    update = [r for r in audit_rows(engine) if r.action == "update"]
    assert len(update) == 1 and update[0].record_id == str(sam_id)
    assert update[0].before is not None and update[0].after is not None
    assert (update[0].before["team"], update[0].after["team"]) == ("Beta", "Alpha")
    assert [str(c) for c in result.changes] == [
        "update person sw@council.gov.uk: team 'Beta' → 'Alpha', line_manager "
        "'tm@council.gov.uk' → None"
    ]


def test_a_team_moving_service_keeps_its_identity_and_history(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *STAFF), now)
    with Session(engine) as s:
        beta = s.exec(select(Team).where(Team.name == "Beta")).one()
    moved = [*STAFF[:2], STAFF[2].replace("Children in Need", "Early Help")]

    result = run(engine, write(tmp_path, *moved), now)

    assert result.counts["team"].updated == 1 and result.main.updated == 0
    with Session(engine) as s:
        beta_now = s.exec(select(Team).where(Team.name == "Beta")).one()
        early_help = s.exec(select(Service).where(Service.name == "Early Help")).one()
    assert beta_now.id == beta.id and beta_now.service_id == early_help.id
    log = next(r for r in audit_rows(engine) if r.record_type == "team" and r.action == "update")
    assert log.before == {"name": "Beta", "service": "Children in Need", "active": True}


def test_sync_deactivates_people_missing_from_the_file_and_never_deletes(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *STAFF), now)

    result = run(engine, write(tmp_path, *STAFF[:2]), now, sync=True)

    assert result.main.deactivated == 1
    assert result.counts["team"].deactivated == 1  # Beta: nobody left in the file names it
    found = people(engine)
    assert len(found) == 3 and not found["sw@council.gov.uk"].active
    assert found["tm@council.gov.uk"].active
    log = [r for r in audit_rows(engine) if r.action == "deactivate"]
    assert {r.record_type for r in log} == {"person", "team", "service"}
    # Coming back reactivates the same person.
    back = run(engine, write(tmp_path, *STAFF), now)
    assert back.main.updated == 1 and people(engine)["sw@council.gov.uk"].active


def test_without_sync_people_missing_from_the_file_are_left_alone(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *STAFF), now)

    result = run(engine, write(tmp_path, *STAFF[:2]), now)

    assert not result.changed and people(engine)["sw@council.gov.uk"].active


def test_dry_run_reports_the_changes_and_writes_nothing(
    engine: Engine, db_url: str, tmp_path: Path, now: datetime
) -> None:
    before = fingerprint(engine, db_url)

    result = run(engine, write(tmp_path, *STAFF), now, dry_run=True)

    assert result.dry_run and result.main.created == 3
    assert "create person hos@council.gov.uk" in [str(c) for c in result.changes]
    assert fingerprint(engine, db_url) == before
    assert people(engine) == {}
    run(engine, write(tmp_path, *STAFF), now)  # the same file for real: the fingerprint sees it
    assert fingerprint(engine, db_url) != before


def test_an_empty_chat_id_cell_keeps_the_id_already_found_by_email(
    engine: Engine, db_url: str, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *STAFF), now)
    before = fingerprint(engine, db_url)

    result = run(engine, write(tmp_path, *STAFF[:1], STAFF[1].replace("U0TM", ""), STAFF[2]), now)

    assert not result.changed and people(engine)["tm@council.gov.uk"].slack_user_id == "U0TM"
    assert fingerprint(engine, db_url) == before


def test_a_line_manager_already_in_the_database_is_accepted(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *STAFF), now)
    newcomer = "new@council.gov.uk,Nia New,practitioner,Alpha,Early Help,tm@council.gov.uk,,,"

    result = run(engine, write(tmp_path, newcomer), now)

    assert result.main.created == 1
    found = people(engine)
    assert found["new@council.gov.uk"].line_manager_id == found["tm@council.gov.uk"].id


def test_blank_rows_are_skipped_and_row_numbers_match_the_spreadsheet(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, STAFF[0], ",,,,,,,,", "", "bad,X,practitioner,Alpha,Early Help,,,,")

    assert problems(engine, path, now) == [
        "staff.csv row 5, email: 'bad' is not an email address (like name@council.gov.uk)"
    ]


# -- every validation rule -----------------------------------------------------------


def test_missing_column_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(tmp_path, "a@council.gov.uk,A,practitioner,Alpha", header="email,name,roles,team")

    assert problems(engine, path, now) == ["staff.csv header: the column 'service' is missing"]


def test_optional_columns_may_be_left_out_of_the_header(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(
        tmp_path, "a@council.gov.uk,A,practitioner,Alpha,EH", header="email,name,roles,team,service"
    )

    assert run(engine, path, now).main.created == 1


def test_unknown_column_is_a_problem_with_a_suggestion(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, header=HEADER.replace("capacity", "capcity"))

    assert problems(engine, path, now) == [
        "staff.csv header, capcity: 'capcity' is not a column of this file; did you mean "
        "'capacity'? (expected: " + HEADER.replace(",", ", ") + ")"
    ]


def test_unknown_role_is_a_problem_with_a_suggestion(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(
        tmp_path,
        "a@council.gov.uk,A,practitioner;team_manger,Alpha,EH,,,,",
        "b@council.gov.uk,B,Service manager,Alpha,EH,,,,",
    )

    found = problems(engine, path, now)

    assert found[0].startswith(
        "staff.csv row 2, roles: 'team_manger' is not a role in the framework file; "
        "did you mean 'team_manager'?"
    )
    assert "did you mean 'service_manager'?" in found[1]


def test_duplicate_email_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(
        tmp_path, *STAFF, "SW@council.gov.uk,Sam Again,practitioner,Beta,Children in Need,,,,"
    )

    assert problems(engine, path, now) == [
        "staff.csv row 5, email: sw@council.gov.uk is already in row 4; list each person once"
    ]


def test_line_manager_not_in_the_file_nor_the_database_is_a_problem(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, "a@council.gov.uk,A,practitioner,Alpha,EH,ghost@council.gov.uk,,,")

    assert problems(engine, path, now) == [
        "staff.csv row 2, line_manager_email: ghost@council.gov.uk is not in this file and not "
        "already known; add them to the file"
    ]


def test_line_manager_who_sync_would_deactivate_is_a_problem(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *STAFF), now)

    found = problems(engine, write(tmp_path, STAFF[2]), now, sync=True)

    assert found == [
        "staff.csv row 2, line_manager_email: tm@council.gov.uk is not in this file, so --sync "
        "would deactivate them; add them to the file"
    ]


def test_own_line_manager_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(tmp_path, "a@council.gov.uk,A,practitioner,Alpha,EH,A@council.gov.uk,,,")

    assert problems(engine, path, now) == [
        "staff.csv row 2, line_manager_email: a person cannot be their own line manager"
    ]


def test_malformed_email_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(
        tmp_path,
        "jo.council.gov.uk,Jo,practitioner,Alpha,EH,,,,",
        "ok@council.gov.uk,Ok,practitioner,Alpha,EH,boss@,,,",
    )

    assert problems(engine, path, now) == [
        "staff.csv row 2, email: 'jo.council.gov.uk' is not an email address "
        "(like name@council.gov.uk)",
        "staff.csv row 3, line_manager_email: 'boss@' is not an email address "
        "(like name@council.gov.uk)",
    ]


def test_bad_capacity_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(
        tmp_path,
        "a@council.gov.uk,A,practitioner,Alpha,EH,,three,,",
        "b@council.gov.uk,B,practitioner,Alpha,EH,,-1,,",
    )

    found = problems(engine, path, now)

    assert found[0].startswith("staff.csv row 2, capacity: 'three' is not a whole number;")
    assert found[1].startswith("staff.csv row 3, capacity: -1 is not between 0 and 100;")


def test_team_under_two_services_is_a_problem(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, *STAFF, "x@council.gov.uk,X,practitioner,Alpha,Children in Need,,,,")

    assert problems(engine, path, now) == [
        "staff.csv row 5, service: team 'Alpha' is under service 'Early Help' in row 2; a team "
        "belongs to one service (rename one of the teams, or correct the service)"
    ]


def test_empty_required_cell_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(tmp_path, "a@council.gov.uk,,practitioner,,EH,,,,")

    assert problems(engine, path, now) == [
        "staff.csv row 2, name: this cell is empty but is needed",
        "staff.csv row 2, team: this cell is empty but is needed",
    ]


def test_bad_slack_and_teams_ids_are_problems(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, "a@council.gov.uk,A,practitioner,Alpha,EH,,,@jo,not-a-guid")

    found = problems(engine, path, now)

    assert [f.split(":")[0] for f in found] == [
        "staff.csv row 2, slack_user_id",
        "staff.csv row 2, teams_user_id",
    ]


def test_non_utf8_bytes_are_reported_with_their_row_column_and_value(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    data = (HEADER + "\na@council.gov.uk,Ren\xe9e,practitioner,Alpha,EH,,,,\n").encode("latin-1")

    assert problems(engine, data, now) == [
        "staff.csv row 2, name: byte 0xE9 (character 4) is not UTF-8; save the file as 'CSV UTF-8'"
    ]


def test_a_nul_or_other_control_character_is_refused_with_its_row_and_column(
    engine: Engine, now: datetime
) -> None:
    """PostgreSQL refuses NUL: the file is refused first, nothing written (found by fuzzing)."""
    data = (HEADER + "\na@council.gov.uk,Re\x00e,practitioner,Alpha,EH,,,,\n").encode()

    assert problems(engine, data, now) == [
        "staff.csv row 2, name: character 3 is a control character (0x00); "
        "remove it and save the file again"
    ]
    with Session(engine) as session:
        assert session.exec(select(Person)).all() == []


def test_utf16_file_is_a_problem(engine: Engine, now: datetime) -> None:
    data = (HEADER + "\n").encode("utf-16")

    assert problems(engine, data, now) == [
        "staff.csv: the file is saved as UTF-16 ('Unicode Text'); save it as 'CSV UTF-8' instead"
    ]


def test_utf8_byte_order_mark_is_accepted(engine: Engine, tmp_path: Path, now: datetime) -> None:
    data = ("\ufeff" + HEADER + "\n" + "\n".join(STAFF) + "\n").encode("utf-8")

    assert run(engine, data, now).main.created == 3


def test_semicolon_separated_file_is_explained(engine: Engine, now: datetime) -> None:
    data = HEADER.replace(",", ";").encode() + b"\n"

    assert problems(engine, data, now) == [
        "staff.csv header: the columns are separated by semicolons; save the file as CSV (commas)"
    ]


def test_spreadsheet_file_is_refused_with_advice(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = tmp_path / "staff.xlsx"
    path.write_bytes(b"PK\x03\x04")

    assert problems(engine, path, now) == [
        "staff.xlsx: spreadsheets are not read directly; save it as 'CSV UTF-8'"
    ]


def test_row_with_more_cells_than_columns_is_a_problem(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, "a@council.gov.uk,Smith, Jo,practitioner,Alpha,EH,,,,")

    assert problems(engine, path, now)[0].startswith(
        "staff.csv row 2: this row has 10 cells but the header names 9 columns"
    )


def test_formula_like_name_is_stored_as_text_with_a_warning(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(tmp_path, "a@council.gov.uk,-Smith,practitioner,=Alpha,EH,,,,")

    result = run(engine, path, now)

    assert people(engine)["a@council.gov.uk"].name == "-Smith"
    assert [w.column for w in result.warnings] == ["name", "team"]
    assert "stored as text" in str(result.warnings[0])


def test_formula_prefixed_email_is_a_problem(engine: Engine, tmp_path: Path, now: datetime) -> None:
    path = write(tmp_path, '"=HYPERLINK(""http://x"")@x.org",A,practitioner,Alpha,EH,,,,')

    assert problems(engine, path, now)[0].startswith(
        "staff.csv row 2, email: '=HYPERLINK(\"http://x\")@x.org' is not an email address: it "
        "starts with '='"
    )


def test_escape_for_export_makes_formula_cells_inert() -> None:
    assert escape_for_export("=1+1") == "'=1+1"
    assert escape_for_export("-Smith") == "'-Smith"
    assert escape_for_export("@SUM(A1)") == "'@SUM(A1)"
    assert escape_for_export("+44 20") == "'+44 20"
    assert escape_for_export("Smith") == "Smith"
    assert escape_for_export(None) == ""
    assert escape_for_export(-3) == "-3"


def test_every_problem_in_the_file_is_reported_in_one_run(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    path = write(
        tmp_path,
        "a@council.gov.uk,A,wizard,Alpha,EH,,,,",
        "b@council,B,practitioner,Alpha,EH,,x,,",
        "c@council.gov.uk,C,practitioner,Alpha,EH,nobody@council.gov.uk,,,",
    )

    found = problems(engine, path, now)

    assert [f.split(":")[0] for f in found] == [
        "staff.csv row 2, roles",
        "staff.csv row 3, email",
        "staff.csv row 3, capacity",
        "staff.csv row 4, line_manager_email",
    ]


def test_a_bad_file_leaves_the_database_byte_identical(
    engine: Engine, db_url: str, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *STAFF), now)
    before = fingerprint(engine, db_url)
    # Good changes and one bad row: none of it may be written.
    bad = [*STAFF, "new@council.gov.uk,N,practitioner,Gamma,EH,,,,", "x@council.gov.uk,X,,A,B,,,,"]

    problems(engine, write(tmp_path, *bad), now, sync=True)

    assert fingerprint(engine, db_url) == before


# -- leavers: the open work of each person --sync deactivates ------------------------------


def _leaver_world(engine: Engine) -> tuple[Any, Any]:
    from tests.handlers.allocation_world import seed_world
    from tests.handlers.leaver_world import seed_leaver

    with Session(engine) as session:
        world = seed_world(session)
        extra = seed_leaver(session, world)
        session.commit()
    return world, extra


def test_a_sync_dry_run_lists_each_open_item_of_a_leaver_and_writes_nothing(
    engine: Engine, db_url: str, now: datetime
) -> None:
    from tests.handlers.leaver_world import STAFF_WITHOUT_SAM

    world, extra = _leaver_world(engine)
    before = fingerprint(engine, db_url)

    result = run(engine, STAFF_WITHOUT_SAM.encode(), now, sync=True, dry_run=True)

    assert fingerprint(engine, db_url) == before
    (leaver,) = result.leavers
    assert leaver.person_id == world.sam and leaver.email == "sam@testshire.gov.uk"
    listed = {(i.kind, i.id, i.reference) for i in leaver.items}
    assert listed == {
        ("allocation", world.allocation, "CASE-1"),
        ("moderation", extra.moderation, "CASE-2"),
        ("escalation", extra.escalation, "CASE-3"),
        ("action", extra.action, "CASE-4"),
    }
    as_json = result.as_dict()
    assert [i["kind"] for i in as_json["leavers"][0]["open"]] == [
        "allocation",
        "moderation",
        "escalation",
        "action",
    ]
    assert as_json["leavers_told"] == 0


def test_a_real_sync_lists_the_leavers_work_and_runs_the_hook_in_its_transaction(
    engine: Engine, now: datetime
) -> None:
    from tests.handlers.leaver_world import STAFF_WITHOUT_SAM

    world, _ = _leaver_world(engine)
    seen: list[tuple[int, bool]] = []

    def hook(session: Session, leavers: list[Any], at: datetime) -> int:
        sam = session.get(Person, world.sam)
        assert sam is not None
        seen.extend((w.person_id, sam.active) for w in leavers)
        return 7

    result = run(engine, STAFF_WITHOUT_SAM.encode(), now, sync=True, on_leavers=hook)

    assert seen == [(world.sam, False)]  # called once, after Sam was deactivated
    assert result.told == 7 and len(result.leavers[0].items) == 4
    assert not people(engine)["sam@testshire.gov.uk"].active


def test_a_sync_without_leavers_or_without_open_work_lists_nothing(
    engine: Engine, tmp_path: Path, now: datetime
) -> None:
    run(engine, write(tmp_path, *STAFF), now)

    result = run(engine, write(tmp_path, *STAFF[:2]), now, sync=True, dry_run=True)

    assert result.main.deactivated == 1 and result.leavers == []
    assert result.as_dict()["leavers"] == []
