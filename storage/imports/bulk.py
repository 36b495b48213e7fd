"""Set-at-a-time reads and writes, so a 50,000-row file takes seconds, not minutes.

Everything an import compares against is read up front into dicts (one query per
table) and every write is an `executemany` in batches; there is no query per row.
All of it runs on the caller's connection, inside the caller's one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from storage.models import AuditLogEntry, Case, Person, Service, Team

BATCH = 5000
Progress = Callable[[str, int, int], None]
"""Told (stage, done, total) as work goes on; the CLI draws a progress bar with it."""


def table_of(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


SERVICES, TEAMS, PEOPLE, CASES = (table_of(m) for m in (Service, Team, Person, Case))
AUDIT_LOG = table_of(AuditLogEntry)


def rows_of(conn: Connection, table: Table, *columns: str) -> list[dict[str, Any]]:
    cols = [table.c[name] for name in columns] if columns else [table]
    return [dict(r._mapping) for r in conn.execute(select(*cols))]


class Writer:
    """Batched writes that report progress against the total the plan announced."""

    def __init__(self, conn: Connection, total: int, progress: Progress | None) -> None:
        self.conn = conn
        self.total = total
        self.done = 0
        self.progress = progress

    def _step(self, n: int) -> None:
        self.done += n
        if self.progress is not None:
            self.progress("writing", self.done, self.total)

    def insert(
        self, table: Table, rows: Sequence[dict[str, Any]], *, key: str, count: bool = True
    ) -> dict[str, int]:
        """Insert `rows`; returns the new ids by the natural-key column `key`."""
        ids: dict[str, int] = {}
        stmt = insert(table).returning(table.c.id, table.c[key])
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            for row_id, natural in self.conn.execute(stmt, list(batch)):
                ids[natural] = row_id
            if count:
                self._step(len(batch))
        return ids

    def update(self, table: Table, rows: Sequence[dict[str, Any]], *, count: bool = True) -> None:
        """Update by id; every dict in one call must carry the same keys, `id` among them."""
        if not rows:
            return
        stmt = update(table).where(table.c.id == bindparam("row_id"))
        for start in range(0, len(rows), BATCH):
            batch = [
                {("row_id" if k == "id" else k): v for k, v in r.items()}
                for r in rows[start : start + BATCH]
            ]
            self.conn.execute(stmt, batch)
            if count:
                self._step(len(batch))

    def append(self, table: Table, rows: Iterable[dict[str, Any]]) -> None:
        """Plain inserts that are not counted as progress (the audit log)."""
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                self.conn.execute(insert(table), batch)
                batch = []
        if batch:
            self.conn.execute(insert(table), batch)
