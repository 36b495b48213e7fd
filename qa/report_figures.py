"""The summary's figures for one period: how much, how well, moderation, better off.

A period is a month, or the three months of a quarter for the trend. The same
function serves the month and every period it is compared with, so "last month" in
the trend is the figure last month's own summary showed, suppression included.

Small numbers are suppressed from the framework's `summary.suppress_from` level down
(default: teams); figures above it are open (`qa.report_counts`). A summary of a few
teams' work only (a manager's weekly figures) is team-level throughout.

"How much" counts two different things, and says so: the audits *completed in* the
period (whenever they were allocated), and the period's own allocations of audits
(moderation slots are not audits) with how many of those are done so far.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from qa.framework import Framework
from qa.report_counts import Count, Ledger, Share
from qa.report_grades import GradeTable, grade_tables, tally_grades
from qa.report_rows import AllocationRow, AuditRow, EscalationRow, RecommendationRow
from qa.working_days import Month

__all__ = [
    "AllocationLine",
    "BetterOff",
    "HowMuch",
    "ModerationFigures",
    "Period",
    "PeriodFigures",
    "RecommendationFigures",
    "Rows",
    "period_figures",
]

# Allocation statuses that mean no allocation was made after all (a proposal not
# confirmed, or one handed back: "Can't do this one"); and those that mean done.
NOT_MADE = frozenset({"proposed", "released", "declined", "cancelled", "withdrawn", "swapped"})
DONE = frozenset({"completed", "done"})
# Allocation activities that are audits (a moderation slot is counted in moderation).
AUDIT_ACTIVITIES = frozenset({"audit", "themed_audit", "dip_sample"})
# How wide each level is: suppression applies from the framework's level down.
LEVELS = {"authority": 0, "service": 1, "team": 2}
_SCOPE_LEVEL = {"all": 0, "service": 1, "area": 1, "team": 2}


@dataclass(frozen=True)
class Period:
    """The months counted, and the last day counted (a month not over ends today)."""

    label: str  # "March 2026", "October to December 2025"
    months: tuple[Month, ...]
    end: date

    @property
    def start(self) -> date:
        return self.months[0].first


@dataclass(frozen=True)
class AllocationLine:
    scope: str  # "All services", "Service: North"
    made: Count
    completed: Count
    completion: Share


@dataclass(frozen=True)
class HowMuch:
    audits: Count  # audits completed in the period
    allocations: tuple[AllocationLine, ...]  # all services first


@dataclass(frozen=True)
class ModerationFigures:
    moderated: Share  # of the audits completed
    agreed: Share  # of the moderations with a verdict
    raised: Count
    lowered: Count


@dataclass(frozen=True)
class RecommendationFigures:
    opened: Count
    completed: Count
    overdue: Count  # open on the period's last day, past their due date


@dataclass(frozen=True)
class BetterOff:
    reaudits: Count
    moved_to_good: Share  # of re-audits of cases last graded below Good
    escalations_met: Share  # answered by the deadline, of those whose deadline fell due
    recommendations: RecommendationFigures | None  # None: not counted (a trend's period)


@dataclass(frozen=True)
class PeriodFigures:
    period: Period
    how_much: HowMuch
    how_well: tuple[GradeTable, ...]
    moderation: ModerationFigures
    better_off: BetterOff
    unknown_grades: int


@dataclass(frozen=True)
class Rows:
    """The inputs, bucketed by month once so that each period reads only its own."""

    audits: dict[Month, list[AuditRow]]
    allocations: dict[Month, list[AllocationRow]]
    recommendations: tuple[RecommendationRow, ...]
    escalations: dict[Month, list[EscalationRow]]  # by the month of the deadline

    @classmethod
    def index(
        cls,
        audits: Iterable[AuditRow],
        allocations: Iterable[AllocationRow],
        recommendations: Iterable[RecommendationRow],
        escalations: Iterable[EscalationRow],
    ) -> Rows:
        by_month: dict[Month, list[AuditRow]] = defaultdict(list)
        for a in audits:
            by_month[a.month].append(a)
        allocs: dict[Month, list[AllocationRow]] = defaultdict(list)
        for al in allocations:
            allocs[al.month].append(al)
        escs: dict[Month, list[EscalationRow]] = defaultdict(list)
        for e in escalations:
            escs[Month.of(e.deadline)].append(e)
        return cls(dict(by_month), dict(allocs), tuple(recommendations), dict(escs))

    def in_months(self, months: Sequence[Month]) -> list[AuditRow]:
        return [a for m in months for a in self.audits.get(m, ())]


def _how_much(ledger: Ledger, rows: Rows, period: Period) -> list[str]:
    made: dict[str, int] = defaultdict(int)
    done: dict[str, int] = defaultdict(int)
    for m in period.months:
        for al in rows.allocations.get(m, ()):
            if al.status in NOT_MADE or al.activity not in AUDIT_ACTIVITIES:
                continue
            made[al.service] += 1
            done[al.service] += al.status in DONE
    services = sorted(made)
    for s in services:
        ledger.add(("alloc", s, "made"), made[s])
        ledger.add(("alloc", s, "done"), done[s])
    ledger.add(("alloc", None, "made"), sum(made.values()))
    ledger.add(("alloc", None, "done"), sum(done.values()))
    for col in ("made", "done"):
        ledger.add_sum(("alloc", None, col), [("alloc", s, col) for s in services])
    return services


def _moderation(ledger: Ledger, audits: list[AuditRow]) -> None:
    moderated = [a for a in audits if a.moderated]
    ledger.add(("mod", "moderated"), len(moderated))
    ledger.add(("mod", "verdict"), sum(a.moderation_agreed is not None for a in moderated))
    ledger.add(("mod", "agreed"), sum(a.moderation_agreed is True for a in moderated))
    ledger.add(("mod", "raised"), sum(a.grade_change == 1 for a in moderated))
    ledger.add(("mod", "lowered"), sum(a.grade_change == -1 for a in moderated))
    ledger.add_sum(("mod", "verdict"), [("mod", k) for k in ("agreed", "raised", "lowered")])


def _better_off(
    ledger: Ledger, framework: Framework, rows: Rows, audits: list[AuditRow], period: Period
) -> None:
    good = {g.key for g in framework.grades if g.good_or_better}
    reaudits = [a for a in audits if a.reaudit_of_grade is not None]
    below = [a for a in reaudits if a.reaudit_of_grade not in good]
    ledger.add(("better", "reaudits"), len(reaudits))
    ledger.add(("better", "below"), len(below))
    ledger.add(("better", "moved"), sum(a.grade in good for a in below))
    due = [
        e for m in period.months for e in rows.escalations.get(m, ()) if e.deadline <= period.end
    ]
    met = sum(e.responded_on is not None and e.responded_on <= e.deadline for e in due)
    ledger.add(("esc", "due"), len(due))
    ledger.add(("esc", "met"), met)


def _recommendations(ledger: Ledger, rows: Rows, period: Period) -> None:
    start, end = period.start, period.end
    opened = completed = overdue = 0
    for r in rows.recommendations:
        if r.opened_on > end:
            continue
        opened += r.opened_on >= start
        if r.completed_on is not None and r.completed_on <= end:
            completed += r.completed_on >= start
        elif r.due_on < end:
            overdue += 1
    ledger.add(("recs", "opened"), opened)
    ledger.add(("recs", "completed"), completed)
    ledger.add(("recs", "overdue"), overdue)


def _level(key: Hashable) -> int:
    """How narrow a figure is: 0 the authority, 1 a service or an area, 2 a team."""
    if not isinstance(key, tuple) or not key:
        return 0
    if key[0] == "grades" and len(key) > 1 and isinstance(key[1], tuple):
        return _SCOPE_LEVEL.get(str(key[1][0]), 2)
    if key[0] == "alloc":
        return 0 if key[1] is None else 1
    return 0  # moderation, outcomes, recommendations, escalations: authority-wide


def open_figures(framework: Framework, *, teams_only: bool) -> Callable[[Hashable], bool]:
    """Which figures are shown in full: those wider than `summary.suppress_from`."""
    start = 0 if teams_only else LEVELS[framework.summary.suppress_from]
    return lambda key: _level(key) < start


def period_figures(
    framework: Framework,
    rows: Rows,
    period: Period,
    *,
    threshold: int,
    detail: bool = True,
    teams_only: bool = False,
) -> PeriodFigures:
    """Every figure of the summary for `period`, small numbers protected (report_counts).

    `detail=False` (a period the month is only compared with) leaves out the
    recommendations, which no trend uses and which take a pass over all of them.
    `teams_only`: the rows are a few teams' work, so every figure is team-level.
    """
    audits = rows.in_months(period.months)
    ledger = Ledger(threshold, open_figures(framework, teams_only=teams_only))
    tally = tally_grades(ledger, framework, audits, key="grades")
    if not audits:  # no scopes were counted: the table of an empty month still has a base
        ledger.add(("grades", ("all",), "audits"), 0)
    services = _how_much(ledger, rows, period)
    _moderation(ledger, audits)
    _better_off(ledger, framework, rows, audits, period)
    if detail:
        _recommendations(ledger, rows, period)
    audited = ("grades", ("all",), "audits")
    c, s = ledger.count, ledger.share
    allocations = [
        AllocationLine(
            "All services" if sv is None else f"Service: {sv or 'not recorded'}",
            c(("alloc", sv, "made")),
            c(("alloc", sv, "done")),
            s(("alloc", sv, "done"), ("alloc", sv, "made")),
        )
        for sv in [None, *services]
    ]
    return PeriodFigures(
        period=period,
        how_much=HowMuch(c(audited), tuple(allocations)),
        how_well=grade_tables(ledger, framework, tally, key="grades"),
        moderation=ModerationFigures(
            moderated=s(("mod", "moderated"), audited),
            agreed=s(("mod", "agreed"), ("mod", "verdict")),
            raised=c(("mod", "raised")),
            lowered=c(("mod", "lowered")),
        ),
        better_off=BetterOff(
            reaudits=c(("better", "reaudits")),
            moved_to_good=s(("better", "moved"), ("better", "below")),
            escalations_met=s(("esc", "met"), ("esc", "due")),
            recommendations=RecommendationFigures(
                c(("recs", "opened")), c(("recs", "completed")), c(("recs", "overdue"))
            )
            if detail
            else None,
        ),
        unknown_grades=tally.unknown_grades,
    )
