"""Reminders, digests, weekly escalations and chasers: what is due at a tick, once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from qa.framework import Framework, ReminderPolicy, preset
from qa.send_window import snooze_until
from qa.tracking import (
    CaseUnderReview,
    Due,
    TrackedItem,
    assignment_notices,
    before_due_reminders,
    case_review_reminders,
    overdue_digests,
    urgent_chasers,
    weekly_overdue_escalations,
)

LONDON = ZoneInfo("Europe/London")
LAMBETH = preset("lambeth")
POLICY = LAMBETH.reminders  # Mon-Fri, 09:00-17:00, quiet 18:00-08:00, bank holidays
AD = 100
ESCALATE_TO = {1: (AD,), 2: (AD,), 3: (AD,)}


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    """A London wall-clock time, as the UTC instant a tick would carry."""
    return datetime(y, m, d, hh, mm, tzinfo=LONDON).astimezone(UTC)


def rec(item_id: int, owner: int, due: date, **kw: Any) -> TrackedItem:
    created = kw.pop("created_at", at(2026, 1, 5))
    return TrackedItem(
        id=item_id, kind="recommendation", owner_id=owner, due_on=due, created_at=created, **kw
    )


def policy(**changes: Any) -> ReminderPolicy:
    return ReminderPolicy.model_validate(POLICY.model_dump() | changes)


def keys(dues: Iterable[Due]) -> set[str]:
    return {d.key for d in dues}


def tick(
    items: Sequence[TrackedItem],
    now: datetime,
    *,
    fw: Framework = LAMBETH,
    reviews: Sequence[CaseUnderReview] = (),
    escalate_to: Mapping[int, Sequence[int]] = ESCALATE_TO,
) -> tuple[Due, ...]:
    """Everything the reminder job would enqueue at `now`."""
    p = fw.reminders
    return (
        *assignment_notices(items, now),
        *before_due_reminders(p, items, now, LONDON),
        *overdue_digests(p, items, now, LONDON),
        *weekly_overdue_escalations(p, fw.escalation, items, escalate_to, now, LONDON),
        *urgent_chasers(items, now),
        *case_review_reminders(fw, reviews, now, LONDON),
    )


class Outbox:
    """The outbox's one rule: a key it already holds is not enqueued again."""

    def __init__(self) -> None:
        self.sent: dict[str, Due] = {}

    def run(self, items: Sequence[TrackedItem], now: datetime, **kw: Any) -> list[Due]:
        new = [d for d in tick(items, now, **kw) if d.key not in self.sent]
        self.sent.update((d.key, d) for d in new)
        return new

    def of_kind(self, kind: str) -> list[Due]:
        return [d for d in self.sent.values() if d.kind == kind]


def every(start: datetime, end: datetime, step: timedelta) -> Iterable[datetime]:
    now = start
    while now <= end:
        yield now
        now += step


# -- the owner is told, then reminded ----------------------------------------------


def test_owner_is_told_once_when_an_item_is_assigned() -> None:
    item = rec(1, 1, date(2026, 3, 20), created_at=at(2026, 3, 10, 21, 15))
    (notice,) = assignment_notices([item], at(2026, 3, 10, 21, 16))
    assert (notice.kind, notice.person_id, notice.key) == (
        "assigned",
        1,
        "assigned:recommendation:1",
    )
    assert notice.send_at == item.created_at  # at once: it answers what someone just did
    assert assignment_notices([item], at(2026, 3, 18)) == ()  # old news
    assert assignment_notices([replace(item, status="done")], at(2026, 3, 10, 22)) == ()


def test_reminded_three_working_days_before_and_on_the_day() -> None:
    item = rec(1, 1, date(2026, 3, 12))  # Thursday; 3 working days before: Monday 9th
    assert before_due_reminders(POLICY, [item], at(2026, 3, 6), LONDON) == ()
    (soon,) = before_due_reminders(POLICY, [item], at(2026, 3, 9), LONDON)
    assert soon.key == "due-soon:recommendation:1:2026-03-12:3wd"
    assert soon.send_at == at(2026, 3, 9, 9)
    (today,) = before_due_reminders(POLICY, [item], at(2026, 3, 12, 15), LONDON)
    assert (today.kind, today.key) == ("due_today", "due-today:recommendation:1:2026-03-12")
    assert before_due_reminders(POLICY, [item], at(2026, 3, 13), LONDON) == ()  # overdue now


