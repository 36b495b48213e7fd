"""Making an audit's escalations: the grade's requests, urgent flags, caseload approval.

One function, `escalate_audit`, used by the audit dialog's after-submit hook (at once)
and by the reconciling job (for anything the hook did not do: a crash, a moderation
that regraded the audit). `qa.grading` decides who and by when; this module supplies
the facts of the database (the case's role holders, its service's Assistant Director,
the dip samples found so far) and stores the requests once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from qa.forms import SAME_CONCERNS
from qa.framework import Framework
from qa.grading import (
    SERVICE_AD_ROLE,
    EscalationPlan,
    StaffFacts,
    caseload_approval_requests,
    concerns_found,
    end_of_day,
    escalation_key,
    escalations_for,
    nearest_in_chain,
    unreached_roles,
    urgent_escalations,
    withdrawal_notice,
)
from qa.tracking_types import CLOSED_STATUSES
from storage.allocations import allocate_whole_caseload
from storage.models import Allocation, Audit, Case, Escalation, Person, Service, Team
from storage.outbox import Message, enqueue
from storage.tracking import DONE, GRADED, Directory
from storage.tracking_records import already_escalated, save_plans

log = logging.getLogger(__name__)

DIP_SAMPLE = "dip_sample"
WITHDRAWN = "withdrawn"  # a regrade made the request obsolete (closed, never chased)


def graded_at(audit: Audit) -> datetime | None:
    """When the audit's current grade was given: moderation's, else submission's."""
    if audit.final_grade is not None and audit.finalised_at is not None:
        return audit.finalised_at
    return audit.submitted_at or audit.finalised_at


def activity_of(session: Session, audit: Audit) -> str:
    if audit.allocation_id is None:
        return "audit"
    allocation = session.get(Allocation, audit.allocation_id)
    return allocation.activity if allocation is not None else "audit"


def flag_keys(audit: Audit) -> list[str]:
    """The urgent flags raised on an audit (stored as keys, or as {key: ...} records)."""
    keys = []
    for flag in audit.urgent_flags or []:
        key = flag.get("key") if isinstance(flag, dict) else flag
        if isinstance(key, str) and key:
            keys.append(key)
    return list(dict.fromkeys(keys))


def for_case(
    staff: Directory, case: Case | None
) -> tuple[tuple[int, ...], dict[str, tuple[int, ...]]]:
    """(the case's Assistant Director(s), role -> its holders) for one case's requests.

    Each role's holder is first sought up the case's line-management chain (its
    worker's team manager, ... up to the role); only a role nobody in the chain
    holds falls back to the team, the service, or the authority (`Directory`). The AD
    likewise falls back to one whose team sits in the case's service.
    """
    holders = staff.holders_for_case(case)
    ads = staff.service_ads(case.service_id if case else None)
    if case is None or case.worker_id is None:
        return ads, holders
    managers = staff.line_managers()
    chain = [case.worker_id]
    while (boss := managers.get(chain[-1])) is not None and boss not in chain:
        chain.append(boss)
    # The worker is never asked to act on their own case: their managers only.
    above = [p for p in chain[1:] if p in staff.people]
    near = nearest_in_chain(above, {p: tuple(staff.people[p].roles) for p in above})
    holders.update(near)
    return near.get(SERVICE_AD_ROLE, ads), holders


def escalation_warnings(*, session: Session, framework: Framework) -> list[str]:
    """`unreached_roles` for the active staff: for `import staff` and `framework check`."""
    services = {s.id: s.name for s in session.exec(select(Service).where(col(Service.active)))}
    team_service = {t.id: t.service_id for t in session.exec(select(Team))}
    staff = [
        StaffFacts(
            id=p.id or 0,
            roles=tuple(p.roles or []),
            service=services.get(team_service.get(p.team_id)) if p.team_id else None,
            line_manager_id=p.line_manager_id,
        )
        for p in session.exec(select(Person).where(col(Person.active)))
    ]
    return unreached_roles(framework, staff, sorted(services.values()))


