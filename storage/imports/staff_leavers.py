"""What a person `import staff --sync` deactivates still has open: a leaver's work.

Deactivating someone keeps their history but not their work: an allocation they were
to audit, a moderation they were to do, an escalation they must answer, an action
they own would otherwise wait for nobody. The import lists each of them (dry run or
not, text or `--json`) so whoever runs it sees what is being handed on, and after a
real sync a hook (`handlers.leavers.hand_on`) hands each one on inside the same
transaction. Case references only: never a child's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from qa.tracking_types import CLOSED_STATUSES
from storage.models import Allocation, Audit, Case, Escalation, Moderation, Person, Recommendation

# Allocation rows still to do (`proposed`: offered to them, waiting for a QA lead).
OPEN_ALLOCATIONS = ("allocated", "in_progress", "proposed")
OPEN_MODERATIONS = ("assigned", "in_progress")
# Escalations they must answer: `informed` ones only told them something.
NOT_TO_ANSWER = frozenset({*CLOSED_STATUSES, "informed"})

# After a real sync: (session, leavers, now) -> how many messages were queued.
LeaverHook = Callable[[Session, list["LeaverWork"], datetime], int]


@dataclass(frozen=True)
class OpenItem:
    """One piece of open work: what it is, its record id, and the case it concerns."""

    kind: str  # allocation / moderation / escalation / action
    id: int
    reference: str | None  # the case reference, when there is a case
    what: str  # "audit due 2027-01-25", "grade escalation (Inadequate)", ...

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "reference": self.reference, "what": self.what}

    def __str__(self) -> str:
        case = f" {self.reference}" if self.reference else ""
        return f"{self.kind} {self.id}{case}: {self.what}"


@dataclass(frozen=True)
class LeaverWork:
    """Everything open that belongs to one person being deactivated."""

    person_id: int
    email: str
    items: list[OpenItem] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[OpenItem]:
        return [i for i in self.items if i.kind == kind]

    def as_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "email": self.email,
            "open": [i.as_dict() for i in self.items],
        }


def _references(session: Session, case_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {i for i in case_ids if i is not None}
    if not ids:
        return {}
    rows = session.exec(select(Case.id, Case.reference).where(col(Case.id).in_(ids))).all()
    return {int(i): str(r) for i, r in rows if i is not None}


def open_work(session: Session, person_ids: Iterable[int]) -> list[LeaverWork]:
    """Each of `person_ids` that has open work, with the work, oldest record first."""
    ids = sorted(set(person_ids))
    if not ids:
        return []
    allocations = session.exec(
        select(Allocation)
        .where(col(Allocation.person_id).in_(ids))
        .where(col(Allocation.status).in_(OPEN_ALLOCATIONS))
        .order_by(col(Allocation.id))
    ).all()
    moderations = session.exec(
        select(Moderation, Audit.case_id)
        .join(Audit, col(Audit.id) == col(Moderation.audit_id))
        .where(col(Moderation.moderator_id).in_(ids))
        .where(col(Moderation.status).in_(OPEN_MODERATIONS))
        .order_by(col(Moderation.id))
    ).all()
    escalations = [
        e
        for e in session.exec(
            select(Escalation).where(col(Escalation.owner_id).in_(ids)).order_by(col(Escalation.id))
        ).all()
        if e.status not in NOT_TO_ANSWER
    ]
    actions = [
        r
        for r in session.exec(
            select(Recommendation)
            .where(col(Recommendation.owner_id).in_(ids))
            .order_by(col(Recommendation.id))
        ).all()
        if r.status not in CLOSED_STATUSES
    ]
    refs = _references(
        session,
        [a.case_id for a in allocations]
        + [c for _, c in moderations]
        + [e.case_id for e in escalations]
        + [r.case_id for r in actions],
    )

    def ref(case_id: int | None) -> str | None:
        return refs.get(case_id) if case_id is not None else None

    found: dict[int, list[OpenItem]] = {i: [] for i in ids}
    for a in allocations:
        what = f"{a.activity.replace('_', ' ')} due {a.due_on.isoformat()}"
        if a.status == "proposed":
            what += " (proposed, waiting for a QA lead)"
        found[a.person_id].append(OpenItem("allocation", a.id or 0, ref(a.case_id), what))
    for m, case_id in moderations:
        what = f"moderation due {m.due_on.isoformat()}"
        found[m.moderator_id].append(OpenItem("moderation", m.id or 0, ref(case_id), what))
    for e in escalations:
        detail = e.grade or e.flag or ""
        what = f"{e.kind.replace('_', ' ')} escalation" + (f" ({detail})" if detail else "")
        what += f", deadline {e.deadline.date().isoformat()}"
        found[e.owner_id].append(OpenItem("escalation", e.id or 0, ref(e.case_id), what))
    for r in actions:
        what = f"action due {r.due_on.isoformat()} ({r.status.replace('_', ' ')})"
        found[r.owner_id].append(OpenItem("action", r.id or 0, ref(r.case_id), what))
    emails = dict(
        session.exec(select(Person.id, Person.email).where(col(Person.id).in_(ids))).all()
    )
    return [
        LeaverWork(person_id=pid, email=str(emails.get(pid, "")), items=items)
        for pid, items in found.items()
        if items
    ]
