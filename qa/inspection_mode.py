"""Inspection mode: the cases Ofsted's inspectors picked, audited at once by the fastest
independent auditors.

When inspectors name the cases they will look at, the QA lead needs each one audited
within days. `parse_request` reads what the lead typed (`inspection CR-1, CR-2 in 5
days`); `choose_auditors` gives each case to an auditor who may audit it (never their
own case, never one worked by someone they line-manage when the framework excludes
those: the allocation engine's rule), preferring the fastest (the fewest days, in the
middle of their record, from allocation to submission), and spreading the cases so no
one gets a second while an equally fast colleague has none. Pure: the storage layer
gathers the people and their record.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from qa.allocation_rules import managers_of
from qa.framework import Framework

__all__ = [
    "MAX_CASES",
    "MAX_DAYS",
    "Auditor",
    "InspectionCase",
    "InspectionRequest",
    "Pick",
    "auditor_roles",
    "choose_auditors",
    "parse_request",
]

MAX_DAYS = 60
MAX_CASES = 50
_DAYS = re.compile(r"(?:\bin\s+|\bwithin\s+)?\b(\d{1,3})\s*(?:working\s+)?days?\b", re.IGNORECASE)
_SPLIT = re.compile(r"[\s,;]+")
_FILLER = frozenset({"and", "cases", "case", "in", "within"})


@dataclass(frozen=True)
class InspectionRequest:
    references: tuple[str, ...]  # as typed, each once, in order
    days: int | None  # None: not given
    problem: str | None = None  # "no_cases", "no_days", "too_many", "too_long"


def parse_request(text: str) -> InspectionRequest:
    """`CR-1, CR-2 in 5 days` -> the references and the days (both required)."""
    found = _DAYS.search(text)
    days = int(found.group(1)) if found else None
    rest = text[: found.start()] + " " + text[found.end() :] if found else text
    refs: list[str] = []
    for token in _SPLIT.split(rest.strip()):
        word = token.strip(".")
        if word and word.lower() not in _FILLER and word not in refs:
            refs.append(word)
    problem = None
    if not refs:
        problem = "no_cases"
    elif days is None or days < 1:
        problem = "no_days"
    elif len(refs) > MAX_CASES:
        problem = "too_many"
    elif days > MAX_DAYS:
        problem = "too_long"
    return InspectionRequest(tuple(refs), days, problem)


@dataclass(frozen=True)
class InspectionCase:
    case_id: int
    reference: str
    worker_id: int | None
    team_id: int | None


@dataclass(frozen=True)
class Auditor:
    """Someone who may audit now: `median_days` from allocation to submission (None: no
    record yet), `open_audits` allocated and not yet submitted."""

    person_id: int
    team_id: int | None
    median_days: float | None
    open_audits: int = 0


@dataclass(frozen=True)
class Pick:
    case: InspectionCase
    auditor_id: int | None  # None: nobody independent is available


def auditor_roles(framework: Framework) -> set[str]:
    """The roles that audit: those with an audit cadence, and the capacity roles."""
    roles = {c.role for c in framework.cadences if c.activity in {"audit", "themed_audit"}}
    roles.update(framework.allocation.capacity_roles)
    for window in framework.review_windows:
        roles.update(window.roles)
    return roles


def _independent(
    framework: Framework,
    auditor: Auditor,
    case: InspectionCase,
    line_manager: Mapping[int, int | None],
) -> bool:
    """The allocation engine's rule (`AllocationEngine.eligible`) for one auditor and case."""
    w = case.worker_id
    if w is not None and w == auditor.person_id:
        return False
    if (
        framework.allocation.exclude_line_managed
        and w is not None
        and auditor.person_id in managers_of(line_manager, w)
    ):
        return False
    return not (
        framework.allocation.peer_principle
        and auditor.team_id is not None
        and auditor.team_id == case.team_id
    )


def choose_auditors(
    framework: Framework,
    cases: Sequence[InspectionCase],
    auditors: Iterable[Auditor],
    line_manager: Mapping[int, int | None],
) -> list[Pick]:
    """One independent auditor per case, fastest first, spread as evenly as speed allows."""
    people = list(auditors)
    given: Counter[int] = Counter()

    def rank(a: Auditor) -> tuple[int, int, float, int, int]:
        speed = a.median_days
        return (
            given[a.person_id],
            0 if speed is not None else 1,
            speed if speed is not None else 0.0,
            a.open_audits,
            a.person_id,
        )

    picks = []
    for case in cases:
        eligible = [a for a in people if _independent(framework, a, case, line_manager)]
        best = min(eligible, key=rank, default=None)
        if best is not None:
            given[best.person_id] += 1
        picks.append(Pick(case, best.person_id if best else None))
    return picks
