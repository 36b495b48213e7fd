"""The plain inputs of `qa.moderation`'s selection and assignment, read from the rows.

`qa.moderation` decides which audits are moderated and by whom from ids and grades;
this module says who those ids are: the case's team and team managers, the author's
line manager, each moderator's roles and what is left of their month, and the
moderations already done. Kept apart from `storage.moderations` (which writes the
rows) so that the rules' inputs can be read and tested on their own.

Two histories, for two questions. Selection raises an auditor's sample when
moderators often changed their grades: only *finished, deciding* moderations count
there, dated by the month they finished, so one finishing later this month cannot
change this month's selection (re-running agrees with the first run). Assignment
avoids giving an auditor the same moderator as last month: there any moderation
assigned last month counts, finished or not, dated by the month it was assigned.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from qa.framework import Framework
from qa.moderation import Moderator, PastModeration, SubmittedAudit, monthly_capacity
from qa.working_days import Month
from storage.models import Absence, Audit, Case, Moderation, Person, Team

TEAM_MANAGER_ROLE = "team_manager"
NOT_COUNTED = ("cancelled",)  # a cancelled moderation took none of the moderator's month
FINISHED = "completed"


def local_date(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def latest_submission(audit: Audit) -> datetime | None:
    """When the audit was last submitted anew (first time, or after being returned).

    An edit before moderation is not a new submission: it keeps its round.
    """
    times = [
        datetime.fromisoformat(str(h["at"]))
        for h in audit.history or []
        if isinstance(h, dict) and h.get("event") == "submitted" and h.get("at")
    ]
    return max(times) if times else audit.submitted_at


def moderator_roles(framework: Framework) -> set[str]:
    """Every role that may sit on a moderation: moderators, panel members, the chair."""
    policy = framework.moderation
    roles = set(policy.moderator_roles)
    if policy.panel:
        roles |= set(policy.panel_roles)
        if policy.chair_role:
            roles.add(policy.chair_role)
    return roles


def submitted_audits(
    *, session: Session, audits: Sequence[Audit], tz: ZoneInfo
) -> list[SubmittedAudit]:
    """`audits` as `qa.moderation` sees them: ids, grades and who is too close to judge."""
    if not audits:
        return []
    case_ids = {a.case_id for a in audits}
    cases = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_(case_ids)))}
    people = {p.id: p for p in session.exec(select(Person))}
    managers: dict[int, list[int]] = defaultdict(list)
    for p in people.values():
        if p.active and p.team_id is not None and TEAM_MANAGER_ROLE in (p.roles or []):
            managers[p.team_id].append(p.id or 0)
    out = []
    for audit in audits:
        case = cases.get(audit.case_id)
        if case is None or audit.overall_grade is None:
            continue
        team_managers = set(managers.get(case.team_id, []))
        worker = people.get(case.worker_id) if case.worker_id is not None else None
        if worker is not None and worker.line_manager_id is not None:
            team_managers.add(worker.line_manager_id)  # the worker's own manager, wherever
        auditor = people.get(audit.auditor_id)
        submitted = latest_submission(audit)
        out.append(
            SubmittedAudit(
                id=audit.id or 0,
                case_id=case.id or 0,
                case_team=str(case.team_id),
                case_service=str(case.service_id),
                case_team_manager_ids=tuple(sorted(team_managers)),
                worker_id=case.worker_id,
                auditor_id=audit.auditor_id,
                auditor_line_manager_id=auditor.line_manager_id if auditor else None,
                overall_grade=audit.overall_grade,
                domain_grades=dict(audit.domain_grades or {}),
                submitted_on=local_date(submitted, tz) if submitted else date.min,
            )
        )
    return out


def _absent(session: Session, today: date) -> set[int]:
    rows = session.exec(
        select(Absence.person_id)
        .where(col(Absence.starts_on) <= today)
        .where(col(Absence.ends_on) >= today)
    )
    return set(rows)


def moderators(
    *, session: Session, framework: Framework, month: Month, today: date
) -> list[Moderator]:
    """Everyone active who may moderate, less anyone away today, with `month`'s load."""
    roles = moderator_roles(framework)
    away = _absent(session, today)
    people = [
        p
        for p in session.exec(select(Person).where(col(Person.active)).order_by(col(Person.id)))
        if roles & set(p.roles or []) and p.id not in away
    ]
    load = Counter(
        session.exec(
            select(Moderation.moderator_id)
            .where(Moderation.month == month.key)
            .where(col(Moderation.status).not_in(NOT_COUNTED))
        )
    )
    services = {t.id: str(t.service_id) for t in session.exec(select(Team))}
    out = []
    for p in people:
        pid = p.id or 0
        capacity = monthly_capacity(framework, p.roles or [])
        out.append(
            Moderator(
                id=pid,
                roles=tuple(p.roles or []),
                team=str(p.team_id) if p.team_id is not None else None,
                service=services.get(p.team_id) if p.team_id is not None else None,
                capacity_left=max(0, capacity - load[pid]),
                assigned_this_month=load[pid],
            )
        )
    return out


