"""Weekly reviews until Good (Lambeth's PRIMs): started, prompted, recorded, ended.

A review starts when a case's latest grade is below good and no review is open for it;
it belongs to the holder of `escalation.case_review_owner_role` nearest the case. Each
week has one meeting row (unique per review and ISO week), so the job that prompts is
safe to run again. A review ends when a meeting records Good or better, when a later
audit (or a regrade of the same one) is good or better, or when the case closes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from qa.framework import Framework
from qa.grading import is_good_or_better
from storage.models import Case, CaseReview, CaseReviewMeeting
from storage.queries import in_id_order
from storage.tracking import directory, latest_grades

MEETING_GOOD = "meeting_good"
REAUDIT_GOOD = "reaudit_good"
REGRADED_GOOD = "regraded_good"
CASE_CLOSED = "case_closed"


@dataclass(frozen=True)
class Reconciled:
    started: int = 0
    ended: int = 0


def prompt_key(meeting_id: int) -> str:
    """The outbox key of a meeting's prompt (its edits add `:edit:...`)."""
    return f"review-prompt:{meeting_id}"


def owner_role(framework: Framework) -> str | None:
    """The owning role, when the framework runs weekly reviews that record outcomes."""
    policy = framework.escalation
    return policy.case_review_owner_role if policy.case_review_weekly_until_good else None


def open_reviews(*, session: Session) -> list[CaseReview]:
    return in_id_order(session, CaseReview, col(CaseReview.ended_at).is_(None))


def end_review(*, session: Session, review: CaseReview, reason: str, now: datetime) -> None:
    review.ended_at, review.end_reason = now, reason
    session.add(review)


def reconcile(*, session: Session, framework: Framework, now: datetime) -> Reconciled:
    """Start the reviews that should be open and end those that should not."""
    role = owner_role(framework)
    if role is None:
        return Reconciled()
    latest = latest_grades(session=session)
    cases = {c.id: c for c in session.exec(select(Case))}
    ended = 0
    open_by_case: dict[int, CaseReview] = {}
    for review in open_reviews(session=session):
        case = cases.get(review.case_id)
        held = latest.get(review.case_id)
        reason = None
        if case is None or not case.active or case.status != "open":
            reason = CASE_CLOSED
        elif (
            held is not None
            and held[1] in framework.grade_keys
            and is_good_or_better(framework, held[1])
        ):
            reason = REGRADED_GOOD if held[0].id == review.audit_id else REAUDIT_GOOD
        if reason is not None:
            end_review(session=session, review=review, reason=reason, now=now)
            ended += 1
        else:
            open_by_case[review.case_id] = review
    seen = set(session.exec(select(CaseReview.audit_id)).all())
    load = Counter(r.owner_id for r in open_by_case.values())
    staff = None
    started = 0
    for case_id, (audit, grade) in sorted(latest.items()):
        case = cases.get(case_id)
        if case is None or not case.active or case.status != "open":
            continue
        if grade not in framework.grade_keys or is_good_or_better(framework, grade):
            continue
        if case_id in open_by_case or audit.id in seen:
            continue
        staff = staff or directory(session=session)
        holders = staff.holders_for_case(case).get(role, ())
        if not holders:
            continue  # `framework check --with-staff` names a role nobody holds
        # The team shares the reviews: the nearest holder with the fewest open ones.
        owner = min(holders, key=lambda p: (load[p], holders.index(p)))
        load[owner] += 1
        session.add(
            CaseReview(
                case_id=case_id,
                audit_id=audit.id or 0,
                owner_id=owner,
                grade=grade,
                started_at=now,
            )
        )
        started += 1
    session.flush()
    return Reconciled(started=started, ended=ended)


def meeting_for(
    *, session: Session, review: CaseReview, week: str, now: datetime
) -> CaseReviewMeeting:
    """This week's meeting of the review, made on first asking (one per week)."""
    found = session.exec(
        select(CaseReviewMeeting)
        .where(CaseReviewMeeting.review_id == review.id)
        .where(CaseReviewMeeting.week == week)
    ).first()
    if found is not None:
        return found
    meeting = CaseReviewMeeting(review_id=review.id or 0, week=week, prompted_at=now)
    session.add(meeting)
    session.flush()
    return meeting


def meetings(*, session: Session, review_id: int) -> list[CaseReviewMeeting]:
    return in_id_order(session, CaseReviewMeeting, CaseReviewMeeting.review_id == review_id)


def record_outcome(
    *,
    session: Session,
    framework: Framework,
    meeting: CaseReviewMeeting,
    review: CaseReview,
    grade: str,
    note: str,
    person_id: int,
    now: datetime,
) -> bool:
    """Record the meeting's outcome; True when it ends the review (Good or better)."""
    meeting.grade, meeting.note = grade, note
    meeting.recorded_by_id, meeting.recorded_at = person_id, now
    session.add(meeting)
    if is_good_or_better(framework, grade):
        end_review(session=session, review=review, reason=MEETING_GOOD, now=now)
        return True
    return False
