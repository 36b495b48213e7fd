"""Sample contexts for the governance summary templates, built by the real context builders.

Built from the hand-worked month (tests/qa/report_dataset.py) and, for the largest
messages, from a generated year of audits for each preset (its longest domain labels,
every service and team), so the platform limits are checked on what the job queues.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from messages.summary import quarterly_context, summary_post_context, weekly_context
from qa.agreement import AgreementRow
from qa.framework import Framework, load_framework, preset
from qa.report_rows import ReportRows
from qa.reporting import AllocationRow, AuditRow, EscalationRow, RecommendationRow, summary
from qa.working_days import Month
from tests.qa import report_dataset as data

SMALL = "tests/data/framework-small.yml"
PROMPT_WORDS = [
    "The voice of the child is clear.",
    "Planning drifts.",
    "Good management oversight.",
]


def year_of_audits(fw: Framework, month: Month, n: int = 40) -> list[AuditRow]:
    """`n` audits a month for the year to `month`, in four services of three teams."""
    rng = random.Random(month.ordinal)
    grades = fw.grade_keys
    rows = []
    for back in range(13):
        m = month.shift(-back)
        for i in range(n):
            service = f"Service {i % 4 + 1}"
            rows.append(
                AuditRow(
                    audit_id=back * 1000 + i,
                    month=m,
                    service=service,
                    team=f"{service} team {i % 3 + 1}",
                    domain_grades={d.key: rng.choice(grades) for d in fw.audit_form.domains},
                    overall_grade=rng.choice(grades),
                    moderated=i % 4 == 0,
                    moderation_agreed=i % 8 == 0 if i % 4 == 0 else None,
                    case_id=back * 1000 + i,
                    reaudit_of_grade=grades[-1] if i % 7 == 0 else None,
                    narrative={p.key: rng.choice(PROMPT_WORDS) for p in fw.audit_form.narrative},
                    area=fw.areas[i % len(fw.areas)].label,
                )
            )
    return rows


def agreement_year(fw: Framework, month: Month, n: int = 12) -> list[AgreementRow]:
    """`n` moderated audits a month for the year to `month`, every domain graded."""
    rng = random.Random(month.ordinal + 7)
    grades = fw.grade_keys
    return [
        AgreementRow(
            month=month.shift(-back),
            auditor_id=i,
            service_id=1,
            service="Service 1",
            team_id=1,
            overall=(rng.choice(grades), rng.choice(grades)) if i % 5 else None,
            domains={
                d.key: (rng.choice(grades), rng.choice(grades)) for d in fw.audit_form.domains
            },
        )
        for back in range(12)
        for i in range(n - back % 3 * 5)  # some months below the small-number threshold
    ]


def _allocations(month: Month) -> list[AllocationRow]:
    return [AllocationRow(month, f"Service {i % 4 + 1}", "completed") for i in range(30)]


def post(fw: Framework, threshold: int = 5) -> dict[str, Any]:
    month = Month(2026, 11)
    s = summary(
        fw,
        month,
        year_of_audits(fw, month),
        _allocations(month),
        [RecommendationRow(date(2026, 11, 2), date(2026, 11, 20))],
        [EscalationRow(date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 9))],
        threshold=threshold,
        today=date(2026, 12, 3),
        agreement=agreement_year(fw, month),
    )
    return summary_post_context(s, channel="Quality Assurance Board")


def _hand(threshold: int) -> Any:
    return summary(
        load_framework(SMALL),
        data.MARCH,
        data.audits(),
        data.allocations(),
        data.recommendations(),
        data.escalations(),
        threshold=threshold,
        today=data.TODAY,
    )


def _quarter(fw: Framework) -> dict[str, Any]:
    last = Month(2026, 9)
    rows = ReportRows(tuple(year_of_audits(fw, last)), tuple(_allocations(last)), (), ())
    return quarterly_context(fw, last, rows, threshold=5, first_name="Robin") | {
        "scope": "All services"
    }


_EMPTY = summary(load_framework(SMALL), Month(2025, 6), [], [], [], [], today=date(2026, 4, 1))

SAMPLES: dict[str, dict[str, Any]] = {
    "summary_post": summary_post_context(_hand(5), channel="QA Board"),
    "weekly_tracking": weekly_context(_hand(1), first_name="Sam", scope="Team: A"),
    "quarterly_analysis": _quarter(load_framework(SMALL)),
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "summary_post": [
        summary_post_context(_hand(1), channel="QA Board"),
        summary_post_context(_EMPTY, channel="QA Board"),
        *(post(preset(name)) for name in ("camden", "lambeth", "city-of-london", "wandsworth")),
        post(preset("lambeth"), threshold=1),
    ],
    "weekly_tracking": [weekly_context(_EMPTY, first_name="", scope="Service: North")],
    "quarterly_analysis": [_quarter(preset("lambeth")), _quarter(preset("wandsworth"))],
}