def _deciding(rows: Iterable[Moderation]) -> list[Moderation]:
    """The rows whose verdict counts: the chair's where an audit has one, else each row."""
    by_audit: dict[int, list[Moderation]] = defaultdict(list)
    for r in rows:
        by_audit[r.audit_id].append(r)
    out = []
    for group in by_audit.values():
        chairs = [r for r in group if r.is_chair]
        out.extend(chairs or group)
    return out


def selection_history(
    *, session: Session, framework: Framework, tz: ZoneInfo
) -> list[PastModeration]:
    """Finished deciding moderations, dated by the month they finished (for drift)."""
    rows = session.exec(
        select(Moderation)
        .where(Moderation.status == FINISHED)
        .where(col(Moderation.outcome).is_not(None))
        .where(col(Moderation.completed_at).is_not(None))
    ).all()
    deciding = _deciding(rows)
    audits = _audits(session, {r.audit_id for r in deciding})
    out = []
    for r in deciding:
        audit = audits.get(r.audit_id)
        if audit is None or audit.overall_grade is None or r.completed_at is None:
            continue
        final = {"confirmed": audit.overall_grade, "regraded": r.moderated_grade}.get(
            r.outcome or ""
        )
        out.append(
            PastModeration(
                audit_id=r.audit_id,
                auditor_id=audit.auditor_id,
                moderator_id=r.moderator_id,
                month=Month.of(local_date(r.completed_at, tz)),
                agreed_overall=r.outcome == "confirmed",
                original_grade=audit.overall_grade,
                final_grade=final,
                domain_agreement=domain_agreement(r, audit),
            )
        )
    return [p for p in out if p.original_grade in framework.grade_keys]


def domain_agreement(moderation: Moderation, audit: Audit) -> dict[str, bool]:
    """Whether the moderator agreed with each domain's grade (issue 15: sampling that
    follows the figures): their blind grade where they gave one, else their answer."""
    answers: dict[str, object] = {}
    for values in (moderation.answers or {}).get("answers", {}).values():
        if isinstance(values, dict):
            answers.update(values)
    out: dict[str, bool] = {}
    for key, given in (audit.domain_grades or {}).items():
        blind, agree = answers.get(f"blind.{key}"), answers.get(f"mod.{key}.agree")
        if isinstance(blind, str):
            out[key] = blind == given
        elif agree in ("yes", "no"):
            out[key] = agree == "yes"
    return out


def assignment_history(*, session: Session, month: Month) -> list[PastModeration]:
    """Who was given whose audits last month, finished or not (to vary the pairings)."""
    last = month.shift(-1)
    rows = session.exec(
        select(Moderation)
        .where(Moderation.month == last.key)
        .where(col(Moderation.status).not_in(NOT_COUNTED))
    ).all()
    audits = _audits(session, {r.audit_id for r in rows})
    return [
        PastModeration(
            audit_id=r.audit_id,
            auditor_id=audits[r.audit_id].auditor_id,
            moderator_id=r.moderator_id,
            month=last,
            agreed_overall=True,
            original_grade=audits[r.audit_id].overall_grade or "",
            final_grade=None,
        )
        for r in rows
        if r.audit_id in audits
    ]


def _audits(session: Session, ids: set[int]) -> dict[int, Audit]:
    if not ids:
        return {}
    return {a.id or 0: a for a in session.exec(select(Audit).where(col(Audit.id).in_(ids)))}
