"""The monthly summary's rows, read from the database in six queries.

`qa.reporting.summary` is pure: it counts plain rows (`qa.report_rows`). This module
builds those rows for a span of months (the month and the year before it, for the
trends), whatever the size of the database: one query each for the audits completed
in the span, the earlier audits of the same cases (to know which are re-audits), their
moderations, the allocations (counted by the database), the recommendations and the
escalations. No row carries a name or a case reference.

How the tables become rows, and why:

- An audit counts in the month it was completed: submitted (or, failing that,
  finalised), as a local date in the authority's zone; drafts and returned audits do
  not count. Its service, team and area are its case's.
- The grade that stands is the moderated one (`Audit.final_grade`, else what the
  deciding moderation decided). The deciding moderation is the chair's on a panel,
  else the latest finished one. "Confirmed" agrees with the auditor; "regraded"
  does not, and the change is up or down the framework's scale; "returned" gives no
  verdict.
- A re-audit is an audit of a case audited before: `reaudit_of_grade` is the grade
  that stood for the case's previous audit, however long ago.
- An allocation counts in its month for its case's service, or, with no case (a
  moderation), for its person's team's service; it carries its activity, so the
  summary counts audits allocated apart from moderation slots.
- Recommendations and escalations carry local dates; cancelled and withdrawn ones do
  not count, nor escalations that only informed someone (nobody was asked to act).

`teams` limits every row to the work of those teams (a manager's weekly figures): an
item belongs to its case's team, or with no case to its owner's (person's) team.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, type_coerce
from sqlalchemy import select as sa_select  # wider rows than sqlmodel's typed `select`
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from qa.framework import Framework
from qa.report_observations import opened_from
from qa.report_rows import (
    AllocationRow,
    AuditRow,
    EscalationRow,
    RecommendationRow,
    ReportRows,
)
from qa.reporting import Lexicon, Summary, summary
from qa.tracking_types import CLOSED_STATUSES
from qa.working_days import Month
from storage.agreement import DECIDING_COLUMNS, agreement_rows, deciding
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
from storage.observations import figures as observation_figures
from storage.status import case_or_owner_team
from storage.types import UTCDateTime

__all__ = ["ReportRows", "load_summary", "report_rows", "summary_span"]

GRADED = ("submitted", "final")
FINISHED_MODERATION = ("completed", "done")
NOT_FINISHED_MODERATION = ("cancelled", "withdrawn")
NOT_COUNTED = ("cancelled", "withdrawn")
NOT_ASKED = ("informed", "cancelled", "withdrawn")
CONFIRMED, REGRADED = "confirmed", "regraded"


@dataclass(frozen=True)
class _Span:
    """What every dated query of `report_rows` is limited by: the instants `start` to
    `end` (local midnights in `tz`, which also turns instants into the rows' dates)
    and, when given, the teams whose work counts."""

    start: datetime
    end: datetime
    tz: ZoneInfo
    teams: Collection[int] | None


def summary_span(month: Month) -> tuple[Month, Month]:
    """The months a summary reads: the same month last year to the month itself."""
    return month.shift(-12), month


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant a local day begins."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def _local(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def _completed_at() -> ColumnElement[datetime]:
    """When an audit was completed: first submitted, else finalised."""
    return type_coerce(
        func.coalesce(col(Audit.submitted_at), col(Audit.finalised_at)), UTCDateTime()
    )


def _change(framework: Framework, before: str | None, after: str | None) -> int:
    """+1 when `after` is better than `before` on the scale (best first), -1 worse."""
    order = framework.grade_keys
    if before not in order or after not in order or before == after:
        return 0
    return 1 if order.index(after) < order.index(before) else -1


def _audits(session: Session, framework: Framework, span: _Span) -> list[AuditRow]:
    done = _completed_at()
    in_span = (
        select(Audit.id)
        .join(Case, col(Case.id) == col(Audit.case_id))
        .where(col(Audit.status).in_(GRADED))
        .where(done >= span.start)
        .where(done < span.end)
    )
    if span.teams is not None:
        in_span = in_span.where(col(Case.team_id).in_(span.teams))
    audits = session.execute(
        sa_select(
            col(Audit.id),
            col(Audit.case_id),
            col(Audit.overall_grade),
            col(Audit.final_grade),
            col(Audit.domain_grades),
            col(Audit.narrative),
            done,
            col(Case.area),
            col(Team.name),
            col(Service.name),
        )
        .join(Case, col(Case.id) == col(Audit.case_id))
        .join(Team, col(Team.id) == col(Case.team_id))
        .join(Service, col(Service.id) == col(Case.service_id))
        .where(col(Audit.id).in_(in_span))
        .order_by(col(Audit.id))
    ).all()
    if not audits:
        return []
    # Every earlier graded audit of the same cases, for "re-audit of".
    history: dict[int, list[tuple[datetime, int, str | None]]] = defaultdict(list)
    earlier = session.execute(
        sa_select(
            col(Audit.case_id),
            done,
            col(Audit.id),
            col(Audit.final_grade),
            col(Audit.overall_grade),
        )
        .where(col(Audit.status).in_(GRADED))
        .where(done < span.end)
        .where(col(Audit.case_id).in_(select(Audit.case_id).where(col(Audit.id).in_(in_span))))
    ).all()
    for case_id, at, audit_id, final, overall in earlier:
        history[case_id].append((at, audit_id, final or overall))
    moderations: dict[int, list[Any]] = defaultdict(list)
    finished = or_(
        col(Moderation.status).in_(FINISHED_MODERATION),
        col(Moderation.completed_at).is_not(None)
        & col(Moderation.status).not_in(NOT_FINISHED_MODERATION),
    )
    for row in session.execute(
        sa_select(*DECIDING_COLUMNS).where(col(Moderation.audit_id).in_(in_span)).where(finished)
    ).all():
        moderations[row[1]].append(row)
    areas = {a.key: a.label for a in framework.areas}
    out = []
    for audit_id, case_id, overall, final, domains, narrative, at, area, team, service in audits:
        previous = [h for h in history[case_id] if (h[0], h[1]) < (at, audit_id)]
        reaudit_of = max(previous)[2] if previous else None
        moderated, agreed, change = False, None, 0
        if moderations[audit_id]:
            moderated = True
            decided = deciding(moderations[audit_id])
            if decided.outcome == CONFIRMED:
                agreed, final = True, final or overall
            elif decided.outcome == REGRADED:
                agreed, final = False, final or decided.moderated_grade
            elif decided.outcome is None and final is not None:
                agreed = final == overall
            if agreed is False:
                change = _change(framework, overall, final)
        out.append(
            AuditRow(
                audit_id=audit_id,
                month=Month.of(_local(at, span.tz)),
                service=service,
                team=team,
                domain_grades=dict(domains or {}),
                overall_grade=overall,
                final_grade=final,
                moderated=moderated,
                moderation_agreed=agreed,
                grade_change=change,
                case_id=case_id,
                reaudit_of_grade=reaudit_of,
                narrative={k: v for k, v in (narrative or {}).items() if isinstance(v, str)},
                area=areas.get(area, area),
            )
        )
    return out


def _owned_in_teams(
    query: Any, model: type[Recommendation] | type[Escalation], teams: Collection[int] | None
) -> Any:
    """`query` of actions or escalations kept to those of `teams`, when given: each
    belongs to its case's team, else (no case) its owner's."""
    if teams is None:
        return query
    return (
        query.outerjoin(Case, col(Case.id) == col(model.case_id))
        .outerjoin(Person, col(Person.id) == col(model.owner_id))
        .where(case_or_owner_team().in_(teams))
    )


def _allocations(
    session: Session, months: list[Month], teams: Collection[int] | None
) -> list[AllocationRow]:
    person_team = aliased(Team)
    service_id = func.coalesce(col(Case.service_id), col(person_team.service_id))
    query = (
        sa_select(
            col(Allocation.month),
            col(Service.name),
            col(Allocation.status),
            col(Allocation.activity),
            func.count(),
        )
        .select_from(Allocation)
        .outerjoin(Case, col(Case.id) == col(Allocation.case_id))
        .outerjoin(Person, col(Person.id) == col(Allocation.person_id))
        .outerjoin(person_team, col(person_team.id) == col(Person.team_id))
        .outerjoin(Service, col(Service.id) == service_id)
        .where(col(Allocation.month).in_([m.key for m in months]))
        .group_by(
            col(Allocation.month),
            col(Service.name),
            col(Allocation.status),
            col(Allocation.activity),
        )
    )
    if teams is not None:
        query = query.where(case_or_owner_team().in_(teams))
    rows = []
    for month, service, status, activity, count in session.execute(query).all():
        row = AllocationRow(Month.parse(month), service or "", status, activity or "audit")
        rows.extend([row] * int(count))
    return rows


def _recommendations(session: Session, span: _Span) -> list[RecommendationRow]:
    query = (
        sa_select(
            col(Recommendation.created_at),
            col(Recommendation.due_on),
            col(Recommendation.completed_at),
            col(Recommendation.status),
        )
        .where(col(Recommendation.status).not_in(NOT_COUNTED))
        .where(col(Recommendation.created_at) < span.end)
        .where(
            or_(
                col(Recommendation.completed_at).is_(None),
                col(Recommendation.completed_at) >= span.start,
            )
        )
    )
    query = _owned_in_teams(query, Recommendation, span.teams)
    rows = []
    for created, due, completed, status in session.execute(query).all():
        opened = _local(created, span.tz)
        if completed is not None:
            done: date | None = _local(completed, span.tz)
        else:  # closed without a time recorded: not open, so never overdue
            done = opened if status in CLOSED_STATUSES else None
        rows.append(RecommendationRow(opened, due, done))
    return rows


def _escalations(session: Session, span: _Span) -> list[EscalationRow]:
    query = (
        sa_select(
            col(Escalation.created_at), col(Escalation.deadline), col(Escalation.responded_at)
        )
        .where(col(Escalation.status).not_in(NOT_ASKED))
        .where(col(Escalation.deadline) >= span.start)
        .where(col(Escalation.deadline) < span.end)
    )
    query = _owned_in_teams(query, Escalation, span.teams)
    return [
        EscalationRow(
            _local(created, span.tz),
            _local(deadline, span.tz),
            _local(responded, span.tz) if responded is not None else None,
        )
        for created, deadline, responded in session.execute(query).all()
    ]


def report_rows(
    *,
    session: Session,
    framework: Framework,
    first: Month,
    last: Month,
    tz: ZoneInfo,
    teams: Collection[int] | None = None,
) -> ReportRows:
    """The rows of the months `first` to `last` (local dates in `tz`), in six queries."""
    if last < first:
        raise ValueError(f"the span ends ({last}) before it begins ({first})")
    months = [first.shift(i) for i in range(last.ordinal - first.ordinal + 1)]
    team_ids = None if teams is None else sorted(set(teams))
    span = _Span(
        start=_midnight(first.first, tz),
        end=_midnight(last.last + timedelta(days=1), tz),
        tz=tz,
        teams=team_ids,
    )
    return ReportRows(
        audits=tuple(_audits(session, framework, span)),
        allocations=tuple(_allocations(session, months, team_ids)),
        recommendations=tuple(_recommendations(session, span)),
        escalations=tuple(_escalations(session, span)),
    )


def load_summary(
    *,
    session: Session,
    framework: Framework,
    month: Month,
    tz: ZoneInfo,
    today: date,
    threshold: int,
    teams: Collection[int] | None = None,
    lexicon: Lexicon | None = None,
) -> Summary:
    """`qa.reporting.summary` for `month` as it stands on `today`, from the database."""
    first, last = summary_span(month)
    rows = report_rows(
        session=session, framework=framework, first=first, last=last, tz=tz, teams=teams
    )
    agreement = agreement_rows(
        session=session,
        framework=framework,
        tz=tz,
        first=month.shift(-11),
        last=month,
        team_ids=None if teams is None else sorted(set(teams)),
    )
    found = summary(
        framework,
        month,
        rows.audits,
        rows.allocations,
        rows.recommendations,
        rows.escalations,
        threshold=threshold,
        today=today,
        lexicon=lexicon,
        teams_only=teams is not None,
        agreement=agreement.rows,
    )
    if not framework.observations.enabled:
        return found
    observed = observation_figures(
        session=session,
        month=month,
        threshold=threshold,
        is_open=opened_from(framework.summary.suppress_from, teams_only=teams is not None),
        team_ids=None if teams is None else sorted(set(teams)),
    )
    return replace(found, observations=observed)
