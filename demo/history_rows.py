"""The demo history's rows: frozen, plain values keyed by emails and case references.

Why natural keys: the history is made before the database assigns ids (and must be
testable without one), so people are known by email, cases by reference and audits
by a number local to the history (`HistoryAudit.key`) that moderations,
recommendations and escalations point at. `storage.seed_history` maps them to ids.
Times are aware (UTC); every one of them is before the `today` the history was made
for, while due dates and deadlines may be later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class HistoryAllocation:
    """Person does activity on case (None: a moderation slot) in month, due by due_on.

    `status` as stored: `completed`, `in_progress`, `allocated` (an allocated or in
    progress one past its due date is overdue).
    """

    key: int
    month: str  # YYYY-MM
    person: str
    case: str | None
    activity: str
    due_on: date
    reason: str
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AuditEvent:
    """One entry of an audit's edit history: submitted, returned, resubmitted, finalised."""

    event: str
    at: datetime
    by: str  # email


@dataclass(frozen=True)
class HistoryAudit:
    """An audit: a draft (`step` where it stopped) or submitted, perhaps moderated.

    `answers` is the dialog state as `qa.dialog.DialogState.to_json` writes it, with
    recommendation owners as emails (`demo.history_answers.with_person_ids`).
    """

    key: int
    allocation: int
    case: str
    auditor: str
    activity: str
    area: str
    status: str  # draft / submitted / returned / final
    step: str
    answers: Mapping[str, Any]
    domain_grades: Mapping[str, str]
    overall_grade: str | None
    final_grade: str | None
    narrative: Mapping[str, str]
    events: tuple[AuditEvent, ...]
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    finalised_at: datetime | None

    @property
    def grade(self) -> str | None:
        """The grade that stands: the moderated one where there is one."""
        return self.final_grade or self.overall_grade


@dataclass(frozen=True)
class HistoryModeration:
    """One moderator's part in moderating an audit (a panel has one row per member)."""

    audit: int
    moderator: str
    month: str
    is_chair: bool
    status: str  # assigned / completed
    outcome: str | None  # confirmed / regraded / returned
    moderated_grade: str | None
    comments: str
    due_on: date
    created_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class HistoryRecommendation:
    audit: int
    case: str
    level: str
    action: str
    impact: str
    owner: str
    raised_by: str
    due_on: date
    status: str  # open / done
    created_at: datetime
    completed_at: datetime | None
    impact_note: str | None


@dataclass(frozen=True)
class HistoryEscalation:
    """A request to act on an audit's grade (`grade`) or to audit a caseload (`dip_sample`)."""

    kind: str
    audit: int
    case: str
    grade: str | None
    owner: str
    deadline: datetime
    status: str  # open / responded
    response: str | None
    responded_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class DemoHistory:
    """A year of a demo authority's QA work, up to (not including) `today`."""

    framework: str
    today: date
    months: tuple[str, ...]  # YYYY-MM, oldest first; the last is today's month
    allocations: tuple[HistoryAllocation, ...]
    audits: tuple[HistoryAudit, ...]
    moderations: tuple[HistoryModeration, ...]
    recommendations: tuple[HistoryRecommendation, ...]
    escalations: tuple[HistoryEscalation, ...]
    # The month whose allocations are the demo QA lead's current work (YYYY-MM): today's,
    # or in a month the framework allocates nothing in, the latest one before it.
    lead_month: str | None = None

    @property
    def submitted(self) -> tuple[HistoryAudit, ...]:
        """The audits that were submitted (drafts left out)."""
        return tuple(a for a in self.audits if a.submitted_at is not None)
