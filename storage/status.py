"""Status figures counted by the database: what `/qa status` reads.

Every figure is a `GROUP BY` query grouped by team, so a status costs the same few
queries for a month's thousand allocations as for five years' 60,000 audits; Python
only adds a few dozen team rows up into services and the authority.

Where an item belongs: to the team of its case (the practice it looks at), or, when
it has no case (a service-wide action, an overdue-actions escalation), to the team of
the person who owns it. Items with neither land under `None` and count only in the
authority's totals.

Statuses are matched by exclusion ("not finished"), as in `handlers.home`, so a status
a later dialog adds (in progress, more time asked...) still counts as open. The list of
overdue items behind the figures is `storage.status_overdue`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_
from sqlalchemy import case as when
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from qa.tracking_types import CLOSED_STATUSES
from qa.working_days import Month
from storage.models import (
    Allocation,
    Audit,
    Case,
    Escalation,
    Moderation,
    Person,
    Recommendation,
    Service,
    Team,
)

# Allocations that are not (or no longer) anyone's work.
NOT_LIVE = ("released", "proposed", "declined", "cancelled", "swapped", "withdrawn")
DONE = ("completed", "done")
DRAFT_AUDIT = ("draft", "returned")
SUBMITTED_AUDIT = ("submitted", "final")
FINISHED_MODERATION = ("completed", "done", "cancelled", "withdrawn")
CLOSED = tuple(sorted(CLOSED_STATUSES | {"refused"}))

TeamKey = int | None


@dataclass
class Counts:
    """One team's (or, added up, a service's or the authority's) status figures."""

    allocated: int = 0  # this month's live allocations
    done: int = 0
    in_progress: int = 0
    not_started: int = 0
    overdue: int = 0  # this month's, past due and not done
    overdue_earlier: int = 0  # earlier months', past due and still not done
    awaiting_moderation: int = 0  # audits with a moderation not yet completed
    moderation_overdue: int = 0
    escalations_open: int = 0
    escalations_late: int = 0  # past their deadline
    recommendations_open: int = 0
    recommendations_overdue: int = 0
    grades: dict[str, int] = field(default_factory=dict)  # this month's audits, by grade key

    def __add__(self, other: Counts) -> Counts:
        total = Counts(**{name: getattr(self, name) + getattr(other, name) for name in _NUMBERS})
        total.grades = dict(self.grades)
        for grade, n in other.grades.items():
            total.grades[grade] = total.grades.get(grade, 0) + n
        return total

    @property
    def past_due(self) -> int:
        """Everything late: allocations, moderations, escalations and actions."""
        return (
            self.overdue
            + self.overdue_earlier
            + self.moderation_overdue
            + self.escalations_late
            + self.recommendations_overdue
        )


_NUMBERS = tuple(f.name for f in fields(Counts) if f.name != "grades")


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    service_id: int
    active: bool


@dataclass(frozen=True)
class Directory:
    """Services and teams: names to match what someone typed, and the roll-up to services."""

    services: dict[int, tuple[str, bool]]  # id -> (name, active)
    teams: dict[int, TeamInfo]

    def service_name(self, service_id: int) -> str:
        return self.services.get(service_id, ("", False))[0]

    def teams_of(self, service_id: int) -> list[int]:
        return [t.id for t in self.teams.values() if t.service_id == service_id]


def directory(*, session: Session) -> Directory:
    services = {
        int(i): (name, bool(active))
        for i, name, active in session.exec(select(Service.id, Service.name, Service.active))
        if i is not None
    }
    teams = {
        int(i): TeamInfo(int(i), name, service_id, bool(active))
        for i, name, service_id, active in session.exec(
            select(Team.id, Team.name, Team.service_id, Team.active)
        )
        if i is not None
    }
    return Directory(services, teams)


