"""The weekly report of QA alerts (Lambeth QAF 8), to every holder of the roles named.

"A report of Quality Assurance alerts raised by Independent Chairs/Reviewing officers
is circulated to all Assistant Directors and the Director of Children's Social Care on
a weekly basis." On `qa_alerts.weekly_report_weekday` (the next working day when it is
a bank holiday) at the summary time, each holder
of a `weekly_report_to` role gets the seven days before: how many alerts were raised
(by service and by concern), how many are acted on and how many still open, and every
alert still open after its day to act on it, whichever week it was raised. It is a
direct message to senior managers, so it names cases by reference (never a child) and
says who was asked to act. One key per reader and week: a run repeated, or a catch-up
after downtime, sends the latest week's report once.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from messages.tracking import first_name
from qa.allocation_rules import uses_bank_holidays
from qa.framework import Framework, QaAlerts
from qa.working_days import is_working_day
from reminders.jobs import JobContext, JobResult, at_summary_time
from reminders.timing import local_instant
from storage.models import Case, QaAlert, Service
from storage.outbox import Message, enqueue
from storage.qa_alerts import counts, late, raised_between
from storage.tracking import directory

TEMPLATE = "alert_weekly"
MIDNIGHT = time(0, 0)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _nominal(policy: QaAlerts, d: date) -> date:
    """The report's weekday in `d`'s week, on or before `d` (the week it names)."""
    return d - timedelta(days=(d.weekday() - WEEKDAYS.index(policy.weekly_report_weekday)) % 7)


def _sent_on(fw: Framework, nominal: date) -> date:
    """The day a report goes: its weekday, or the next working day when that is a holiday."""
    bank = uses_bank_holidays(fw)
    day = nominal
    while day.weekday() < 5 and not is_working_day(day, bank_holidays=bank):
        day += timedelta(days=1)
    return day if day - nominal < timedelta(days=6) else nominal


def report_day(fw: Framework, policy: QaAlerts, now: datetime, tz: ZoneInfo) -> date:
    """The weekday of the latest report due by `now` (its day and time have come)."""
    day = _nominal(policy, now.astimezone(tz).date())
    if now < local_instant(_sent_on(fw, day), fw.summary.time, tz):
        day -= timedelta(days=7)
    return day


def weekly_context(
    ctx: JobContext, policy: QaAlerts, week: list[QaAlert], overdue: list[QaAlert]
) -> dict[str, Any]:
    """The week's figures and alerts, and the late ones (JSON-safe: it is stored)."""
    staff = directory(session=ctx.session)
    cases = {c.id: c for c in ctx.session.exec(select(Case))}
    services = {s.id: s.name for s in ctx.session.exec(select(Service))}

    def reference(alert: QaAlert) -> str:
        case = cases.get(alert.case_id)
        return case.reference if case else ""

    def service(alert: QaAlert) -> str:
        case = cases.get(alert.case_id)
        return services.get(case.service_id, "") if case else ""

    by_service = Counter(service(a) for a in week)
    by_kind = Counter(a.kind for a in week)
    acted = sum(1 for a in week if a.acted_at is not None)
    return {
        "raised": len(week),
        "acted_on": acted,
        "open": len(week) - acted,
        "by_service": [{"label": k, "count": n} for k, n in sorted(by_service.items())],
        "by_kind": [
            {"label": policy.kind_label(k.key), "count": by_kind[k.key]}
            for k in policy.kinds
            if by_kind[k.key]
        ],
        "alerts": [
            {
                "reference": reference(a),
                "kind": policy.kind_label(a.kind),
                "service": service(a),
                "state": "acted on" if a.acted_at is not None else "open",
            }
            for a in week
        ],
        "late": [
            {
                "reference": reference(a),
                "kind": policy.kind_label(a.kind),
                "due_on": a.due_on.isoformat(),
                "asked": staff.name(a.acted_on_by_id) or None,
            }
            for a in overdue
        ],
    }


def run_weekly_alerts(ctx: JobContext) -> JobResult:
    fw = ctx.framework
    policy = fw.qa_alerts
    if policy is None:
        return JobResult()
    day = report_day(fw, policy, ctx.now, ctx.tz)
    start = local_instant(day - timedelta(days=7), MIDNIGHT, ctx.tz)
    end = local_instant(day, MIDNIGHT, ctx.tz)
    week = raised_between(session=ctx.session, start=start, end=end)
    overdue = late(session=ctx.session, today=day)
    base = weekly_context(ctx, policy, week, overdue) | {
        "week_of": (day - timedelta(days=7)).isoformat(),
        "week_to": (day - timedelta(days=1)).isoformat(),
    }
    staff = directory(session=ctx.session)
    wanted = set(policy.weekly_report_to)
    sent = 0
    for person in staff.people.values():
        if not wanted & set(person.roles or ()):
            continue
        key = f"qa-alerts-weekly:{person.id}:{day.isoformat()}"
        context = base | {"first_name": first_name(person.name)}
        message = Message(TEMPLATE, key, context, person_id=person.id)
        sent += enqueue(session=ctx.session, message=message, now=ctx.now)
    return JobResult(enqueued=sent)


def _is_report_day(fw: Framework, d: date) -> bool:
    policy = fw.qa_alerts
    return policy is not None and d == _sent_on(fw, _nominal(policy, d))


WEEKLY_ALERTS = at_summary_time(
    "qa_alerts_weekly",
    "Send the week's QA alerts (raised, acted on, late) to the roles named",
    run_weekly_alerts,
    _is_report_day,
)


def period_facts(
    ctx: JobContext, first: date, last: date, teams: tuple[int, ...] | None, threshold: int
) -> list[dict[str, str]]:
    """The QA alerts of a report's months (Lambeth QAF 8: the monthly and quarterly QA
    report "captures the impact of Quality Assurance alerts"): raised, acted on, open.

    Facts in the report's own shape, for the cases of `teams` (None: all), small
    counts shown as "fewer than N" as the report's other figures are; none where the
    framework has no QA alerts, so other frameworks' reports are unchanged.
    """
    if ctx.framework.qa_alerts is None:
        return []
    start = local_instant(first, MIDNIGHT, ctx.tz)
    end = local_instant(last + timedelta(days=1), MIDNIGHT, ctx.tz)
    found = counts(session=ctx.session, start=start, end=end, teams=teams)
    return [
        {"label": "QA alerts raised", "value": _shown(found.raised, threshold)},
        {"label": "QA alerts acted on", "value": _shown(found.acted_on, threshold)},
        {"label": "QA alerts still open", "value": _shown(found.open, threshold)},
    ]


def _shown(count: int, threshold: int) -> str:
    return f"fewer than {threshold}" if 0 < count < threshold else str(count)
