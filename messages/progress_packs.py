"""The progress pack's words as data: counts, and each case's recommendations due.

Case references, levels, due dates and status only, plus the action where it holds no
personal details (`safe_text`); never a child's name. At most `SHOWN` items carry a
sign-off button each (a phone screen, and the shortest chat message limit); the rest are counted,
and *Sign off the pack* covers them all.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from messages.tracking import route, safe_text
from storage.models import ProgressPack
from storage.progress_packs import PackRow

SHOWN = 10
SUMMARY_CHARS = 200
DONE = ("done", "completed", "closed", "resolved")


def pack_key(pack_id: int, person_id: int) -> str:
    return f"progress-pack:{pack_id}:{person_id}"


def status_of(row: PackRow, today: date) -> str:
    if row.rec.status in DONE:
        return "done"
    return "overdue" if row.rec.due_on < today else "open"


def pack_context(
    *,
    pack: ProgressPack,
    rows: list[PackRow],
    message_key: str,
    first_name: str | None,
    due_by: date,
    today: date,
) -> dict[str, Any]:
    statuses = [status_of(r, today) for r in rows]
    items = [
        {
            "reference": r.reference,
            "level": r.rec.level,
            "due_on": r.rec.due_on.isoformat(),
            "status": s,
            "summary": safe_text(r.rec.action, SUMMARY_CHARS),
            "signed": r.item.signed_off_at is not None,
            "routing_key": route("packitem", r.item.id or 0, message_key),
        }
        for r, s in zip(rows, statuses, strict=True)
    ]
    return {
        "first_name": first_name,
        "window": pack.window,
        "due_by": due_by.isoformat(),
        "counts": {
            "due": len(rows),
            "done": statuses.count("done"),
            "open": statuses.count("open"),
            "overdue": statuses.count("overdue"),
            "signed": sum(1 for r in rows if r.item.signed_off_at is not None),
            "for_service": sum(1 for r in rows if r.rec.case_id is None),
        },
        "cases": len({r.rec.case_id for r in rows if r.rec.case_id is not None}),
        "items": items[:SHOWN],
        "more": max(len(items) - SHOWN, 0),
        "signed_off": pack.signed_off_at is not None,
        "routing_key": route("pack", pack.id or 0, message_key),
    }
