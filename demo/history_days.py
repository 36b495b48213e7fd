"""Working days and office hours for the demo history.

Why: a history where audits are submitted on Sundays at 3 a.m. looks made up. Things
happen on the framework's working days (bank holidays skipped when it says so) in
office hours, in the authority's time zone, and always before `today`.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from qa.allocation_rules import uses_bank_holidays
from qa.framework import Framework
from qa.working_days import is_working_day, working_days_after

OPENS = 9 * 60 + 10  # minutes after midnight: the first time anything happens
CLOSES = 17 * 60  # ... and the last


class Days:
    """Working-day arithmetic and random office-hour instants for one framework."""

    def __init__(self, framework: Framework, today: date, tz: ZoneInfo, rng: random.Random):
        self.bank = uses_bank_holidays(framework)
        self.today = today
        self.tz = tz
        self.rng = rng
        self.cutoff = datetime.combine(today, time(0), tz).astimezone(UTC)

    def working(self, d: date) -> bool:
        return is_working_day(d, bank_holidays=self.bank)

    def after(self, d: date, n: int) -> date:
        """The `n`th working day after `d`."""
        return working_days_after(d, n, bank_holidays=self.bank)

    def on_or_after(self, d: date) -> date:
        return d if self.working(d) else self.after(d, 1)

    def pick(self, lo: date, hi: date) -> date:
        """A working day from `lo` to `hi` (the first one from `lo` when there is none)."""
        days = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
        days = [d for d in days if self.working(d)]
        return self.rng.choice(days) if days else self.on_or_after(lo)

    def at(self, d: date, *, earliest: int = OPENS, latest: int = CLOSES) -> datetime:
        """A random minute of office hours on `d`, as an aware UTC instant."""
        minute = self.rng.randint(earliest, max(earliest, latest))
        local = datetime.combine(d, time(minute // 60, minute % 60), self.tz)
        return local.astimezone(UTC)

    def at_time(self, d: date, t: time) -> datetime:
        return datetime.combine(d, t, self.tz).astimezone(UTC)

    def local(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def past(self, d: date) -> bool:
        """Before today: something on `d` has already happened."""
        return d < self.today
