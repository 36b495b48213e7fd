"""Fuzzing the CSV importers: a clear rejection or a full import, never anything between.

Files are random bytes, or CSV built from the real columns (sometimes shuffled,
dropped or joined by strangers) with cells that are plausible or hostile: quotes,
commas, line breaks, formula prefixes, any unicode, in UTF-8, UTF-8 with a BOM or
Latin-1. Each file is imported into a database that already holds a staff list.
The only exception allowed is `ImportRejected`, and then no row anywhere changed;
a file that is accepted is imported whole (every row accounted for) and importing
it again changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel

from qa.framework import load_framework
from storage.imports import ImportRejected, ImportResult, import_cases, import_staff

FRAMEWORK = load_framework(str(Path(__file__).parents[1] / "data" / "framework-small.yml"))
STAFF = b"""email,name,roles,team,service,line_manager_email,capacity,slack_user_id,teams_user_id
tm@council.gov.uk,Tom Manager,team_manager,Alpha,Early Help,,,,
sw@council.gov.uk,Sam Worker,practitioner,Alpha,Early Help,tm@council.gov.uk,,,
"""
STAFF_COLUMNS = STAFF.decode().splitlines()[0].split(",")
CASE_COLUMNS = ["case_reference", "service", "team", "worker_email", "area", "status", "opened_on"]

QUICK = settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SLOW = settings(QUICK, max_examples=500, derandomize=False)

HOSTILE = st.sampled_from(
    ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", 'a "quoted" word', "a,b", "line\nbreak",
     "\r", " ", "", "\x00", "é", "👶", "None", "null", "1e9", "-0", "2026-02-30"]
)  # fmt: skip
EMAILS = st.sampled_from(
    ["tm@council.gov.uk", "sw@council.gov.uk", "NEW@Council.gov.uk", "not-an-email", ""]
)
NEW_EMAILS = st.from_regex(r"[a-z]{1,8}@council\.gov\.uk", fullmatch=True)
TEAMS = st.sampled_from([("Alpha", "Early Help"), ("Beta", "Children in Need")])


@st.composite
def staff_row(draw: st.DrawFn) -> dict[str, str]:
    """A row that would import, before any cell is spoiled."""
    team, service = draw(TEAMS)
    return {
        "email": draw(NEW_EMAILS),
        "name": draw(st.sampled_from(["Ann Other", "Bo Ng", "Ciarán Ó Dálaigh"])),
        "roles": draw(st.sampled_from(["practitioner", "team_manager;qa_lead", "Social worker"])),
        "team": team,
        "service": service,
        "line_manager_email": draw(st.sampled_from(["", "tm@council.gov.uk"])),
        "capacity": draw(st.sampled_from(["", "2"])),
        "slack_user_id": "",
        "teams_user_id": "",
    }


@st.composite
def case_row(draw: st.DrawFn) -> dict[str, str]:
    team, service = draw(TEAMS.filter(lambda t: t[0] == "Alpha"))
    return {
        "case_reference": draw(st.from_regex(r"EH-[0-9]{1,4}", fullmatch=True)),
        "service": service,
        "team": team,
        "worker_email": draw(st.sampled_from(["", "sw@council.gov.uk"])),
        "area": draw(st.sampled_from(["early_help", "cin_cp"])),
        "status": draw(st.sampled_from(["open", "Closed"])),
        "opened_on": draw(st.sampled_from(["2025-01-02", "2024-12-31"])),
    }


# A spoiled cell: wrong for its column, or hostile to a spreadsheet or a parser.
SPOILED = st.one_of(
    HOSTILE,
    st.text(max_size=12),
    st.sampled_from(["ceo", "Gamma", "mars", "pending", "02/01/2025", "2099-01-01", "101",
                     "u0123", "guid", "not-an-email", "2025-13-01"]),
)  # fmt: skip


@st.composite
def csv_files(
    draw: st.DrawFn, row: Callable[[], st.SearchStrategy[dict[str, str]]], columns: list[str]
) -> bytes:
    """A CSV file of the importer's columns, mostly plausible, some of it hostile."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    columns = list(columns)
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))
    if draw(st.integers(0, 9)) == 0:
        columns = columns[: draw(st.integers(0, len(columns)))]
    if draw(st.integers(0, 9)) == 0:
        columns.append(draw(st.sampled_from(["notes", "Email", "child_name", ""])))
    rows = draw(st.lists(row(), max_size=6))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(columns)
    for values in rows:
        cells = [values.get(c, "") for c in columns]
        for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
            if cells:
                cells[draw(st.integers(0, len(cells) - 1))] = draw(SPOILED)
        if cells and draw(st.integers(0, 19)) == 0:
            cells = cells[:-1]  # a ragged row
        writer.writerow(cells)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1"]))
    return out.getvalue().encode(encoding, errors="replace")


