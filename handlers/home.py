"""What is waiting for this person: the answer to `my`, and the App Home.

Case references and dates only, never free text someone typed (a recommendation's
wording can name a child), so the list is safe on a phone screen in a corridor.

One list, soonest due first across every kind of work, because that is the order in
which it has to be done: a moderation due today comes before a learning conversation
due next week. Each thing is counted once (a draft is the allocation it answers, not a
second item) and carries the button that does it: *Start* or *Continue* an audit,
*Open moderation*, *Record remedial action* on an escalation. A moderation slot with no
audit in it yet has nothing to open, so it is not an item: it is counted apart ("the
audits to moderate are sent to you as they are submitted"). The list is capped so a
long backlog still fits a chat message; the rest is counted.

Statuses are matched by exclusion ("not finished"), so statuses added by later
dialogs (in progress, returned...) still show up as waiting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, TypeVar

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from handlers.help import first_name, help_context
from messages.tracking import route
from qa.framework import Framework
from storage.audits import AUDIT_ACTIVITIES, resumable
from storage.models import Allocation, Audit, Case, Escalation, Moderation, Person, Recommendation
from storage.tracking import OPEN as OPEN_ESCALATION
from storage.tracking import key_of

LIST_LIMIT = 10
BUTTON_LIMIT = 5
FINISHED_ALLOCATION = {"completed", "done", "declined", "cancelled", "swapped", "withdrawn"}
# Not (or not yet) this person's to do: "Can't do this one", and a replacement awaiting the QA lead.
FINISHED_ALLOCATION |= {"released", "proposed"}
DRAFT_AUDIT = {"draft", "returned"}
FINISHED_MODERATION = {"completed", "done", "cancelled", "withdrawn"}
FINISHED_RECOMMENDATION = {"done", "completed", "closed", "cancelled", "refused"}
# Escalations a person answers in chat (the weekly overdue-actions digest is for reading).
ANSWERED_ESCALATION = {"grade", "dip_sample", "urgent"}
KINDS = ("audits", "moderations", "actions", "escalations")  # the counts, in reading order


@dataclass(frozen=True)
class Item:
    """One thing to do: what kind, which case, by when, and the button that does it."""

    kind: str  # audit / moderation / action / escalation
    reference: str | None
    due_on: date | None
    what: str  # audit: the activity, or draft / returned; escalation: its kind
    action: str | None = None  # the button's action id
    label: str | None = None  # the button's label
    routing_key: str | None = None

    def context(self, today: date) -> dict[str, Any]:
        button = (
            {"action": self.action, "label": self.label, "routing_key": self.routing_key}
            if self.action
            else None
        )
        return {
            "kind": self.kind,
            "reference": self.reference,
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "overdue": self.due_on is not None and self.due_on < today,
            "what": self.what,
            "button": button,
        }


@dataclass(frozen=True)
class Work:
    """Everything waiting for one person, soonest due first, and free moderation slots."""

    items: tuple[Item, ...]
    free_slots: int

    def count(self, kind: str) -> int:
        return sum(1 for i in self.items if i.kind == kind)


def _references(session: Session, case_ids: set[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    rows = session.exec(select(Case.id, Case.reference).where(col(Case.id).in_(case_ids))).all()
    return {int(i): ref for i, ref in rows if i is not None}


_Due = TypeVar("_Due", Allocation, Moderation, Recommendation)


def _unfinished(
    session: Session, model: type[_Due], mine: ColumnElement[bool], finished: set[str]
) -> Sequence[_Due]:
    """The rows of `model` that are `mine` and not finished, soonest due first.

    Matched by exclusion so that statuses later dialogs add still count as waiting."""
    return session.exec(
        select(model)
        .where(mine)
        .where(col(model.status).not_in(finished))
        .order_by(col(model.due_on), col(model.id))
    ).all()


def _audit_items(
    session: Session, person_id: int, refs: dict[int, str]
) -> tuple[list[Item], list[Allocation]]:
    """Audits to start or continue (a draft is its allocation, counted once), and the
    open allocations with no case yet (moderation slots)."""
    allocations = _unfinished(
        session, Allocation, col(Allocation.person_id) == person_id, FINISHED_ALLOCATION
    )
    drafts = session.exec(
        select(Audit)
        .where(Audit.auditor_id == person_id)
        .where(col(Audit.status).in_(DRAFT_AUDIT))
        .order_by(col(Audit.updated_at), col(Audit.id))
    ).all()
    refs.update(_references(session, {a.case_id for a in allocations if a.case_id is not None}))
    refs.update(_references(session, {d.case_id for d in drafts}))
    by_id = {a.id: a for a in allocations}
    by_case = {a.case_id: a for a in allocations if a.case_id is not None}
    answered: set[int | None] = set()
    items = []
    for d in drafts:
        own = by_id.get(d.allocation_id) if d.allocation_id else by_case.get(d.case_id)
        if own is not None:
            answered.add(own.id)
        elif d.allocation_id is not None:
            done = session.get(Allocation, d.allocation_id)
            own = done if done is not None and done.person_id == person_id else None
        items.append(
            Item("audit", refs.get(d.case_id), own.due_on if own else None, d.status,
                 "audit.continue", "Continue", f"audit:{d.id}")
        )  # fmt: skip
    slots = []
    for a in allocations:
        if a.id in answered:
            continue
        if a.case_id is None:
            slots.append(a)
            continue
        startable = a.activity in AUDIT_ACTIVITIES
        items.append(
            Item("audit", refs.get(a.case_id), a.due_on, a.activity,
                 "audit.start" if startable else None, "Start" if startable else None,
                 f"allocation:{a.id}" if startable else None)
        )  # fmt: skip
    return items, slots


def open_work(*, session: Session, person_id: int, today: date, tz: tzinfo | None = None) -> Work:
    """Everything not yet finished that belongs to `person_id`, soonest due first.

    `tz` is the authority's zone: an escalation's deadline is an instant, due on its
    local date there."""
    refs: dict[int, str] = {}
    items, slots = _audit_items(session, person_id, refs)
    moderations = _unfinished(
        session, Moderation, col(Moderation.moderator_id) == person_id, FINISHED_MODERATION
    )
    audit_case: dict[int, int] = {}
    if moderations:
        rows = session.exec(
            select(Audit.id, Audit.case_id).where(
                col(Audit.id).in_({m.audit_id for m in moderations})
            )
        ).all()
        audit_case = {int(i): c for i, c in rows if i is not None}
    recommendations = _unfinished(
        session, Recommendation, col(Recommendation.owner_id) == person_id, FINISHED_RECOMMENDATION
    )
    escalations = session.exec(
        select(Escalation)
        .where(Escalation.owner_id == person_id)
        .where(Escalation.status == OPEN_ESCALATION)
        .where(col(Escalation.kind).in_(ANSWERED_ESCALATION))
        .order_by(col(Escalation.deadline), col(Escalation.id))
    ).all()
    case_ids = set(audit_case.values()) | {r.case_id for r in recommendations if r.case_id}
    case_ids |= {e.case_id for e in escalations if e.case_id is not None}
    refs.update(_references(session, case_ids - set(refs)))
    items += [
        Item("moderation", refs.get(audit_case.get(m.audit_id, 0)), m.due_on, "moderation",
             "moderation.open", "Open moderation", f"moderation:{m.id}")
        for m in moderations
    ]  # fmt: skip
    items += [
        Item("action", refs.get(r.case_id) if r.case_id else None, r.due_on, "action")
        for r in recommendations
    ]
    items += [_escalation_item(e, refs, tz) for e in escalations]
    # Slots already filled by a moderation of the same month are not free.
    filled = Counter(m.month for m in moderations)
    taken = Counter(a.month for a in slots)
    free = sum(max(0, n - filled[month]) for month, n in taken.items())
    ordered = sorted(items, key=lambda i: (i.due_on is None, i.due_on or today))
    return Work(tuple(ordered), free)


def _escalation_item(e: Escalation, refs: dict[int, str], tz: tzinfo | None) -> Item:
    due = (e.deadline.astimezone(tz) if tz is not None else e.deadline).date()
    reference = refs.get(e.case_id) if e.case_id is not None else None
    if e.kind == "urgent":  # answered through the audit dialog's own form
        return Item("escalation", reference, due, e.kind, "urgent.respond", "Respond",
                    f"escalation:{e.id}")  # fmt: skip
    label = "Decide" if e.kind == "dip_sample" else "Record remedial action"
    return Item("escalation", reference, due, e.kind, "escalation.record", label,
                route("escalation", e.id or 0, key_of(e)))  # fmt: skip


def _counts(work: Work) -> dict[str, int]:
    return {
        "audits": work.count("audit"),
        "moderations": work.count("moderation"),
        "actions": work.count("action"),
        "escalations": work.count("escalation"),
    }


def my_work_context(*, session: Session, person: Person, now: datetime) -> dict[str, Any]:
    """The `my_work` template's context. `now` is in the authority's zone (its date is today)."""
    today = now.date()
    work = open_work(session=session, person_id=person.id or 0, today=today, tz=now.tzinfo)
    items = [i.context(today) for i in work.items]
    return {
        "name": first_name(person),
        "items": items[:LIST_LIMIT],
        "more": max(0, len(items) - LIST_LIMIT),
        "counts": _counts(work),
        "total": len(items),
        "free_slots": work.free_slots,
        "audit_buttons": resumable(session=session, person_id=person.id or 0, limit=BUTTON_LIMIT),
    }


def home_context(
    *, session: Session, person: Person, framework: Framework, now: datetime
) -> dict[str, Any]:
    """The App Home: the person's options (as in help) and counts of what is waiting."""
    today = now.date()
    work = open_work(session=session, person_id=person.id or 0, today=today, tz=now.tzinfo)
    ready = [i.context(today) for i in work.items if i.action][:BUTTON_LIMIT]
    return {
        **help_context(person=person, framework=framework),
        "buttons": ready,  # the soonest due things one tap away, whatever their kind
        "counts": _counts(work),
        "overdue": sum(1 for i in work.items if i.due_on is not None and i.due_on < today),
        "total": len(work.items),
        "free_slots": work.free_slots,
        "audit_buttons": resumable(session=session, person_id=person.id or 0, limit=BUTTON_LIMIT),
    }
