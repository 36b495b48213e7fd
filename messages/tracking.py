"""The words about tracked items: what each reminder, digest and request shows.

Contexts carry case references, levels, dates and role labels, never a child's name:
recommendation and response text is written by staff and may name a child, so it is
shown only when `qa.privacy.find_sensitive` finds nothing. An action is shown in full
(up to `ACTION_CHARS`, as on the *Done* form): cut at 60 characters ("set measu...")
nobody could tell which action a reminder meant. Each template keeps within its
platform's own limits (the smallest is 3,000 characters a section).
Every item a person can act on carries a routing key naming the record *and* the
message it sits in (`rec:12|overdue-digest:5:2026-12-01`), so an action can edit that
very message in place (`storage.tracking_messages.edit_in_place`, through the outbox's
`update_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from qa.framework import Framework
from qa.privacy import find_sensitive
from storage.models import Escalation, Recommendation
from storage.tracking import INFORMED

ACTION_CHARS = 1000  # an action as written (the Done form shows as much)
NOTE_CHARS = 280
DIGEST_LIMIT = 10
ROUTE_SEPARATOR = "|"


# -- small pieces ------------------------------------------------------------------


def safe_text(text: str | None, limit: int = ACTION_CHARS) -> str:
    """The first `limit` characters of staff-written text; "" when it holds personal details."""
    flat = " ".join((text or "").split())
    if not flat or find_sensitive(flat):
        return ""
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def route(kind: str, record_id: int, message_key: str) -> str:
    """The routing key of a button: which record, and which message to edit."""
    return f"{kind}:{record_id}{ROUTE_SEPARATOR}{message_key}"


def parse_route(key: str | None) -> tuple[str, int, str] | None:
    """(kind, record id, message key) from a verified routing key, else None."""
    if not key or ROUTE_SEPARATOR not in key:
        return None
    head, _, message_key = key.partition(ROUTE_SEPARATOR)
    kind, _, raw_id = head.partition(":")
    return (kind, int(raw_id), message_key) if raw_id.isdigit() else None


def first_name(name: str) -> str:
    return name.split()[0] if name.strip() else ""


def local_date(at: datetime | None, tz: ZoneInfo) -> str | None:
    return at.astimezone(tz).date().isoformat() if at is not None else None


def labels(framework: Framework, roles: Sequence[str]) -> list[str]:
    known = {r.key: r.label for r in framework.roles}
    return [known.get(r, r.replace("_", " ")) for r in dict.fromkeys(roles)]


def _grade_label(framework: Framework, grade: str | None) -> str | None:
    return framework.grade(grade).label if grade in framework.grade_keys else grade


# -- items -------------------------------------------------------------------------


def rec_item(
    rec: Recommendation, *, reference: str | None, message_key: str, today: date
) -> dict[str, Any]:
    return {
        "type": "recommendation",
        "id": rec.id,
        "reference": reference,
        "level": rec.level,
        "due_on": rec.due_on.isoformat(),
        "overdue": rec.due_on < today,
        "summary": safe_text(rec.action),
        "routing_key": route("rec", rec.id or 0, message_key),
        "open": True,
        "state": None,
    }


def escalation_item(
    framework: Framework,
    row: Escalation,
    *,
    reference: str | None,
    message_key: str,
    tz: ZoneInfo,
    now: datetime,
) -> dict[str, Any]:
    flags = {f.key: f.label for f in framework.audit_form.urgent_flags}
    return {
        "type": "escalation",
        "id": row.id,
        "kind": row.kind,
        "reference": reference,
        "grade": _grade_label(framework, row.grade),
        "flag": flags.get(row.flag or "", row.flag),
        "due_on": local_date(row.deadline, tz),
        "due_time": f"{row.deadline.astimezone(tz):%H:%M}",
        "overdue": now > row.deadline,
        # Urgent flags are answered through the audit dialog's `urgent.respond`, which
        # reads the plain `escalation:<id>` key.
        "routing_key": f"escalation:{row.id}"
        if row.kind == "urgent"
        else route("escalation", row.id or 0, message_key),
        "open": row.status not in (INFORMED,),
        "responds": row.status != INFORMED,
        "state": None,
    }
