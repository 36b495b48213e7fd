"""What reminders, digests and chasers are due at `now`, as keyed messages to enqueue.

The reminder job is a reconciler: at each tick it asks these functions what should
exist by `now` and enqueues each `Due` under its idempotency key; the outbox refuses
a key it already holds. Keys are cut per day or per week, and every function answers
only about the present (today's digest, this week's escalation, the latest chaser),
so a tick repeated sends nothing twice, and a tick after three days of downtime sends
one message of each kind, not three: a digest is about the items overdue *now*. It
also means a key never comes back years later, after the outbox has been pruned.

Messages to people go inside the framework's working hours on working days (no
weekends, no England and Wales bank holidays when the framework says so), outside
quiet hours; a tick outside that window returns nothing and the next tick inside it
sends. Two things are deliberately not held back: assignment notices and urgent
chasers (a safeguarding concern is not kept until Monday). Pure: time comes as an
aware `now`, and dates are the authority's local dates in `tz`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from qa.framework import EscalationPolicy, Framework, ReminderPolicy
from qa.grading import is_good_or_better
from qa.send_window import (
    in_send_window,
    iso_week,
    require_aware,
    sent_at,
    to_local,
    weekly_slot,
    working_days_before,
)
from qa.tracking_types import (
    ASSIGNMENT_NOTICE_WINDOW,
    CLOSED_STATUSES,
    CaseUnderReview,
    Due,
    DueKind,
    ItemKind,
    TrackedItem,
)

__all__ = [
    "CLOSED_STATUSES",
    "CaseUnderReview",
    "Due",
    "DueKind",
    "ItemKind",
    "TrackedItem",
    "assignment_notices",
    "before_due_reminders",
    "case_review_reminders",
    "overdue_digests",
    "urgent_chasers",
    "weekly_overdue_escalations",
]

# -- the reconcilers ---------------------------------------------------------------


def assignment_notices(items: Iterable[TrackedItem], now: datetime) -> tuple[Due, ...]:
    """Tell each owner of an open item that it is theirs, once, at once.

    Not held to working hours: it answers something a person just did. Items older than
    `ASSIGNMENT_NOTICE_WINDOW` (or created after `now`) get none.
    """
    require_aware(now)
    out = []
    for item in items:
        if item.created_at is None or not item.is_open:
            continue
        if item.created_at <= now < item.created_at + ASSIGNMENT_NOTICE_WINDOW:
            out.append(
                Due(
                    kind="assigned",
                    person_id=item.owner_id,
                    key=f"assigned:{item.kind}:{item.id}",
                    send_at=item.created_at,
                    items=(item,),
                )
            )
    return tuple(out)


def before_due_reminders(
    policy: ReminderPolicy, items: Iterable[TrackedItem], now: datetime, tz: ZoneInfo
) -> tuple[Due, ...]:
    """Reminders "due in N working days" and "due today", for open, unsnoozed items.

    The N-day reminder goes on the Nth working day before the due date; missed (the bot
    was down), it goes at the next tick before the due date, unless a closer reminder
    has come due since, which replaces it: one reminder, not a backlog. A reminder dated
    on or before the day the item was created is skipped (the assignment told them).
    """
    if not in_send_window(policy, now, tz):
        return ()
    today = to_local(now, tz).date()
    out = []
    for item in items:
        due = item.due_date(tz)
        if item.kind not in ("recommendation", "escalation") or due is None:
            continue
        if not item.is_open or item.is_snoozed(today) or today > due:
            continue
        ref = f"{item.kind}:{item.id}"
        if today == due:
            if policy.on_due_day:
                # The due date is in the key: when it moves (more time agreed), the new
                # date is reminded afresh rather than matching keys already sent.
                key = f"due-today:{ref}:{due.isoformat()}"
                out.append(_due("due_today", item, key, policy, today, now, tz))
            continue
        created = item.created_at.astimezone(tz).date() if item.created_at else None
        days = (
            item.remind_before if item.remind_before is not None else policy.before_due_working_days
        )
        reached = [
            n
            for n in days
            if n > 0
            and working_days_before(policy, due, n) <= today
            and (created is None or working_days_before(policy, due, n) > created)
        ]
        if reached:
            n = min(reached)
            key = f"due-soon:{ref}:{due.isoformat()}:{n}wd"
            out.append(_due("due_soon", item, key, policy, today, now, tz))
    return tuple(out)


def _due(
    kind: DueKind,
    item: TrackedItem,
    key: str,
    policy: ReminderPolicy,
    today: date,
    now: datetime,
    tz: ZoneInfo,
) -> Due:
    send_at = sent_at(policy, today, now, tz)
    return Due(kind=kind, person_id=item.owner_id, key=key, send_at=send_at, items=(item,))


def _overdue_by_person(
    items: Iterable[TrackedItem], kinds: Sequence[str], now: datetime, tz: ZoneInfo
) -> dict[int, list[TrackedItem]]:
    found: dict[int, list[TrackedItem]] = defaultdict(list)
    for item in items:
        if item.kind in kinds and item.is_overdue(now, tz):
            found[item.owner_id].append(item)
    return found


def overdue_digests(
    policy: ReminderPolicy, items: Iterable[TrackedItem], now: datetime, tz: ZoneInfo
) -> tuple[Due, ...]:
    """At most one digest a person a local date, listing everything of theirs overdue now.

    Only inside the sending window; an item snoozed is left out until its snooze ends.
    Earlier dates' digests are never sent late: a digest is about today.
    """
    if not in_send_window(policy, now, tz):
        return ()
    today = to_local(now, tz).date()
    live = [i for i in items if not i.is_snoozed(today)]
    by_person = _overdue_by_person(live, ("recommendation", "escalation"), now, tz)
    send_at = sent_at(policy, today, now, tz)
    day = today.isoformat()
    return _digests("overdue_digest", lambda p: f"overdue-digest:{p}:{day}", by_person, send_at)


def _digests(
    kind: DueKind,
    key: Callable[[int], str],
    by_person: Mapping[int, list[TrackedItem]],
    send_at: datetime,
) -> tuple[Due, ...]:
    """One message a person listing their items, oldest due first, under `key(person)`."""
    return tuple(
        Due(
            kind=kind,
            person_id=person,
            key=key(person),
            send_at=send_at,
            items=tuple(sorted(found, key=_order)),
        )
        for person, found in sorted(by_person.items())
    )


def _order(item: TrackedItem) -> tuple[date, str, int]:
    """Oldest due first, so the digest reads in order of lateness."""
    due = item.due_on or (item.deadline.date() if item.deadline else date.max)
    return (due, item.kind, item.id)


def weekly_overdue_escalations(
    policy: ReminderPolicy,
    escalation_policy: EscalationPolicy,
    items: Iterable[TrackedItem],
    escalate_to: Mapping[int, Sequence[int]],
    now: datetime,
    tz: ZoneInfo,
) -> tuple[Due, ...]:
    """Once a week, each overdue recommendation goes to its owner's senior (e.g. the AD).

    `escalate_to` maps an owner to the people holding `overdue_actions_roles` for them
    (the caller resolves the owner's service); an owner not in it is escalated to nobody,
    and nobody is sent their own items. It goes on the framework's weekday, or the first
    working day after it that week (a bank holiday Monday: Tuesday), and a tick later in
    the week catches up a missed one; the key holds the ISO week, so once a week. Snoozing
    a reminder does not hide an item from this.
    """
    if not escalation_policy.overdue_actions_roles or not in_send_window(policy, now, tz):
        return ()
    today = to_local(now, tz).date()
    slot = weekly_slot(policy, today, escalation_policy.overdue_actions_weekday)
    if slot is None or today < slot:
        return ()
    by_recipient: dict[int, list[TrackedItem]] = defaultdict(list)
    for owner, found in _overdue_by_person(items, ("recommendation",), now, tz).items():
        for recipient in dict.fromkeys(escalate_to.get(owner, ())):
            if recipient != owner:
                by_recipient[recipient].extend(found)
    week = iso_week(today)
    send_at = sent_at(policy, slot, now, tz)
    return _digests(
        "overdue_escalation", lambda p: f"overdue-escalation:{p}:{week}", by_recipient, send_at
    )


def urgent_chasers(items: Iterable[TrackedItem], now: datetime) -> tuple[Due, ...]:
    """Chase an urgent flag every response period until it is answered.

    The period is the item's `deadline - created_at` (the flag's `response_hours`).
    Chaser n falls due n periods after it was raised; only the latest is returned, so
    downtime is caught up with one chaser. Urgent: not held to working or quiet hours,
    and not snoozable.
    """
    require_aware(now)
    out = []
    for item in items:
        if item.kind != "urgent" or not item.is_open:
            continue
        if item.created_at is None or item.deadline is None:
            continue
        period = item.deadline - item.created_at
        if period <= timedelta(0) or now < item.deadline:
            continue
        n = (now - item.created_at) // period
        out.append(
            Due(
                kind="urgent_chase",
                person_id=item.owner_id,
                key=f"urgent-chase:{item.id}:{n}",
                send_at=item.created_at + n * period,
                items=(item,),
            )
        )
    return tuple(out)


def case_review_reminders(
    framework: Framework, reviews: Iterable[CaseUnderReview], now: datetime, tz: ZoneInfo
) -> tuple[Due, ...]:
    """Weekly "review this case" reminders until its latest grade is good or better.

    For frameworks with `case_review_weekly_until_good` (Lambeth's PRIMs). They start the
    week after the grade, on the weekly escalation day (`overdue_actions_weekday`, or
    the first working day after it), caught up later in the week if missed.
    """
    policy = framework.reminders
    weekday = framework.escalation.overdue_actions_weekday
    if not framework.escalation.case_review_weekly_until_good:
        return ()
    if not in_send_window(policy, now, tz):
        return ()
    today = to_local(now, tz).date()
    slot = weekly_slot(policy, today, weekday)
    if slot is None or today < slot:
        return ()
    week = iso_week(today)
    return tuple(
        Due(
            kind="case_review",
            person_id=r.owner_id,
            key=f"case-review:{r.case_id}:{week}:{r.owner_id}",
            send_at=sent_at(policy, slot, now, tz),
            case_ids=(r.case_id,),
        )
        for r in reviews
        if not is_good_or_better(framework, r.grade)
        and r.graded_on.isocalendar()[:2] < today.isocalendar()[:2]
    )
