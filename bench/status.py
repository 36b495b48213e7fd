"""How long `status` takes on five years of a large authority's history, on SQLite.

Builds a SQLite file with Camden's framework: 6 services of 10 teams (620 people),
20,000 cases, and 60 months of QA: 60,000 audits with their allocations, a quarter
moderated, a recommendation each, an escalation for every Inadequate one. History is
mostly finished, with a little left open and overdue; the current month is part done,
part in progress, part not started. Rows go in with bulk inserts (SQLAlchemy core
executemany), not through the ORM.

Then times the whole `status` turn (`handlers.router.Router.dispatch`: who is asking, scope,
the GROUP BY queries, the context) for a QA lead (the authority by service) and for a
head of service (their service by team), and the overdue drill-down for a service:
p50 of several runs each, target under 300 ms. Peak Python memory is measured in a
separate run, since tracing memory slows the code it traces.
"""

from __future__ import annotations

import random
import statistics
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert
from sqlmodel import Session

from bench.common import BenchResult, measure
from bot.composition import router
from handlers.interaction import Interaction
from qa.framework import Framework, preset
from qa.working_days import Month
from storage.db import make_engine, upgrade
from storage.models import (
    Allocation,
    Audit,
    Case,
    Escalation,
    Moderation,
    Person,
    Recommendation,
    Service,
    Team,
)

AUDITS = 60_000
MONTHS = 60
SERVICES = 6
TEAMS_PER_SERVICE = 10
WORKERS_PER_TEAM = 9
CASES = 20_000
CURRENT_MONTH_ALLOCATIONS = 1_000
RUNS = 7
TARGET_MS = 300.0
NOW = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
CURRENT = Month.of(TODAY)


