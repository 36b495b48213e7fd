"""How long the monthly allocation takes for a large authority: 1,000 staff, 20,000 cases.

Builds, in memory, a department of 1,000 people (10 services of 10 teams, each a team
manager and eight practitioners, plus service managers, heads of service and the
roles the framework gives a cadence) holding 20,000 open cases, with a year of audit
history (a third of the cases audited, graded mostly Good, some Requires Improvement
and Inadequate, so re-audits and dip samples arise). Times `allocate` for Lambeth
(cycle quotas and re-audits, the heaviest rules) and Wandsworth (dip samples), target
under 2 seconds each; peak Python memory is measured in a separate run, since tracing
memory slows the code it traces.
"""

from __future__ import annotations

import random
from datetime import timedelta

from bench.common import BenchResult, measure
from qa.allocation import AllocationInputs, OpenCase, PastAudit, StaffMember, allocate
from qa.framework import Framework, preset
from qa.working_days import Month

SERVICES = 10
TEAMS_PER_SERVICE = 10
WORKERS_PER_TEAM = 8
CASES = 20_000
STAFF = 1_000
TARGET_S = 2.0
MONTH = Month(2026, 3)


def authority(fw: Framework, *, seed: int = 11) -> AllocationInputs:
    """A 1,000-person, 20,000-case authority with a year of history, for `fw`."""
    rng = random.Random(seed)
    keys = set(fw.role_keys)
    staff: list[StaffMember] = []

    def person(role: str, team: str, service: str | None, boss: int | None) -> int:
        pid = len(staff) + 1
        roles = (role,) if role in keys else ()
        staff.append(StaffMember(pid, f"p{pid}@council.gov.uk", roles, team, service, boss))
        return pid

    director = person("director", "Directorate", None, None)
    workers: list[tuple[int, str, str, str]] = []
    for s in range(SERVICES):
        service = f"Service {s + 1}"
        area = fw.area_keys[s % len(fw.area_keys)]
        hos = person("head_of_service", f"{service} leadership", service, director)
        sms = [person("service_manager", f"{service} leadership", service, hos) for _ in range(2)]
        for t in range(TEAMS_PER_SERVICE):
            team = f"Team {s + 1}.{t + 1}"
            tm = person("team_manager", team, service, sms[t % 2])
            for _ in range(WORKERS_PER_TEAM):
                workers.append((person("practitioner", team, service, tm), team, service, area))
    others = sorted({c.role for c in fw.cadences} - {"team_manager", "service_manager"})
    while len(staff) < STAFF:
        role = others[len(staff) % len(others)] if others else fw.qa_lead_role
        person(role, "Quality Assurance", None, director)
    cases = []
    for i in range(CASES):
        worker, team, service, area = workers[i % len(workers)]
        opened = MONTH.first - timedelta(days=rng.randrange(30, 1500))
        cases.append(OpenCase(i + 1, f"REF-{i + 1:06d}", service, team, worker, area, opened))
    grades = fw.grade_keys
    weights = [0.1, 0.55, 0.25, 0.1][: len(grades)] + [0.05] * max(0, len(grades) - 4)
    history = [
        PastAudit(
            c.id,
            rng.randrange(1, STAFF + 1),
            c.worker_id,
            MONTH.first - timedelta(days=rng.randrange(1, 366)),
            rng.choices(grades, weights=weights)[0],
        )
        for c in rng.sample(cases, CASES // 3)
    ]
    return AllocationInputs(fw, MONTH, tuple(staff), tuple(cases), tuple(history))


def run() -> list[BenchResult]:
    results: list[BenchResult] = []
    for name in ("lambeth", "wandsworth"):
        inputs = authority(preset(name))
        allocate(inputs)  # warm the bank-holiday cache, as a long-running process would
        with measure(memory=False) as timed:
            plan = allocate(inputs)
        with measure(memory=True) as traced:
            allocate(inputs)
        note = (
            f"{len(inputs.staff):,} staff, {len(inputs.cases):,} cases, "
            f"{len(inputs.history):,} past audits: {len(plan.allocations):,} allocations, "
            f"{len(plan.shortfalls):,} shortfalls"
        )
        results += [
            BenchResult(
                f"allocate a month ({name})",
                timed.seconds,
                "s",
                f"< {TARGET_S:g} s",
                timed.seconds < TARGET_S,
                note,
            ),
            BenchResult(f"allocate a month ({name}): peak memory", traced.peak_mb, "MB", "", None),
        ]
    return results