def test_a_missed_reminder_is_replaced_by_the_closer_one_not_both() -> None:
    item = rec(1, 1, date(2026, 3, 12))
    two = policy(before_due_working_days=[3, 1])
    # Down Monday and Tuesday: on Wednesday only "due tomorrow" goes.
    assert keys(before_due_reminders(two, [item], at(2026, 3, 11), LONDON)) == {
        "due-soon:recommendation:1:2026-03-12:1wd"
    }
    # Down on Monday only: Tuesday catches up the 3-day reminder.
    assert keys(before_due_reminders(two, [item], at(2026, 3, 10), LONDON)) == {
        "due-soon:recommendation:1:2026-03-12:3wd"
    }


def test_no_before_due_reminder_for_an_item_assigned_after_its_date() -> None:
    item = rec(1, 1, date(2026, 3, 12), created_at=at(2026, 3, 10, 9, 30))
    assert before_due_reminders(POLICY, [item], at(2026, 3, 10, 11), LONDON) == ()
    assert before_due_reminders(POLICY, [item], at(2026, 3, 11), LONDON) == ()


def test_an_escalation_is_reminded_by_its_own_days_before_its_deadline() -> None:
    deadline = datetime(2026, 3, 17, 23, 59, 59, tzinfo=LONDON).astimezone(UTC)
    esc = TrackedItem(
        id=7,
        kind="escalation",
        owner_id=3,
        deadline=deadline,
        created_at=at(2026, 3, 10),
        remind_before=(2,),
    )
    assert keys(before_due_reminders(POLICY, [esc], at(2026, 3, 13), LONDON)) == {
        "due-soon:escalation:7:2026-03-17:2wd"
    }
    assert keys(before_due_reminders(POLICY, [esc], at(2026, 3, 17, 16), LONDON)) == {
        "due-today:escalation:7:2026-03-17"
    }


def test_no_reminders_once_done() -> None:
    item = rec(1, 1, date(2026, 3, 12), status="done")
    assert tick([item], at(2026, 3, 9)) == ()
    assert tick([item], at(2026, 3, 16)) == ()


# -- overdue digests ---------------------------------------------------------------


def test_one_overdue_digest_a_day_at_most() -> None:
    items = [rec(1, 1, date(2026, 3, 2)), rec(2, 1, date(2026, 3, 5)), rec(3, 2, date(2026, 3, 4))]
    box = Outbox()
    for now in every(at(2026, 3, 10, 0), at(2026, 3, 11, 23, 59), timedelta(minutes=15)):
        box.run(items, now)
    digests = sorted(box.of_kind("overdue_digest"), key=lambda d: d.key)
    assert [d.key for d in digests] == [
        "overdue-digest:1:2026-03-10",
        "overdue-digest:1:2026-03-11",
        "overdue-digest:2:2026-03-10",
        "overdue-digest:2:2026-03-11",
    ]
    assert digests[0].item_ids == (1, 2)  # everything of theirs, in one message
    assert digests[0].send_at == at(2026, 3, 10, 9)


def test_the_due_day_itself_is_not_overdue() -> None:
    item = rec(1, 1, date(2026, 3, 10))
    assert overdue_digests(POLICY, [item], at(2026, 3, 10, 16), LONDON) == ()
    assert len(overdue_digests(POLICY, [item], at(2026, 3, 11, 9), LONDON)) == 1


@pytest.mark.parametrize(
    "day",
    [date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 27), date(2026, 12, 28)],
    ids=["christmas", "saturday", "sunday", "boxing-day-substitute"],
)
def test_no_digest_on_a_bank_holiday(day: date) -> None:
    # 28 December 2026 is the substitute bank holiday for Boxing Day (a Saturday).
    item = rec(1, 1, date(2026, 12, 1))
    for hour in range(24):
        now = at(day.year, day.month, day.day, hour)
        assert overdue_digests(POLICY, [item], now, LONDON) == ()
    (after,) = overdue_digests(POLICY, [item], at(2026, 12, 29, 9), LONDON)
    assert after.key == "overdue-digest:1:2026-12-29"


def test_bank_holidays_count_when_the_framework_says_none() -> None:
    item = rec(1, 1, date(2026, 12, 1))
    assert len(overdue_digests(policy(bank_holidays="none"), [item], at(2026, 12, 28), LONDON)) == 1


