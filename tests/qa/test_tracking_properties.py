"""Properties of the reminder reconcilers over any month of ticks, however irregular.

Whatever times the job happens to run (every minute, twice a week, with gaps of days),
the outbox ends up with at most one digest a person a day and one escalation a week,
none of them on a weekend or bank holiday, all sent inside working hours.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from qa.framework import preset
from qa.tracking import (
    Due,
    TrackedItem,
    assignment_notices,
    before_due_reminders,
    overdue_digests,
    urgent_chasers,
    weekly_overdue_escalations,
)
from qa.working_days import is_working_day

LONDON = ZoneInfo("Europe/London")
LAMBETH = preset("lambeth")
POLICY = LAMBETH.reminders
AD = 100
# December 2026 has Christmas and a substitute Boxing Day; March and October 2026 the
# clock changes.
MONTHS = [date(2026, 12, 1), date(2026, 3, 1), date(2026, 10, 1)]


def run(items: list[TrackedItem], ticks: list[datetime]) -> list[tuple[datetime, Due]]:
    """The reminder job at each tick, through an outbox that refuses a known key."""
    sent: dict[str, tuple[datetime, Due]] = {}
    escalate_to = {owner: (AD,) for owner in (1, 2, 3)}
    for now in ticks:
        dues = (
            *assignment_notices(items, now),
            *before_due_reminders(POLICY, items, now, LONDON),
            *overdue_digests(POLICY, items, now, LONDON),
            *weekly_overdue_escalations(
                POLICY, LAMBETH.escalation, items, escalate_to, now, LONDON
            ),
            *urgent_chasers(items, now),
        )
        for due in dues:
            sent.setdefault(due.key, (now, due))
    return list(sent.values())


@st.composite
def scenario(draw: st.DrawFn) -> tuple[list[TrackedItem], list[datetime]]:
    start = draw(st.sampled_from(MONTHS))
    first = datetime.combine(start, time(0), tzinfo=UTC)
    last = first + timedelta(days=31)
    n_items = draw(st.integers(min_value=1, max_value=6))
    items = []
    for i in range(n_items):
        due = start + timedelta(days=draw(st.integers(min_value=-10, max_value=35)))
        snooze = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=31)))
        items.append(
            TrackedItem(
                id=i + 1,
                kind="recommendation",
                owner_id=draw(st.integers(min_value=1, max_value=3)),
                due_on=due,
                status=draw(st.sampled_from(["open", "open", "open", "done"])),
                snoozed_until=None if snooze is None else start + timedelta(days=snooze),
                created_at=first - timedelta(days=20),
            )
        )
    ticks = draw(
        st.lists(
            st.datetimes(
                min_value=first.replace(tzinfo=None),
                max_value=last.replace(tzinfo=None),
                timezones=st.just(UTC),
            ),
            min_size=1,
            max_size=300,
        )
    )
    return items, sorted(ticks)


def local_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


@settings(max_examples=150, deadline=None)
@given(scenario())
def test_at_most_one_digest_a_person_a_working_day(
    case: tuple[list[TrackedItem], list[datetime]],
) -> None:
    items, ticks = case
    sent = run(items, ticks)
    digests = [(now, due) for now, due in sent if due.kind == "overdue_digest"]
    per_day = Counter((due.person_id, local_date(now)) for now, due in digests)
    assert all(n == 1 for n in per_day.values())
    working_tick_days = {local_date(t) for t in ticks if is_working_day(local_date(t))}
    for now, due in digests:
        day = local_date(now)
        assert is_working_day(day), f"digest sent on {day}, not a working day"
        assert time(9) <= now.astimezone(LONDON).time() < time(17)
        assert due.key == f"overdue-digest:{due.person_id}:{day.isoformat()}"
        assert due.send_at.astimezone(LONDON).time() == time(9)
        assert local_date(due.send_at) == day
        assert all(i.owner_id == due.person_id and i.is_open for i in due.items)
    for person in {d.person_id for _, d in digests}:
        assert sum(d.person_id == person for _, d in digests) <= len(working_tick_days)


@settings(max_examples=150, deadline=None)
@given(scenario())
def test_at_most_one_escalation_a_week_and_nothing_sent_early(
    case: tuple[list[TrackedItem], list[datetime]],
) -> None:
    items, ticks = case
    sent = run(items, ticks)
    weekly = Counter(
        (due.person_id, local_date(now).isocalendar()[:2])
        for now, due in sent
        if due.kind == "overdue_escalation"
    )
    assert all(n == 1 for n in weekly.values())
    for now, due in sent:
        assert due.send_at <= now
        if due.kind != "assigned":
            assert is_working_day(local_date(now))


@settings(max_examples=60, deadline=None)
@given(scenario())
def test_a_tick_repeated_sends_nothing_new(case: tuple[list[TrackedItem], list[datetime]]) -> None:
    items, ticks = case
    once = {due.key for _, due in run(items, ticks)}
    twice = {due.key for _, due in run(items, [t for t in ticks for _ in (0, 1)])}
    assert once == twice
