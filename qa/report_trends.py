"""How does this compare? The month against last month, last quarter and last year.

City of London asks it in those words ("How does this compare with last month, last
quarter, last year?"). The periods: the month before; the calendar quarter before the
one the month is in (for May 2026, January to March 2026: a quarter the board has
already seen whole); and the same month a year earlier. Rates are compared, not raw
counts (a quarter has three months of audits), as changes in percentage points.
"""

from __future__ import annotations

import calendar as _stdcal
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.report_counts import Change, Count, Share, change
from qa.report_figures import Period, PeriodFigures
from qa.working_days import Month

__all__ = ["MonthPoint", "Trend", "month_period", "quarter_before", "series", "trends"]

_NONE = Share(Count(0), Count(0))


@dataclass(frozen=True)
class Trend:
    figure: str  # "Good or better: overall grade", in the framework's words
    now: Share
    changes: tuple[Change, ...]  # against last month, the quarter before, last year
    key: str = ""  # stable, whatever the wording: "allocations_completed", "moderated"...


@dataclass(frozen=True)
class MonthPoint:
    """One month of the "Good or better" line in the chart and its table."""

    month: Month
    label: str  # "March 2026"
    good_or_better: Share


def month_period(month: Month) -> Period:
    return Period(month.name, (month,), month.last)


def quarter_before(month: Month) -> Period:
    """The calendar quarter before the one `month` is in."""
    first = month.shift(-((month.month - 1) % 3) - 3)
    months = (first, first.shift(1), first.shift(2))
    label = f"{_stdcal.month_name[first.month]} to {months[-1].name}"
    return Period(label, months, months[-1].last)


def comparison_periods(month: Month) -> tuple[Period, Period, Period]:
    return month_period(month.shift(-1)), quarter_before(month), month_period(month.shift(-12))


def good_or_better(figures: PeriodFigures, row: str = "overall") -> Share:
    """The share Good or better for all services in `row` (a domain key or overall)."""
    tables = [t for t in figures.how_well if t.kind == "all"]
    if not tables:
        return _NONE
    return next((r.good_or_better for r in tables[0].rows if r.key == row), _NONE)


def _headlines(figures: PeriodFigures, domains: Sequence[tuple[str, str]]) -> list[Share]:
    return [
        figures.how_much.allocations[0].completion,
        good_or_better(figures),
        *(good_or_better(figures, key) for key, _ in domains),
        figures.moderation.moderated,
        figures.moderation.agreed,
        figures.better_off.moved_to_good,
        figures.better_off.escalations_met,
    ]


def trends(
    now: PeriodFigures,
    others: Sequence[PeriodFigures],
    domains: Sequence[tuple[str, str]],
    audits_word: str = "audits",
) -> tuple[Trend, ...]:
    """One line per headline rate; `domains` are (key, label) in the framework's order.

    Named in the framework's own words (`audits_word`: Camden's "learning
    conversations"); `Trend.key` stays the same whatever the words.
    """
    word = audits_word
    named = [
        ("allocations_completed", f"Allocated {word} completed"),
        ("good_overall", "Good or better: overall grade"),
        *((f"good_{key}", f"Good or better: {label}") for key, label in domains),
        ("moderated", f"{word[:1].upper()}{word[1:]} moderated"),
        ("agreed", "Moderator agreed with the grade"),
        ("reaudits_good", f"Repeat {word} moved to Good or better"),
        ("escalations_met", "Escalations answered in time"),
    ]
    then = [_headlines(o, domains) for o in others]
    return tuple(
        Trend(
            name,
            share,
            tuple(change(share, t[i], o.period.label) for t, o in zip(then, others, strict=True)),
            key,
        )
        for i, ((key, name), share) in enumerate(zip(named, _headlines(now, domains), strict=True))
    )


def series(
    month: Month, figures_for: Callable[[Month], PeriodFigures], months: int = 12
) -> tuple[MonthPoint, ...]:
    """The share Good or better (overall grade) in each of the `months` months to `month`."""
    points = []
    for back in range(months - 1, -1, -1):
        m = month.shift(-back)
        points.append(MonthPoint(m, m.name, good_or_better(figures_for(m))))
    return tuple(points)