def _insert(engine: Engine, model: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        for start in range(0, len(rows), 20_000):
            conn.execute(insert(model.__table__), rows[start : start + 20_000])


def _people(engine: Engine) -> tuple[dict[int, list[int]], dict[int, int], int]:
    """Staff by team; each service's head of service; the QA lead's id."""
    services: list[dict[str, Any]] = []
    teams: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    by_team: dict[int, list[int]] = {}
    heads: dict[int, int] = {}

    def person(name: str, role: str, team: int | None) -> int:
        pid = len(people) + 1
        people.append(
            {
                "id": pid,
                "email": f"p{pid}@council.gov.uk",
                "name": name,
                "roles": [role],
                "team_id": team,
                "slack_user_id": f"U{pid:06d}",
                "active": True,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        return pid

    lead = person("Quinn Lead", "head_of_qa", None)
    for s in range(1, SERVICES + 1):
        services.append({"id": s, "name": f"Service {s}", "active": True})
        for t in range(TEAMS_PER_SERVICE):
            tid = (s - 1) * TEAMS_PER_SERVICE + t + 1
            teams.append({"id": tid, "name": f"Team {s}.{t + 1}", "service_id": s, "active": True})
        first_team = (s - 1) * TEAMS_PER_SERVICE + 1
        heads[s] = person(f"Head {s}", "head_of_service", first_team)
        for n in range(2):
            person(f"Service manager {s}.{n}", "service_manager", first_team)
    _insert(engine, Service, services)
    _insert(engine, Team, teams)
    for team in teams:
        tid = int(team["id"])
        by_team[tid] = [person(f"Manager {tid}", "team_manager", tid)]
        by_team[tid] += [
            person(f"Worker {tid}.{w}", "practitioner", tid) for w in range(WORKERS_PER_TEAM)
        ]
    _insert(engine, Person, people)
    return by_team, heads, lead


def build(engine: Engine, framework: Framework, *, seed: int = 5) -> tuple[int, int]:
    """Fill `engine`'s database; returns (QA lead's id, a head of service's id)."""
    rng = random.Random(seed)
    by_team, heads, lead = _people(engine)
    team_ids = sorted(by_team)
    managers = [by_team[t][0] for t in team_ids]
    cases = [
        {
            "id": i + 1,
            "reference": f"C{i + 1:07d}",
            "service_id": (team_ids[i % len(team_ids)] - 1) // TEAMS_PER_SERVICE + 1,
            "team_id": team_ids[i % len(team_ids)],
            "worker_id": rng.choice(by_team[team_ids[i % len(team_ids)]][1:]),
            "area": framework.area_keys[i % len(framework.area_keys)],
            "status": "open",
            "opened_on": date(2021, 1, 4),
            "active": True,
        }
        for i in range(CASES)
    ]
    _insert(engine, Case, cases)

    grades = framework.grade_keys
    weights = [10, 45, 35, 10][: len(grades)]
    allocations: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    moderations: list[dict[str, Any]] = []
    recommendations: list[dict[str, Any]] = []
    escalations: list[dict[str, Any]] = []
    first = CURRENT.shift(-(MONTHS - 1))
    past_audits = AUDITS - CURRENT_MONTH_ALLOCATIONS * 6 // 10
    per_month = -(-past_audits // (MONTHS - 1))
    plan = [(first.shift(m), per_month) for m in range(MONTHS - 1)]
    plan.append((CURRENT, CURRENT_MONTH_ALLOCATIONS))
    made = 0
    for month, quota in plan:
        current = month == CURRENT
        given = 0  # audits this month
        index = 0
        while index < quota if current else given < quota and made < past_audits:
            index += 1
            aid = len(allocations) + 1
            case = aid * 7919 % CASES + 1  # distinct within a month: no duplicate allocation
            due = month.first + timedelta(days=rng.randrange(27))
            if current:  # exactly 40% done, 20% in progress, 40% not started
                slot = index % 10
                state = "done" if slot < 4 else "draft" if slot < 6 else "none"
            else:
                state = "stale" if rng.random() < 0.005 else "done"
            allocations.append(
                {
                    "id": aid,
                    "month": month.key,
                    "person_id": rng.choice(managers),
                    "case_id": case,
                    "activity": "audit",
                    "due_on": due,
                    "reason": "",
                    "status": "completed" if state == "done" else "allocated",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            if state in {"none", "stale"}:
                continue
            given += 1
            made += 1
            grade = rng.choices(grades, weights)[0]
            submitted = datetime.combine(due, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
            audit_id = len(audits) + 1
            audits.append(
                {
                    "id": audit_id,
                    "allocation_id": aid,
                    "case_id": case,
                    "auditor_id": allocations[-1]["person_id"],
                    "step": "done" if state == "done" else "context",
                    "answers": {},
                    "domain_grades": {},
                    "overall_grade": grade if state == "done" else None,
                    "final_grade": grade if state == "done" and rng.random() < 0.25 else None,
                    "narrative": {},
                    "urgent_flags": [],
                    "status": "final" if state == "done" else "draft",
                    "history": [],
                    "submitted_at": submitted if state == "done" else None,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            if state != "done":
                continue
            recent = month.ordinal >= CURRENT.ordinal - 1
            if rng.random() < 0.25:
                moderations.append(
                    {
                        "audit_id": audit_id,
                        "moderator_id": heads[rng.randrange(SERVICES) + 1],
                        "month": month.key,
                        "is_chair": False,
                        "step": "grades",
                        "answers": {},
                        "comments": "",
                        "status": "assigned" if recent else "completed",
                        "due_on": due + timedelta(days=10),
                        "created_at": NOW,
                    }
                )
            recommendations.append(
                {
                    "source": "audit",
                    "audit_id": audit_id,
                    "case_id": case,
                    "level": "child",
                    "action": "Review the plan",
                    "impact": "",
                    "owner_id": rng.choice(managers),
                    "due_on": due + timedelta(days=30),
                    "status": "open" if recent or rng.random() < 0.02 else "done",
                    "created_at": NOW,
                }
            )
            if grade == grades[-1]:
                escalations.append(
                    {
                        "kind": "grade",
                        "audit_id": audit_id,
                        "case_id": case,
                        "grade": grade,
                        "owner_id": lead,
                        "level": 0,
                        "deadline": submitted + timedelta(days=7),
                        "status": "open" if recent else "responded",
                        "created_at": NOW,
                    }
                )
    _insert(engine, Allocation, allocations)
    _insert(engine, Audit, audits)
    _insert(engine, Moderation, moderations)
    _insert(engine, Recommendation, recommendations)
    _insert(engine, Escalation, escalations)
    assert len(audits) == AUDITS, len(audits)
    return lead, heads[1]


def _turn(engine: Engine, framework: Framework, user: str, **kw: Any) -> str:
    interaction = Interaction(platform="slack", user_id=user, **kw)
    routes = router()
    with Session(engine) as session:
        [reply] = routes.dispatch(
            interaction, session=session, framework=framework, now=NOW, tz=ZoneInfo("Europe/London")
        )
    return reply.template


def _p50_ms(engine: Engine, framework: Framework, user: str, **kw: Any) -> float:
    times = []
    for _ in range(RUNS):
        with measure(memory=False) as m:
            template = _turn(engine, framework, user, **kw)
        assert template in {"status", "status_overdue"}, template
        times.append(m.seconds * 1000)
    return statistics.median(times)


def run() -> list[BenchResult]:
    framework = preset("camden")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'status.db'}"
        upgrade(url)
        engine = make_engine(url)
        with measure(memory=False) as built:
            lead, head = build(engine, framework)
        lead_user, head_user = f"U{lead:06d}", f"U{head:06d}"
        command = {"kind": "command", "name": "status"}
        _turn(engine, framework, lead_user, **command)  # warm caches, as a running server is
        lead_ms = _p50_ms(engine, framework, lead_user, **command)
        head_ms = _p50_ms(engine, framework, head_user, **command)
        overdue = {"kind": "action", "name": "status.overdue", "routing_key": "overdue:service:1"}
        overdue_ms = _p50_ms(engine, framework, lead_user, **overdue)
        with measure(memory=True) as mem:
            _turn(engine, framework, lead_user, **command)
        engine.dispose()
    note = f"p50 of {RUNS}; {AUDITS:,} audits over {MONTHS} months"
    return [
        BenchResult(
            f"status for a QA lead, {AUDITS:,} audits (SQLite)",
            lead_ms,
            "ms",
            f"< {TARGET_MS:g} ms",
            lead_ms < TARGET_MS,
            f"{note}; whole authority by service",
        ),
        BenchResult(
            f"status for a head of service, {AUDITS:,} audits (SQLite)",
            head_ms,
            "ms",
            f"< {TARGET_MS:g} ms",
            head_ms < TARGET_MS,
            f"{note}; one service by team",
        ),
        BenchResult(
            "status overdue list for a service (SQLite)",
            overdue_ms,
            "ms",
            f"< {TARGET_MS:g} ms",
            overdue_ms < TARGET_MS,
            note,
        ),
        BenchResult(
            "status peak Python memory",
            mem.peak_mb,
            "MB",
            "",
            None,
            "one QA lead status turn, traced",
        ),
        BenchResult(
            "status bench database build",
            built.seconds,
            "s",
            "",
            None,
            "bulk insert of the generated history",
        ),
    ]
