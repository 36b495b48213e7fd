"""Calendar entries weekly, fortnightly, quarterly or after another entry (issue 13).

The pure rules under `qa.qa_calendar`: which day each dated entry falls on, when its
reminder is due, the deadline an entry set after another gets, and what a framework
file may write. Old files (months only) load and key their reminders as before. The
effect in chat is in tests/reminders/test_framework_rhythm.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from qa.framework import (
    CalendarEntry,
    Framework,
    FrameworkError,
    load_framework,
    parse_framework,
    preset,
)
from qa.qa_calendar import CalendarDue, calendar_reminders, occurrences
from qa.working_days import Month, is_working_day

LONDON = ZoneInfo("Europe/London")
SMALL = Path("tests/data/framework-small.yml")


def at(day: date, hh: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hh, tzinfo=LONDON).astimezone(UTC)


def year_of_dues(
    fw: Framework, start: date, days: int = 366
) -> dict[str, tuple[date, CalendarDue]]:
    """Each reminder key with the first day it was due, ticking daily at 10:00."""
    seen: dict[str, tuple[date, CalendarDue]] = {}
    for n in range(days):
        day = start + timedelta(days=n)
        for due in calendar_reminders(fw, at(day), LONDON):
            seen.setdefault(due.key, (day, due))
    return seen


def with_calendar(yaml_calendar: str) -> str:
    return SMALL.read_text(encoding="utf-8") + "\n" + yaml_calendar


def small(yaml_calendar: str) -> Framework:
    return parse_framework(with_calendar(yaml_calendar), filename="small.yml")


def problems(yaml_text: str) -> list[str]:
    with pytest.raises(FrameworkError) as exc:
        parse_framework(yaml_text, filename="small.yml")
    return [str(p) for p in exc.value.problems]


# -- old files keep working ------------------------------------------------------------


def test_an_entry_written_before_issue_13_loads_and_keys_as_before() -> None:
    fw = small(
        "calendar:\n"
        "  - {months: [4], activity: Board, owner_role: qa_lead, remind_days_before: 5}\n"
    )
    (entry,) = fw.calendar
    assert (entry.every, entry.months, entry.starts_on, entry.after) == ("month", [4], None, None)
    keys = set(year_of_dues(fw, date(2026, 1, 1)))
    assert keys == {"calendar:0:2026-04"}


def test_every_preset_loads() -> None:
    for name in ("camden", "city-of-london", "lambeth", "wandsworth"):
        assert load_framework(name).calendar


# -- fortnightly and weekly ------------------------------------------------------------


def test_camden_fortnightly_panels_fall_every_fourteen_days_all_year() -> None:
    fw = preset("camden")
    (index,) = [i for i, e in enumerate(fw.calendar) if e.every == "fortnight"]
    entry = fw.calendar[index]
    assert entry.starts_on == date(2027, 1, 6)
    seen = {k: v for k, v in year_of_dues(fw, date(2027, 1, 1)).items() if v[1].index == index}
    days = sorted(due.on for _, due in seen.values() if due.on is not None)
    assert days[0] == date(2027, 1, 6)
    assert all(b - a == timedelta(days=14) for a, b in pairwise(days))
    assert len(days) == 27  # 6 January 2027 to 5 January 2028, and the one after it
    for sent_on, due in seen.values():
        assert due.on is not None and due.key == f"calendar:{index}:{due.on.isoformat()}"
        assert is_working_day(sent_on) and sent_on <= due.on
        assert due.on - due.send_on >= timedelta(days=entry.remind_days_before)  # never less
        if due.send_on >= date(2027, 1, 1):
            assert sent_on == due.send_on  # on time when the bot is up


def test_a_missed_dated_reminder_is_sent_late_until_the_day_and_never_after() -> None:
    fw = small(
        "calendar:\n"
        "  - {every: week, starts_on: 2026-03-04, activity: Panel, owner_role: qa_lead,"
        " remind_days_before: 2}\n"
    )
    # Wednesday 11 March's reminder is due Monday 9th; down until Wednesday, it still goes.
    assert [d.on for d in calendar_reminders(fw, at(date(2026, 3, 9)), LONDON)] == [
        date(2026, 3, 11)
    ]
    assert date(2026, 3, 11) in {
        d.on for d in calendar_reminders(fw, at(date(2026, 3, 11)), LONDON)
    }
    assert date(2026, 3, 11) not in {
        d.on for d in calendar_reminders(fw, at(date(2026, 3, 12)), LONDON)
    }


def test_weekly_entries_can_be_kept_to_some_months() -> None:
    entry = CalendarEntry(
        every="week", starts_on=date(2026, 1, 5), months=[2], activity="x", owner_role="qa_lead"
    )
    days = list(occurrences(entry, date(2026, 1, 1), date(2026, 3, 31)))
    assert days == [date(2026, 2, 2), date(2026, 2, 9), date(2026, 2, 16), date(2026, 2, 23)]


def test_nothing_before_the_first_date() -> None:
    entry = CalendarEntry(
        every="fortnight", starts_on=date(2026, 6, 3), activity="x", owner_role="qa_lead"
    )
    assert list(occurrences(entry, date(2026, 1, 1), date(2026, 6, 2))) == []
    assert list(occurrences(entry, date(2026, 1, 1), date(2026, 6, 17))) == [
        date(2026, 6, 3),
        date(2026, 6, 17),
    ]


# -- quarterly ---------------------------------------------------------------------------


def test_a_quarterly_entry_defaults_to_january_april_july_october() -> None:
    fw = small("calendar:\n  - {every: quarter, activity: Review, owner_role: qa_lead}\n")
    months = {due.month.month for _, due in year_of_dues(fw, date(2026, 1, 1)).values()}
    assert months == {1, 4, 7, 10}


def test_city_of_london_board_entry_is_quarterly_in_its_months() -> None:
    fw = preset("city-of-london")
    (board,) = [e for e in fw.calendar if e.activity == "Achieving Excellence Board"]
    assert board.every == "quarter" and board.month_list == [3, 6, 9, 12]


# -- after another entry -------------------------------------------------------------------


def test_lambeth_practice_week_report_is_due_by_the_end_of_the_month_after() -> None:
    fw = preset("lambeth")
    (index,) = [i for i, e in enumerate(fw.calendar) if e.after is not None]
    seen = [v for v in year_of_dues(fw, date(2027, 1, 1)).values() if v[1].index == index]
    ((sent_on, due),) = seen
    # Saturday 31 July 2027: the Friday before; 20 days before that is Saturday 10th.
    assert due.on == date(2027, 7, 30) and due.key == f"calendar:{index}:2027-07-30"
    assert sent_on == date(2027, 7, 9)
    assert due.after is not None
    assert (due.after.activity, due.after.month, due.after.months) == (
        "Annual Practice Week",
        Month(2027, 6),
        1,
    )


def test_the_report_moves_with_the_week() -> None:
    fw = preset("lambeth")
    week = next(i for i, e in enumerate(fw.calendar) if e.key == "practice_week")
    moved = fw.calendar[week].model_copy(update={"months": [5]})
    calendar = [moved if i == week else e for i, e in enumerate(fw.calendar)]
    fw = fw.model_copy(update={"calendar": calendar})
    dues = [v[1] for v in year_of_dues(fw, date(2027, 1, 1)).values() if v[1].after is not None]
    assert [d.on for d in dues] == [date(2027, 6, 30)]


def test_after_a_dated_entry_counts_from_its_day() -> None:
    fw = small(
        "calendar:\n"
        "  - {key: panel, every: fortnight, starts_on: 2026-03-04, activity: Panel,"
        " owner_role: qa_lead, remind_days_before: 1}\n"
        "  - {after: {entry: panel, days: 7}, activity: Minutes, owner_role: qa_lead,"
        " remind_days_before: 2}\n"
    )
    dues = year_of_dues(fw, date(2026, 3, 1), days=30)
    minutes = sorted(d.on for _, d in dues.values() if d.index == 1 and d.on is not None)
    assert minutes == [date(2026, 3, 11), date(2026, 3, 25)]


# -- what a file may write -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("{every: fortnight, activity: P, owner_role: qa_lead}", "needs 'starts_on'"),
        ("{activity: P, owner_role: qa_lead}", "'months' is required"),
        (
            "{every: quarter, months: [1, 2, 3, 4], activity: P, owner_role: qa_lead}",
            "three months apart",
        ),
        (
            "{months: [1], starts_on: 2026-01-05, activity: P, owner_role: qa_lead}",
            "remove 'starts_on'",
        ),
        (
            "{after: {entry: week}, months: [7], activity: P, owner_role: qa_lead}",
            "remove 'months'",
        ),
        (
            "{after: {entry: nowhere}, activity: P, owner_role: qa_lead}",
            "no entry has that key",
        ),
    ],
)
def test_check_refuses_an_entry_that_cannot_run(entry: str, words: str) -> None:
    found = problems(with_calendar(f"calendar:\n  - {entry}\n"))
    assert any(words in p for p in found), found


def test_an_entry_after_an_entry_after_another_is_refused() -> None:
    found = problems(
        with_calendar(
            "calendar:\n"
            "  - {key: a, months: [1], activity: A, owner_role: qa_lead}\n"
            "  - {key: b, after: {entry: a, months: 1}, activity: B, owner_role: qa_lead}\n"
            "  - {after: {entry: b, months: 1}, activity: C, owner_role: qa_lead}\n"
        )
    )
    assert any("'b', which is itself set after another entry" in p for p in found), found


def test_a_misspelt_key_is_named() -> None:
    found = problems(
        with_calendar("calendar:\n  - {months: [1], activty: A, owner_role: qa_lead}\n")
    )
    assert any("did you mean 'activity'?" in p for p in found), found


# -- reports ---------------------------------------------------------------------------------


def test_a_report_needs_readers_and_quarter_months_only_when_quarterly() -> None:
    text = SMALL.read_text(encoding="utf-8").replace(
        "governance:", "summary:\n  reports:\n    - {every: month}\ngovernance:"
    )
    assert any("a report needs readers" in p for p in problems(text))
    text = SMALL.read_text(encoding="utf-8").replace(
        "governance:",
        "summary:\n  reports:\n    - {every: month, months: [3], post_to: [board]}\ngovernance:",
    )
    assert any("'months' is for quarterly reports" in p for p in problems(text))


def test_a_report_per_review_window_needs_review_windows() -> None:
    text = SMALL.read_text(encoding="utf-8").replace(
        "governance:",
        "summary:\n  reports:\n    - {every: review_window, post_to: [board]}\ngovernance:",
    )
    assert any("needs review_windows" in p for p in problems(text))


def test_a_report_names_channels_and_roles_the_file_defines() -> None:
    text = SMALL.read_text(encoding="utf-8").replace(
        "governance:",
        "summary:\n  reports:\n"
        "    - {every: month, post_to: [bord], send_to: [drector]}\ngovernance:",
    )
    found = problems(text)
    assert any("did you mean 'board'?" in p for p in found), found
    assert any("did you mean 'director'?" in p for p in found), found


@pytest.mark.parametrize("name", ["camden", "city-of-london", "lambeth", "wandsworth"])
def test_a_preset_dumped_and_read_back_is_the_same(name: str) -> None:
    """Code copies frameworks through `model_dump` (tests, the demo): every field is then
    written out, `after` entries' empty months included, and must validate again."""
    fw = preset(name)
    assert Framework.model_validate(fw.model_dump()) == fw
    assert Framework.model_validate_json(fw.model_dump_json()) == fw
