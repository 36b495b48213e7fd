"""The words of the calibration case's messages: the prompt, and the QA lead's result.

The result is counts only (`qa.calibration_case.tally`, small numbers hidden): no
context built here holds a grader's name, id or own grades.
"""

from __future__ import annotations

from calendar import month_name
from typing import Any

from sqlmodel import Session

from qa.calibration_case import CalibrationResult, tally
from qa.framework import Framework
from qa.working_days import Month
from storage.calibration_cases import answer_grades
from storage.models import CalibrationCase


def month_label(month: str) -> str:
    """`2026-12` as `December 2026`."""
    m = Month.parse(month)
    return f"{month_name[m.month]} {m.year}"


def result_rows(result: CalibrationResult) -> list[dict[str, Any]]:
    """Each question's counts per grade beside the reference grade, as printed."""
    return [
        {
            "label": row.label,
            "reference": row.reference,
            "answered": row.answered.text,
            "grades": [
                {"label": g.label, "count": g.count.text, "reference": g.reference}
                for g in row.grades
            ],
            "matching": row.matching.text,
        }
        for row in result.domains
    ]


def result_context(
    *, session: Session, framework: Framework, case: CalibrationCase, sent: int, final: bool
) -> dict[str, Any]:
    """The result of `case` for a QA lead: `final` once grading has closed, else so far."""
    answers = answer_grades(session=session, case_id=case.id or 0)
    result = tally(framework, case.reference, answers)
    return {
        "month": month_label(case.month),
        "final": final,
        "answered": result.answered,
        "sent": sent,
        "rows": result_rows(result),
    }
