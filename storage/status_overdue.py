"""The overdue list behind a status: the oldest late items, with references and owners.

Allocations, moderations, actions (recommendations) and escalations past their due
date or deadline, in the same scope rules as `storage.status` (an item belongs to its
case's team, else its owner's). Each kind is one ordered, limited query plus a count,
so a long backlog costs the same as a short one; the four pages are merged by date.
Owners' names are read here because the list is for entitled managers, in private.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, not_
from sqlmodel import Session, col, select

from storage.models import Allocation, Audit, Case, Escalation, Moderation, Person, Recommendation
from storage.status import (
    DONE,
    FINISHED_MODERATION,
    NOT_LIVE,
    case_or_owner_team,
    in_scope,
    open_owned,
    submitted_audit,
)

OverdueKind = Literal["allocation", "moderation", "recommendation", "escalation"]


@dataclass(frozen=True)
class OverdueItem:
    kind: OverdueKind
    reference: str | None
    activity: str  # an allocation's activity, an escalation's kind; else the kind
    owner: str
    due_on: date


def _page(
    session: Session, stmt: Any, team: Any, team_ids: Collection[int] | None, limit: int
) -> tuple[list[Any], int]:
    stmt = in_scope(stmt, team, team_ids)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    return list(session.exec(stmt.limit(limit))), int(total)


def overdue_items(
    *,
    session: Session,
    today: date,
    now: datetime,
    tz: ZoneInfo,
    team_ids: Collection[int] | None = None,
    limit: int = 15,
) -> tuple[list[OverdueItem], int]:
    """The oldest `limit` late items (allocations, moderations, actions, escalations) and
    how many there are in all, with case references and owners' names."""
    items: list[OverdueItem] = []
    total = 0
    team = case_or_owner_team()

    allocations = (
        select(
            col(Allocation.activity), col(Case.reference), col(Person.name), col(Allocation.due_on)
        )
        .select_from(Allocation)
        .outerjoin(Case, col(Case.id) == col(Allocation.case_id))
        .join(Person, col(Person.id) == col(Allocation.person_id))
        .where(col(Allocation.status).not_in(NOT_LIVE + DONE))
        .where(col(Allocation.due_on) < today, not_(submitted_audit()))
        .order_by(col(Allocation.due_on), col(Allocation.id))
    )
    rows, n = _page(session, allocations, team, team_ids, limit)
    items += [OverdueItem("allocation", ref, act, name, due) for act, ref, name, due in rows]
    total += n

    moderations = (
        select(col(Case.reference), col(Person.name), col(Moderation.due_on))
        .select_from(Moderation)
        .join(Audit, col(Audit.id) == col(Moderation.audit_id))
        .join(Case, col(Case.id) == col(Audit.case_id))
        .join(Person, col(Person.id) == col(Moderation.moderator_id))
        .where(col(Moderation.status).not_in(FINISHED_MODERATION))
        .where(col(Moderation.due_on) < today)
        .order_by(col(Moderation.due_on), col(Moderation.id))
    )
    rows, n = _page(session, moderations, col(Case.team_id), team_ids, limit)
    items += [OverdueItem("moderation", ref, "moderation", name, due) for ref, name, due in rows]
    total += n

    actions = (
        open_owned(
            Recommendation, col(Case.reference), col(Person.name), col(Recommendation.due_on)
        )
        .where(col(Recommendation.due_on) < today)
        .order_by(col(Recommendation.due_on), col(Recommendation.id))
    )
    rows, n = _page(session, actions, team, team_ids, limit)
    items += [
        OverdueItem("recommendation", ref, "recommendation", name, due) for ref, name, due in rows
    ]
    total += n

    escalations = (
        open_owned(
            Escalation,
            col(Escalation.kind),
            col(Case.reference),
            col(Person.name),
            col(Escalation.deadline),
        )
        .where(col(Escalation.deadline) < now)
        .order_by(col(Escalation.deadline), col(Escalation.id))
    )
    rows, n = _page(session, escalations, team, team_ids, limit)
    items += [
        OverdueItem("escalation", ref, kind, name, deadline.astimezone(tz).date())
        for kind, ref, name, deadline in rows
    ]
    total += n

    items.sort(key=lambda i: (i.due_on, i.kind, i.reference or ""))
    return items[:limit], total
