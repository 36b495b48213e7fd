"""The monthly governance summary: every figure the board sees, from plain rows.

Outcome-based accountability in three questions (docs/domain.md section 7): how much did
we do (allocations made and completed), how well did we do it (grades per domain,
moderation), is anyone better off (re-audits that moved to Good or better,
recommendations, escalations answered in time); then how that compares with last
month, last quarter and last year, the "Good or better" line over a year, and the
month's narrative answers in themes.

Pure: the storage layer builds the rows (`qa.report_rows`), `bot/reports/` draws and
writes. Aggregates only: a `Summary` holds counts, percentages, labels from the
framework and short vetted excerpts; never a case id, a reference or a name. Small
numbers are protected as `qa.report_counts` explains.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from qa.agreement import AgreementRow
from qa.framework import Framework
from qa.report_agreement import AgreementLine, AgreementSummary, agreement_section
from qa.report_counts import Change, Count, Share, small_numbers_note
from qa.report_figures import (
    AllocationLine,
    BetterOff,
    HowMuch,
    ModerationFigures,
    Period,
    PeriodFigures,
    RecommendationFigures,
    Rows,
    period_figures,
)
from qa.report_grades import GradeCell, GradeRow, GradeTable
from qa.report_observations import ObservationFigures
from qa.report_rows import AllocationRow, AuditRow, EscalationRow, RecommendationRow
from qa.report_themes import DEFAULT_LEXICON, Lexicon, PromptThemes, Theme, themes
from qa.report_trends import MonthPoint, Trend, comparison_periods, month_period, series, trends
from qa.working_days import Month, long_date

__all__ = [
    "DEFAULT_LEXICON",
    "AgreementLine",
    "AgreementRow",
    "AgreementSummary",
    "AllocationLine",
    "AllocationRow",
    "AuditRow",
    "BetterOff",
    "Change",
    "Count",
    "EscalationRow",
    "GradeCell",
    "GradeRow",
    "GradeTable",
    "HowMuch",
    "Lexicon",
    "ModerationFigures",
    "MonthPoint",
    "PromptThemes",
    "RecommendationFigures",
    "RecommendationRow",
    "Share",
    "Summary",
    "Theme",
    "Trend",
    "summary",
]


@dataclass(frozen=True)
class Summary:
    """The month's summary, ready to render; every figure displays itself safely."""

    authority: str
    board: str  # the framework's word for it: "QA Board", "SAM"
    audits_word: str  # "audits", "learning conversations"
    audit_word: str  # "audit", "learning conversation"
    month: Month
    as_of: date  # the last day counted: the month's last day, or today if sooner
    threshold: int
    grades: tuple[str, ...]  # grade labels, best first
    how_much: HowMuch
    how_well: tuple[GradeTable, ...]  # all services first, then services, teams, areas
    moderation: ModerationFigures
    better_off: BetterOff
    recommendations: RecommendationFigures
    compared_with: tuple[str, ...]  # the periods of each trend's changes, in order
    trends: tuple[Trend, ...]
    good_or_better_by_month: tuple[MonthPoint, ...]  # the twelve months to `month`
    themes: tuple[PromptThemes, ...]
    notes: tuple[str, ...]  # how to read it: suppression, rounding, anything left out
    suppressed_from: str = "team"  # "authority", "service", "team": see qa.report_counts
    agreement: AgreementSummary | None = None  # None: no moderation rows were given
    observations: ObservationFigures | None = None  # None: the framework records none

    @property
    def title(self) -> str:
        return f"{self.board}: monthly summary for {self.month.name}"


_WHERE = {
    "authority": "every figure",
    "service": "figures for a service or a team",
    "team": "figures for a team",
}
_OPEN = {
    "authority": "",
    "service": " The authority's own totals are shown in full.",
    "team": (
        " The authority's and each service's figures are shown in full: they cannot "
        "point at a child or a worker."
    ),
}


