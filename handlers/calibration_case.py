"""The monthly calibration case (issue 15): the QA lead sets it, everyone who audits grades it.

`calibration` (QA leads only) shows the latest case's result so far or final, as
counts per grade per domain beside the lead's reference grade (never who graded what),
and a button to set the next case: the vignette's text and the reference grades. The
vignette must not describe a real child (`qa.privacy`): a name, a date of birth or a
contact detail is refused with the kind found, never the text.

The monthly job (`reminders.calibration_case`) sends each grader a prompt whose button
opens the grading form: each domain and the overall, on the framework's grade scale.
One answer per person; after the close day the form is shut.
"""

from __future__ import annotations

from typing import Any

from handlers.conversation import Conversation
from handlers.forms import read_form, text_field, with_errors
from handlers.interaction import Reply
from handlers.tracking_replies import gone, route
from handlers.turn import Turn
from messages.calibration_case import month_label, result_context
from messages.tracking import route as make_route
from qa.calibration_case import month_to_set, questions, send_day
from qa.framework import CalibrationPolicy
from qa.privacy import find_sensitive, warning
from qa.validation import Field, Option
from qa.working_days import Month
from storage.calibration_cases import (
    answer_of,
    case_for,
    latest_sent,
    record_answer,
    set_case,
)
from storage.models import CalibrationCase

RECEIPT = "calibration_receipt"
RESULT = "calibration_result"
SET_FORM = "calibration_set_form"
GRADE_FORM = "calibration_form"
VIGNETTE_CHARS = 2500  # fits a dialog's text block on every platform (3000 at the smallest)
SET_KIND = "calset"
CASE_KIND = "calcase"


def _receipt(what: str, **extra: Any) -> list[Reply]:
    return [Reply(RECEIPT, {"what": what, "reference": None, **extra})]


def _is_lead(turn: Turn) -> bool:
    return turn.framework.qa_lead_role in (turn.person.roles or [])


def _grades(turn: Turn) -> list[dict[str, str]]:
    return [{"value": g.key, "label": g.label} for g in turn.framework.grades]


def _questions(turn: Turn) -> list[dict[str, str]]:
    return [{"key": k, "label": label} for k, label in questions(turn.framework)]


def _grade_fields(turn: Turn) -> list[Field]:
    options = tuple(Option(g.key, g.label) for g in turn.framework.grades)
    return [
        Field(k, label, "choice", options=options, missing=f"Pick a grade for {label}")
        for k, label in questions(turn.framework)
    ]


def _month_to_set(turn: Turn, policy: CalibrationPolicy) -> Month:
    this = case_for(session=turn.session, month=Month.of(turn.today).key)
    sent = this is not None and this.sent_at is not None
    return month_to_set(policy, turn.framework.reminders, turn.today, sent_this_month=sent)


# -- the QA lead -----------------------------------------------------------------------


def calibration_command(turn: Turn, _rest: str) -> list[Reply]:
    """The latest result and the button to set the next case (QA leads only)."""
    policy = turn.framework.calibration
    if policy is None:
        return _receipt("off")
    if not _is_lead(turn):
        return _receipt("not_lead")
    month = _month_to_set(turn, policy)
    upcoming = case_for(session=turn.session, month=month.key)
    latest = latest_sent(session=turn.session)
    context: dict[str, Any] = {
        "result": None,
        "set_month": month_label(month.key),
        "set_already": upcoming is not None,
        "send_on": send_day(policy, turn.framework.reminders, month).isoformat(),
        "routing_key": make_route(SET_KIND, month.year * 100 + month.month, "calibration-set"),
    }
    if latest is not None:
        context["result"] = result_context(
            session=turn.session,
            framework=turn.framework,
            case=latest,
            sent=0,
            final=latest.closed_at is not None,
        )
    return [Reply(RESULT, context)]


def _set_month(turn: Turn) -> Month | None:
    found = route(turn, SET_KIND)
    if found is None:
        return None
    year, month = divmod(found[0], 100)
    try:
        return Month(year, month)
    except ValueError:
        return None


def _set_form(turn: Turn, month: Month, values: dict[str, Any]) -> Reply:
    return Reply(
        SET_FORM,
        {
            "month": month_label(month.key),
            "questions": _questions(turn),
            "grades": _grades(turn),
            "routing_key": turn.interaction.routing_key or "",
            "values": values,
        },
    )