def test_no_digest_in_quiet_hours() -> None:
    item = rec(1, 1, date(2026, 3, 2))
    # Working hours 07:00-19:00 but quiet from 18:00 to 08:00: quiet hours win.
    long_day = policy(working_hours_start=time(7), working_hours_end=time(19))
    for hh, mm in [(7, 0), (7, 59), (18, 0), (18, 30)]:
        assert overdue_digests(long_day, [item], at(2026, 3, 10, hh, mm), LONDON) == ()
    (first,) = overdue_digests(long_day, [item], at(2026, 3, 10, 12), LONDON)
    assert first.send_at == at(2026, 3, 10, 8)  # the window opened when quiet hours ended
    # Default hours: before 09:00 and from 17:00 nothing.
    assert overdue_digests(POLICY, [item], at(2026, 3, 10, 8, 59), LONDON) == ()
    assert overdue_digests(POLICY, [item], at(2026, 3, 10, 17), LONDON) == ()


def test_snoozed_item_left_out_for_a_day() -> None:
    late, other = rec(1, 1, date(2026, 3, 2)), rec(2, 1, date(2026, 3, 3))
    snoozed = replace(late, snoozed_until=snooze_until(POLICY, date(2026, 3, 10)))
    assert snoozed.snoozed_until == date(2026, 3, 11)
    (tue,) = overdue_digests(POLICY, [snoozed, other], at(2026, 3, 10, 11), LONDON)
    assert tue.item_ids == (2,)
    assert overdue_digests(POLICY, [snoozed], at(2026, 3, 10, 11), LONDON) == ()
    (wed,) = overdue_digests(POLICY, [snoozed, other], at(2026, 3, 11, 9), LONDON)
    assert wed.item_ids == (1, 2)


def test_a_snooze_on_friday_lasts_until_monday() -> None:
    assert snooze_until(POLICY, date(2026, 3, 13)) == date(2026, 3, 16)
    assert snooze_until(POLICY, date(2026, 12, 24)) == date(2026, 12, 29)


def test_snoozed_item_gets_no_before_due_reminder_that_day() -> None:
    item = rec(1, 1, date(2026, 3, 12), snoozed_until=date(2026, 3, 10))
    assert before_due_reminders(POLICY, [item], at(2026, 3, 9), LONDON) == ()
    assert len(before_due_reminders(POLICY, [item], at(2026, 3, 10), LONDON)) == 1


