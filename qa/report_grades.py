"""How well: the number and percentage of each grade, per domain, overall and by group.

Lambeth's report table (for each domain, "numbers and percentage rated Outstanding,
Good, RI and Inadequate") for the whole authority, then again for each service and,
where the framework groups its summary so (`summary.group_by`), each team and each
area of planning. The first row of each table is the overall grade, the grade that
stands after moderation; the domain rows are the auditors' domain grades.

Counting and displaying are apart: `tally_grades` counts into a `Ledger`, so that
small numbers are protected across every table of the report at once (a service's
hidden cell cannot be worked out from the authority's total either), and
`grade_tables` reads the settled counts back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Literal

from qa.framework import Framework
from qa.report_counts import Count, Ledger, Share
from qa.report_rows import AuditRow

__all__ = ["GradeCell", "GradeRow", "GradeTable", "grade_tables", "tally_grades"]

OVERALL = "overall"
ScopeKind = Literal["all", "service", "team", "area"]
Scope = tuple[str, ...]  # ("all",), ("service", s), ("team", s, t), ("area", a)


@dataclass(frozen=True)
class GradeCell:
    grade: str  # the grade's label: "Requires Improvement"
    count: Count
    share: Share


@dataclass(frozen=True)
class GradeRow:
    key: str  # "overall" or a domain key
    label: str  # "Overall grade" or the domain's label
    total: Count  # audits graded in this row
    cells: tuple[GradeCell, ...]  # best grade first
    good_or_better: Share


@dataclass(frozen=True)
class GradeTable:
    kind: ScopeKind
    scope: str  # "All services", "Service: Children in Need", "Team: Alpha (North)"
    audits: Count
    rows: tuple[GradeRow, ...]


@dataclass(frozen=True)
class GradeTally:
    """What `tally_grades` counted: the scopes present, in display order."""

    scopes: tuple[Scope, ...]
    unknown_grades: int  # grades on no scale of this framework: left out, and said so


def _scope_label(scope: Scope) -> str:
    kind = scope[0]
    if kind == "all":
        return "All services"
    if kind == "service":
        return f"Service: {scope[1] or 'not recorded'}"
    if kind == "team":
        return f"Team: {scope[2] or 'not recorded'} ({scope[1] or 'service not recorded'})"
    return f"Area: {scope[1] or 'not recorded'}"


def _rows(framework: Framework) -> list[tuple[str, str]]:
    return [(OVERALL, "Overall grade")] + [(d.key, d.label) for d in framework.audit_form.domains]


def tally_grades(
    ledger: Ledger, framework: Framework, audits: Iterable[AuditRow], *, key: Hashable
) -> GradeTally:
    """Count grades into `ledger` under `key`, with every sum that holds between them."""
    grades = framework.grade_keys
    known = set(grades)
    good = [g.key for g in framework.grades if g.good_or_better]
    below = [g for g in grades if g not in good]
    by_team = "team" in framework.summary.group_by
    by_area = "area" in framework.summary.group_by
    tally: Counter[tuple[Scope, str, str]] = Counter()
    audited: Counter[Scope] = Counter()
    unknown = 0
    for a in audits:
        scopes: list[Scope] = [("all",), ("service", a.service)]
        if by_team:
            scopes.append(("team", a.service, a.team))
        if by_area and a.area:
            scopes.append(("area", a.area))
        graded = [(OVERALL, a.grade), *list(a.domain_grades.items())]
        for row, grade in graded:
            if grade is None:
                continue
            if grade not in known:
                unknown += 1
                continue
            for scope in scopes:
                tally[scope, row, grade] += 1
        for scope in scopes:
            audited[scope] += 1
    scopes = sorted(audited, key=lambda s: (("all", "service", "team", "area").index(s[0]), s))
    rows = [r for r, _ in _rows(framework)]
    # Keys: (key, scope, "audits"), (key, scope, tag, row index[, grade]); tags keep a
    # grade called "total" or a domain called "overall" from meeting our own names.
    for scope in scopes:
        ledger.add((key, scope, "audits"), audited[scope])
        for i, row in enumerate(rows):
            cell = {g: (key, scope, "grade", i, g) for g in grades}
            for g in grades:
                ledger.add(cell[g], tally[scope, row, g])
            total, gob = (key, scope, "total", i), (key, scope, "good", i)
            ledger.add(total, sum(tally[scope, row, g] for g in grades))
            ledger.add(gob, sum(tally[scope, row, g] for g in good))
            ledger.add_sum(total, cell.values())
            ledger.add_sum(gob, [cell[g] for g in good])
            ledger.add_sum(total, [gob] + [cell[g] for g in below])
    tails: list[tuple[object, ...]] = [("audits",)]
    for i in range(len(rows)):
        tails += [("grade", i, g) for g in grades] + [("total", i), ("good", i)]
    _add_breakdowns(ledger, key, scopes, tails)
    return GradeTally(tuple(scopes), unknown)


def _add_breakdowns(
    ledger: Ledger, key: Hashable, scopes: list[Scope], tails: list[tuple[object, ...]]
) -> None:
    """All services = each service; a service = its teams; all services = each area."""
    services = [s for s in scopes if s[0] == "service"]
    areas = [s for s in scopes if s[0] == "area"]
    groups: list[tuple[Scope, list[Scope]]] = [(("all",), services)]
    if areas:
        groups.append((("all",), areas))
    for service in services:
        teams = [s for s in scopes if s[0] == "team" and s[1] == service[1]]
        if teams:
            groups.append((service, teams))
    for whole, parts in groups:
        for tail in tails:
            ledger.add_sum((key, whole, *tail), [(key, part, *tail) for part in parts])


def grade_tables(
    ledger: Ledger, framework: Framework, tally: GradeTally, *, key: Hashable
) -> tuple[GradeTable, ...]:
    """The settled tables: all services first, then each service, team and area.

    A service table is left out when there is only one service (it would repeat the
    first table).
    """
    services = sum(1 for s in tally.scopes if s[0] == "service")
    tables = []
    for scope in tally.scopes:
        if scope[0] == "service" and services == 1:
            continue
        rows = []
        for i, (row, label) in enumerate(_rows(framework)):
            total = ledger.count((key, scope, "total", i))
            cells = tuple(
                GradeCell(g.label, c, Share(c, total))
                for g in framework.grades
                for c in [ledger.count((key, scope, "grade", i, g.key))]
            )
            good = Share(ledger.count((key, scope, "good", i)), total)
            rows.append(GradeRow(row, label, total, cells, good))
        kind: ScopeKind = scope[0]  # type: ignore[assignment]
        audits = ledger.count((key, scope, "audits"))
        tables.append(GradeTable(kind, _scope_label(scope), audits, tuple(rows)))
    return tuple(tables)
