"""The self-evaluation pack for an inspection: a year of QA in Ofsted's ILACS headings.

Ofsted's first question to a council is what it knows about the quality of its
practice and how it knows it. The pack answers in the four ILACS judgement areas (the
impact of leaders; children who need help and protection; children in care; care
leavers), each with what we know (grades by domain, service and month), and for the
leaders, how we know (audits, moderation, agreement) and what we are doing (actions
and their completion, re-audits that moved to Good or better).

The framework's areas of planning are mapped to the judgement areas by their names
(`judgement_area`): "Planning for Young People aged 16+ and Care Leavers" to care
leavers, "Looked after and Permanency" to children in care, "Help and Protection" or
"Early Help" to help and protection; anything else is "Other services", shown apart
and still counted in the authority's figures.

Pure, and aggregates only: the figures come from `qa.report_figures.period_figures`
(one ledger for every table, so a hidden number cannot be worked out from another
table) with the judgement areas counted as the summary's "areas" are, at service
level; small numbers are suppressed by `qa.report_counts`' rules. No case reference,
no name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from qa.agreement import AgreementRow
from qa.framework import Framework
from qa.report_agreement import AgreementSummary, agreement_section
from qa.report_counts import Count, Share, small_numbers_note
from qa.report_figures import (
    AllocationLine,
    BetterOff,
    ModerationFigures,
    Period,
    PeriodFigures,
    Rows,
    period_figures,
)
from qa.report_grades import GradeTable
from qa.report_rows import AuditRow, ReportRows
from qa.report_trends import MonthPoint, month_period
from qa.working_days import Month, long_date

__all__ = [
    "HELP_AND_PROTECTION",
    "IN_CARE",
    "JUDGEMENT_AREAS",
    "LEADERS",
    "LEAVERS",
    "OTHER",
    "PACK_MONTHS",
    "JudgementArea",
    "Pack",
    "inspection_pack",
    "judgement_area",
]

PACK_MONTHS = 12

LEADERS = "The impact of leaders on social work practice with children and families"
HELP_AND_PROTECTION = "The experiences and progress of children who need help and protection"
IN_CARE = "The experiences and progress of children in care"
LEAVERS = "The experiences and progress of care leavers"
OTHER = "Other services"
# The three judgement areas about children, in Ofsted's order; leaders come first.
JUDGEMENT_AREAS = (HELP_AND_PROTECTION, IN_CARE, LEAVERS)

# Short names for the grade tables (a scope label must stay short in a table caption).
_SHORT = {
    HELP_AND_PROTECTION: "Help and protection",
    IN_CARE: "Children in care",
    LEAVERS: "Care leavers",
    OTHER: OTHER,
}

# Checked in this order: "16+ and Care Leavers" is about leavers, not children in care.
_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (LEAVERS, re.compile(r"leaver|leaving care|\b16\s*\+|\b16 plus|pathway|after care")),
    (
        IN_CARE,
        re.compile(
            r"looked after|in care|\bcla\b|\blac\b|permanen|fostering|adoption|corporate parent"
        ),
    ),
    (
        HELP_AND_PROTECTION,
        re.compile(
            r"protect|child(ren)? in need|\bcin\b|\bcp\b|help|assessment|\bmash\b|front door|"
            r"safeguard|referral|family support|duty"
        ),
    ),
)


def judgement_area(name: str) -> str:
    """The ILACS judgement area an area of planning (or a service) belongs to, by its name."""
    lowered = name.lower().replace("_", " ")
    for area, pattern in _WORDS:
        if pattern.search(lowered):
            return area
    return OTHER


@dataclass(frozen=True)
class JudgementArea:
    """One ILACS judgement area about children: its grades over the year and by month."""

    title: str  # the judgement area, in Ofsted's words
    short: str  # "Children in care"
    areas_of_planning: tuple[str, ...]  # the framework's areas mapped here
    table: GradeTable | None  # None: nothing graded in the year
    trend: tuple[MonthPoint, ...]  # Good or better (overall grade), month by month

    @property
    def id(self) -> str:
        return re.sub(r"[^a-z]+", "-", self.short.lower()).strip("-")


@dataclass(frozen=True)
class Pack:
    """The pack, ready to render: every figure displays itself safely."""

    authority: str
    audits_word: str
    first: Month
    last: Month
    as_of: date
    threshold: int
    grades: tuple[str, ...]
    audits: Count  # completed in the year
    allocations: tuple[AllocationLine, ...]  # all services first
    all_services: GradeTable | None
    services: tuple[GradeTable, ...]
    trend: tuple[MonthPoint, ...]  # all services, Good or better, month by month
    judgement_areas: tuple[JudgementArea, ...]  # help and protection, in care, leavers
    other: JudgementArea | None  # areas no judgement area names, when any were graded
    moderation: ModerationFigures
    agreement: AgreementSummary | None
    better_off: BetterOff
    notes: tuple[str, ...]

    @property
    def period(self) -> str:
        return f"{self.first.name} to {self.last.name}"

    @property
    def title(self) -> str:
        return f"Self-evaluation pack: {self.authority}"


def _area_of(audit: AuditRow) -> str:
    """The audit's judgement area: its area of planning's, else its service's."""
    return judgement_area(audit.area) if audit.area else judgement_area(audit.service)