def test_digest_at_nine_local_on_the_spring_clock_change() -> None:
    # 29 March 2026 is a Sunday: a seven-day week makes it a working day.
    daily = policy(working_days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
    item = rec(1, 1, date(2026, 3, 20))
    nine_bst = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 09:00 BST
    assert overdue_digests(daily, [item], nine_bst - timedelta(minutes=1), LONDON) == ()
    (digest,) = overdue_digests(daily, [item], nine_bst, LONDON)
    assert digest.key == "overdue-digest:1:2026-03-29"
    assert digest.send_at == nine_bst
    # The day before (GMT), 08:00 UTC was 08:00 local: too early.
    assert overdue_digests(daily, [item], datetime(2026, 3, 28, 8, 0, tzinfo=UTC), LONDON) == ()
    # The Monday after, with the usual week: 09:00 BST too.
    (monday,) = overdue_digests(POLICY, [item], datetime(2026, 3, 30, 8, 0, tzinfo=UTC), LONDON)
    assert monday.send_at == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_digest_at_nine_local_on_the_autumn_clock_change() -> None:
    daily = policy(working_days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
    item = rec(1, 1, date(2026, 10, 20))
    nine_gmt = datetime(2026, 10, 25, 9, 0, tzinfo=UTC)  # 09:00 GMT, clocks went back at 02:00
    assert overdue_digests(daily, [item], nine_gmt - timedelta(minutes=30), LONDON) == ()
    (digest,) = overdue_digests(daily, [item], nine_gmt, LONDON)
    assert (digest.key, digest.send_at) == ("overdue-digest:1:2026-10-25", nine_gmt)
    # The day before, still BST: 08:30 UTC was 09:30 local.
    assert (
        len(overdue_digests(daily, [item], datetime(2026, 10, 24, 8, 30, tzinfo=UTC), LONDON)) == 1
    )
    # Hourly ticks through the repeated hour still give one digest that day.
    box = Outbox()
    for now in every(
        datetime(2026, 10, 24, 23, tzinfo=UTC),
        datetime(2026, 10, 25, 23, tzinfo=UTC),
        timedelta(minutes=20),
    ):
        box.run([item], now, fw=LAMBETH.model_copy(update={"reminders": daily}))
    assert [d.key for d in box.of_kind("overdue_digest")] == ["overdue-digest:1:2026-10-25"]


# -- weekly escalation to the Assistant Director -----------------------------------


def test_one_weekly_ad_escalation() -> None:
    items = [rec(1, 1, date(2026, 3, 2)), rec(2, 2, date(2026, 3, 3)), rec(3, AD, date(2026, 3, 3))]
    box = Outbox()
    for now in every(at(2026, 3, 9, 0), at(2026, 3, 22, 23), timedelta(hours=1)):
        box.run(items, now, escalate_to=ESCALATE_TO | {AD: (AD,)})
    weekly = sorted(box.of_kind("overdue_escalation"), key=lambda d: d.key)
    assert [d.key for d in weekly] == [
        f"overdue-escalation:{AD}:2026-W11",
        f"overdue-escalation:{AD}:2026-W12",
    ]
    assert all(d.send_at.astimezone(LONDON).strftime("%a %H:%M") == "Mon 09:00" for d in weekly)
    assert weekly[0].item_ids == (1, 2)  # the AD's own item is not escalated to them


def test_the_weekly_escalation_moves_to_tuesday_after_a_bank_holiday_monday() -> None:
    items = [rec(1, 1, date(2026, 3, 20))]
    easter_monday = at(2026, 4, 6, 11)
    assert (
        weekly_overdue_escalations(
            POLICY, LAMBETH.escalation, items, ESCALATE_TO, easter_monday, LONDON
        )
        == ()
    )
    (due,) = weekly_overdue_escalations(
        POLICY, LAMBETH.escalation, items, ESCALATE_TO, at(2026, 4, 7, 9, 5), LONDON
    )
    assert due.key == f"overdue-escalation:{AD}:2026-W15"
    assert due.send_at == at(2026, 4, 7, 9)


def test_a_missed_monday_is_caught_up_later_that_week_once() -> None:
    items = [rec(1, 1, date(2026, 3, 2))]
    box = Outbox()
    box.run(items, at(2026, 3, 6, 16))  # Friday, week 10: sent (late)
    box.run(items, at(2026, 3, 11, 10))  # down until Wednesday of week 11
    box.run(items, at(2026, 3, 12, 10))
    assert sorted(d.key for d in box.of_kind("overdue_escalation")) == [
        f"overdue-escalation:{AD}:2026-W10",
        f"overdue-escalation:{AD}:2026-W11",
    ]


def test_no_weekly_escalation_where_the_framework_names_nobody() -> None:
    col = preset("city-of-london")
    items = [rec(1, 1, date(2026, 3, 2))]
    assert (
        weekly_overdue_escalations(
            col.reminders, col.escalation, items, ESCALATE_TO, at(2026, 3, 9), LONDON
        )
        == ()
    )


def test_snoozing_does_not_hide_an_item_from_the_weekly_escalation() -> None:
    items = [rec(1, 1, date(2026, 3, 2), snoozed_until=date(2026, 3, 10))]
    assert (
        len(
            weekly_overdue_escalations(
                POLICY, LAMBETH.escalation, items, ESCALATE_TO, at(2026, 3, 9), LONDON
            )
        )
        == 1
    )


# -- catching up after downtime ----------------------------------------------------


def test_three_days_down_gives_one_digest_not_three() -> None:
    urgent = TrackedItem(
        id=9,
        kind="urgent",
        owner_id=3,
        created_at=at(2026, 3, 9, 10),
        deadline=at(2026, 3, 10, 10),
    )
    items = [rec(1, 1, date(2026, 3, 2)), rec(2, 1, date(2026, 3, 13)), urgent]
    box = Outbox()
    box.run(items, at(2026, 3, 9, 10, 30))  # Monday: running
    # Down Tuesday, Wednesday and Thursday; back on Friday morning.
    back = box.run(items, at(2026, 3, 13, 9, 30))
    by_kind: dict[str, list[str]] = {}
    for d in back:
        by_kind.setdefault(d.kind, []).append(d.key)
    assert by_kind == {
        "overdue_digest": ["overdue-digest:1:2026-03-13"],
        "due_today": ["due-today:recommendation:2:2026-03-13"],
        "urgent_chase": ["urgent-chase:9:3"],
    }
    assert box.run(items, at(2026, 3, 13, 9, 45)) == []  # a repeated tick sends nothing


def test_a_repeated_tick_gives_the_same_keys() -> None:
    items = [rec(1, 1, date(2026, 3, 2)), rec(2, 2, date(2026, 3, 12))]
    now = at(2026, 3, 9, 11)
    assert keys(tick(items, now)) == keys(tick(items, now))


# -- urgent flags are chased until answered ----------------------------------------


def test_an_urgent_flag_is_chased_every_response_period_until_answered() -> None:
    raised = at(2026, 3, 13, 16)  # Friday afternoon
    flag = TrackedItem(
        id=5, kind="urgent", owner_id=6, created_at=raised, deadline=raised + timedelta(hours=24)
    )
    assert urgent_chasers([flag], raised + timedelta(hours=23)) == ()
    (first,) = urgent_chasers([flag], raised + timedelta(hours=24))
    assert (first.key, first.send_at) == ("urgent-chase:5:1", raised + timedelta(hours=24))
    # Saturday and Sunday too: a safeguarding concern does not wait for Monday.
    (second,) = urgent_chasers([flag], raised + timedelta(hours=49))
    assert second.key == "urgent-chase:5:2"
    assert urgent_chasers([replace(flag, status="responded")], raised + timedelta(hours=49)) == ()


# -- weekly case reviews until good ------------------------------------------------


# Weekly reviews with nobody named to hold them: the line manager is reminded.
NO_OWNER = LAMBETH.model_copy(
    update={"escalation": LAMBETH.escalation.model_copy(update={"case_review_owner_role": None})}
)


def test_a_case_graded_inadequate_is_reviewed_weekly_until_good() -> None:
    review = CaseUnderReview(case_id=40, owner_id=4, grade="inadequate", graded_on=date(2026, 3, 4))
    box = Outbox()
    for now in every(at(2026, 3, 4), at(2026, 3, 20), timedelta(hours=2)):
        box.run([], now, fw=NO_OWNER, reviews=[review])
    assert sorted(d.key for d in box.of_kind("case_review")) == [
        "case-review:40:2026-W11:4",
        "case-review:40:2026-W12:4",
    ]
    regraded = replace(review, grade="good", graded_on=date(2026, 3, 19))
    assert case_review_reminders(NO_OWNER, [regraded], at(2026, 3, 23), LONDON) == ()


def test_no_line_manager_reminder_where_the_framework_names_the_reviews_owner() -> None:
    review = CaseUnderReview(case_id=40, owner_id=4, grade="inadequate", graded_on=date(2026, 3, 4))
    assert case_review_reminders(LAMBETH, [review], at(2026, 3, 9, 10), LONDON) == ()
    assert case_review_reminders(NO_OWNER, [review], at(2026, 3, 9, 10), LONDON) != ()


def test_no_weekly_case_reviews_where_the_framework_has_none() -> None:
    review = CaseUnderReview(case_id=40, owner_id=4, grade="inadequate", graded_on=date(2026, 3, 4))
    assert case_review_reminders(preset("camden"), [review], at(2026, 3, 9), LONDON) == ()


# -- bad input -----------------------------------------------------------------------


def test_bad_items_and_naive_times_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="recommendation 3: give a due date"):
        TrackedItem(id=3, kind="recommendation", owner_id=1)
    with pytest.raises(ValueError, match="escalation 4: deadline must be timezone-aware"):
        TrackedItem(id=4, kind="escalation", owner_id=1, deadline=datetime(2026, 3, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        overdue_digests(POLICY, [], datetime(2026, 3, 10, 10), LONDON)


def test_a_new_due_date_is_reminded_afresh() -> None:
    """More time agreed: the reminders for the new date must not collide with the old."""
    item = rec(1, 10, date(2026, 3, 12))
    old = {d.key for d in before_due_reminders(POLICY, [item], at(2026, 3, 12, 10), LONDON)}
    moved = replace(item, due_on=date(2026, 3, 19))
    new = {d.key for d in before_due_reminders(POLICY, [moved], at(2026, 3, 19, 10), LONDON)}
    assert old and new and not old & new