def raise_urgent(
    *,
    session: Session,
    framework: Framework,
    audit: Audit,
    flag: str,
    staff: Directory,
    now: datetime,
) -> list[Escalation]:
    """An urgent flag's requests, at once (no-op when already raised for this audit)."""
    if flag not in {f.key for f in framework.audit_form.urgent_flags}:
        log.warning("audit %s: urgent flag not in the framework; not escalated", audit.id)
        return []
    if already_escalated(session=session, kind="urgent", audit_id=audit.id or 0, subject=flag):
        return []
    ads, holders = for_case(staff, session.get(Case, audit.case_id))
    plans = urgent_escalations(
        framework,
        flag,
        audit_id=audit.id or 0,
        service_ad_ids=ads,
        role_holders=holders,
        now=now,
        case_id=audit.case_id,
    )
    return save_plans(session=session, plans=plans, now=now)


@dataclass(frozen=True)
class _Graded:
    """A graded audit being escalated and what each kind of request reads to plan and
    store its requests (`escalate_audit` asks each kind in turn)."""

    session: Session
    framework: Framework
    audit: Audit
    staff: Directory
    now: datetime
    tz: ZoneInfo

    def people(self, case_id: int) -> tuple[tuple[int, ...], dict[str, tuple[int, ...]]]:
        """The case's Assistant Director(s) and role holders (`for_case`)."""
        return for_case(self.staff, self.session.get(Case, case_id))

    def graded_at(self) -> datetime:
        """When the audit was graded (else now): the requests' deadlines count from it."""
        return graded_at(self.audit) or self.now

    def save(self, plans: Iterable[EscalationPlan]) -> list[Escalation]:
        return save_plans(session=self.session, plans=plans, now=self.now)


def _grade_requests(g: _Graded) -> list[Escalation]:
    audit = g.audit
    grade = audit.final_grade or audit.overall_grade
    if grade is None or grade not in g.framework.grade_keys:
        return []
    if already_escalated(session=g.session, kind="grade", audit_id=audit.id or 0, subject=grade):
        return []
    ads, holders = g.people(audit.case_id)
    plans = escalations_for(
        g.framework,
        grade=grade,
        audit_id=audit.id or 0,
        service_ad_ids=ads,
        role_holders=holders,
        now=g.graded_at(),
        tz=g.tz,
        case_id=audit.case_id,
    )
    return g.save(plans)


def _worker_audits(session: Session, worker_id: int) -> list[Audit]:
    """Graded audits of the worker's cases, in the order they were graded."""
    case_ids = session.exec(select(Case.id).where(Case.worker_id == worker_id)).all()
    audits = session.exec(
        select(Audit).where(col(Audit.case_id).in_(case_ids)).where(col(Audit.status).in_(GRADED))
    ).all()
    dated = [(graded_at(a), a) for a in audits]
    return [a for when, a in sorted((d for d in dated if d[0]), key=lambda d: (d[0], d[1].id))]


def _caseload_due(
    session: Session, framework: Framework, audit: Audit, mode: str
) -> tuple[Audit, str, list[Audit]] | None:
    """`_caseload_trigger` when the framework's `dip_sample.caseload` is `mode` and
    nothing has been done about that trigger yet: approval and allocation both act once."""
    policy = framework.dip_sample
    if policy is None or policy.caseload != mode:
        return None
    found = _caseload_trigger(session, framework, audit)
    if found is None:
        return None
    if already_escalated(
        session=session, kind=DIP_SAMPLE, audit_id=found[0].id or 0, subject="caseload"
    ):
        return None
    return found