def _counting_framework(framework: Framework) -> Framework:
    """The framework as the pack counts: by service and by area (the judgement areas)."""
    summary = framework.summary.model_copy(update={"group_by": ["service", "area", "domain"]})
    return framework.model_copy(update={"summary": summary})


_NONE = Share(Count(0), Count(0))


def _good(figures: PeriodFigures, scope: str) -> Share:
    table = next((t for t in figures.how_well if t.scope == scope), None)
    return table.rows[0].good_or_better if table and table.rows else _NONE


def _notes(threshold: int, as_of: date, last: Month, audits_word: str) -> tuple[str, ...]:
    notes = [
        small_numbers_note(threshold, document="pack"),
        "Aggregates only: no case reference, no child's or worker's name.",
        f"Each judgement area counts the {audits_word} of the areas of planning mapped to it "
        "by name; the authority's figures count them all.",
        "The overall grade is the grade after moderation; domain rows are the auditors' "
        "domain grades. Percentages are whole numbers, halves rounded up.",
    ]
    if as_of < last.last:
        notes.append(f"The last month is not over: figures are to {long_date(as_of)}.")
    return tuple(notes)


def inspection_pack(
    framework: Framework,
    last: Month,
    report_rows: ReportRows,
    *,
    threshold: int = 5,
    today: date,
    agreement: Iterable[AgreementRow] | None = None,
) -> Pack:
    """The pack for the twelve months to `last` (`report_rows` of those months), as it
    stands on `today`."""
    if threshold < 1:
        raise ValueError(f"threshold must be 1 or more (1 shows every number), not {threshold}")
    if today < last.first:
        raise ValueError(f"{last.name} has not begun on {long_date(today)}")
    counting = _counting_framework(framework)
    mapped = [replace(a, area=_SHORT[_area_of(a)]) for a in report_rows.audits]
    rows = Rows.index(
        mapped, report_rows.allocations, report_rows.recommendations, report_rows.escalations
    )
    first = last.shift(1 - PACK_MONTHS)
    months = tuple(first.shift(i) for i in range(PACK_MONTHS))
    as_of = min(today, last.last)
    year = period_figures(
        counting, rows, Period(f"{first.name} to {last.name}", months, as_of), threshold=threshold
    )
    monthly = [
        period_figures(counting, rows, month_period(m), threshold=threshold, detail=False)
        for m in months
    ]

    def trend(scope: str) -> tuple[MonthPoint, ...]:
        return tuple(
            MonthPoint(m, m.name, _good(f, scope)) for m, f in zip(months, monthly, strict=True)
        )

    tables = {t.scope: t for t in year.how_well}
    planning: dict[str, list[str]] = {a: [] for a in (*JUDGEMENT_AREAS, OTHER)}
    for area in framework.areas:
        planning[judgement_area(f"{area.key} {area.label}")].append(area.label)

    def section(title: str) -> JudgementArea:
        scope = f"Area: {_SHORT[title]}"
        return JudgementArea(
            title, _SHORT[title], tuple(planning[title]), tables.get(scope), trend(scope)
        )

    other = section(OTHER)
    assert year.better_off.recommendations is not None  # detail=True counts them
    return Pack(
        authority=framework.authority,
        audits_word=framework.vocabulary.audits,
        first=first,
        last=last,
        as_of=as_of,
        threshold=threshold,
        grades=tuple(g.label for g in framework.grades),
        audits=year.how_much.audits,
        allocations=year.how_much.allocations,
        all_services=tables.get("All services"),
        services=tuple(t for t in year.how_well if t.kind == "service"),
        trend=trend("All services"),
        judgement_areas=tuple(section(t) for t in JUDGEMENT_AREAS),
        other=other if other.table is not None else None,
        moderation=year.moderation,
        agreement=agreement_section(
            framework, agreement, last, threshold=threshold, teams_only=False
        ),
        better_off=year.better_off,
        notes=_notes(threshold, as_of, last, framework.vocabulary.audits),
    )


def judgement_areas_of(framework: Framework) -> Sequence[tuple[str, str]]:
    """(area of planning's label, judgement area) for each of the framework's areas."""
    return [(a.label, judgement_area(f"{a.key} {a.label}")) for a in framework.areas]
