"""Calibration figures from the moderation rows, for the monthly summary and status.

`qa.calibration.calibration` counts plain values; this reads them: every finished
moderation (a panel member's view marked as not deciding, so a panel of five counts
once), whether the moderator agreed with each domain's grade (from their answers),
the case's service, and the moderations still open with their due dates. The period
is the months the moderations *finished* in, as in `storage.moderation_inputs`.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from qa.calibration import Calibration, PendingModeration, calibration
from qa.framework import Framework
from qa.moderation import PastModeration
from qa.working_days import Month
from storage.audits import SUBMITTED
from storage.models import Audit, Case, Moderation, Service
from storage.moderation_inputs import local_date
from storage.moderations import COMPLETED, OPEN


def _domain_agreement(framework: Framework, row: Moderation) -> dict[str, bool]:
    answers = (row.answers or {}).get("answers", {})
    grades = answers.get("grades", {}) if isinstance(answers, dict) else {}
    out = {}
    for d in framework.audit_form.domains:
        agree = grades.get(f"mod.{d.key}.agree") if isinstance(grades, dict) else None
        if agree in ("yes", "no"):
            out[d.key] = agree == "yes"
    return out


def calibration_figures(
    *,
    session: Session,
    framework: Framework,
    tz: ZoneInfo,
    today: date,
    first: Month | None = None,
    last: Month | None = None,
) -> Calibration:
    """Agreement, grade changes and the backlog, for moderations finished in
    `first`..`last` (every month when not given) and those open on `today`."""
    rows = session.exec(
        select(Moderation)
        .where(Moderation.status == COMPLETED)
        .where(col(Moderation.outcome).is_not(None))
        .where(col(Moderation.completed_at).is_not(None))
        .order_by(col(Moderation.id))
    ).all()
    audit_ids = {r.audit_id for r in rows}
    audits = {a.id: a for a in session.exec(select(Audit).where(col(Audit.id).in_(audit_ids)))}
    cases = {c.id: c for c in session.exec(select(Case))}
    services = {s.id: s.name for s in session.exec(select(Service))}
    chaired = {r.audit_id for r in rows if r.is_chair}
    past = []
    for r in rows:
        audit = audits.get(r.audit_id)
        if audit is None or audit.overall_grade not in framework.grade_keys or not r.completed_at:
            continue
        month = Month.of(local_date(r.completed_at, tz))
        if (first and month < first) or (last and month > last):
            continue
        final = {"confirmed": audit.overall_grade, "regraded": r.moderated_grade}.get(
            r.outcome or ""
        )
        if final is not None and final not in framework.grade_keys:
            continue
        case = cases.get(audit.case_id)
        past.append(
            PastModeration(
                audit_id=r.audit_id,
                auditor_id=audit.auditor_id,
                moderator_id=r.moderator_id,
                month=month,
                agreed_overall=r.outcome == "confirmed",
                original_grade=audit.overall_grade or "",
                final_grade=final,
                domain_agreement=_domain_agreement(framework, r),
                service=services.get(case.service_id) if case else None,
                deciding=r.is_chair or r.audit_id not in chaired,
            )
        )
    still_open = session.exec(
        select(Moderation)
        .join(Audit, col(Audit.id) == col(Moderation.audit_id))
        .where(col(Moderation.status).in_(OPEN))
        .where(Audit.status == SUBMITTED)
    ).all()
    return calibration(
        framework,
        past,
        open_moderations=[PendingModeration(m.audit_id, m.due_on) for m in still_open],
        today=today,
    )