def _caseload_trigger(
    session: Session, framework: Framework, audit: Audit
) -> tuple[Audit, str, list[Audit]] | None:
    """(the audit that started the dip sample, the worst concern, the dip samples) when
    `audit`, a dip sample, found the same concerns again; None otherwise."""
    policy = framework.dip_sample
    case = session.get(Case, audit.case_id)
    if policy is None or case is None or case.worker_id is None:
        return None
    if activity_of(session, audit) != DIP_SAMPLE:
        return None
    history = _worker_audits(session, case.worker_id)
    ids = [a.id for a in history]
    if audit.id not in ids:
        return None
    before = history[: ids.index(audit.id) + 1]
    triggers = [
        a
        for a in before
        if activity_of(session, a) != DIP_SAMPLE
        and (a.final_grade or a.overall_grade) in policy.after_grades
    ]
    if not triggers:
        return None
    trigger = triggers[-1]
    dips = [a for a in before[before.index(trigger) + 1 :] if activity_of(session, a) == DIP_SAMPLE]
    grades = [g for a in dips if (g := a.final_grade or a.overall_grade) in framework.grade_keys]
    said = [a for a in (_said_same_concerns(d) for d in dips) if a is not None]
    # The dip-sampler's answer decides where the dialog asked it; a yes is enough.
    found = concerns_found(framework, grades, (True in said) if said else None)
    return None if found is None else (trigger, found, dips)


def _said_same_concerns(audit: Audit) -> bool | None:
    """The dip-sampler's answer to "are the same concerns present?", if they gave one."""
    steps = (audit.answers or {}).get("answers")
    for answers in steps.values() if isinstance(steps, dict) else ():
        value = answers.get(SAME_CONCERNS) if isinstance(answers, dict) else None
        if value in ("yes", "no"):
            return value == "yes"
    return None


def _caseload_requests(g: _Graded) -> list[Escalation]:
    """A dip sample that finds the same concerns asks approval to audit the caseload
    (where the framework's `dip_sample.caseload` is `approval`)."""
    found = _caseload_due(g.session, g.framework, g.audit, "approval")
    if found is None:
        return []
    trigger, worst, _ = found
    ads, holders = g.people(trigger.case_id)
    plans: tuple[EscalationPlan, ...] = caseload_approval_requests(
        g.framework,
        audit_id=trigger.id or 0,
        dip_sample_grades=[worst] if worst else [],
        role_holders=holders,
        service_ad_ids=ads,
        now=g.graded_at(),
        tz=g.tz,
        same_concerns=True,
    )
    return g.save(replace(p, case_id=trigger.case_id) for p in plans)


def allocate_caseload(
    *, session: Session, framework: Framework, audit: Audit, now: datetime, tz: ZoneInfo
) -> list[Allocation]:
    """Wandsworth QAF 33: the same concerns found again, the worker's caseload is audited.

    Where `dip_sample.caseload` is `allocate`, every open case of the worker not
    already allocated this month goes at once to the dip-sampler (the author of
    `audit`), due `allocation.due_working_days` working days from today: nobody is
    asked to approve it, and there is no "Not now". Once per trigger: a closed record
    (kind `dip_sample`, subject `caseload`) marks it done, for the hook and the job.
    """
    found = _caseload_due(session, framework, audit, "allocate")
    policy = framework.dip_sample
    if found is None or policy is None:
        return []
    trigger, worst, dips = found
    case = session.get(Case, trigger.case_id)
    worker = case.worker_id if case else None
    if case is None or worker is None:
        return []
    rows = allocate_whole_caseload(
        session=session,
        framework=framework,
        worker_id=worker,
        auditor_id=audit.auditor_id,
        audited={trigger.case_id, *(d.case_id for d in dips)},
        reason=(
            f"Whole-caseload audit: dip samples after case {case.reference} found the same concerns"
        ),
        now=now,
        tz=tz,
    )
    deadline = end_of_day(now.astimezone(tz).date(), tz)
    plan = EscalationPlan(
        owner_id=audit.auditor_id,
        kind="dip_sample",
        audit_id=trigger.id or 0,
        deadline=deadline,
        roles_reason=(policy.by_role,),
        key=escalation_key("dip_sample", trigger.id or 0, "caseload", audit.auditor_id, 0),
        grade=worst or None,
        case_id=trigger.case_id,
        responds=False,
    )
    for marker in save_plans(session=session, plans=[plan], now=now):
        marker.status = DONE
        marker.response = f"whole caseload allocated: {len(rows)} case(s)"
        marker.responded_at = now
        session.add(marker)
    log.info("audit %s: whole caseload allocated (%d cases)", trigger.id, len(rows))
    return rows


