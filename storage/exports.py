"""Subject-access and case exports: everything the bot holds about a person or a case.

A person may ask what the council holds about them (UK GDPR article 15); an
auditor, a complaint or an inspection may need the whole history of one case. Each
export is one JSON document, built from the tables and the audit log in one read,
with a `schema_version` so whoever reads it later knows its shape.

What counts as "about" a record: the row itself, the rows that belong to it, and
every audit-log row whose subject is one of those rows (or, for a person, where they
acted). The audit log names its subject by `record_type` and `record_id`;
`storage.audit_log.RECORD_TYPES` lists the names the features use for each table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, false, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from storage.audit_log import RECORD_TYPES, record, snapshot
from storage.models import (
    Absence,
    Allocation,
    Audit,
    AuditLogEntry,
    Case,
    Escalation,
    Moderation,
    Person,
    Recommendation,
    RecommendationUpdate,
)
from storage.queries import in_id_order

SCHEMA_VERSION = 1


def _rows(session: Session, model: type[Any], *where: ColumnElement[bool]) -> list[Any]:
    return in_id_order(session, model, *where) if where else []


def _ids(rows: Iterable[Any]) -> list[int]:
    return [r.id for r in rows if r.id is not None]


def _in(column: Any, values: Sequence[int]) -> ColumnElement[bool]:
    """`column IN values`, or a false condition for no values (never an empty IN)."""
    return col(column).in_(values) if values else false()


def _of_case(
    model: type[Recommendation] | type[Escalation], case_id: int, audit_ids: Sequence[int]
) -> ColumnElement[bool]:
    """A row about the case itself or about one of its audits."""
    return or_(col(model.case_id) == case_id, _in(model.audit_id, audit_ids))


def _dump(rows: Iterable[Any]) -> list[dict[str, Any]]:
    return [snapshot(r) for r in rows]


def _log_rows(
    session: Session, subjects: Mapping[str, Sequence[int]], *extra: ColumnElement[bool]
) -> list[dict[str, Any]]:
    """Audit-log rows whose subject is one of `subjects` (record type -> ids), or `extra`."""
    about = [
        and_(
            col(AuditLogEntry.record_type) == record_type,
            col(AuditLogEntry.record_id).in_([str(i) for i in ids]),
        )
        for record_type, ids in subjects.items()
        if ids
    ]
    conditions = [*about, *extra]
    if not conditions:
        return []
    rows = session.exec(
        select(AuditLogEntry).where(or_(*conditions)).order_by(col(AuditLogEntry.id))
    )
    return _dump(rows)


class _Held(NamedTuple):
    """The rows both exports hold about their subject, by record type (`RECORD_TYPES`)."""

    allocation: list[Any]
    audit: list[Any]
    moderation: list[Any]
    recommendation: list[Any]
    recommendation_update: list[Any]
    escalation: list[Any]


def _document(
    session: Session,
    kind: str,
    now: datetime,
    subject: dict[str, Any],
    own: Person | Case,
    held: Mapping[str, Sequence[Any]],
    *also_in_log: ColumnElement[bool],
    **extra: Any,
) -> dict[str, Any]:
    """The export of `own` (the person or the case) and the rows `held` about it (record
    type -> rows, each listed under the type's plural), and every audit-log row about any
    of them or matching `also_in_log`; both exports share this shape."""
    own_type = RECORD_TYPES[type(own)]
    subjects = {own_type: _ids([own]), **{t: _ids(rows) for t, rows in held.items()}}
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "generated_at": now.isoformat(),
        "subject": subject,
        own_type: snapshot(own),
        **{f"{t}s": _dump(rows) for t, rows in held.items()},
        **extra,
        "audit_log": _log_rows(session, subjects, *also_in_log),
    }


def find_person(*, session: Session, email: str) -> Person | None:
    """The person with this work email, whatever its letter case."""
    return session.exec(
        select(Person).where(func.lower(Person.email) == email.strip().lower())
    ).first()


def find_case(*, session: Session, reference: str) -> Case | None:
    """The case with this reference: exactly as written, else ignoring letter case."""
    ref = reference.strip()
    exact = session.exec(select(Case).where(Case.reference == ref)).first()
    if exact is not None:
        return exact
    return session.exec(select(Case).where(func.lower(Case.reference) == ref.lower())).first()


def person_export(*, session: Session, email: str, now: datetime) -> dict[str, Any] | None:
    """Everything held about the person with `email` (a subject access request), or None.

    Their own record and absences; their allocations; the audits and moderations they
    wrote, answers included (it is their own work); recommendations they own or
    raised and the updates they wrote; escalations they own; the references of cases
    they are the allocated worker for; and every audit-log row where they acted or a
    record of theirs is the subject.
    """
    person = find_person(session=session, email=email)
    if person is None or person.id is None:
        return None
    pid = person.id
    absences = _rows(session, Absence, col(Absence.person_id) == pid)
    allocations = _rows(session, Allocation, col(Allocation.person_id) == pid)
    audits = _rows(session, Audit, col(Audit.auditor_id) == pid)
    moderations = _rows(session, Moderation, col(Moderation.moderator_id) == pid)
    owned_or_raised = or_(
        col(Recommendation.owner_id) == pid, col(Recommendation.raised_by_id) == pid
    )
    recommendations = _rows(session, Recommendation, owned_or_raised)
    updates = _rows(session, RecommendationUpdate, col(RecommendationUpdate.person_id) == pid)
    escalations = _rows(session, Escalation, col(Escalation.owner_id) == pid)
    worked = session.exec(
        select(Case.reference).where(Case.worker_id == pid).order_by(col(Case.reference))
    ).all()
    held = _Held(allocations, audits, moderations, recommendations, updates, escalations)
    return _document(
        session,
        "subject_access",
        now,
        {"person_id": pid, "email": person.email},
        person,
        {"absence": absences, **held._asdict()},
        col(AuditLogEntry.actor_id) == pid,
        func.lower(AuditLogEntry.actor) == person.email.lower(),
        cases_as_worker=list(worked),
    )


def case_export(*, session: Session, reference: str, now: datetime) -> dict[str, Any] | None:
    """The whole QA history of the case with `reference`, or None.

    The case row, its allocations, audits, the moderations of those audits, the
    recommendations and escalations of the case or its audits, the updates to those
    recommendations, and every audit-log row about any of them.
    """
    case = find_case(session=session, reference=reference)
    if case is None or case.id is None:
        return None
    cid = case.id
    allocations = _rows(session, Allocation, col(Allocation.case_id) == cid)
    audits = _rows(session, Audit, col(Audit.case_id) == cid)
    audit_ids = _ids(audits)
    moderations = _rows(session, Moderation, _in(Moderation.audit_id, audit_ids))
    recommendations = _rows(session, Recommendation, _of_case(Recommendation, cid, audit_ids))
    of_recommendations = _in(RecommendationUpdate.recommendation_id, _ids(recommendations))
    updates = _rows(session, RecommendationUpdate, of_recommendations)
    escalations = _rows(session, Escalation, _of_case(Escalation, cid, audit_ids))
    held = _Held(allocations, audits, moderations, recommendations, updates, escalations)
    return _document(
        session, "case", now, {"case_id": cid, "reference": case.reference}, case, held._asdict()
    )


def note_export(
    *, session: Session, now: datetime, document: Mapping[str, Any], actor: str
) -> None:
    """Record in the audit log that an export was made: who, when, of what (ids only)."""
    subject = document["subject"]
    is_person = document["kind"] == "subject_access"
    record(
        session=session,
        now=now,
        action="export.subject_access" if is_person else "export.case",
        record_type="person" if is_person else "case",
        record_id=subject["person_id"] if is_person else subject["case_id"],
        actor=actor,
        after={"schema_version": document["schema_version"]},
    )
