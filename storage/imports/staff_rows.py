"""Checking staff.csv row by row, before the database is consulted.

Roles must be keys of the framework file; a team belongs to the one service its
rows name; each person (by email, whatever its case) appears once. What needs the
database (is the line manager known?) is checked later, in the same run, so that a
single run reports every problem in the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.framework import Framework
from storage.chat_accounts import account_fields, account_format
from storage.imports.bulk import Progress
from storage.imports.cells import checked_rows
from storage.imports.csvfile import CsvTable
from storage.imports.findings import Findings

STAFF_COLUMNS = [
    "email",
    "name",
    "roles",
    "team",
    "service",
    "line_manager_email",
    "capacity",
    *account_fields(),  # one optional column per chat platform, e.g. `<platform>_user_id`
]
STAFF_REQUIRED = {"email", "name", "roles", "team", "service"}
MAX_CAPACITY = 100


@dataclass(frozen=True)
class StaffRow:
    row: int
    email: str  # lower-cased: the person's identity
    name: str
    roles: list[str]
    team: str
    service: str
    line_manager: str | None  # an email, lower-cased
    capacity: int | None  # None: the framework's default for the person's roles
    # Account field -> id; None: keep what the bot found by email.
    accounts: dict[str, str | None]


@dataclass(frozen=True)
class CheckedStaff:
    rows: list[StaffRow]  # the rows that passed every check
    emails: set[str]  # every email in the file, good rows or not
    managers: list[tuple[int, str]]  # (row, line manager email) still to be found
    team_services: dict[str, str]  # team -> its one service


def check_staff(
    table: CsvTable, framework: Framework, found: Findings, progress: Progress | None = None
) -> CheckedStaff:
    labels = {r.label: r.key for r in framework.roles}
    first_row: dict[str, int] = {}
    team_services: dict[str, tuple[str, int]] = {}
    ids_seen: dict[tuple[str, str], int] = {}
    managers: list[tuple[int, str]] = []
    rows: list[StaffRow] = []
    for row, c in checked_rows(table, found, progress):
        email = c.email("email", required=True)
        name = c.text("name", required=True)
        roles = c.key_list(
            "roles", framework.role_keys, what="a role in the framework file", labels=labels
        )
        team = c.text("team", required=True)
        service = c.text("service", required=True)
        manager = c.email("line_manager_email", required=False)
        capacity = c.whole_number(
            "capacity",
            low=0,
            high=MAX_CAPACITY,
            hint="give the audits a month this person can take, or leave it empty for the "
            "framework's default",
        )
        accounts = {
            field: c.matching(field, account_format(field)[0], what=account_format(field)[1])
            for field in account_fields()
        }
        if email is not None:
            if email in first_row:
                c.bad(
                    "email", f"{email} is already in row {first_row[email]}; list each person once"
                )
            else:
                first_row[email] = row.number
            if manager == email:
                c.bad("line_manager_email", "a person cannot be their own line manager")
        if manager is not None and manager != email:
            managers.append((row.number, manager))
        if team is not None and service is not None:
            seen = team_services.setdefault(team, (service, row.number))
            if seen[0] != service:
                c.bad(
                    "service",
                    f"team '{team}' is under service '{seen[0]}' in row {seen[1]}; a team "
                    "belongs to one service (rename one of the teams, or correct the service)",
                )
        for column, value in accounts.items():
            if value is not None:
                other = ids_seen.setdefault((column, value.lower()), row.number)
                if other != row.number:
                    c.bad(column, f"{value} is already given to the person in row {other}")
        if c.ok:
            assert email and name and roles and team and service  # checked above
            rows.append(
                StaffRow(row.number, email, name, roles, team, service, manager, capacity, accounts)
            )
    if progress is not None and table.rows:
        progress(f"checking {table.file}", len(table.rows), len(table.rows))
    return CheckedStaff(
        rows=rows,
        emails=set(first_row),
        managers=managers,
        team_services={t: s for t, (s, _r) in team_services.items()},
    )
