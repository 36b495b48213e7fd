"""Checking cases.csv row by row, and against the teams and people already imported.

A case names its service and team as the staff list does (so staff.csv is imported
first), an area of planning from the framework file, and optionally its allocated
worker by email. Only the case reference is kept about the child: no names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from qa.framework import Framework
from storage.imports.bulk import Progress
from storage.imports.cells import checked_rows, suggestion
from storage.imports.csvfile import CsvTable
from storage.imports.findings import Findings
from storage.imports.org import Org

CASE_COLUMNS = ["case_reference", "service", "team", "worker_email", "area", "status", "opened_on"]
CASE_REQUIRED = {"case_reference", "service", "team", "area", "status", "opened_on"}
STATUSES = ["open", "closed"]


@dataclass(frozen=True)
class CaseRow:
    row: int
    reference: str
    service: str
    team: str
    worker: str | None  # lower-cased email; None: unallocated
    area: str
    status: str
    opened_on: date


@dataclass(frozen=True)
class Reference:
    """What one row points at in the database, checked once the database is read."""

    row: int
    service: str | None
    team: str | None
    worker: str | None


def check_cases(
    table: CsvTable,
    framework: Framework,
    found: Findings,
    *,
    today: date,
    progress: Progress | None = None,
) -> tuple[list[CaseRow], list[Reference]]:
    labels = {a.label: a.key for a in framework.areas}
    first_row: dict[str, int] = {}
    rows: list[CaseRow] = []
    refs: list[Reference] = []
    for row, c in checked_rows(table, found, progress):
        reference = c.text("case_reference", required=True)
        service = c.text("service", required=True)
        team = c.text("team", required=True)
        worker = c.email("worker_email", required=False)
        area = c.choice(
            "area",
            framework.area_keys,
            what="an area of planning in the framework file",
            labels=labels,
        )
        status = c.text("status", required=True, warn_formula=False)
        if status is not None:
            status = status.lower()
            if status not in STATUSES:
                c.bad("status", f"'{status}' is not a case status; write open or closed")
        opened_on = c.iso_date("opened_on", latest=today)
        if reference is not None:
            seen = first_row.setdefault(reference, row.number)
            if seen != row.number:
                c.bad(
                    "case_reference", f"{reference} is already in row {seen}; list each case once"
                )
        refs.append(Reference(row.number, service, team, worker))
        if c.ok:
            assert reference and service and team and area and status and opened_on
            rows.append(
                CaseRow(row.number, reference, service, team, worker, area, status, opened_on)
            )
    if progress is not None and table.rows:
        progress(f"checking {table.file}", len(table.rows), len(table.rows))
    return rows, refs


def check_references(refs: Iterable[Reference], org: Org, found: Findings) -> None:
    """Every service, team and worker a row names must be in the staff list already."""
    hints: dict[tuple[str, str], str] = {}  # a whole bad file must not run difflib per row

    def hint(value: str, kind: str) -> str:
        if (value, kind) not in hints:
            known = org.services if kind == "service" else org.teams
            hints[value, kind] = suggestion(value, known) or "; if it is new, import staff first"
        return hints[value, kind]

    for r in refs:
        service = org.services.get(r.service) if r.service else None
        team = org.teams.get(r.team) if r.team else None
        if r.service and service is None:
            found.problem(
                r.row,
                "service",
                f"'{r.service}' is not a service in the staff list{hint(r.service, 'service')}",
            )
        if r.team and team is None:
            found.problem(
                r.row,
                "team",
                f"'{r.team}' is not a team in the staff list{hint(r.team, 'team')}",
            )
        if service and team and team["service_id"] != service["id"]:
            found.problem(
                r.row,
                "team",
                f"'{r.team}' is not a team of service '{r.service}' (the staff "
                f"list has it under '{org.service_names.get(team['service_id'])}')",
            )
        if team and not team["active"]:
            found.warn(r.row, "team", f"'{r.team}' is no longer in the staff list (deactivated)")
        if r.worker:
            person = org.people.get(r.worker)
            if person is None:
                found.problem(
                    r.row,
                    "worker_email",
                    f"{r.worker} is not in the staff list; "
                    "import them first, or leave the cell empty if unallocated",
                )
            elif not person["active"]:
                found.warn(
                    r.row,
                    "worker_email",
                    f"{r.worker} is no longer in the staff list "
                    "(deactivated); the case is still allocated to them",
                )