def _notes(
    threshold: int,
    as_of: date,
    month: Month,
    unknown: int,
    *,
    level: str,
    audits_word: str,
    audit_word: str = "audit",
) -> tuple[str, ...]:
    protect = small_numbers_note(
        threshold,
        document="report",
        scope=_WHERE[level],
        more=f" A percentage is shown only when its number and its base are shown.{_OPEN[level]}",
    )
    notes = [
        protect,
        f"'{audits_word.capitalize()} completed' counts every one finished in {month.name}, "
        f"whenever it was allocated. 'Allocated for {month.name}' counts that month's "
        f"allocations of {audits_word} (not moderations), and 'of those, completed' how many "
        "of them are finished so far, in any month.",
        "Percentages are whole numbers, halves rounded up. Changes are in percentage "
        "points, the difference of the percentages as shown.",
        f"Domain rows count the domain grades given in each {audit_word}; the overall "
        "grade is the grade after moderation.",
    ]
    if as_of < month.last:
        notes.append(f"The month is not over: figures are to {long_date(as_of)}.")
    if unknown:
        notes.append(
            f"{unknown} grade{'s' if unknown != 1 else ''} not on the framework's scale "
            f"{'were' if unknown != 1 else 'was'} left out."
        )
    return tuple(notes)


def summary(
    framework: Framework,
    month: Month,
    audits: Iterable[AuditRow],
    allocations: Iterable[AllocationRow],
    recommendations: Iterable[RecommendationRow],
    escalations: Iterable[EscalationRow],
    *,
    threshold: int = 5,
    today: date,
    lexicon: Lexicon | None = None,
    teams_only: bool = False,
    agreement: Iterable[AgreementRow] | None = None,
) -> Summary:
    """The governance summary for `month`, as it stands on `today`.

    `audits` and the other rows may span any number of months (the trend needs the
    year before); rows of other months are read only for the comparisons.
    `teams_only`: the rows are a few teams' work (a manager's figures), so small
    numbers are suppressed at every level, whatever the framework opens.
    `agreement`: the moderated grades of the year to `month` (`qa.agreement`), for the
    authority's agreement figures; None leaves them out.
    """
    if not isinstance(month, Month):
        raise TypeError(f"month must be a Month, e.g. Month.parse('2026-03'), not {month!r}")
    if threshold < 1:
        raise ValueError(f"threshold must be 1 or more (1 shows every number), not {threshold}")
    if today < month.first:
        raise ValueError(
            f"there is no summary for {month.name} on {long_date(today)}: the month has not begun"
        )
    rows = Rows.index(audits, allocations, recommendations, escalations)
    as_of = min(today, month.last)
    level = "authority" if teams_only else framework.summary.suppress_from
    main = period_figures(
        framework,
        rows,
        Period(month.name, (month,), as_of),
        threshold=threshold,
        teams_only=teams_only,
    )
    cache: dict[Month, PeriodFigures] = {month: main}

    def figures_for(m: Month) -> PeriodFigures:
        if m not in cache:
            cache[m] = period_figures(
                framework,
                rows,
                month_period(m),
                threshold=threshold,
                detail=False,
                teams_only=teams_only,
            )
        return cache[m]

    others = []
    for period in comparison_periods(month):
        if len(period.months) == 1:
            others.append(figures_for(period.months[0]))
        else:
            others.append(
                period_figures(
                    framework,
                    rows,
                    period,
                    threshold=threshold,
                    detail=False,
                    teams_only=teams_only,
                )
            )
    domains = [(d.key, d.label) for d in framework.audit_form.domains]
    assert main.better_off.recommendations is not None  # detail=True counts them
    return Summary(
        authority=framework.authority,
        board=framework.vocabulary.board,
        audits_word=framework.vocabulary.audits,
        audit_word=framework.vocabulary.audit,
        month=month,
        as_of=as_of,
        threshold=threshold,
        grades=tuple(g.label for g in framework.grades),
        how_much=main.how_much,
        how_well=main.how_well,
        moderation=main.moderation,
        better_off=main.better_off,
        recommendations=main.better_off.recommendations,
        compared_with=tuple(o.period.label for o in others),
        trends=trends(main, others, domains, framework.vocabulary.audits),
        good_or_better_by_month=series(month, figures_for),
        themes=themes(framework, rows.audits.get(month, ()), threshold=threshold, lexicon=lexicon),
        notes=_notes(
            threshold,
            as_of,
            month,
            main.unknown_grades,
            level=level,
            audits_word=framework.vocabulary.audits,
            audit_word=framework.vocabulary.audit,
        ),
        suppressed_from=level,
        agreement=agreement_section(
            framework, agreement, month, threshold=threshold, teams_only=teams_only
        ),
    )
