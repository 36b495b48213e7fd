"""Calibration figures against a small dataset worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from qa.calibration import GradeChange, PendingModeration, Rate, calibration
from qa.framework import preset
from qa.moderation import PastModeration
from qa.working_days import Month

MARCH = Month(2025, 3)
CIN, LAC = "Children in Need", "Looked After"


def row(
    audit_id: int,
    auditor: int,
    service: str | None,
    agreed: bool,
    original: str,
    final: str | None,
    domains: dict[str, bool],
    *,
    deciding: bool = True,
) -> PastModeration:
    return PastModeration(
        audit_id=audit_id,
        auditor_id=auditor,
        moderator_id=50,
        month=MARCH,
        agreed_overall=agreed,
        original_grade=original,
        final_grade=final,
        domain_agreement=domains,
        service=service,
        deciding=deciding,
    )


DATASET = [
    row(1, 10, CIN, True, "good", "good", {"assessment": True, "safeguarding": True}),
    row(
        2,
        10,
        CIN,
        False,
        "good",
        "requires_improvement",
        {"safeguarding": False, "assessment": True},
    ),
    row(3, 11, LAC, False, "requires_improvement", "good", {"planning": False}),
    row(4, 11, LAC, True, "inadequate", None, {"planning": True}),  # returned to its author
    row(5, 12, None, False, "outstanding", "good", {}),
    # A panel member's view of audit 1: the chair's row above decides, this one does not count.
    row(1, 10, CIN, False, "good", "inadequate", {"safeguarding": False}, deciding=False),
]
OPEN = [
    PendingModeration(6, date(2025, 3, 10)),
    PendingModeration(7, date(2025, 3, 20)),
    PendingModeration(7, date(2025, 3, 20)),  # a panel: one row per member, one audit
    PendingModeration(8, date(2025, 3, 14)),  # due today: not yet overdue
]


def test_calibration_figures_match_the_hand_worked_dataset() -> None:
    c = calibration(preset("camden"), DATASET, open_moderations=OPEN, today=date(2025, 3, 14))

    assert c.agreement_rate == Rate(2, 5)
    assert c.agreement_rate.fraction == pytest.approx(0.4)
    # Domains in the framework's order: assessment, planning, safeguarding.
    assert list(c.by_domain.items()) == [
        ("assessment", Rate(2, 2)),
        ("planning", Rate(1, 2)),
        ("safeguarding", Rate(1, 2)),
    ]
    assert list(c.by_auditor.items()) == [(10, Rate(1, 2)), (11, Rate(1, 2)), (12, Rate(0, 1))]
    assert list(c.by_service.items()) == [
        (CIN, Rate(1, 2)),
        (LAC, Rate(1, 2)),
        ("unknown", Rate(0, 1)),
    ]
    assert (c.up, c.down, c.returned) == (1, 2, 1)
    assert c.changes == (
        GradeChange("outstanding", "good", 1),
        GradeChange("good", "requires_improvement", 1),
        GradeChange("requires_improvement", "good", 1),
    )
    assert (c.backlog, c.overdue, c.overdue_audit_ids) == (3, 1, (6,))


def test_no_moderations_give_no_rate_rather_than_zero() -> None:
    c = calibration(preset("lambeth"), [], today=date(2025, 3, 14))
    assert c.agreement_rate == Rate(0, 0)
    assert c.agreement_rate.fraction is None
    assert (c.by_domain, c.by_auditor, c.by_service) == ({}, {}, {})
    assert (c.up, c.down, c.returned, c.backlog, c.overdue) == (0, 0, 0, 0, 0)


def test_calibration_accepts_any_iterable_once() -> None:
    fw = preset("camden")
    c = calibration(fw, iter(DATASET), open_moderations=iter(OPEN), today=date(2025, 3, 14))
    assert c == calibration(fw, DATASET, open_moderations=OPEN, today=date(2025, 3, 14))


def test_unknown_grades_are_refused_clearly() -> None:
    bad = row(9, 10, CIN, False, "good", "excellent", {})
    with pytest.raises(ValueError, match="moderation of audit 9 has grade 'excellent'"):
        calibration(preset("camden"), [bad], today=date(2025, 3, 14))
