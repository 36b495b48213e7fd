"""The monthly summary's inputs: plain rows the storage layer builds from its tables.

Plain values only (architecture.md: `qa` is pure), so the figures can be tested on a
small dataset written by hand and timed on a large generated one without a database.
A row carries no person's name; `AuditRow.case_id` is there only to count distinct
cases and never reaches a `Summary`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from qa.working_days import Month

__all__ = ["AllocationRow", "AuditRow", "EscalationRow", "RecommendationRow", "ReportRows"]


@dataclass(frozen=True)
class AuditRow:
    """A completed audit, counted in `month` (the month it was completed).

    `domain_grades`: domain key -> grade key, as the auditor graded them.
    `overall_grade`: the auditor's overall grade; `final_grade` the grade after
    moderation, when moderation changed or confirmed it (None: not moderated yet).
    `moderated`: a moderation was completed; `moderation_agreed`: the moderator
    confirmed the grade (None: no verdict recorded); `grade_change`: -1 the moderator
    lowered the grade, +1 raised it, 0 left it.
    `reaudit_of_grade`: for a re-audit, the grade of the audit it follows up.
    `narrative`: narrative prompt key -> free-text answer.
    `area`: the case's area of planning, for frameworks that group the summary by area.
    """

    audit_id: int
    month: Month
    service: str
    team: str
    domain_grades: Mapping[str, str]
    overall_grade: str | None
    final_grade: str | None = None
    moderated: bool = False
    moderation_agreed: bool | None = None
    grade_change: int = 0
    case_id: int = 0
    reaudit_of_grade: str | None = None
    narrative: Mapping[str, str] = field(default_factory=dict)
    area: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.month, Month):
            raise TypeError(f"audit {self.audit_id}: month must be a Month, not {self.month!r}")
        if self.grade_change not in (-1, 0, 1):
            raise ValueError(
                f"audit {self.audit_id}: grade_change must be -1, 0 or 1, not {self.grade_change}"
            )

    @property
    def grade(self) -> str | None:
        """The grade that stands: the moderated one where there is one."""
        return self.final_grade if self.final_grade is not None else self.overall_grade


@dataclass(frozen=True)
class AllocationRow:
    """One allocation in `month`; `status` as stored (`completed`, ...); `activity` what
    it is for (`audit`, `themed_audit`, `dip_sample`, `moderation`)."""

    month: Month
    service: str
    status: str
    activity: str = "audit"

    def __post_init__(self) -> None:
        if not isinstance(self.month, Month):
            raise TypeError(f"allocation: month must be a Month, not {self.month!r}")


@dataclass(frozen=True)
class RecommendationRow:
    """A recommendation: opened, due, and completed (None: still open)."""

    opened_on: date
    due_on: date
    completed_on: date | None = None


@dataclass(frozen=True)
class EscalationRow:
    """An escalation: raised, its deadline, and when it was answered (None: not yet).

    Dates are local dates (the storage layer converts in the authority's zone): an
    answer on the deadline day is in time.
    """

    created_on: date
    deadline: date
    responded_on: date | None = None


@dataclass(frozen=True)
class ReportRows:
    """The four kinds of row of one span, as the storage layer reads them together and a
    report (quarterly, on the framework's rhythm) takes them: one value, not four."""

    audits: tuple[AuditRow, ...]
    allocations: tuple[AllocationRow, ...]
    recommendations: tuple[RecommendationRow, ...]
    escalations: tuple[EscalationRow, ...]
