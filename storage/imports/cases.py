"""`import cases`: the cases open to each team, from a case-recording system's export.

The case reference is the identity: a re-import updates a case in place (a new
worker, a closed status, a move of team) and leaves an unchanged case untouched;
`sync` deactivates the cases the export no longer lists, keeping their audits. Built
for large files: one read of each table, set-at-a-time writes, one transaction.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from qa.framework import Framework
from storage.db import with_retries
from storage.imports.bulk import AUDIT_LOG, CASES, Progress, Writer, rows_of
from storage.imports.case_rows import (
    CASE_COLUMNS,
    CASE_REQUIRED,
    CaseRow,
    Reference,
    check_cases,
    check_references,
)
from storage.imports.csvfile import read_table
from storage.imports.findings import Findings, ImportRejected
from storage.imports.org import Org, load_org
from storage.imports.plan import Diff, ImportResult, State, audit_entries, diff, result

ACTOR = "cli:import"


def _state(r: CaseRow) -> State:
    return {
        "reference": r.reference,
        "service": r.service,
        "team": r.team,
        "worker": r.worker,
        "area": r.area,
        "status": r.status,
        "opened_on": r.opened_on.isoformat(),
        "active": True,
    }


def _existing(session: Session, org: Org) -> dict[str, tuple[int, State]]:
    out: dict[str, tuple[int, State]] = {}
    for c in rows_of(session.connection(), CASES):
        out[c["reference"]] = (
            c["id"],
            {
                "reference": c["reference"],
                "service": org.service_names.get(c["service_id"]),
                "team": org.team_names.get(c["team_id"]),
                "worker": org.emails.get(c["worker_id"]) if c["worker_id"] is not None else None,
                "area": c["area"],
                "status": c["status"],
                "opened_on": c["opened_on"].isoformat(),
                "active": c["active"],
            },
        )
    return out


def _apply(
    session: Session, org: Org, cases: Diff, *, now: datetime, progress: Progress | None
) -> None:
    def columns(s: State) -> dict[str, Any]:
        return {
            "service_id": org.services[s["service"]]["id"],
            "team_id": org.teams[s["team"]]["id"],
            "worker_id": org.people[s["worker"]]["id"] if s["worker"] else None,
            "area": s["area"],
            "status": s["status"],
            "opened_on": date.fromisoformat(s["opened_on"]),
            "active": True,
        }

    w = Writer(session.connection(), cases.writes, progress)
    created = w.insert(
        CASES, [{**columns(s), "reference": k} for k, s in cases.creates], key="reference"
    )
    w.update(CASES, [{**columns(s), "id": i} for i, _k, _b, s in cases.updates])
    w.update(CASES, [{"id": i, "active": False} for i, _k, _s in cases.deactivates])
    w.append(AUDIT_LOG, audit_entries(cases, created_ids=created, now=now, actor=ACTOR))


def import_cases(
    *,
    engine: Engine,
    source: Path | bytes,
    framework: Framework,
    now: datetime,
    sync: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    file: str | None = None,
) -> ImportResult:
    """Check the whole of cases.csv, then write it in one transaction (or, dry, don't).

    Raises `ImportRejected` listing every problem when the file cannot be imported;
    the database is then untouched. Import staff.csv first: it defines the teams.
    """
    label = file or (source.name if isinstance(source, Path) else "cases.csv")
    found = Findings(label)
    table = read_table(
        source, file=label, expected=CASE_COLUMNS, required=CASE_REQUIRED, found=found
    )
    # A day's grace: "today" in the authority's zone may be tomorrow in UTC.
    rows, refs = check_cases(
        table, framework, found, today=now.date() + timedelta(days=1), progress=progress
    )

    def work(session: Session) -> tuple[Diff, list[Any]]:
        org = load_org(session.connection())
        cross = Findings(label)  # fresh on each attempt: with_retries may run this twice
        check_references(refs, org, cross)
        if found.problems or cross.problems:
            raise ImportRejected(found.problems + cross.problems)
        cases = diff(
            "case", {r.reference: _state(r) for r in rows}, _existing(session, org), sync=sync
        )
        if not dry_run and cases.changed:
            _apply(session, org, cases, now=now, progress=progress)
        return cases, cross.warnings

    cases, warnings = with_retries(engine, work)
    return result(
        kind="cases",
        file=label,
        rows=len(table.rows),
        dry_run=dry_run,
        sync=sync,
        diffs=[cases],
        warnings=found.warnings + warnings,
    )


__all__ = ["Reference", "import_cases"]
