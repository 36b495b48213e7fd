"""`import staff`: people, and the teams and services they sit in, from staff.csv.

Email is a person's identity, so a re-import updates the person in place when they
move team, change role or get a new line manager; a team named under a different
service moves with its history intact. Nothing is deleted: `sync` deactivates the
people, teams and services the file no longer names, and lists the open work of each
person it deactivates (storage/imports/staff_leavers.py); after a real sync the
caller's `on_leavers` hook hands that work on in the same transaction. The whole
file is checked before the one transaction that writes it, so a bad file changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from qa.framework import Framework
from storage.chat_accounts import account_fields
from storage.db import with_retries
from storage.imports.bulk import AUDIT_LOG, PEOPLE, SERVICES, TEAMS, Progress, Writer
from storage.imports.csvfile import read_table
from storage.imports.findings import Findings, ImportRejected
from storage.imports.org import Org, load_org
from storage.imports.plan import Diff, ImportResult, State, audit_entries, diff, result
from storage.imports.staff_leavers import LeaverHook, LeaverWork, open_work
from storage.imports.staff_rows import STAFF_COLUMNS, STAFF_REQUIRED, CheckedStaff, check_staff

ACTOR = "cli:import"


@dataclass(frozen=True)
class StaffImportResult(ImportResult):
    """An `ImportResult` that also lists the open work of each person deactivated."""

    leavers: list[LeaverWork] = field(default_factory=list)
    told: int = 0  # messages queued by the `on_leavers` hook (0 on a dry run)

    def as_dict(self) -> dict[str, Any]:
        return {
            **super().as_dict(),
            "leavers": [w.as_dict() for w in self.leavers],
            "leavers_told": self.told,
        }


def _check_managers(checked: CheckedStaff, org: Org, *, sync: bool, found: Findings) -> None:
    """A line manager must be in the file, or (without --sync) already a current person."""
    for row, email in checked.managers:
        if email in checked.emails:
            continue
        known = org.people.get(email)
        if known is None:
            why = "is not in this file and not already known"
        elif sync:
            why = "is not in this file, so --sync would deactivate them"
        elif not known["active"]:
            why = "has been deactivated (they are no longer in the staff list)"
        else:
            continue
        found.problem(row, "line_manager_email", f"{email} {why}; add them to the file")


def _plan(checked: CheckedStaff, org: Org, *, sync: bool) -> tuple[Diff, Diff, Diff]:
    services = {s: {"name": s, "active": True} for s in checked.team_services.values()}
    teams = {t: {"name": t, "service": s, "active": True} for t, s in checked.team_services.items()}
    people: dict[str, State] = {}
    for r in checked.rows:
        have = org.people.get(r.email)
        people[r.email] = {
            "email": r.email,
            "name": r.name,
            "roles": r.roles,
            "team": r.team,
            "line_manager": r.line_manager,
            "capacity": r.capacity,
            # An empty id cell keeps the id the bot looked up by email.
            **{
                field: value or (have[field] if have else None)
                for field, value in r.accounts.items()
            },
            "active": True,
        }
    return (
        diff(
            "person",
            people,
            {e: (p["id"], org.person_state(p)) for e, p in org.people.items()},
            sync=sync,
        ),
        diff(
            "team",
            teams,
            {n: (t["id"], org.team_state(t)) for n, t in org.teams.items()},
            sync=sync,
        ),
        diff(
            "service",
            services,
            {n: (s["id"], org.service_state(s)) for n, s in org.services.items()},
            sync=sync,
        ),
    )


def _apply(
    session: Session,
    org: Org,
    people: Diff,
    teams: Diff,
    services: Diff,
    *,
    now: datetime,
    progress: Progress | None,
) -> None:
    w = Writer(session.connection(), people.writes + teams.writes + services.writes, progress)
    new_services = w.insert(
        SERVICES, [{"name": k, "active": True} for k, _ in services.creates], key="name"
    )
    w.update(SERVICES, [{"id": i, "active": s["active"]} for i, _k, _b, s in services.updates])
    w.update(SERVICES, [{"id": i, "active": False} for i, _k, _s in services.deactivates])
    service_ids = {**{n: s["id"] for n, s in org.services.items()}, **new_services}

    new_teams = w.insert(
        TEAMS,
        [
            {"name": k, "service_id": service_ids[t["service"]], "active": True}
            for k, t in teams.creates
        ],
        key="name",
    )
    w.update(
        TEAMS,
        [
            {"id": i, "service_id": service_ids[t["service"]], "active": t["active"]}
            for i, _k, _b, t in teams.updates
        ],
    )
    w.update(TEAMS, [{"id": i, "active": False} for i, _k, _s in teams.deactivates])
    team_ids = {**{n: t["id"] for n, t in org.teams.items()}, **new_teams}

    def columns(p: State) -> dict[str, Any]:
        return {
            "name": p["name"],
            "roles": p["roles"],
            "team_id": team_ids[p["team"]],
            "capacity": p["capacity"],
            **{field: p[field] for field in account_fields()},
            "active": True,
            "updated_at": now,
        }

    # New people first without line managers: a manager may be new in the same file.
    new_people = w.insert(
        PEOPLE,
        [
            {**columns(p), "email": k, "line_manager_id": None, "created_at": now}
            for k, p in people.creates
        ],
        key="email",
    )
    person_ids = {**{e: p["id"] for e, p in org.people.items()}, **new_people}

    def manager_id(p: State) -> int | None:
        return person_ids[p["line_manager"]] if p["line_manager"] else None

    w.update(
        PEOPLE,
        [
            {"id": new_people[k], "line_manager_id": manager_id(p)}
            for k, p in people.creates
            if p["line_manager"]
        ],
        count=False,
    )
    w.update(
        PEOPLE,
        [
            {**columns(p), "id": i, "line_manager_id": manager_id(p)}
            for i, _k, _b, p in people.updates
        ],
    )
    w.update(
        PEOPLE, [{"id": i, "active": False, "updated_at": now} for i, _k, _s in people.deactivates]
    )
    created = {"person": new_people, "team": new_teams, "service": new_services}
    for d in (services, teams, people):
        w.append(
            AUDIT_LOG, audit_entries(d, created_ids=created[d.record_type], now=now, actor=ACTOR)
        )


def import_staff(
    *,
    engine: Engine,
    source: Path | bytes,
    framework: Framework,
    now: datetime,
    sync: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    file: str | None = None,
    on_leavers: LeaverHook | None = None,
) -> StaffImportResult:
    """Check the whole of staff.csv, then write it in one transaction (or, dry, don't).

    Raises `ImportRejected` listing every problem when the file cannot be imported;
    the database is then untouched. `on_leavers` runs after a real write, in its
    transaction, with the open work of the people deactivated (when there is any).
    """
    label = file or (source.name if isinstance(source, Path) else "staff.csv")
    found = Findings(label)
    table = read_table(
        source, file=label, expected=STAFF_COLUMNS, required=STAFF_REQUIRED, found=found
    )
    checked = check_staff(table, framework, found, progress)

    def work(session: Session) -> tuple[list[Diff], list[LeaverWork], int]:
        org = load_org(session.connection())
        cross = Findings(label)  # fresh on each attempt: with_retries may run this twice
        _check_managers(checked, org, sync=sync, found=cross)
        if found.problems or cross.problems:
            raise ImportRejected(found.problems + cross.problems)
        people, teams, services = _plan(checked, org, sync=sync)
        leavers = open_work(session, [i for i, _k, _s in people.deactivates])
        told = 0
        if not dry_run and (people.changed or teams.changed or services.changed):
            _apply(session, org, people, teams, services, now=now, progress=progress)
            if leavers and on_leavers is not None:
                session.expire_all()  # the bulk writes bypassed the session's objects
                told = on_leavers(session, leavers, now)
        return [people, teams, services], leavers, told

    diffs, leavers, told = with_retries(engine, work)
    base = result(
        kind="staff",
        file=label,
        rows=len(table.rows),
        dry_run=dry_run,
        sync=sync,
        diffs=diffs,
        warnings=found.warnings,
    )
    values = {f.name: getattr(base, f.name) for f in fields(base)}
    return StaffImportResult(**values, leavers=leavers, told=told)