def snapshot(engine: Engine) -> str:
    """Every row of every table: a rejected import must leave this identical."""
    tables: dict[str, Any] = {}
    with engine.connect() as conn:
        for t in SQLModel.metadata.sorted_tables:
            tables[t.name] = [dict(r._mapping) for r in conn.execute(t.select())]
        conn.rollback()
    return json.dumps(tables, default=str, sort_keys=True)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        t = SQLModel.metadata.tables[table]
        n = int(conn.execute(sa_select(func.count()).select_from(t)).scalar_one())
        conn.rollback()
    return n


Importer = Callable[..., ImportResult]


def _all_or_nothing(
    engine: Engine, now: datetime, importer: Importer, table: str, source: bytes
) -> None:
    before = snapshot(engine)
    rows_before = count(engine, table)
    try:
        result = importer(engine=engine, source=source, framework=FRAMEWORK, now=now)
    except ImportRejected as rejected:
        assert rejected.problems, "a rejection names at least one problem"
        assert all(str(p) for p in rejected.problems)
        assert snapshot(engine) == before
        return
    main = result.main
    assert main.created + main.updated + main.unchanged == result.rows
    assert count(engine, table) == rows_before + main.created
    after = snapshot(engine)
    again = importer(engine=engine, source=source, framework=FRAMEWORK, now=now)
    assert not again.changed and snapshot(engine) == after


@pytest.fixture
def staffed(engine: Engine, now: datetime) -> Engine:
    import_staff(engine=engine, source=STAFF, framework=FRAMEWORK, now=now)
    return engine


@QUICK
@given(source=csv_files(staff_row, STAFF_COLUMNS))
def test_a_staff_file_is_imported_whole_or_rejected_untouched(
    staffed: Engine, now: datetime, source: bytes
) -> None:
    _all_or_nothing(staffed, now, import_staff, "person", source)


@QUICK
@given(source=csv_files(case_row, CASE_COLUMNS))
def test_a_cases_file_is_imported_whole_or_rejected_untouched(
    staffed: Engine, now: datetime, source: bytes
) -> None:
    _all_or_nothing(staffed, now, import_cases, "case", source)


@pytest.mark.slow
@SLOW
@given(source=csv_files(staff_row, STAFF_COLUMNS))
def test_staff_files_fuzzed_at_length(staffed: Engine, now: datetime, source: bytes) -> None:
    _all_or_nothing(staffed, now, import_staff, "person", source)


@pytest.mark.slow
@SLOW
@given(source=csv_files(case_row, CASE_COLUMNS))
def test_cases_files_fuzzed_at_length(staffed: Engine, now: datetime, source: bytes) -> None:
    _all_or_nothing(staffed, now, import_cases, "case", source)


# -- hostile files: control characters, lone surrogates, duplicates, size ------------------

HOSTILE_CELLS = st.one_of(
    st.lists(st.integers(0, 0x1F).map(chr), min_size=1, max_size=4).map("".join),
    st.integers(0xD800, 0xDFFF).map(lambda c: f"a{chr(c)}b"),  # not encodable as UTF-8
    st.sampled_from(["\u2028", "\x7f", "\ufeff", "\u202e", "Jayden\nSmith"]),
    st.sampled_from([5000, 70_000]).map(lambda n: "N" * n),
)


@st.composite
def hostile_files(
    draw: st.DrawFn,
    row: Callable[[], st.SearchStrategy[dict[str, str]]],
    columns: list[str],
    key: str,
) -> bytes:
    """Real columns and rows, with hostile cells, duplicated keys and a row repeated."""
    rows = draw(st.lists(row(), min_size=1, max_size=5))
    if draw(st.booleans()):
        rows.append(dict(rows[0]))  # the same row twice
    if draw(st.booleans()) and len(rows) > 1:
        rows[-1] = {**rows[-1], key: rows[0][key]}  # a different row, the same key
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for values in rows:
        cells = [values.get(c, "") for c in columns]
        for _ in range(draw(st.integers(0, 2))):
            cells[draw(st.integers(0, len(cells) - 1))] = draw(HOSTILE_CELLS)
        writer.writerow(cells)
    # Lone surrogates are written as the bytes a broken exporter would produce.
    return out.getvalue().encode("utf-8", "surrogatepass")


@QUICK
@given(source=hostile_files(staff_row, STAFF_COLUMNS, "email"))
def test_a_hostile_staff_file_is_imported_whole_or_rejected_untouched(
    staffed: Engine, now: datetime, source: bytes
) -> None:
    _all_or_nothing(staffed, now, import_staff, "person", source)


@QUICK
@given(source=hostile_files(case_row, CASE_COLUMNS, "case_reference"))
def test_a_hostile_cases_file_is_imported_whole_or_rejected_untouched(
    staffed: Engine, now: datetime, source: bytes
) -> None:
    _all_or_nothing(staffed, now, import_cases, "case", source)
