"""The monthly calibration case, stored: the QA lead's vignette and everyone's grades.

One case per month (`month` is unique), replaced while it has not gone out; one answer
per person per case. Answers are read back only as a list of grade mappings with no
one's id (`answer_grades`), which is all a result needs.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import CalibrationAnswer, CalibrationCase, OutboxMessage, Person


def prompt_key(month: str, person_id: int) -> str:
    """The outbox key of a person's calibration prompt: once per month and person."""
    return f"calibration-prompt:{month}:{person_id}"


def result_key(month: str, person_id: int) -> str:
    """The outbox key of a QA lead's calibration result: once per month and lead."""
    return f"calibration-result:{month}:{person_id}"


def nudge_key(month: str, person_id: int) -> str:
    """The outbox key of a QA lead's reminder to set the month's case."""
    return f"calibration-nudge:{month}:{person_id}"


def prompts_sent(*, session: Session, month: str) -> int:
    """How many people were sent the month's case (its prompts in the outbox)."""
    prefix = prompt_key(month, 0).removesuffix("0")
    rows = session.exec(
        select(OutboxMessage.id).where(col(OutboxMessage.idempotency_key).startswith(prefix))
    )
    return len(rows.all())


def case_for(*, session: Session, month: str) -> CalibrationCase | None:
    return session.exec(select(CalibrationCase).where(CalibrationCase.month == month)).first()


def latest_sent(*, session: Session) -> CalibrationCase | None:
    """The most recent case that has gone out (the one a result is about)."""
    return session.exec(
        select(CalibrationCase)
        .where(col(CalibrationCase.sent_at).is_not(None))
        .order_by(col(CalibrationCase.month).desc())
    ).first()


def set_case(
    *,
    session: Session,
    month: str,
    vignette: str,
    reference: dict[str, str],
    person_id: int,
    now: datetime,
) -> CalibrationCase:
    """Set (or, before it goes out, replace) the month's case."""
    case = case_for(session=session, month=month)
    if case is None:
        case = CalibrationCase(
            month=month, vignette=vignette, reference={}, set_by_id=person_id, set_at=now
        )
    case.vignette, case.reference = vignette, dict(reference)
    case.set_by_id, case.set_at = person_id, now
    session.add(case)
    session.flush()
    return case


def graders(*, session: Session, roles: list[str]) -> list[Person]:
    """The active people holding any of `roles`: those the case goes to."""
    wanted = set(roles)
    people = session.exec(select(Person).where(col(Person.active)).order_by(col(Person.id)))
    return [p for p in people if wanted & set(p.roles or [])]


def answer_of(*, session: Session, case_id: int, person_id: int) -> CalibrationAnswer | None:
    return session.exec(
        select(CalibrationAnswer)
        .where(CalibrationAnswer.case_id == case_id)
        .where(CalibrationAnswer.person_id == person_id)
    ).first()


def record_answer(
    *, session: Session, case_id: int, person_id: int, grades: dict[str, str], now: datetime
) -> None:
    session.add(
        CalibrationAnswer(case_id=case_id, person_id=person_id, grades=grades, answered_at=now)
    )
    session.flush()


def answer_grades(*, session: Session, case_id: int) -> list[dict[str, str]]:
    """Every answer's grades, in no meaningful order and without whose they are."""
    rows = session.exec(
        select(CalibrationAnswer.grades)
        .where(CalibrationAnswer.case_id == case_id)
        .order_by(col(CalibrationAnswer.id))
    )
    answers = [dict(g) for g in rows]
    answers.sort(key=lambda g: sorted(g.items()))  # order says nothing about who answered
    return answers
