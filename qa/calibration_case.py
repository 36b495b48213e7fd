"""The monthly calibration case (issue 15): its dates, its form, and its result.

Not to be confused with `qa.calibration`, the calibration *figures* worked out from
moderations. Here the QA lead writes one short anonymised practice vignette a month;
everyone who audits grades it in chat (each domain and the overall, on the
framework's grade scale); the QA lead sees, per domain, how many gave each grade beside
the lead's own reference grade and the share that matched it.

Never who graded what: `tally` takes the answers without anyone's name or id and
returns only counts, settled through `qa.report_counts` so that a count from 1 to 4
shows as "fewer than 5" and no hidden count can be worked out from the ones shown.

Pure: dates come in, nothing is read from a clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from qa.framework import CalibrationPolicy, Domain, Framework, ReminderPolicy
from qa.report_counts import Count, Ledger, Share
from qa.send_window import nth_policy_working_day, working_days_from
from qa.working_days import Month

__all__ = [
    "OVERALL",
    "THRESHOLD",
    "CalibrationResult",
    "DomainResult",
    "GradeCount",
    "close_day",
    "domains",
    "month_to_set",
    "questions",
    "send_day",
    "tally",
]

OVERALL = "overall"  # the field key of the overall grade, beside the domains' keys
THRESHOLD = 5  # as the board report: a count from 1 to 4 shows as "fewer than 5"


def domains(framework: Framework) -> list[Domain]:
    """The domains a vignette is graded on: those of every area's audit form (a vignette
    has no area); where every domain belongs to some areas only, all of them."""
    common = [d for d in framework.audit_form.domains if d.areas is None]
    return common or list(framework.audit_form.domains)


def questions(framework: Framework) -> list[tuple[str, str]]:
    """(key, label) of each grade asked for: the domains, then the overall grade."""
    return [(d.key, d.label) for d in domains(framework)] + [(OVERALL, "Overall")]


def send_day(policy: CalibrationPolicy, reminders: ReminderPolicy, month: Month) -> date:
    """The day the month's case goes out: its `working_day`th working day (the last
    working day when the month has fewer)."""
    return nth_policy_working_day(reminders, month, policy.working_day)


def close_day(policy: CalibrationPolicy, reminders: ReminderPolicy, sent: date) -> date:
    """The day grading closes and the result goes to the QA leads: `open_working_days`
    working days after the send day."""
    return working_days_from(reminders, sent, policy.open_working_days)


def month_to_set(
    policy: CalibrationPolicy, reminders: ReminderPolicy, today: date, *, sent_this_month: bool
) -> Month:
    """Which month a vignette the QA lead sets today is for: this month until its case
    has gone out (and its send day has not passed), else next month."""
    this = Month.of(today)
    if not sent_this_month and today <= send_day(policy, reminders, this):
        return this
    return this.shift(1)


@dataclass(frozen=True)
class GradeCount:
    key: str
    label: str
    count: Count
    reference: bool  # the QA lead's reference grade for this question


@dataclass(frozen=True)
class DomainResult:
    key: str
    label: str
    reference: str  # the reference grade's label
    grades: tuple[GradeCount, ...]
    answered: Count
    matching: Share  # the share that gave the reference grade


@dataclass(frozen=True)
class CalibrationResult:
    answered: int  # how many graded the case: open (it says nothing about anyone's grade)
    domains: tuple[DomainResult, ...]


def tally(
    framework: Framework,
    reference: Mapping[str, str],
    answers: Iterable[Mapping[str, str]],
    *,
    threshold: int = THRESHOLD,
) -> CalibrationResult:
    """Counts per grade per question beside the reference grade, small counts hidden.

    `answers` are each grader's grades by question key, with nothing saying whose they
    are. A grade not on the scale (a framework changed since) is not counted.
    """
    asked = questions(framework)
    scale = framework.grade_keys
    counted: dict[str, Counter[str]] = {key: Counter() for key, _ in asked}
    total = 0
    for answer in answers:
        total += 1
        for key, _ in asked:
            grade = answer.get(key)
            if grade in scale:
                counted[key][grade] += 1
    # How many answered, in all and per question, says nothing about anyone's grade.
    ledger = Ledger(threshold, lambda k: k == "answered" or (isinstance(k, tuple) and k[1] == "*"))
    ledger.add("answered", total)
    for key, _ in asked:
        parts = [(key, g) for g in scale]
        for part in parts:
            ledger.add(part, counted[key][part[1]])
        ledger.add((key, "*"), sum(counted[key].values()))
        ledger.add_sum((key, "*"), parts)
    rows = []
    for key, label in asked:
        ref = reference.get(key, "")
        rows.append(
            DomainResult(
                key=key,
                label=label,
                reference=framework.grade(ref).label if ref in scale else ref,
                grades=tuple(
                    GradeCount(g.key, g.label, ledger.count((key, g.key)), g.key == ref)
                    for g in framework.grades
                ),
                answered=ledger.count((key, "*")),
                matching=Share(
                    ledger.count((key, ref)) if ref in scale else Count(0, threshold),
                    ledger.count((key, "*")),
                ),
            )
        )
    return CalibrationResult(answered=total, domains=tuple(rows))
