"""The allocation's inputs and outputs: frozen dataclasses of plain values.

Plain so that the storage layer can build them from rows and the engine stays free of
the database (architecture.md: `qa` is pure). Kept apart from the engine so both it
and the public seam (`qa.allocation`) can import them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Literal

from qa.framework import Framework
from qa.working_days import Month

Basis = Literal["moderation", "dip_sample", "reaudit", "quota", "cadence", "capacity", ""]


@dataclass(frozen=True)
class StaffMember:
    """A person who may be allocated work, or whose cases are audited."""

    id: int
    email: str
    roles: tuple[str, ...]
    team: str | None = None
    service: str | None = None
    line_manager_id: int | None = None
    capacity: int | None = None  # cases a month; None: the largest default of their roles
    absences: tuple[tuple[date, date], ...] = ()  # inclusive ranges


@dataclass(frozen=True)
class OpenCase:
    """An open case, known by its reference only."""

    id: int
    reference: str
    service: str
    team: str
    worker_id: int | None
    area: str
    opened_on: date


@dataclass(frozen=True)
class PastAudit:
    """A completed audit. `activity` `dip_sample` audits do not trigger further dip samples."""

    case_id: int
    auditor_id: int | None
    worker_id: int | None
    completed_on: date
    grade: str | None
    activity: str = "audit"
    reference: str = ""


@dataclass(frozen=True)
class CaseRecommendation:
    """A recommendation made on a case: dates only, for follow-through audits.

    `closed_on` is the local date it was completed, None while it is open.
    """

    case_id: int
    made_on: date
    due_on: date
    closed_on: date | None = None


@dataclass(frozen=True)
class Allocated:
    """Person P carries out `activity` on case C (None: a moderation slot), due by D, because R.

    `basis` and `area` are for the engine and the QA lead's view; rows read back from
    storage may leave them empty. `slot` numbers a person's caseless allocations of one
    activity (moderation slot 2 of 4): several such rows differ by nothing else, so the
    number is what lets storage keep all four and a re-run add none.
    """

    person_id: int
    case_id: int | None
    activity: str
    due_on: date
    reason: str
    basis: Basis = ""
    area: str | None = None
    slot: int | None = None


@dataclass(frozen=True)
class Shortfall:
    """Something the framework asks for that could not be allocated, and why."""

    message: str
    area: str | None
    missing: int


@dataclass(frozen=True)
class AllocationPlan:
    """The month's new allocations (on top of `already`) and what could not be filled."""

    month: Month
    allocations: tuple[Allocated, ...]
    shortfalls: tuple[Shortfall, ...]
    note: str = ""


@dataclass(frozen=True)
class AllocationInputs:
    """Everything the allocation depends on.

    `already`: this month's allocations so far (a re-run tops up; it never duplicates).
    `in_progress`: ids of cases with an audit allocated in an earlier month and not yet
    completed (the storage layer derives them from earlier months' open allocations);
    they are not allocated again.
    """

    framework: Framework
    month: Month
    staff: tuple[StaffMember, ...]
    cases: tuple[OpenCase, ...]
    history: tuple[PastAudit, ...] = ()
    already: tuple[Allocated, ...] = ()
    in_progress: frozenset[int] = frozenset()
    # Recommendations on cases, read only when a cadence picks `follow_through`.
    recommendations: tuple[CaseRecommendation, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.month, Month):
            raise TypeError(f"month must be a Month, e.g. Month.of(...), not {self.month!r}")
        problems = [
            f"{what} id {i} is given twice"
            for what, ids in (
                ("staff", [s.id for s in self.staff]),
                ("case", [c.id for c in self.cases]),
            )
            for i, n in Counter(ids).items()
            if n > 1
        ]
        if problems:
            raise ValueError("cannot allocate: " + "; ".join(sorted(problems)))
