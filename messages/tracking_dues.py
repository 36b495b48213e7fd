"""From a `Due` (what `qa.tracking` says should be sent) to the outbox `Message`.

The Due's key is the message's idempotency key, unchanged: the rules in `qa.tracking`
define them. Each job reads its rows once (`Snapshot`) and turns every Due into one
message with the template that fits: a reminder, a digest, a weekly escalation, a
chaser or a case review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from messages.escalations import request_message
from messages.tracking import DIGEST_LIMIT, escalation_item, first_name, rec_item
from qa.framework import Framework
from qa.tracking import Due, TrackedItem
from storage.models import Escalation, Recommendation
from storage.outbox import Message
from storage.tracking import (
    Directory,
    directory,
    open_escalations,
    open_recommendations,
    references,
    tracked_escalation,
    tracked_recommendation,
)

_DAYS = re.compile(r":(\d+)wd$")


@dataclass(frozen=True)
class Snapshot:
    """The open recommendations and escalations, the staff, and case references."""

    recs: dict[int, Recommendation]
    escalations: dict[int, Escalation]
    staff: Directory
    refs: dict[int, str]

    def items(self, framework: Framework) -> list[TrackedItem]:
        return [tracked_recommendation(r) for r in self.recs.values()] + [
            tracked_escalation(framework, e) for e in self.escalations.values()
        ]


def snapshot(session: Session) -> Snapshot:
    recs = {r.id or 0: r for r in open_recommendations(session=session)}
    escalations = {e.id or 0: e for e in open_escalations(session=session)}
    cases = [r.case_id for r in recs.values()] + [e.case_id for e in escalations.values()]
    return Snapshot(
        recs=recs,
        escalations=escalations,
        staff=directory(session=session),
        refs=references(session=session, case_ids=cases),
    )


def _view(
    snap: Snapshot, framework: Framework, item: TrackedItem, key: str, tz: ZoneInfo, now: datetime
) -> dict[str, Any] | None:
    today = now.astimezone(tz).date()
    if item.kind == "recommendation":
        rec = snap.recs.get(item.id)
        if rec is None:
            return None
        ref = snap.refs.get(rec.case_id) if rec.case_id is not None else None
        return rec_item(rec, reference=ref, message_key=key, today=today)
    row = snap.escalations.get(item.id)
    if row is None:
        return None
    ref = snap.refs.get(row.case_id) if row.case_id is not None else None
    return escalation_item(framework, row, reference=ref, message_key=key, tz=tz, now=now)


def _digest(
    snap: Snapshot, framework: Framework, due: Due, tz: ZoneInfo, now: datetime, *, owners: bool
) -> dict[str, Any]:
    views = []
    for item in due.items:
        view = _view(snap, framework, item, due.key, tz, now)
        if view is not None:
            if owners:
                view["owner"] = snap.staff.name(item.owner_id)
            views.append(view)
    return {
        "first_name": first_name(snap.staff.name(due.person_id)),
        "items": views[:DIGEST_LIMIT],
        "more": max(0, len(views) - DIGEST_LIMIT),
        "total": len(views),
    }


def message_for(
    session: Session,
    framework: Framework,
    snap: Snapshot,
    due: Due,
    *,
    tz: ZoneInfo,
    now: datetime,
    grade: str | None = None,
) -> Message | None:
    """The message a Due asks for; None when its record has gone meanwhile.

    `grade`: the grade label a case review is about (case reviews only).
    """
    person = due.person_id
    name = first_name(snap.staff.name(person))
    if due.kind == "overdue_digest":
        context = _digest(snap, framework, due, tz, now, owners=False)
        return Message("rec_digest", due.key, context, person_id=person)
    if due.kind == "overdue_escalation":
        context = _digest(snap, framework, due, tz, now, owners=True)
        return Message("rec_weekly_escalation", due.key, context, person_id=person)
    if due.kind == "case_review":
        refs = references(session=session, case_ids=due.case_ids)
        found = [refs[c] for c in due.case_ids if c in refs]
        if not found:
            return None
        context = {"first_name": name, "reference": found[0], "grade": grade}
        return Message("case_review", due.key, context, person_id=person)
    item = due.items[0] if due.items else None
    if item is None:
        return None
    if item.kind != "recommendation":
        row = snap.escalations.get(item.id)
        if row is None:
            return None
        stage = {"urgent_chase": "chase", "due_today": "due_today"}.get(due.kind, "reminder")
        return request_message(
            session,
            framework,
            row,
            stage=stage,
            message_key=due.key,
            staff=snap.staff,
            tz=tz,
            now=now,
        )
    view = _view(snap, framework, item, due.key, tz, now)
    if view is None:
        return None
    days = _DAYS.search(due.key)
    context = {
        "stage": due.kind,
        "first_name": name,
        "days": int(days.group(1)) if days else 0,
        "item": view,
    }
    return Message("rec_reminder", due.key, context, person_id=person)
