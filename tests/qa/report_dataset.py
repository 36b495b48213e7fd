"""A small department whose monthly summary is worked out by hand (tests/qa/test_reporting.py).

March 2026, two services (North: teams A and B; South: teams C and D), twelve audits
graded on the test framework's two domains (assessment, planning). Overall grades,
the grade after moderation:

    audit  service team  overall (final)   assessment   planning     moderation   re-audit of
      1    North   A     good              good         good
      2    North   A     good              outstanding  good
      3    North   A     ri -> good        ri           ri           changed, up
      4    North   B     inadequate        inadequate   ri           agreed
      5    North   B     good              good         ri
      6    North   B     outstanding       outstanding  good         agreed
      7    South   C     ri                ri           ri                        inadequate
      8    South   C     good              good         good                      ri
      9    South   C     good -> ri        good         ri           changed, down
     10    South   D     ri                ri           inadequate
     11    South   D     good              good         good                      ri
     12    South   D     outstanding       outstanding  outstanding               good

Comparisons: February 2026 6 of 10 Good or better; October to December 2025 15 of 20;
March 2025 4 of 8. Case ids are 900001.. and narratives mention a reference and a name,
so tests can check neither reaches any output.
"""

from __future__ import annotations

from datetime import date

from qa.reporting import AllocationRow, AuditRow, EscalationRow, RecommendationRow
from qa.working_days import Month

MARCH = Month(2026, 3)
TODAY = date(2026, 4, 3)
CASE_REFERENCE = "CR-778899"
CHILD_NAME = "Tallulah"

O, G, R, I = "outstanding", "good", "requires_improvement", "inadequate"  # noqa: E741

_MARCH_AUDITS = [
    # id, service, team, overall, final, assessment, planning, moderated, agreed, change, reaudit_of
    (1, "North", "A", G, None, G, G, False, None, 0, None),
    (2, "North", "A", G, None, O, G, False, None, 0, None),
    (3, "North", "A", R, G, R, R, True, False, 1, None),
    (4, "North", "B", I, None, I, R, True, True, 0, None),
    (5, "North", "B", G, None, G, R, False, None, 0, None),
    (6, "North", "B", O, None, O, G, True, True, 0, None),
    (7, "South", "C", R, None, R, R, False, None, 0, I),
    (8, "South", "C", G, None, G, G, False, None, 0, R),
    (9, "South", "C", G, R, G, R, True, False, -1, None),
    (10, "South", "D", R, None, R, I, False, None, 0, None),
    (11, "South", "D", G, None, G, G, False, None, 0, R),
    (12, "South", "D", O, None, O, O, False, None, 0, G),
]

# Six answers about the child's voice (a theme that may be quoted), three about
# planning (too few to quote); the first has a date of birth and the second a child's
# name, so neither may be quoted; one mentions a case reference.
_WORKING_WELL = {
    1: "The child's voice is heard in every visit. Born 12/03/2015.",
    2: f"{CHILD_NAME} said she feels listened to and her voice shapes the plan.",
    3: "The voice of the child is clear throughout the record.",
    4: "Direct work captured the child's wishes well.",
    5: "Good direct work and the child's views are recorded.",
    6: "Views of the child were gathered with care.",
    7: "The plan is SMART and reviewed on time.",
    8: f"Planning improved after the last audit of {CASE_REFERENCE}.",
    9: "Nothing stood out this time.",
}


def _audit(row: tuple[object, ...], month: Month = MARCH) -> AuditRow:
    aid, service, team, overall, final, assessment, planning, moderated, agreed, change, of = row
    assert isinstance(aid, int)
    return AuditRow(
        audit_id=aid,
        month=month,
        service=str(service),
        team=str(team),
        domain_grades={"assessment": str(assessment), "planning": str(planning)},
        overall_grade=str(overall),
        final_grade=None if final is None else str(final),
        moderated=bool(moderated),
        moderation_agreed=None if agreed is None else bool(agreed),
        grade_change=int(change),  # type: ignore[call-overload]
        case_id=900000 + aid,
        reaudit_of_grade=None if of is None else str(of),
        narrative={"working_well": _WORKING_WELL.get(aid, "")},
    )


def _simple(first_id: int, month: Month, grades: list[str]) -> list[AuditRow]:
    return [
        AuditRow(
            audit_id=first_id + i,
            month=month,
            service="North" if i % 2 else "South",
            team="A" if i % 2 else "C",
            domain_grades={"assessment": g, "planning": g},
            overall_grade=g,
            case_id=800000 + first_id + i,
        )
        for i, g in enumerate(grades)
    ]


def audits() -> list[AuditRow]:
    march = [_audit(r) for r in _MARCH_AUDITS]
    february = _simple(100, Month(2026, 2), [G] * 5 + [O] + [R] * 4)  # 6 of 10
    quarter = (
        _simple(200, Month(2025, 10), [G] * 6 + [R] * 2)  # 6 of 8
        + _simple(300, Month(2025, 11), [G] * 5 + [I] * 1)  # 5 of 6
        + _simple(400, Month(2025, 12), [O] * 4 + [R] * 2)  # 4 of 6: 15 of 20
    )
    last_year = _simple(500, Month(2025, 3), [G] * 4 + [R] * 4)  # 4 of 8
    return march + february + quarter + last_year


def allocations() -> list[AllocationRow]:
    def rows(service: str, statuses: list[str]) -> list[AllocationRow]:
        return [AllocationRow(MARCH, service, s) for s in statuses]

    # North: 7 made (a released one is not), 6 completed. South: 8 made, 6 completed.
    north = rows("North", ["completed"] * 6 + ["allocated", "released"])
    south = rows("South", ["completed"] * 6 + ["in_progress"] * 2 + ["proposed"])
    february = [AllocationRow(Month(2026, 2), "North", "completed")] * 3 + [
        AllocationRow(Month(2026, 2), "North", "allocated")
    ]
    return north + south + february


def recommendations() -> list[RecommendationRow]:
    d = date
    return [
        RecommendationRow(d(2026, 3, 5), d(2026, 4, 5)),  # opened, not yet due
        RecommendationRow(d(2026, 3, 10), d(2026, 3, 20), d(2026, 3, 18)),  # opened, completed
        RecommendationRow(d(2026, 2, 1), d(2026, 3, 1)),  # overdue
        RecommendationRow(d(2026, 2, 10), d(2026, 3, 15), d(2026, 4, 1)),  # overdue at 31 March
        RecommendationRow(d(2026, 1, 10), d(2026, 2, 10), d(2026, 3, 2)),  # completed in March
        RecommendationRow(d(2026, 3, 20), d(2026, 3, 31)),  # due on the last day: not overdue
    ]


def escalations() -> list[EscalationRow]:
    d = date
    return [
        EscalationRow(d(2026, 3, 1), d(2026, 3, 8), d(2026, 3, 7)),  # met
        EscalationRow(d(2026, 3, 10), d(2026, 3, 17), d(2026, 3, 17)),  # met on the day
        EscalationRow(d(2026, 3, 20), d(2026, 3, 27), d(2026, 3, 30)),  # late
        EscalationRow(d(2026, 3, 25), d(2026, 4, 1)),  # falls due in April
        EscalationRow(d(2026, 3, 26), d(2026, 3, 31)),  # missed
    ]
