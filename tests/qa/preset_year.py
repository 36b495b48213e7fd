"""A preset's calendar over a year: which reminders go out, for which month, to whom.

The calendar job asks `qa.qa_calendar` at each tick what is due; this asks it once a
day at 10:00 on every day of a year, as a scheduler would, and collects the answers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from qa.framework import Framework
from qa.qa_calendar import CalendarDue, calendar_reminders, follow_up_reminders

LONDON = ZoneInfo("Europe/London")


def reminders_over_a_year(fw: Framework, start: date = date(2026, 1, 1)) -> list[CalendarDue]:
    """Every calendar and follow-up reminder due on a day of the year from `start`."""
    seen: dict[str, CalendarDue] = {}
    for n in range(366):
        day = start + timedelta(days=n)
        now = datetime(day.year, day.month, day.day, 10, tzinfo=LONDON).astimezone(UTC)
        for due in (*calendar_reminders(fw, now, LONDON), *follow_up_reminders(fw, now, LONDON)):
            seen.setdefault(due.key, due)
    return list(seen.values())
