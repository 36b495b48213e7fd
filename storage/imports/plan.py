"""What an import would change, worked out before anything is written.

Each record is compared as a plain "state" dict of natural keys (a team by name, a
line manager by email) rather than database ids, so the same dicts serve three
purposes: deciding what changed (equal dicts: nothing to write, which is what makes
re-importing a file a no-op), describing a dry run, and the audit log's before and
after, where names stay readable long after teams are renamed or ids reused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.imports.findings import Finding

State = dict[str, Any]
SAMPLE_PER_ACTION = 10


@dataclass
class Diff:
    """Creates, updates and deactivations of one kind of record."""

    record_type: str
    creates: list[tuple[str, State]] = field(default_factory=list)
    updates: list[tuple[int, str, State, State]] = field(default_factory=list)
    deactivates: list[tuple[int, str, State]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.creates or self.updates or self.deactivates)

    @property
    def writes(self) -> int:
        return len(self.creates) + len(self.updates) + len(self.deactivates)


def diff(
    record_type: str,
    desired: Mapping[str, State],
    existing: Mapping[str, tuple[int, State]],
    *,
    sync: bool,
) -> Diff:
    """Compare the file's records with the database's, by natural key.

    With `sync`, active records missing from the file are deactivated (never
    deleted: their history and everything that points at them survives).
    """
    out = Diff(record_type)
    for key, want in desired.items():
        have = existing.get(key)
        if have is None:
            out.creates.append((key, want))
        elif have[1] != want:
            out.updates.append((have[0], key, have[1], want))
        else:
            out.unchanged += 1
    if sync:
        for key, (record_id, state) in existing.items():
            if key not in desired and state.get("active", True):
                out.deactivates.append((record_id, key, state))
    return out


def audit_entries(
    d: Diff, *, created_ids: Mapping[str, int], now: datetime, actor: str
) -> list[dict[str, Any]]:
    """Rows for the audit log (the columns `storage.audit_log.record` fills), one per change."""

    def entry(action: str, record_id: int, before: State | None, after: State | None) -> State:
        return {
            "at": now,
            "actor": actor,
            "actor_id": None,
            "action": action,
            "record_type": d.record_type,
            "record_id": str(record_id),
            "before": before,
            "after": after,
        }

    rows = [entry("create", created_ids[key], None, want) for key, want in d.creates]
    rows += [entry("update", rid, have, want) for rid, _key, have, want in d.updates]
    rows += [entry("deactivate", rid, s, {**s, "active": False}) for rid, _k, s in d.deactivates]
    return rows


@dataclass(frozen=True)
class Change:
    """One change, for a person to read in a summary or a dry run."""

    action: str  # create / update / deactivate
    record_type: str
    key: str
    fields: dict[str, tuple[Any, Any]]

    def __str__(self) -> str:
        text = f"{self.action} {self.record_type} {self.key}"
        if self.fields:
            text += ": " + ", ".join(f"{k} {b!r} → {a!r}" for k, (b, a) in self.fields.items())
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "record_type": self.record_type,
            "key": self.key,
            "fields": {k: {"before": b, "after": a} for k, (b, a) in self.fields.items()},
        }


def sample(d: Diff, limit: int = SAMPLE_PER_ACTION) -> list[Change]:
    """Up to `limit` changes of each action, in file order."""
    out = [Change("create", d.record_type, k, {}) for k, _ in d.creates[:limit]]
    for _rid, key, have, want in d.updates[:limit]:
        changed = {f: (have.get(f), want[f]) for f in want if have.get(f) != want[f]}
        out.append(Change("update", d.record_type, key, changed))
    out += [Change("deactivate", d.record_type, k, {}) for _r, k, _s in d.deactivates[:limit]]
    return out


@dataclass(frozen=True)
class Counts:
    created: int
    updated: int
    unchanged: int
    deactivated: int

    @classmethod
    def of(cls, d: Diff) -> Counts:
        return cls(len(d.creates), len(d.updates), d.unchanged, len(d.deactivates))


@dataclass(frozen=True)
class ImportResult:
    """What an import did, or with `dry_run` what it would do."""

    kind: str  # "staff" or "cases"
    file: str
    rows: int
    dry_run: bool
    sync: bool
    counts: dict[str, Counts]  # by record type; the file's main record type first
    changes: list[Change]
    warnings: list[Finding]

    @property
    def main(self) -> Counts:
        return next(iter(self.counts.values()))

    @property
    def changed(self) -> bool:
        return any(c.created or c.updated or c.deactivated for c in self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        main = self.main
        return {
            "ok": True,
            "kind": self.kind,
            "file": self.file,
            "rows": self.rows,
            "dry_run": self.dry_run,
            "sync": self.sync,
            "changed": self.changed,
            "created": main.created,
            "updated": main.updated,
            "unchanged": main.unchanged,
            "deactivated": main.deactivated,
            "by_record_type": {k: vars(v) for k, v in self.counts.items()},
            "changes": [c.as_dict() for c in self.changes],
            "warnings": [w.as_dict() for w in self.warnings],
        }


def result(
    *,
    kind: str,
    file: str,
    rows: int,
    dry_run: bool,
    sync: bool,
    diffs: list[Diff],
    warnings: list[Finding],
) -> ImportResult:
    return ImportResult(
        kind=kind,
        file=file,
        rows=rows,
        dry_run=dry_run,
        sync=sync,
        counts={d.record_type: Counts.of(d) for d in diffs},
        changes=[c for d in diffs for c in sample(d)],
        warnings=sorted(warnings, key=lambda w: w.row or 0),
    )
