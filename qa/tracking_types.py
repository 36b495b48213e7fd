"""What the reminder rules read and return: frozen dataclasses of plain values.

Plain so that the storage layer builds them from rows (recommendations, escalations)
and `qa.tracking` stays free of the database, as `qa.allocation_types` does for the
allocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

# Weekly case reviews are not items with a due date: see `CaseUnderReview`.
ItemKind = Literal["recommendation", "escalation", "urgent"]
DueKind = Literal[
    "assigned",
    "due_soon",
    "due_today",
    "overdue_digest",
    "overdue_escalation",
    "urgent_chase",
    "case_review",
]

# Statuses that end tracking; any other (open, in progress, more time asked) is chased:
# an unknown status must not silently stop reminders.
CLOSED_STATUSES = frozenset(
    {"done", "completed", "closed", "resolved", "responded", "cancelled", "withdrawn"}
)
# An assignment older than this is not news: no notice (e.g. items imported in bulk).
ASSIGNMENT_NOTICE_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class TrackedItem:
    """A recommendation, an escalation or an urgent flag that one person must act on.

    Recommendations are due on a local date (`due_on`); escalations and urgent flags by
    an instant (`deadline`). `snoozed_until`: reminders resume on that local date.
    `remind_before`: working days before the due date to remind (None: the policy's),
    e.g. an escalation's `remind_days_before`.
    """

    id: int
    kind: ItemKind
    owner_id: int
    status: str = "open"
    due_on: date | None = None
    deadline: datetime | None = None
    snoozed_until: date | None = None
    created_at: datetime | None = None
    last_update_at: datetime | None = None
    remind_before: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("deadline", "created_at", "last_update_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{self.kind} {self.id}: {name} must be timezone-aware")
        if self.due_on is None and self.deadline is None:
            raise ValueError(f"{self.kind} {self.id}: give a due date (due_on) or a deadline")

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    def due_date(self, tz: ZoneInfo) -> date | None:
        """The local date it is due: `due_on`, or the date of the `deadline`."""
        if self.due_on is not None:
            return self.due_on
        return self.deadline.astimezone(tz).date() if self.deadline is not None else None

    def is_overdue(self, now: datetime, tz: ZoneInfo) -> bool:
        """Past due: the day after `due_on` (the due day is not late), or after `deadline`."""
        if not self.is_open:
            return False
        if self.deadline is not None and self.due_on is None:
            return now > self.deadline
        due = self.due_date(tz)
        return due is not None and now.astimezone(tz).date() > due

    def is_snoozed(self, today: date) -> bool:
        return self.snoozed_until is not None and today < self.snoozed_until


@dataclass(frozen=True)
class CaseUnderReview:
    """A case whose latest final grade is `grade` (given on `graded_on`), and who reviews it."""

    case_id: int
    owner_id: int
    grade: str
    graded_on: date


@dataclass(frozen=True)
class Due:
    """One message to enqueue: to `person_id`, about `items`, under `key`.

    `send_at` is when it fell due (never after `now`): for a tick after downtime, how
    late it is going out. `item_ids` (and `case_ids`) are what the template shows.
    """

    kind: DueKind
    person_id: int
    key: str
    send_at: datetime
    items: tuple[TrackedItem, ...] = ()
    case_ids: tuple[int, ...] = ()

    @property
    def item_ids(self) -> tuple[int, ...]:
        return tuple(i.id for i in self.items)
