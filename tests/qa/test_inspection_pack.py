"""The inspection pack's figures (`qa.inspection_pack`), on rows written by hand.

Checked: areas of planning map to the ILACS judgement areas by name; each judgement
area counts only its own audits, the authority all of them; the trend is month by
month; re-audits that moved from below Good to Good or better are counted; small
numbers are suppressed by the same rules as the board summary; no reference leaks.
"""

from __future__ import annotations

from datetime import date

import pytest

from qa.framework import Framework, load_framework
from qa.inspection_pack import (
    HELP_AND_PROTECTION,
    IN_CARE,
    LEADERS,
    LEAVERS,
    OTHER,
    Pack,
    inspection_pack,
    judgement_area,
)
from qa.report_rows import AllocationRow, AuditRow, RecommendationRow, ReportRows
from qa.working_days import Month

MARCH = Month(2026, 3)
TODAY = date(2026, 4, 3)


@pytest.mark.parametrize(
    ("name", "area"),
    [
        ("Planning for Young People aged 16+ and Care Leavers", LEAVERS),
        ("Leaving Care", LEAVERS),
        ("Looked after and Permanency", IN_CARE),
        ("Children Looked After", IN_CARE),
        ("Fostering and Adoption", IN_CARE),
        ("Help and Protection", HELP_AND_PROTECTION),
        ("Children in Need and Protection", HELP_AND_PROTECTION),
        ("Early Help", HELP_AND_PROTECTION),
        ("cin_cp", HELP_AND_PROTECTION),
        ("Youth Justice", OTHER),
    ],
)
def test_areas_of_planning_map_to_judgement_areas_by_name(name: str, area: str) -> None:
    assert judgement_area(name) == area


def framework() -> Framework:
    return load_framework("tests/data/framework-small.yml")


def audit(i: int, month: Month, area: str, grade: str, **extra: object) -> AuditRow:
    return AuditRow(
        audit_id=i,
        month=month,
        service="Children's Social Care",
        team="Alpha",
        domain_grades={"assessment": grade, "planning": grade},
        overall_grade=grade,
        case_id=i,
        area=area,
        **extra,  # type: ignore[arg-type]
    )


def rows() -> list[AuditRow]:
    out = []
    # help and protection: 6 in March (4 good), 2 in February (both inadequate)
    for i, g in enumerate(
        ["good", "good", "good", "outstanding", "requires_improvement", "inadequate"]
    ):
        out.append(audit(i + 1, MARCH, "Children in Need and Protection", g))
    out += [audit(10, MARCH.shift(-1), "Early Help", "inadequate")]
    out += [audit(11, MARCH.shift(-1), "Early Help", "inadequate")]
    # children in care: 3 in March, two re-audits from RI / Inadequate, one now Good
    out.append(
        audit(20, MARCH, "Looked after children", "good", reaudit_of_grade="requires_improvement")
    )
    out.append(
        audit(
            21,
            MARCH,
            "Looked after children",
            "requires_improvement",
            reaudit_of_grade="inadequate",
        )
    )
    out.append(audit(22, MARCH, "Looked after children", "good"))
    # care leavers: one, in January
    out.append(audit(30, MARCH.shift(-2), "Care Leavers", "good"))
    # a year and a month ago: outside the pack
    out.append(audit(40, MARCH.shift(-12), "Care Leavers", "inadequate"))
    return out


def pack(threshold: int = 1, fw: Framework | None = None) -> Pack:
    return inspection_pack(
        fw or framework(),
        MARCH,
        ReportRows(
            tuple(rows()),
            (AllocationRow(MARCH, "Children's Social Care", "completed"),) * 3
            + (AllocationRow(MARCH, "Children's Social Care", "allocated"),),
            (RecommendationRow(date(2026, 3, 2), date(2026, 3, 20), date(2026, 3, 10)),),
            (),
        ),
        threshold=threshold,
        today=TODAY,
        agreement=[],
    )


def test_each_judgement_area_counts_only_its_own_audits_and_the_authority_all() -> None:
    p = pack()
    assert p.period == "April 2025 to March 2026"
    assert p.audits.value == 12  # the one from March 2025 is outside the year
    by = {j.title: j for j in p.judgement_areas}
    assert list(by) == [HELP_AND_PROTECTION, IN_CARE, LEAVERS]
    help_ = by[HELP_AND_PROTECTION].table
    assert help_ is not None and help_.audits.value == 8
    assert help_.rows[0].good_or_better.text == "50%"  # 4 of 8
    care = by[IN_CARE].table
    assert care is not None and care.audits.value == 3
    leavers = by[LEAVERS].table
    assert leavers is not None and leavers.audits.value == 1
    assert p.all_services is not None and p.all_services.audits.value == 12
    assert p.other is None
    assert "Children in Need and Protection" in by[HELP_AND_PROTECTION].areas_of_planning
    assert "Early Help" in by[HELP_AND_PROTECTION].areas_of_planning
    assert LEADERS.startswith("The impact of leaders")


def test_the_trend_is_month_by_month_for_each_judgement_area() -> None:
    p = pack()
    help_ = p.judgement_areas[0]
    assert [t.month for t in help_.trend][-3:] == [MARCH.shift(-2), MARCH.shift(-1), MARCH]
    assert help_.trend[-1].good_or_better.text == "67%"  # 4 of 6
    assert help_.trend[-2].good_or_better.text == "0%"
    assert help_.trend[-3].good_or_better.text == "n/a"  # nothing graded in January
    assert len(p.trend) == 12


def test_reaudits_that_moved_to_good_and_actions_completed_are_counted() -> None:
    p = pack()
    assert p.better_off.reaudits.value == 2
    assert p.better_off.moved_to_good.text == "50%"  # 1 of the 2 below Good
    assert p.better_off.recommendations is not None
    assert p.better_off.recommendations.completed.value == 1
    assert p.allocations[0].completion.text == "75%"


def test_small_numbers_are_suppressed_in_the_judgement_areas() -> None:
    # the default opens service-level figures, as the board summary does
    leavers = pack(threshold=5).judgement_areas[2].table
    assert leavers is not None and leavers.audits.text == "1"
    # a framework that suppresses from services up hides them in the judgement areas too
    fw = framework()
    fw = fw.model_copy(
        update={"summary": fw.summary.model_copy(update={"suppress_from": "service"})}
    )
    p = pack(threshold=5, fw=fw)
    leavers = p.judgement_areas[2].table
    assert leavers is not None
    assert leavers.audits.text == "fewer than 5"
    # the authority's own figures stay open, as the board summary's do
    assert p.all_services is not None and p.all_services.audits.text == "12"


def test_an_area_no_judgement_area_names_is_shown_apart() -> None:
    extra = [audit(50, MARCH, "Youth Justice", "good")]
    p = inspection_pack(
        framework(), MARCH, ReportRows(tuple(rows() + extra), (), (), ()), threshold=1, today=TODAY
    )
    assert p.other is not None and p.other.table is not None
    assert p.other.table.audits.value == 1
    assert p.all_services is not None and p.all_services.audits.value == 13