def month_bounds(month: Month, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants the month starts and ends in the authority's zone."""
    start = datetime.combine(month.first, time(0), tzinfo=tz)
    end = datetime.combine(month.shift(1).first, time(0), tzinfo=tz)
    return start, end


def _total(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(when((condition, 1), else_=0)), 0)


def in_scope(stmt: Any, team: Any, team_ids: Collection[int] | None) -> Any:
    return stmt if team_ids is None else stmt.where(team.in_(sorted(team_ids)))


def case_or_owner_team() -> Any:
    return func.coalesce(Case.team_id, Person.team_id)


def open_owned(model: type[Recommendation] | type[Escalation], *columns: Any) -> Any:
    """`columns` of the open rows of `model` (actions or escalations), each joined to its
    case, if it has one, and its owner, so `case_or_owner_team()` can place it."""
    return (
        select(*columns)
        .select_from(model)
        .outerjoin(Case, col(Case.id) == col(model.case_id))
        .join(Person, col(Person.id) == col(model.owner_id))
        .where(col(model.status).not_in(CLOSED))
    )


def submitted_audit() -> Any:
    return exists().where(
        col(Audit.allocation_id) == col(Allocation.id), col(Audit.status).in_(SUBMITTED_AUDIT)
    )


def _allocations(
    session: Session, month: Month, today: date, team_ids: Collection[int] | None
) -> dict[TeamKey, Counts]:
    team = case_or_owner_team()
    draft = exists().where(
        col(Audit.allocation_id) == col(Allocation.id), col(Audit.status).in_(DRAFT_AUDIT)
    )
    this_month = col(Allocation.month) == month.key
    earlier = col(Allocation.month) < month.key
    done = or_(col(Allocation.status).in_(DONE), submitted_audit())
    started = or_(col(Allocation.status) == "in_progress", draft)
    late = col(Allocation.due_on) < today
    stmt = (
        sa_select(  # seven columns: more than sqlmodel's typed `select` takes
            team,
            _total(this_month),
            _total(and_(this_month, done)),
            _total(and_(this_month, not_(done), started)),
            _total(and_(this_month, not_(done), not_(started))),
            _total(and_(this_month, late, not_(done))),
            _total(and_(earlier, late, not_(done))),
        )
        .select_from(Allocation)
        .outerjoin(Case, col(Case.id) == col(Allocation.case_id))
        .join(Person, col(Person.id) == col(Allocation.person_id))
        .where(col(Allocation.status).not_in(NOT_LIVE))
        .where(or_(this_month, and_(earlier, late, col(Allocation.status).not_in(DONE))))
        .group_by(team)
    )
    out: dict[TeamKey, Counts] = {}
    for key, allocated, n_done, progress, fresh, overdue, before in session.exec(
        in_scope(stmt, team, team_ids)
    ):
        out[key] = Counts(
            allocated=allocated,
            done=n_done,
            in_progress=progress,
            not_started=fresh,
            overdue=overdue,
            overdue_earlier=before,
        )
    return out


def _moderations(
    session: Session, today: date, team_ids: Collection[int] | None
) -> dict[TeamKey, Counts]:
    late = when((col(Moderation.due_on) < today, col(Moderation.audit_id)))
    stmt = (
        select(
            col(Case.team_id),
            func.count(func.distinct(col(Moderation.audit_id))),
            func.count(func.distinct(late)),
        )
        .select_from(Moderation)
        .join(Audit, col(Audit.id) == col(Moderation.audit_id))
        .join(Case, col(Case.id) == col(Audit.case_id))
        .where(col(Moderation.status).not_in(FINISHED_MODERATION))
        .group_by(col(Case.team_id))
    )
    return {
        key: Counts(awaiting_moderation=waiting, moderation_overdue=overdue)
        for key, waiting, overdue in session.exec(in_scope(stmt, col(Case.team_id), team_ids))
    }


def _open_and_late(
    session: Session,
    model: type[Recommendation] | type[Escalation],
    late_when: ColumnElement[bool],
    team_ids: Collection[int] | None,
) -> dict[TeamKey, tuple[int, int]]:
    """Per team, how many of `model` are open and how many of those are late (actions
    and escalations are counted alike)."""
    team = case_or_owner_team()
    stmt = open_owned(model, team, func.count(), _total(late_when)).group_by(team)
    return {key: (n, late) for key, n, late in session.exec(in_scope(stmt, team, team_ids))}


def _grades(
    session: Session, month: Month, tz: ZoneInfo, team_ids: Collection[int] | None
) -> dict[TeamKey, Counts]:
    start, end = month_bounds(month, tz)
    grade = func.coalesce(col(Audit.final_grade), col(Audit.overall_grade))
    stmt = (
        select(col(Case.team_id), grade, func.count())
        .select_from(Audit)
        .join(Case, col(Case.id) == col(Audit.case_id))
        .where(col(Audit.status).in_(SUBMITTED_AUDIT))
        .where(col(Audit.submitted_at) >= start, col(Audit.submitted_at) < end)
        .where(grade.is_not(None))
        .group_by(col(Case.team_id), grade)
    )
    out: dict[TeamKey, Counts] = {}
    for key, grade_key, n in session.exec(in_scope(stmt, col(Case.team_id), team_ids)):
        out.setdefault(key, Counts()).grades[str(grade_key)] = int(n)
    return out


def counts_by_team(
    *,
    session: Session,
    month: Month,
    today: date,
    now: datetime,
    tz: ZoneInfo,
    team_ids: Collection[int] | None = None,
) -> dict[TeamKey, Counts]:
    """Each team's figures for `month` (None: items with no team); only `team_ids` if given.

    `today` is the local date (a thing due today is not late); `now` the instant, for
    escalation deadlines; `tz` places the month's boundaries for the grade mix.
    """
    escalations = _open_and_late(session, Escalation, col(Escalation.deadline) < now, team_ids)
    actions = _open_and_late(session, Recommendation, col(Recommendation.due_on) < today, team_ids)
    out: dict[TeamKey, Counts] = {}
    for part in (
        _allocations(session, month, today, team_ids),
        _moderations(session, today, team_ids),
        {
            key: Counts(escalations_open=n, escalations_late=late)
            for key, (n, late) in escalations.items()
        },
        {
            key: Counts(recommendations_open=n, recommendations_overdue=late)
            for key, (n, late) in actions.items()
        },
        _grades(session, month, tz, team_ids),
    ):
        for key, counts in part.items():
            out[key] = out.get(key, Counts()) + counts
    return out
