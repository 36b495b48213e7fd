"""Synthetic authorities for the allocation tests: a plain builder and hypothesis strategies.

The builder gives the usual shape of a department (director, heads of service,
service managers, team managers, practitioners, a quality assurance team) using the
role keys of whatever framework it is given, so the same code builds a Camden, a
Lambeth or a generated framework's authority. Deliberately independent of `demo.authority`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from qa.allocation import (
    AllocationInputs,
    AllocationPlan,
    OpenCase,
    PastAudit,
    StaffMember,
    allocate,
)
from qa.framework import Framework
from qa.working_days import Month

STRUCTURAL = {
    "practitioner",
    "deputy_team_manager",
    "team_manager",
    "service_manager",
    "head_of_service",
    "director",
}
QA_TEAM = "Quality Assurance"


@dataclass(frozen=True)
class Authority:
    staff: tuple[StaffMember, ...]
    cases: tuple[OpenCase, ...]

    def by_role(self, role: str) -> list[StaffMember]:
        return [s for s in self.staff if role in s.roles]

    def person(self, pid: int) -> StaffMember:
        return next(s for s in self.staff if s.id == pid)

    def case(self, cid: int) -> OpenCase:
        return next(c for c in self.cases if c.id == cid)


def department(
    fw: Framework,
    *,
    services: int = 4,
    teams_per_service: int = 3,
    workers_per_team: int = 5,
    cases_per_worker: int = 8,
    service_managers: int = 1,
    extra_per_role: int = 2,
    seed: int = 1,
    today: date = date(2025, 1, 1),
) -> Authority:
    """A department using `fw`'s role keys; every non-structural role that does QA work
    (a cadence, a review window, dip samples) gets `extra_per_role` holders in a QA team."""
    rng = random.Random(seed)
    keys = set(fw.role_keys)
    staff: list[StaffMember] = []
    cases: list[OpenCase] = []

    def person(
        roles: tuple[str, ...], team: str | None, service: str | None, boss: int | None
    ) -> int:
        pid = len(staff) + 1
        known = tuple(r for r in roles if r in keys)
        staff.append(StaffMember(pid, f"p{pid}@example.gov.uk", known, team, service, boss))
        return pid

    top = ("director",) if "director" in keys else (fw.qa_lead_role,)
    director = person(top, "Directorate", None, None)
    lead = person((fw.qa_lead_role,), QA_TEAM, None, director)
    qa_roles = {c.role for c in fw.cadences}
    qa_roles |= {r for w in fw.review_windows for r in w.roles}
    if fw.dip_sample:
        qa_roles.add(fw.dip_sample.by_role)
    for role in sorted(qa_roles - STRUCTURAL - {fw.qa_lead_role}):
        for _ in range(extra_per_role):
            person((role,), QA_TEAM, None, lead)
    case_id = 1
    for s in range(services):
        service = f"Service {s + 1}"
        area = fw.area_keys[s % len(fw.area_keys)]
        hos = person(("head_of_service",), f"{service} leadership", service, director)
        sms = [
            person(("service_manager",), f"{service} leadership", service, hos)
            for _ in range(service_managers)
        ]
        for t in range(teams_per_service):
            team = f"{service} team {t + 1}"
            tm = person(("team_manager",), team, service, sms[t % len(sms)])
            managers = [tm]
            if "deputy_team_manager" in keys:  # in the team, managing only some of it
                managers.append(person(("deputy_team_manager",), team, service, tm))
            for w in range(workers_per_team):
                worker = person(("practitioner",), team, service, managers[w % len(managers)])
                for _ in range(cases_per_worker):
                    opened = today - timedelta(days=rng.randrange(30, 900))
                    cases.append(
                        OpenCase(case_id, f"REF-{case_id:05d}", service, team, worker, area, opened)
                    )
                    case_id += 1
    return Authority(tuple(staff), tuple(cases))


def grade_for(fw: Framework, rng: random.Random) -> str:
    """Mostly good, some Requires Improvement, a few Inadequate and Outstanding."""
    keys = fw.grade_keys
    weights = [0.1, 0.55, 0.25, 0.1][: len(keys)] + [0.05] * max(0, len(keys) - 4)
    return rng.choices(keys, weights=weights)[0]


@dataclass
class Year:
    """Allocations month by month, every case allocation completed by its due date."""

    fw: Framework
    authority: Authority
    plans: dict[Month, AllocationPlan] = field(default_factory=dict)
    history: list[PastAudit] = field(default_factory=list)
    inputs: dict[Month, AllocationInputs] = field(default_factory=dict)

    def allocations(self, month: Month) -> tuple[Any, ...]:
        return self.plans[month].allocations


def simulate(
    fw: Framework,
    authority: Authority,
    months: Iterable[Month],
    *,
    seed: int = 7,
    history: Iterable[PastAudit] = (),
    grade: Any = None,
) -> Year:
    """Run the allocation month after month, feeding completed audits back as history."""
    rng = random.Random(seed)
    year = Year(fw, authority, history=list(history))
    workers = {c.id: c.worker_id for c in authority.cases}
    for month in months:
        inputs = AllocationInputs(fw, month, authority.staff, authority.cases, tuple(year.history))
        plan = allocate(inputs)
        year.inputs[month], year.plans[month] = inputs, plan
        for a in plan.allocations:
            if a.case_id is None:
                continue
            g = grade(a) if grade else grade_for(fw, rng)
            year.history.append(
                PastAudit(a.case_id, a.person_id, workers[a.case_id], a.due_on, g, a.activity)
            )
    return year


def months_from(start: Month, n: int) -> list[Month]:
    return [start.shift(i) for i in range(n)]


# -- hypothesis: generated frameworks and authorities -----------------------------------

GRADES = ["outstanding", "good", "requires_improvement", "inadequate"]
AREAS = ["early_help", "cin_cp", "cla_permanency"]


@st.composite
def frameworks(draw: st.DrawFn) -> Framework:
    """A framework with random cadences, cycle, windows, re-audit and dip-sample rules."""
    areas = AREAS[: draw(st.integers(1, 3))]
    cycle = draw(st.booleans())
    qa_capacity = draw(st.integers(1, 6))
    every_month = st.just(frozenset(range(1, 13)))
    active = sorted(draw(every_month | st.sets(st.integers(1, 12), min_size=1, max_size=12)))
    cadences: list[dict[str, Any]] = [
        {"role": "team_manager", "count": 1, "every_months": draw(st.integers(1, 3))},
        {"role": "service_manager", "count": draw(st.integers(1, 3))},
        {"role": "head_of_service", "activity": "moderation", "count": draw(st.integers(1, 4))},
    ]
    if draw(st.booleans()):
        cadences.append({"role": "qa_officer", "count": draw(st.integers(1, 3))})
    if draw(st.booleans()):
        cadences.append({"role": "deputy_team_manager", "count": draw(st.integers(1, 2))})
    windows: list[dict[str, Any]] = []
    if draw(st.booleans()):
        first, second = draw(
            st.lists(st.integers(1, 12), min_size=2, max_size=2, unique=True).map(sorted)
        )
        windows = [
            {"months": [first], "share": 0.5, "roles": ["qa_officer"]},
            {"months": [second], "share": 0.5, "remainder": True, "roles": ["qa_officer"]},
        ]
    data: dict[str, Any] = {
        "name": "generated",
        "authority": draw(
            st.sampled_from(["Borsetshire Council", "Midsomer, Children's Services"])
        ),
        "grades": [
            {"key": g, "label": g.replace("_", " ").title(), "good_or_better": i < 2}
            for i, g in enumerate(GRADES)
        ],
        "roles": [
            {"key": "practitioner", "label": "Social worker", "default_capacity": 0},
            {"key": "team_manager", "label": "Team manager"},
            {"key": "deputy_team_manager", "label": "Deputy team manager"},
            {"key": "service_manager", "label": "Service manager", "default_capacity": 2},
            {"key": "head_of_service", "label": "Head of service"},
            {"key": "director", "label": "Director", "default_capacity": 0},
            {"key": "qa_lead", "label": "QA lead"},
            {"key": "qa_officer", "label": "QA officer", "default_capacity": qa_capacity},
        ],
        "qa_lead_role": "qa_lead",
        "cadences": cadences,
        "areas": [
            {
                "key": a,
                "label": a.replace("_", " ").title(),
                "cycle_target": draw(st.none() | st.integers(0, 8)) if cycle else None,
            }
            for a in areas
        ],
        "review_windows": windows,
        "allocation": {
            "active_months": active,
            "working_day": draw(st.integers(1, 5)),
            "due_working_days": draw(st.integers(5, 20)),
            "max_cases_per_worker": draw(st.integers(1, 3)),
            "no_reaudit_months": draw(st.integers(0, 8)),
            "peer_principle": draw(st.booleans()),
        },
        "audit_form": {"domains": [{"key": "practice", "label": "Practice"}]},
        "reaudit": [
            {"grade": "inadequate", "within_months": draw(st.integers(1, 8))},
            {"grade": "requires_improvement", "within_months": draw(st.integers(2, 12))},
        ][: draw(st.integers(0, 2))],
    }
    if cycle:
        data["cycle"] = {"months": draw(st.integers(1, 4)), "start_month": draw(st.integers(1, 12))}
    if draw(st.booleans()):
        data["dip_sample"] = {
            "after_grades": ["requires_improvement", "inadequate"],
            "cases": draw(st.integers(1, 3)),
            "by_role": "team_manager",
            "whole_caseload_approver": "qa_lead",
        }
    return Framework.model_validate(data)


@dataclass(frozen=True)
class Scenario:
    inputs: AllocationInputs

    @property
    def fw(self) -> Framework:
        return self.inputs.framework


@st.composite
def scenarios(draw: st.DrawFn, *, fw: Framework | None = None) -> Scenario:
    """A generated authority in a random month, with history, absences and capacities."""
    fw = fw or draw(frameworks())
    month = Month(draw(st.integers(2024, 2026)), draw(st.integers(1, 12)))
    dept = department(
        fw,
        services=draw(st.integers(1, 3)),
        teams_per_service=draw(st.integers(1, 3)),
        workers_per_team=draw(st.integers(1, 4)),
        cases_per_worker=draw(st.integers(0, 4)),
        extra_per_role=draw(st.integers(0, 2)),
        seed=draw(st.integers(0, 1000)),
        today=month.first,
    )
    rng = random.Random(draw(st.integers(0, 10_000)))
    staff = []
    for s in dept.staff:
        if rng.random() < 0.25:
            s = replace(s, capacity=rng.randrange(0, 4))
        if rng.random() < 0.1:
            start = month.first + timedelta(days=rng.randrange(-10, 20))
            s = replace(s, absences=((start, start + timedelta(days=rng.randrange(0, 30))),))
        staff.append(s)
    history: list[PastAudit] = []
    auditors = [s.id for s in staff]
    for c in dept.cases:
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            done = month.first - timedelta(days=rng.randrange(1, 600))
            activity = "dip_sample" if rng.random() < 0.1 else "audit"
            history.append(
                PastAudit(
                    c.id, rng.choice(auditors), c.worker_id, done, rng.choice(GRADES), activity
                )
            )
    in_progress = frozenset(c.id for c in dept.cases if rng.random() < 0.05)
    inputs = AllocationInputs(
        fw, month, tuple(staff), dept.cases, tuple(history), in_progress=in_progress
    )
    return Scenario(inputs)