def approved_caseload(
    *, session: Session, framework: Framework, row: Escalation, now: datetime, tz: ZoneInfo
) -> list[Allocation]:
    """The approver said yes: the worker's caseload goes at once to the last dip-sampler.

    `row` is the approved `dip_sample` request (its audit the one that started the
    dip sample). The audit that started it and the dip samples are not audited again.
    """
    trigger = session.get(Audit, row.audit_id) if row.audit_id is not None else None
    case = session.get(Case, trigger.case_id) if trigger is not None else None
    if trigger is None or case is None or case.worker_id is None:
        return []
    history = _worker_audits(session, case.worker_id)
    after = history[history.index(trigger) + 1 :] if trigger in history else []
    dips = [a for a in after if activity_of(session, a) == DIP_SAMPLE]
    if not dips:
        return []
    return allocate_whole_caseload(
        session=session,
        framework=framework,
        worker_id=case.worker_id,
        auditor_id=dips[-1].auditor_id,
        audited={trigger.case_id, *(d.case_id for d in dips)},
        reason=(
            f"Whole-caseload audit, approved: dip samples after case {case.reference} "
            "found the same concerns"
        ),
        now=now,
        tz=tz,
    )


def withdraw_superseded(
    *, session: Session, framework: Framework, audit: Audit, now: datetime
) -> list[Escalation]:
    """Withdraw the open grade requests a regrade made obsolete, telling each owner why.

    Only where the framework's escalation follows the final grade, and only once a
    moderator has given one that differs from the request's grade. Idempotent: a
    withdrawn request is closed, and its notice has a key of its own.
    """
    final = audit.final_grade
    if not framework.escalation.regrade_withdraws or final not in framework.grade_keys:
        return []
    stale = [
        r
        for r in session.exec(
            select(Escalation)
            .where(Escalation.kind == "grade")
            .where(Escalation.audit_id == audit.id)
            .order_by(col(Escalation.id))
        )
        if r.grade != final and r.grade in framework.grade_keys and r.status not in CLOSED_STATUSES
    ]
    if not stale:
        return []
    case = session.get(Case, audit.case_id)
    again = any(g.grade == final for g in framework.escalation.grades)
    for row in stale:
        old = row.grade or ""
        row.status = WITHDRAWN
        row.response = f"withdrawn: regraded from {old} to {final}"
        row.responded_at = now
        session.add(row)
        text = withdrawal_notice(
            framework, reference=case.reference if case else "", old=old, new=final, again=again
        )
        enqueue(
            session=session,
            message=Message(
                "notice",
                f"escalation-withdrawn:{row.id}",
                {"text": text},
                person_id=row.owner_id,
            ),
            now=now,
        )
    log.info("audit %s: %d grade request(s) withdrawn after a regrade", audit.id, len(stale))
    return stale


def escalate_audit(
    *,
    session: Session,
    framework: Framework,
    audit: Audit,
    staff: Directory,
    now: datetime,
    tz: ZoneInfo,
) -> list[Escalation]:
    """Every request a graded audit calls for that is not stored yet: the new rows.

    A regrade first withdraws the requests of the grade it replaced, where the
    framework's escalation follows the final grade (`withdraw_superseded`).
    """
    withdraw_superseded(session=session, framework=framework, audit=audit, now=now)
    rows = []
    for flag in flag_keys(audit):
        rows += raise_urgent(
            session=session, framework=framework, audit=audit, flag=flag, staff=staff, now=now
        )
    if audit.status in GRADED or audit.submitted_at is not None:
        graded = _Graded(session, framework, audit, staff, now, tz)
        rows += _grade_requests(graded)
        rows += _caseload_requests(graded)
    return rows
