"""The board summary's agreement figures: how far grades stand up to moderation.

The authority-level figures only (per service and per auditor stay in `status`, where
who may see them is checked): the month's agreement on the overall grade and on each
domain, the twelve months to the month, and the month-by-month trend, each with its
n (`qa.agreement`).

Small numbers follow the framework's rule (`qa.report_counts`): the authority's own
figures are open unless `summary.suppress_from` is `authority` (or the summary is a
few teams' work). Where they are not open, a group of moderations from 1 to
`threshold - 1` shows its n as "fewer than 5" and its figures as "not shown": four
moderations can point at the one auditor whose grades were changed. Nothing here adds
up to anything else shown, so no second figure needs withholding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qa.agreement import Agreement, AgreementRow, agreement_figures, agreement_trend
from qa.framework import Framework
from qa.report_counts import Count, percent
from qa.report_figures import open_figures
from qa.working_days import Month

__all__ = ["AgreementLine", "AgreementSummary", "agreement_section", "agreement_summary"]

TREND_MONTHS = 12


@dataclass(frozen=True)
class AgreementLine:
    """One row of figures as a reader may see them; `n` is the moderations counted."""

    label: str
    n: Count
    exact: str  # "85%", "not shown", or "n/a" (nothing to divide)
    within_one: str
    kappa: str  # "0.71", "not shown", "n/a"
    ac1: str


@dataclass(frozen=True)
class AgreementSummary:
    month: str  # "March 2026"
    year: str  # "April 2025 to March 2026"
    lines: tuple[AgreementLine, ...]  # the month: overall grade, then each domain
    year_line: AgreementLine  # the twelve months to the month, overall grade
    trend: tuple[AgreementLine, ...]  # overall grade, month by month, label the month
    notes: tuple[str, ...]  # why a figure is n/a, each reason once


def _line(label: str, a: Agreement, *, threshold: int, open_: bool) -> AgreementLine:
    n = Count(a.n, 1) if open_ else Count(a.n, threshold)
    if a.n == 0:
        return AgreementLine(label, n, "n/a", "n/a", "n/a", "n/a")
    if not n.shown:
        hidden = "not shown"
        return AgreementLine(label, n, hidden, hidden, hidden, hidden)

    def coefficient(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}".replace("-0.00", "0.00")

    return AgreementLine(
        label,
        n,
        f"{percent(a.exact_count, a.n)}%",
        f"{percent(a.within_one_count, a.n)}%",
        coefficient(a.kappa.value),
        coefficient(a.ac1.value),
    )


def _reasons(groups: Iterable[Agreement]) -> tuple[str, ...]:
    out: list[str] = []
    for a in groups:
        for stat, name in ((a.kappa, "Kappa"), (a.ac1, "AC1")):
            note = f"{name} n/a: {stat.reason}."
            if a.n and stat.reason and note not in out:
                out.append(note)
    return tuple(out)


def agreement_summary(
    framework: Framework,
    rows: Iterable[AgreementRow],
    month: Month,
    *,
    threshold: int,
    open_: bool,
) -> AgreementSummary:
    """The figures for `month`, the year to it and the trend; `open_`: the authority's
    figures are shown in full (the framework's small-number rule allows it)."""
    rows = tuple(rows)
    scale = framework.grade_keys
    domains = [d.key for d in framework.audit_form.domains]
    labels = {d.key: d.label for d in framework.audit_form.domains}
    now = agreement_figures(rows, scale, domains, months={month})
    first = month.shift(1 - TREND_MONTHS)
    year_months = {first.shift(i) for i in range(TREND_MONTHS)}
    year = agreement_figures(rows, scale, domains, months=year_months)
    trend = agreement_trend(rows, scale, last=month, count=TREND_MONTHS)

    def line(label: str, a: Agreement) -> AgreementLine:
        return _line(label, a, threshold=threshold, open_=open_)

    return AgreementSummary(
        month=month.name,
        year=f"{first.name} to {month.name}",
        lines=(
            line("Overall grade", now.overall),
            *(line(labels[k], a) for k, a in now.by_domain.items()),
        ),
        year_line=line("Overall grade", year.overall),
        trend=tuple(line(m.name, a) for m, a in trend),
        notes=_reasons(
            a
            for a in (now.overall, *now.by_domain.values(), year.overall, *(a for _, a in trend))
            if open_ or a.n >= threshold  # a hidden figure's reason could tell its grades
        ),
    )


def agreement_section(
    framework: Framework,
    rows: Iterable[AgreementRow] | None,
    month: Month,
    *,
    threshold: int,
    teams_only: bool,
) -> AgreementSummary | None:
    """The agreement a report or the inspection pack shows: None when no moderation rows
    were given; the authority's figures open as `open_figures` allows at `teams_only`."""
    if rows is None:
        return None
    open_ = open_figures(framework, teams_only=teams_only)(("agreement",))
    return agreement_summary(framework, rows, month, threshold=threshold, open_=open_)