def _settable(turn: Turn) -> tuple[Month, CalibrationCase | None] | list[Reply]:
    if turn.framework.calibration is None:
        return _receipt("off")
    if not _is_lead(turn):
        return _receipt("not_lead")
    month = _set_month(turn)
    if month is None:
        return gone(RECEIPT)
    case = case_for(session=turn.session, month=month.key)
    if case is not None and case.sent_at is not None:
        return _receipt("already_sent", month=month_label(month.key))
    return month, case


def open_set_form(turn: Turn) -> list[Reply]:
    found = _settable(turn)
    if isinstance(found, list):
        return found
    month, case = found
    values: dict[str, Any] = {}
    if case is not None:
        values = {"vignette": case.vignette, **case.reference}
    return [_set_form(turn, month, values)]


def submit_set_form(turn: Turn) -> list[Reply]:
    found = _settable(turn)
    if isinstance(found, list):
        return found
    month, _case = found
    vignette_field = text_field(
        "vignette", "vignette", max_length=VIGNETTE_CHARS, missing="Write the practice vignette"
    )
    values, cleaned, errors = read_form(turn, [vignette_field, *_grade_fields(turn)])
    vignette = str(cleaned.get("vignette") or "")
    sensitive = find_sensitive(vignette) if vignette else []
    if sensitive and "vignette" not in errors:
        errors["vignette"] = warning(sensitive)
    if errors:
        return with_errors(_set_form(turn, month, values), errors)
    reference = {k: str(cleaned[k]) for k, _ in questions(turn.framework)}
    set_case(
        session=turn.session,
        month=month.key,
        vignette=vignette,
        reference=reference,
        person_id=turn.person.id or 0,
        now=turn.now,
    )
    policy = turn.framework.calibration
    assert policy is not None  # checked by _settable
    on = send_day(policy, turn.framework.reminders, month).isoformat()
    return _receipt("set", month=month_label(month.key), send_on=on)


def status_line(turn: Turn) -> dict[str, Any] | None:
    """For a QA lead's status of the whole authority: the latest case's overall result
    in one line (counts only); None when there is none or the viewer is not a QA lead."""
    if turn.framework.calibration is None or not _is_lead(turn):
        return None
    latest = latest_sent(session=turn.session)
    if latest is None:
        return None
    result = result_context(
        session=turn.session,
        framework=turn.framework,
        case=latest,
        sent=0,
        final=latest.closed_at is not None,
    )
    overall = result["rows"][-1]
    return {
        "month": result["month"],
        "final": result["final"],
        "answered": result["answered"],
        "reference": overall["reference"],
        "matching": overall["matching"],
    }


# -- everyone who audits -----------------------------------------------------------------


def _gradable(turn: Turn) -> CalibrationCase | list[Reply]:
    policy = turn.framework.calibration
    if policy is None:
        return _receipt("off")
    found = route(turn, CASE_KIND)
    case = turn.session.get(CalibrationCase, found[0]) if found else None
    if case is None or case.sent_at is None:
        return gone(RECEIPT)
    if not set(policy.roles) & set(turn.person.roles or []):
        return _receipt("not_grader")
    if case.closed_at is not None:
        return _receipt("closed", month=month_label(case.month))
    if answer_of(session=turn.session, case_id=case.id or 0, person_id=turn.person.id or 0):
        return _receipt("already", month=month_label(case.month))
    return case


def _grade_form(turn: Turn, case: CalibrationCase, values: dict[str, Any]) -> Reply:
    return Reply(
        GRADE_FORM,
        {
            "month": month_label(case.month),
            "vignette": case.vignette,
            "questions": _questions(turn),
            "grades": _grades(turn),
            "routing_key": turn.interaction.routing_key or "",
            "values": values,
        },
    )


def open_grade_form(turn: Turn) -> list[Reply]:
    found = _gradable(turn)
    if isinstance(found, list):
        return found
    return [_grade_form(turn, found, {})]


def submit_grade_form(turn: Turn) -> list[Reply]:
    found = _gradable(turn)
    if isinstance(found, list):
        return found
    values, cleaned, errors = read_form(turn, _grade_fields(turn))
    if errors:
        return with_errors(_grade_form(turn, found, values), errors)
    grades = {k: str(cleaned[k]) for k, _ in questions(turn.framework)}
    record_answer(
        session=turn.session,
        case_id=found.id or 0,
        person_id=turn.person.id or 0,
        grades=grades,
        now=turn.now,
    )
    return _receipt("graded", month=month_label(found.month))


CONVERSATION = Conversation(
    name="calibration_case",
    commands={"calibration": calibration_command},
    actions={"calibration.set": open_set_form, "calibration.grade": open_grade_form},
    submissions={"calibration.set": submit_set_form, "calibration.grade": submit_grade_form},
)
