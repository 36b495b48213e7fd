"""Months and working days, the units every QA deadline is counted in.

Frameworks say "the 1st working day of the month" and "within 15 working days", and
a deadline that lands on Boxing Day is no deadline at all, so weekends and England and
Wales bank holidays (the `holidays` package, GB / ENG) are skipped. Pure: no clock.
"""

from __future__ import annotations

import calendar as _stdcal
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

_MONTH_KEY = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, written `YYYY-MM` in storage and on the command line."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not a month; use 1 to 12")

    @classmethod
    def of(cls, d: date) -> Month:
        return cls(d.year, d.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """`2025-03` as a Month; a clear error for anything else."""
        m = _MONTH_KEY.match(text.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"'{text}' is not a month; write it as YYYY-MM, e.g. 2025-03")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, _stdcal.monthrange(self.year, self.month)[1])

    @property
    def name(self) -> str:
        """`March 2025`."""
        return f"{_stdcal.month_name[self.month]} {self.year}"

    @property
    def ordinal(self) -> int:
        """Months since year 0: differences between months are plain subtraction."""
        return self.year * 12 + self.month - 1

    def shift(self, months: int) -> Month:
        n = self.ordinal + months
        return Month(n // 12, n % 12 + 1)

    def __str__(self) -> str:
        return self.key


def add_months(d: date, months: int) -> date:
    """`d` plus whole months, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    target = Month.of(d).shift(months)
    return date(target.year, target.month, min(d.day, target.last.day))


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(d: date) -> bool:
    """An England and Wales bank holiday (including substitute days)."""
    return d in _bank_holidays(d.year)


def is_working_day(d: date, *, bank_holidays: bool = True) -> bool:
    """Monday to Friday and, unless `bank_holidays` is False, not a bank holiday."""
    return d.weekday() < 5 and not (bank_holidays and is_bank_holiday(d))


def working_days_after(d: date, n: int, *, bank_holidays: bool = True) -> date:
    """The `n`th working day after `d` (`d` itself not counted); `d` when n is 0."""
    if n < 0:
        raise ValueError("working_days_after counts forwards; n must be 0 or more")
    out = d
    while n:
        out += timedelta(days=1)
        if is_working_day(out, bank_holidays=bank_holidays):
            n -= 1
    return out


def working_days_in(month: Month, *, bank_holidays: bool = True) -> list[date]:
    """Every working day of the month, in order."""
    days = (month.first + timedelta(days=i) for i in range(month.last.day))
    return [d for d in days if is_working_day(d, bank_holidays=bank_holidays)]


def nth_working_day(month: Month, n: int, *, bank_holidays: bool = True) -> date:
    """The `n`th (1-based) working day of the month; the last one if the month is short."""
    days = working_days_in(month, bank_holidays=bank_holidays)
    return days[min(n, len(days)) - 1]


def long_date(d: date) -> str:
    """`14 March 2025`: dates written in full for people (docs/ux.md)."""
    return f"{d.day} {_stdcal.month_name[d.month]} {d.year}"
