"""The recurring QA calendar: each activity's owner reminded ahead of its month, once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from qa.framework import preset, preset_names
from qa.qa_calendar import (
    CalendarDue,
    calendar_reminders,
    first_working_day,
    follow_up_reminders,
    reminder_date,
    window_starts,
)
from qa.working_days import Month, is_working_day

LONDON = ZoneInfo("Europe/London")
LAMBETH = preset("lambeth")
POLICY = LAMBETH.reminders


def at(y: int, m: int, d: int, hh: int = 10) -> datetime:
    return datetime(y, m, d, hh, tzinfo=LONDON).astimezone(UTC)


def landing_the_learning(now: datetime) -> list[CalendarDue]:
    return [d for d in calendar_reminders(LAMBETH, now, LONDON) if d.index == 0]


def test_the_owner_is_reminded_days_before_the_months_first_working_day() -> None:
    # Landing the Learning, monthly, 5 days ahead: April 2026 starts on Wednesday 1st.
    assert all(d.month != Month(2026, 4) for d in landing_the_learning(at(2026, 3, 26)))
    (april,) = [d for d in landing_the_learning(at(2026, 3, 27)) if d.month == Month(2026, 4)]
    assert april.key == "calendar:0:2026-04"
    assert (april.send_on, april.owner_role, april.activity) == (
        date(2026, 3, 27),
        "qa_lead",
        "Landing the Learning meeting",
    )


def test_a_reminder_due_at_the_weekend_goes_on_the_working_day_before() -> None:
    # 5 days before Friday 1 May 2026 is Sunday 26 April: Friday 24 April instead.
    assert reminder_date(POLICY, Month(2026, 5), 5) == date(2026, 4, 24)
    # January 2026 starts on a bank holiday; 5 days before Friday 2nd is Sunday 28
    # December, and the 26th and 25th are bank holidays too: Wednesday 24th.
    assert first_working_day(POLICY, Month(2026, 1)) == date(2026, 1, 2)
    assert reminder_date(POLICY, Month(2026, 1), 5) == date(2025, 12, 24)


def test_months_not_listed_get_no_reminder() -> None:
    camden = preset("camden")  # Practice and Performance Meetings in odd months only
    feb = [d for d in calendar_reminders(camden, at(2026, 1, 22), LONDON) if d.index == 0]
    assert all(d.month.month % 2 == 1 for d in feb)
    keys = set()
    for day in range(60):
        now = at(2026, 1, 1) + timedelta(days=day)
        keys |= {d.key for d in calendar_reminders(camden, now, LONDON) if d.index == 0}
    assert keys == {"calendar:0:2026-01", "calendar:0:2026-03"}


def test_nothing_outside_the_sending_window() -> None:
    assert calendar_reminders(LAMBETH, at(2026, 3, 27, 7), LONDON) == ()
    assert calendar_reminders(LAMBETH, at(2026, 3, 28), LONDON) == ()  # Saturday
    assert follow_up_reminders(preset("city-of-london"), at(2026, 5, 22, 18), LONDON) == ()


def test_a_missed_reminder_is_caught_up_in_the_first_week_then_dropped() -> None:
    # Down from 27 March until 2 April: April's reminder still goes, late.
    assert "calendar:0:2026-04" in {d.key for d in landing_the_learning(at(2026, 4, 2))}
    assert "calendar:0:2026-04" in {d.key for d in landing_the_learning(at(2026, 4, 7))}
    assert "calendar:0:2026-04" not in {d.key for d in landing_the_learning(at(2026, 4, 8))}


def test_follow_up_windows_are_reminded_before_they_open() -> None:
    col = preset("city-of-london")
    (june,) = follow_up_reminders(col, at(2026, 5, 22), LONDON)
    assert (june.key, june.kind, june.owner_role, june.channel) == (
        "follow-up:0:2026-06",
        "follow_up",
        "assistant_director",
        "achieving_excellence",
    )
    # 10 days before Tuesday 1 December is Saturday 21 November: Friday 20th.
    (december,) = follow_up_reminders(col, at(2026, 11, 20), LONDON)
    assert (december.key, december.send_on) == ("follow-up:1:2026-12", date(2026, 11, 20))
    keys = set()
    for day in range(365):
        keys |= {
            d.key for d in follow_up_reminders(col, at(2026, 1, 1) + timedelta(days=day), LONDON)
        }
    # January is the second month of the December window, July of June's: no reminder.
    assert keys == {"follow-up:0:2026-06", "follow-up:1:2026-12"}


def test_window_starts() -> None:
    col = preset("city-of-london")
    assert [window_starts(w) for w in col.follow_up_windows] == [[6], [12]]


@pytest.mark.parametrize("name", preset_names())
def test_a_year_of_daily_ticks_reminds_each_entry_once_a_listed_month_on_time(name: str) -> None:
    fw = preset(name)
    first_seen: dict[str, tuple[date, CalendarDue]] = {}
    day = date(2026, 1, 1)
    while day <= date(2026, 12, 31):
        for due in calendar_reminders(fw, at(day.year, day.month, day.day), LONDON):
            first_seen.setdefault(due.key, (day, due))
        day += timedelta(days=1)
    # Entries by the month (weekly, fortnightly and "after" entries are dated: their
    # year is checked in tests/qa/test_calendar_rhythm.py).
    monthly = {i for i, e in enumerate(fw.calendar) if e.after is None and e.starts_on is None}
    for index, entry in enumerate(fw.calendar):
        if index not in monthly:
            continue
        for m in entry.month_list:
            assert f"calendar:{index}:2026-{m:02d}" in first_seen, (entry.activity, m)
    for sent_on, due in first_seen.values():
        if due.index not in monthly:
            continue
        assert is_working_day(sent_on)
        assert due.month.month in fw.calendar[due.index].month_list
        if due.send_on >= date(2026, 1, 1):
            assert sent_on == due.send_on  # on time, not early, when the bot is up
        assert due.send_on < first_working_day(fw.reminders, due.month) or (
            fw.calendar[due.index].remind_days_before == 0
        )
