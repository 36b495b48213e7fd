"""When a local-time schedule falls due, computed safely across clock changes.

Schedules are wall-clock times in the authority's zone ("09:00 on the first working
day of the month"). Turning a local date and time into an instant must not schedule
into the hour that does not exist (spring forward) nor run twice in the hour that
repeats (autumn back): each local date yields at most one instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DatePredicate = Callable[[date], bool]


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at` on `day` in `tz`.

    A time in the skipped hour moves forward to the first valid instant; a time in the
    repeated hour takes its first occurrence (fold=0), so it happens once.
    """
    naive = datetime.combine(day, at)
    candidate = naive.replace(tzinfo=tz, fold=0)
    round_trip = candidate.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:  # the time does not exist that day: spring forward
        gap_end = (naive + timedelta(hours=1)).replace(tzinfo=tz, fold=0)
        return gap_end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return candidate.astimezone(UTC)


def due_instants(
    *,
    after: datetime,
    until: datetime,
    at: time,
    tz: ZoneInfo,
    on: DatePredicate,
) -> Iterator[datetime]:
    """Every instant in (after, until] at local `at` on local dates where `on` is true."""
    day = after.astimezone(tz).date()
    last = until.astimezone(tz).date()
    while day <= last:
        if on(day):
            instant = local_instant(day, at, tz)
            if after < instant <= until:
                yield instant
        day += timedelta(days=1)


def next_instant(
    *, after: datetime, at: time, tz: ZoneInfo, on: DatePredicate, horizon_days: int = 400
) -> datetime | None:
    """The first due instant strictly after `after`, within a horizon."""
    return next(
        due_instants(after=after, until=after + timedelta(days=horizon_days), at=at, tz=tz, on=on),
        None,
    )
