"""The monthly summary with its chart, on five years of a large authority's audits.

The issue's target is under 3 seconds for 60,000 audits on SQLite, query included.
This times the pure part, figures (`qa.reporting.summary`, which reads the month,
the year before for the line, and the comparison periods) plus the chart PNG, on
generated rows, with Camden's framework (seven domains, grouped by service and team).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from bench.common import BenchResult, measure
from bot.reports.chart import render_chart
from qa.framework import preset
from qa.reporting import AllocationRow, AuditRow, EscalationRow, RecommendationRow, summary
from qa.working_days import Month

AUDITS = 60_000
MONTHS = 60
TARGET_S = 3.0

_PHRASES = [
    "The voice of the child is clear and direct work is recorded.",
    "Planning is SMART and reviewed on time.",
    "Management oversight is evident in supervision notes.",
    "There was drift in the plan and some delay in visits.",
    "Good multi-agency work with the school and health partners.",
    "The assessment lacks analysis of history and risk.",
    "Nothing further to add.",
]


def _rows(
    seed: int = 7,
) -> tuple[list[AuditRow], list[AllocationRow], list[RecommendationRow], list[EscalationRow]]:
    rng = random.Random(seed)
    fw = preset("camden")
    grades = fw.grade_keys
    weights = [10, 45, 35, 10]
    domains = [d.key for d in fw.audit_form.domains]
    prompts = [p.key for p in fw.audit_form.narrative]
    first = Month(2021, 4)
    audits, allocations, recommendations, escalations = [], [], [], []
    for i in range(AUDITS):
        month = first.shift(i * MONTHS // AUDITS)
        service = f"Service {i % 4 + 1}"
        grade = rng.choices(grades, weights)[0]
        moderated = rng.random() < 0.25
        change = rng.choice([-1, 0, 0, 0, 1]) if moderated else 0
        audits.append(
            AuditRow(
                audit_id=i + 1,
                month=month,
                service=service,
                team=f"{service} team {i % 5 + 1}",
                domain_grades={d: rng.choices(grades, weights)[0] for d in domains},
                overall_grade=grade,
                final_grade=grade if moderated else None,
                moderated=moderated,
                moderation_agreed=(change == 0) if moderated else None,
                grade_change=change,
                case_id=i + 1,
                reaudit_of_grade=rng.choice(grades) if rng.random() < 0.1 else None,
                narrative={p: rng.choice(_PHRASES) for p in prompts},
            )
        )
        allocations.append(
            AllocationRow(month, service, rng.choice(["completed"] * 9 + ["allocated"]))
        )
        opened = month.first + timedelta(days=rng.randrange(28))
        if rng.random() < 0.5:
            done = opened + timedelta(days=rng.randrange(90)) if rng.random() < 0.8 else None
            recommendations.append(RecommendationRow(opened, opened + timedelta(days=60), done))
        if grade == "inadequate":
            answered = opened + timedelta(days=rng.randrange(10))
            escalations.append(EscalationRow(opened, opened + timedelta(days=7), answered))
    return audits, allocations, recommendations, escalations


def run() -> list[BenchResult]:
    audits, allocations, recommendations, escalations = _rows()
    month = audits[-1].month
    today = month.last + timedelta(days=3)
    with measure(memory=False) as m:
        s = summary(
            preset("camden"), month, audits, allocations, recommendations, escalations, today=today
        )
        chart = render_chart(s)
    assert chart.png.startswith(b"\x89PNG") and s.how_much.audits.value > 0
    return [
        BenchResult(
            name=f"monthly summary + chart, {AUDITS:,} audits over {MONTHS} months (pure)",
            value=m.seconds,
            unit="s",
            target=f"< {TARGET_S:g} s",
            met=m.seconds < TARGET_S,
            note=f"{len(recommendations):,} recommendations; to {date.isoformat(today)}",
        )
    ]
