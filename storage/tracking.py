"""What the reminder rules read: tracked items, cases under review, and who holds what.

`qa.tracking` and `qa.grading` are pure; this module turns rows into their inputs.
Recommendations and escalations become `TrackedItem`s; an audit's latest grade
becomes a `CaseUnderReview`; people become role holders, resolved for one case (its
team's team manager, its service's Assistant Director) so that "the team manager" of
a case is not every team manager in the authority.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from qa.framework import Framework
from qa.grading import SERVICE_AD_ROLE, EscalationPlan, escalation_key, is_good_or_better
from qa.tracking_types import CLOSED_STATUSES, CaseUnderReview, TrackedItem
from storage.models import Audit, Case, Escalation, Person, Recommendation, Team
from storage.queries import in_id_order

OPEN = "open"
RESPONDED = "responded"
# Closed because someone else answered the same request (the Director's, when the AD
# recorded the remedial action).
RESOLVED = "resolved"
# Told of an urgent flag, not asked to respond: kept for the record, never chased.
INFORMED = "informed"
MORE_TIME_REQUESTED = "more_time_requested"
DONE = "done"
GRADED = ("submitted", "final")
ESCALATION_KINDS = ("grade", "urgent", "dip_sample")


# -- people ------------------------------------------------------------------------


@dataclass(frozen=True)
class Directory:
    """The active staff and where they sit, read once per job run or request."""

    people: Mapping[int, Person]
    service_of_team: Mapping[int, int]

    def service_of(self, person_id: int) -> int | None:
        p = self.people.get(person_id)
        return self.service_of_team.get(p.team_id) if p and p.team_id is not None else None

    def role_holders(self) -> dict[str, tuple[int, ...]]:
        """Role key -> the active people holding it, across the authority."""
        found: dict[str, list[int]] = defaultdict(list)
        for pid, p in self.people.items():
            for role in p.roles:
                found[role].append(pid)
        return {role: tuple(ids) for role, ids in found.items()}

    def holders_for_case(self, case: Case | None) -> dict[str, tuple[int, ...]]:
        """Role key -> holders nearest the case: in its team, else its service, else anyone.

        So a case's "team manager" is its own team's, and the Director (in no team of the
        case's service) is found across the authority.
        """
        out: dict[str, tuple[int, ...]] = {}
        for role, holders in self.role_holders().items():
            if case is not None:
                team = [p for p in holders if self.people[p].team_id == case.team_id]
                service = [p for p in holders if self.service_of(p) == case.service_id]
                holders = tuple(team or service) or holders
            out[role] = tuple(holders)
        return out

    def service_ads(self, service_id: int | None) -> tuple[int, ...]:
        """The Assistant Director(s) whose team sits in `service_id`."""
        if service_id is None:
            return ()
        return tuple(
            pid
            for pid, p in self.people.items()
            if SERVICE_AD_ROLE in p.roles and self.service_of(pid) == service_id
        )

    def line_managers(self) -> dict[int, int]:
        return {
            pid: p.line_manager_id
            for pid, p in self.people.items()
            if p.line_manager_id is not None
        }

    def name(self, person_id: int | None) -> str:
        p = self.people.get(person_id) if person_id is not None else None
        return p.name if p else ""

    def overdue_escalate_to(
        self, framework: Framework, owners: Iterable[int]
    ) -> dict[int, tuple[int, ...]]:
        """Owner -> who hears weekly of their overdue actions (e.g. their service's AD)."""
        roles = framework.escalation.overdue_actions_roles
        holders = self.role_holders()
        out: dict[int, tuple[int, ...]] = {}
        for owner in set(owners) if roles else ():
            service = self.service_of(owner)
            found: list[int] = []
            for role in roles:
                local = [
                    p for p in holders.get(role, ()) if service and self.service_of(p) == service
                ]
                # The AD is the owner's service's, never every AD in the authority.
                found.extend(local if local or role == SERVICE_AD_ROLE else holders.get(role, ()))
            out[owner] = tuple(dict.fromkeys(found))
        return out


def directory(*, session: Session) -> Directory:
    people = session.exec(select(Person).where(col(Person.active)).order_by(col(Person.id)))
    teams = session.exec(select(Team))
    return Directory(
        people={p.id or 0: p for p in people},
        service_of_team={t.id: t.service_id for t in teams if t.id is not None},
    )


# -- tracked items -----------------------------------------------------------------


def open_recommendations(*, session: Session) -> list[Recommendation]:
    return in_id_order(session, Recommendation, col(Recommendation.status).not_in(CLOSED_STATUSES))


def tracked_recommendation(rec: Recommendation) -> TrackedItem:
    return TrackedItem(
        id=rec.id or 0,
        kind="recommendation",
        owner_id=rec.owner_id,
        status=rec.status,
        due_on=rec.due_on,
        snoozed_until=rec.snoozed_until,
        created_at=rec.created_at,
    )


def open_escalations(
    *, session: Session, kinds: Sequence[str] = ESCALATION_KINDS
) -> list[Escalation]:
    """Escalations someone must still act on (not answered, not for information only)."""
    return list(
        session.exec(
            select(Escalation)
            .where(col(Escalation.kind).in_(kinds))
            .where(col(Escalation.status).not_in([*CLOSED_STATUSES, INFORMED]))
            .order_by(col(Escalation.id))
        )
    )


def tracked_escalation(framework: Framework, row: Escalation) -> TrackedItem:
    rule = next((g for g in framework.escalation.grades if g.grade == row.grade), None)
    return TrackedItem(
        id=row.id or 0,
        kind="urgent" if row.kind == "urgent" else "escalation",
        owner_id=row.owner_id,
        status=row.status,
        deadline=row.deadline,
        created_at=row.created_at,
        remind_before=(rule.remind_days_before,) if rule is not None else None,
    )


def subject_of(row: Escalation) -> str:
    """The subject part of the escalation key: the grade, the flag, or `caseload`."""
    if row.kind == "urgent":
        return row.flag or ""
    return "caseload" if row.kind == "dip_sample" else row.grade or ""


def key_of(row: Escalation) -> str:
    """The request's idempotency key, rebuilt from the row (as `qa.grading` makes it)."""
    return escalation_key(row.kind, row.audit_id, subject_of(row), row.owner_id, row.level)  # type: ignore[arg-type]


def plan_of(row: Escalation) -> EscalationPlan:
    return EscalationPlan(
        owner_id=row.owner_id,
        kind=row.kind,  # type: ignore[arg-type]
        audit_id=row.audit_id,
        deadline=row.deadline,
        roles_reason=(),
        key=key_of(row),
        grade=row.grade,
        flag=row.flag,
        case_id=row.case_id,
        level=row.level,
        responds=row.status != INFORMED,
    )


def siblings(*, session: Session, row: Escalation) -> list[Escalation]:
    """Every request about the same audit and subject (all owners, all levels)."""
    rows = session.exec(
        select(Escalation)
        .where(Escalation.kind == row.kind)
        .where(Escalation.audit_id == row.audit_id)
        .order_by(col(Escalation.id))
    )
    return [r for r in rows if subject_of(r) == subject_of(row)]


# -- cases under weekly review -----------------------------------------------------


def latest_grades(*, session: Session) -> dict[int, tuple[Audit, str]]:
    """Case id -> its latest graded audit and that audit's grade."""
    out: dict[int, tuple[Audit, str]] = {}
    for a in session.exec(
        select(Audit).where(col(Audit.status).in_(GRADED)).order_by(col(Audit.id))
    ):
        grade = a.final_grade or a.overall_grade
        when = a.finalised_at or a.submitted_at
        if grade is None or when is None:
            continue
        held = out.get(a.case_id)
        held_when = (held[0].finalised_at or held[0].submitted_at) if held else None
        if held_when is None or when >= held_when:
            out[a.case_id] = (a, grade)
    return out


def case_reviewer(case: Case, staff: Directory, framework: Framework) -> int | None:
    """Who reviews a case weekly: the worker's line manager, else a team-level manager
    (a role that `sees: team`) nearest the case, else the QA lead."""
    worker = staff.people.get(case.worker_id) if case.worker_id is not None else None
    if worker is not None and worker.line_manager_id in staff.people:
        return worker.line_manager_id
    holders = staff.holders_for_case(case)
    team_roles = [r.key for r in framework.roles if r.sees == "team"]
    for role in [*team_roles, framework.qa_lead_role]:
        if holders.get(role):
            return holders[role][0]
    return None


def cases_under_review(
    *, session: Session, framework: Framework, tz: ZoneInfo
) -> list[CaseUnderReview]:
    """Cases whose latest grade is below good, with who reviews each (weekly PRIMs)."""
    if not framework.escalation.case_review_weekly_until_good:
        return []
    latest = {
        case_id: (audit, grade)
        for case_id, (audit, grade) in latest_grades(session=session).items()
        if grade in framework.grade_keys and not is_good_or_better(framework, grade)
    }
    if not latest:
        return []
    cases = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(latest)))}
    staff = directory(session=session)
    out = []
    for case_id, (audit, grade) in sorted(latest.items()):
        case = cases.get(case_id)
        if case is None or not case.active or case.status != "open":
            continue
        owner = case_reviewer(case, staff, framework)
        when = audit.finalised_at or audit.submitted_at
        if owner is None or when is None:
            continue
        graded_on = when.astimezone(tz).date()
        out.append(
            CaseUnderReview(case_id=case_id, owner_id=owner, grade=grade, graded_on=graded_on)
        )
    return out


def references(*, session: Session, case_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {c for c in case_ids if c is not None}
    if not wanted:
        return {}
    rows = session.exec(select(Case.id, Case.reference).where(col(Case.id).in_(wanted))).all()
    return {int(i): r for i, r in rows if i is not None}
