"""Recording a weekly review meeting's outcome (Lambeth's PRIMs), from the weekly prompt.

*Record the outcome* opens a form: the grade the meeting gave and a short note. The
note must not identify a child (`qa.privacy`): the case reference is enough, and a
note that looks like a name, a date of birth or a contact detail is refused with the
kind found, never the text. Only the review's owner, or another holder of the owning
role (the practice assurance *team*), may record. Good or better ends the review.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.conversation import Conversation
from handlers.forms import note_field, refuse_sensitive, with_errors
from handlers.in_place import edit_pressed
from handlers.interaction import Reply
from handlers.tracking_replies import gone, route
from handlers.turn import Turn
from qa.validation import Context, Field, Option, validate
from storage.case_reviews import owner_role, prompt_key, record_outcome
from storage.models import Case, CaseReview, CaseReviewMeeting
from storage.tracking import directory

FORM = "review_form"
RECEIPT = "review_receipt"


def _fields(turn: Turn) -> tuple[Field, ...]:
    grades = tuple(Option(g.key, g.label) for g in turn.framework.grades)
    return (
        Field(
            "grade", "grade", "choice", options=grades, missing="Pick the grade the meeting gave"
        ),
        note_field("note", "Write a short note of the meeting's outcome"),
    )


def _load(turn: Turn) -> tuple[CaseReviewMeeting, CaseReview, str | None] | list[Reply]:
    found = route(turn, "review")
    meeting = turn.session.get(CaseReviewMeeting, found[0]) if found else None
    review = turn.session.get(CaseReview, meeting.review_id) if meeting else None
    if meeting is None or review is None:
        return gone(RECEIPT)
    case = turn.session.get(Case, review.case_id)
    reference = case.reference if case else None
    role = owner_role(turn.framework)
    if turn.person.id != review.owner_id and (role is None or role not in turn.person.roles):
        owner = directory(session=turn.session).name(review.owner_id)
        return [Reply(RECEIPT, {"what": "not_owner", "reference": reference, "owner": owner})]
    if meeting.recorded_at is not None:
        return [Reply(RECEIPT, _receipt(turn, "already", reference, meeting.grade))]
    if review.ended_at is not None:
        return [Reply(RECEIPT, {"what": "ended", "reference": reference})]
    return meeting, review, reference


def _receipt(turn: Turn, what: str, reference: str | None, grade: str | None) -> dict[str, Any]:
    fw = turn.framework
    label = fw.grade(grade).label if grade in fw.grade_keys else grade
    return {"what": what, "reference": reference, "grade": label}


def _form(turn: Turn, reference: str | None, week: str, values: dict[str, Any]) -> Reply:
    return Reply(
        FORM,
        {
            "reference": reference,
            "week_of": _monday(week),
            "grades": [{"value": g.key, "label": g.label} for g in turn.framework.grades],
            "routing_key": turn.interaction.routing_key or "",
            "values": values,
        },
    )


def _monday(week: str) -> str:
    """`2026-W51` as the ISO date of that week's Monday."""
    year, _, number = week.partition("-W")
    return date.fromisocalendar(int(year), int(number), 1).isoformat()


def open_form(turn: Turn) -> list[Reply]:
    loaded = _load(turn)
    if isinstance(loaded, list):
        return loaded
    meeting, _review, reference = loaded
    return [_form(turn, reference, meeting.week, {})]


def submit(turn: Turn) -> list[Reply]:
    loaded = _load(turn)
    if isinstance(loaded, list):
        return loaded
    meeting, review, reference = loaded
    values = dict(turn.interaction.values)
    cleaned, errors = validate(_fields(turn), values, Context(today=turn.today))
    note = str(cleaned.get("note") or "")
    refuse_sensitive(errors, note)
    if errors:
        return with_errors(_form(turn, reference, meeting.week, values), errors)
    grade = str(cleaned["grade"])
    ended = record_outcome(
        session=turn.session,
        framework=turn.framework,
        meeting=meeting,
        review=review,
        grade=grade,
        note=note,
        person_id=turn.person.id or 0,
        now=turn.now,
    )
    receipt = Reply(
        RECEIPT, _receipt(turn, "ended_good" if ended else "recorded", reference, grade)
    )
    return [*_edit_prompt(turn, meeting), receipt]


def _edit_prompt(turn: Turn, meeting: CaseReviewMeeting) -> list[Reply]:
    """Show the outcome on the week's prompt, in place, without its button."""
    fw = turn.framework
    grade = meeting.grade or ""
    recorded = {
        "grade": fw.grade(grade).label if grade in fw.grade_keys else grade,
        "by": turn.person.name,
        "on": turn.today.isoformat(),
    }
    return edit_pressed(turn, prompt_key(meeting.id or 0), "recorded", {"recorded": recorded})


CONVERSATION = Conversation(
    name="case_reviews",
    actions={"review.record": open_form},
    submissions={"review.record": submit},
)
