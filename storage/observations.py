"""Observations of practice: recorded, counted by team, and who is told of them.

An observation is stored once, with the team it counts in (the case's team when a case
is named, otherwise the recording manager's). Counts are by the date the observation
took place, so one recorded late still counts in the month it happened.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Hashable
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from qa.report_observations import ObservationFigures, Unit, observation_figures
from qa.working_days import Month
from storage.models import Case, Observation, Person
from storage.status import directory


@dataclass(frozen=True)
class NewObservation:
    """What the form collected, cleaned (the texts already checked for personal details)."""

    observed_role: str
    setting: str
    went_well: str
    could_be_better: str
    feedback_given: bool
    feedback_on: date | None
    observed_on: date
    case_id: int | None


def case_by_reference(*, session: Session, reference: str) -> Case | None:
    """A known, active case by its reference (case-insensitive, spaces ignored)."""
    wanted = reference.strip().upper()
    found = session.exec(select(Case).where(func.upper(Case.reference) == wanted)).first()
    return found if found is not None and found.active else None


def record(
    *, session: Session, recorder: Person, new: NewObservation, now: datetime
) -> Observation:
    team_id = recorder.team_id
    if new.case_id is not None:
        case = session.get(Case, new.case_id)
        team_id = case.team_id if case is not None else team_id
    # The form's fields are the row's own columns, by the same names.
    row = Observation(
        **asdict(new), recorded_by_id=recorder.id or 0, team_id=team_id, recorded_at=now
    )
    session.add(row)
    session.flush()
    return row


def holders(*, session: Session, roles: Collection[str], excluding: int | None) -> list[int]:
    """Active people holding any of `roles` (not `excluding`), by id."""
    wanted = set(roles)
    if not wanted:
        return []
    people = session.exec(
        select(Person).where(col(Person.active).is_(True)).order_by(col(Person.id))
    )
    return [
        p.id
        for p in people
        if p.id is not None and p.id != excluding and wanted.intersection(p.roles or [])
    ]


def counts_by_team(
    *, session: Session, month: Month, team_ids: Collection[int] | None = None
) -> Counter[int | None]:
    """Observations that took place in `month`, by team (None: no team)."""
    stmt = (
        select(Observation.team_id, func.count())
        .where(col(Observation.observed_on) >= month.first)
        .where(col(Observation.observed_on) <= month.last)
        .group_by(col(Observation.team_id))
    )
    if team_ids is not None:
        stmt = stmt.where(col(Observation.team_id).in_(list(team_ids)))
    return Counter({team: int(n) for team, n in session.exec(stmt)})


def figures(
    *,
    session: Session,
    month: Month,
    threshold: int,
    is_open: Callable[[Hashable], bool] | None = None,
    team_ids: Collection[int] | None = None,
) -> ObservationFigures:
    """The month's observations by service and team (`qa.report_observations`).

    `team_ids`: only these teams (and their services) are counted and listed.
    """
    org = directory(session=session)
    wanted = None if team_ids is None else set(team_ids)
    teams = {
        tid: Unit(t.name, t.service_id)
        for tid, t in org.teams.items()
        if (wanted is None and t.active) or (wanted is not None and tid in wanted)
    }
    service_ids = {u.service_id for u in teams.values()}
    services = {
        sid: name
        for sid, (name, active) in org.services.items()
        if (active and wanted is None) or sid in service_ids
    }
    by_team = counts_by_team(session=session, month=month, team_ids=team_ids)
    return observation_figures(by_team, teams, services, threshold=threshold, is_open=is_open)
