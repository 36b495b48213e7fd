"""Issue 13: the calendar and the reports on each framework's own rhythm, in chat.

Each test names the framework's rule, runs the job at frozen times as the scheduler
would, delivers through the app's sender to the Slack or Teams fake, and reads what
people and the board's channel were sent:

- Camden QAF 5.2.4: "Attend fortnightly multi-agency Quality Assurance panels in
  Adults Social Care": a reminder before each panel, every fourteen days.
- Lambeth QAF 6: the Practice Week report goes to SAM "no later than one month after
  the Practice Week event": a deadline reminder set from the week's month.
- City of London QAF 2023, Timeline: the Achieving Excellence Board sits in March,
  June, September and December: its report covers the three months before, and a
  report follows each review window ("Reports on practice and impact reviews ...
  are scrutinised and signed off within governance arrangements").
- Lambeth QAF 4: "The report is shared with the relevant Assistant Director, Service
  Manager, PSW and PDLs": a direct message to each, with their role's figures, once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from qa.framework import preset
from reminders.qa_calendar import QA_CALENDAR
from reminders.summary import FRAMEWORK_REPORTS
from tests.reminders.rhythm_chat import LONDON, PLATFORMS, Platform, RhythmChat, rhythm_chat

# Thursday 3 December 2026 and Wednesday 6 January 2027 (1 January a bank holiday):
# the 3rd working day, the summary day, just after 09:00.
DECEMBER_SUMMARY_DAY = datetime(2026, 12, 3, 9, 1, tzinfo=UTC)
JANUARY_SUMMARY_DAY = datetime(2027, 1, 6, 9, 1, tzinfo=UTC)
LAMBETH_READERS = (
    "assistant_director",
    "service_manager",
    "principal_social_worker",
    "practice_development_lead",
)


def at_ten(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=LONDON).astimezone(UTC)


def tick_daily(chat: RhythmChat, first: date, last: date) -> None:
    """The calendar job once a day at 10:00, delivering what each day queued."""
    day = first
    while day <= last:
        before = len(chat.queued("calendar_reminder"))
        chat.run(QA_CALENDAR, at_ten(day))
        if len(chat.queued("calendar_reminder")) > before:
            chat.deliver(at_ten(day))
        day += timedelta(days=1)


def entry_index(chat: RhythmChat, activity_starts: str) -> int:
    (index,) = [
        i for i, e in enumerate(chat.framework.calendar) if e.activity.startswith(activity_starts)
    ]
    return index


@pytest.mark.parametrize("platform", PLATFORMS)
def test_camden_fortnightly_panels(platform: Platform, engine: Engine, db_url: str) -> None:
    with rhythm_chat(platform, "camden", engine=engine, db_url=db_url) as chat:
        index = entry_index(chat, "Multi-agency Quality Assurance panel")
        owners = chat.holders("head_of_service")
        assert owners
        # Panels on Wednesday 20 January and 3 February 2027 (the first on the 6th);
        # each reminded 3 days ahead, on the Friday before as that is a Sunday.
        tick_daily(chat, date(2027, 1, 7), date(2027, 2, 5))

        for owner in owners:
            sent = [t for t in chat.texts_to(owner) if "Multi-agency Quality Assurance panel" in t]
            assert len(sent) == 2, sent
            assert "Coming up on Wednesday 20 January" in sent[0]
            assert "Coming up on Wednesday 3 February" in sent[1]
            assert "every fortnight" in sent[0]
        keys = {m.idempotency_key for m in chat.queued("calendar_reminder")}
        assert f"calendar:{index}:2027-01-20:{owners[0]}" in keys
        assert f"calendar:{index}:2027-02-03:{owners[0]}" in keys
        assert not any(k.startswith(f"calendar:{index}:2027-02-17") for k in keys)
        sent_on = sorted(
            m.created_at.date()
            for m in chat.queued("calendar_reminder")
            if m.idempotency_key.startswith(f"calendar:{index}:") and m.person_id == owners[0]
        )
        assert sent_on == [date(2027, 1, 15), date(2027, 1, 29)]  # Fridays, not Sundays


@pytest.mark.parametrize("platform", PLATFORMS)
def test_lambeth_practice_week_report_one_month_after(
    platform: Platform, engine: Engine, db_url: str
) -> None:
    with rhythm_chat(platform, "lambeth", engine=engine, db_url=db_url) as chat:
        index = entry_index(chat, "Practice Week report to SAM")
        # Practice Week is in June: the report is due by the end of July, Saturday 31
        # July 2027, so Friday 30th; the reminder goes 20 days before, Friday 9 July.
        tick_daily(chat, date(2027, 7, 5), date(2027, 7, 8))
        assert not any(
            m.idempotency_key.startswith(f"calendar:{index}:")
            for m in chat.queued("calendar_reminder")
        )  # not before the reminder's day
        tick_daily(chat, date(2027, 7, 9), date(2027, 7, 13))

        owners = chat.holders("principal_social_worker")
        assert owners
        for owner in owners:
            sent = [t for t in chat.texts_to(owner) if "Practice Week report to SAM" in t]
            assert len(sent) == 1, sent
            assert "Due by Friday 30 July" in sent[0]
            assert "1 month after Annual Practice Week (June 2027)" in sent[0]
        (posted,) = [t for t in chat.channel_texts() if "Practice Week report to SAM" in t]
        assert "Due by Friday 30 July" in posted
        assert "Hello" not in posted  # the channel's copy greets nobody
        keys = {m.idempotency_key for m in chat.queued("calendar_reminder")}
        assert f"calendar:{index}:2027-07-30:channel" in keys


@pytest.mark.parametrize("platform", PLATFORMS)
def test_city_of_london_quarterly_board_report(
    platform: Platform, engine: Engine, db_url: str
) -> None:
    with rhythm_chat(platform, "city-of-london", engine=engine, db_url=db_url) as chat:
        chat.run(FRAMEWORK_REPORTS, DECEMBER_SUMMARY_DAY)
        chat.deliver(DECEMBER_SUMMARY_DAY)
        posts = chat.channel_texts()
        # December: the board sits, with September to November; the October and
        # November review window has closed, so its reviews come as one report too.
        (board,) = [p for p in posts if "Achieving Excellence Board report" in p]
        assert "September to November 2026" in board
        (window,) = [p for p in posts if "Practice and impact reviews report" in p]
        assert "October to November 2026" in window
        for post in posts:
            assert chat.leaks(post) == []

        # January: no sitting, no window closed: nothing more, and nothing twice.
        chat.run(FRAMEWORK_REPORTS, DECEMBER_SUMMARY_DAY + timedelta(hours=2))
        chat.run(FRAMEWORK_REPORTS, JANUARY_SUMMARY_DAY)
        chat.deliver(JANUARY_SUMMARY_DAY)
        assert len(chat.channel_texts()) == 2
        keys = sorted(m.idempotency_key for m in chat.queued("framework_report"))
        assert keys == [
            "report:0:2026-09..2026-11:channel:achieving_excellence",
            "report:1:2026-10..2026-11:channel:achieving_excellence",
        ]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_lambeth_report_to_named_roles(platform: Platform, engine: Engine, db_url: str) -> None:
    with rhythm_chat(platform, "lambeth", engine=engine, db_url=db_url) as chat:
        chat.run(FRAMEWORK_REPORTS, DECEMBER_SUMMARY_DAY)
        chat.run(FRAMEWORK_REPORTS, DECEMBER_SUMMARY_DAY + timedelta(hours=1))  # once only
        chat.deliver(DECEMBER_SUMMARY_DAY)

        readers = sorted({p for role in LAMBETH_READERS for p in chat.holders(role)})
        assert len(readers) >= len(LAMBETH_READERS)
        for reader in readers:
            sent = [t for t in chat.texts_to(reader) if "Monthly audit report" in t]
            assert len(sent) == 1, (reader, sent)
            assert "November 2026" in sent[0]
            assert chat.leaks(sent[0]) == []
        # A service's Assistant Director gets their service's figures, not the authority's.
        for ad in chat.holders("assistant_director"):
            (text,) = [t for t in chat.texts_to(ad) if "Monthly audit report" in t]
            assert "Service: " in text
        others = [p for p in chat.holders("practitioner") if p not in readers]
        assert others and all(
            not any("Monthly audit report" in t for t in chat.texts_to(p)) for p in others
        )
        keys = {m.idempotency_key for m in chat.queued("framework_report")}
        assert keys == {f"report:0:2026-11..2026-11:{p}" for p in readers}
        # Not a quarter month for SAM's quarterly QA report: nothing in the channel.
        assert chat.channel_texts() == []


def test_lambeth_quarterly_qa_report_goes_to_sam_in_its_months(engine: Engine, db_url: str) -> None:
    with rhythm_chat("slack", "lambeth", engine=engine, db_url=db_url) as chat:
        chat.run(FRAMEWORK_REPORTS, JANUARY_SUMMARY_DAY)
        chat.deliver(JANUARY_SUMMARY_DAY)
        (posted,) = chat.channel_texts()
        assert "Quarterly QA report" in posted and "October to December 2026" in posted
        assert chat.leaks(posted) == []


def test_no_reports_means_the_job_is_not_scheduled() -> None:
    assert FRAMEWORK_REPORTS.on(preset("camden"), date(2026, 12, 3)) is False
    assert FRAMEWORK_REPORTS.on(preset("lambeth"), date(2026, 12, 3)) is True
    assert FRAMEWORK_REPORTS.on(preset("lambeth"), date(2026, 12, 4)) is False
