"""Sample contexts for the framework's own rhythm: reports and dated calendar entries.

The reports (`framework_report`) are built by the real context builder from a
generated year of audits, for a quarter (City of London's Achieving Excellence Board),
a month to a named role (Lambeth's readers) and a review window; the calendar
reminders cover a fortnightly entry (Camden's panels) and a deadline set after another
entry (Lambeth's Practice Week report), as the job queues them.
"""

from __future__ import annotations

from typing import Any

from messages.summary import quarter_months, report_context
from qa.framework import Framework, load_framework, preset
from qa.working_days import Month
from tests.bot.samples.summary import SMALL, _allocations, year_of_audits


def _report(
    fw: Framework,
    months: tuple[Month, ...],
    *,
    title: str,
    first_name: str | None,
    scope: str = "All services",
    channel: str | None = None,
) -> dict[str, Any]:
    last = months[-1]
    context = report_context(
        fw, months, year_of_audits(fw, last), _allocations(last), [], [],
        threshold=5, first_name=first_name, title=title, scope=scope,
    )  # fmt: skip
    return context | {"channel": channel}


_QUARTER = quarter_months(Month(2027, 2))

SAMPLES: dict[str, dict[str, Any]] = {
    "framework_report": _report(
        load_framework(SMALL),
        _QUARTER,
        title="Quarterly report",
        first_name=None,
        channel="QA Board",
    ),
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "framework_report": [
        _report(
            preset("city-of-london"),
            _QUARTER,
            title="Achieving Excellence Board report",
            first_name=None,
            channel="Achieving Excellence Board",
        ),
        _report(
            preset("lambeth"),
            (Month(2026, 11),),
            title="Monthly audit report",
            first_name="Robin",
            scope="Service: Children Looked After and Permanency",
        ),
        _report(
            preset("city-of-london"),
            (Month(2026, 10), Month(2026, 11)),
            title="Practice and impact reviews report",
            first_name=None,
            channel="Board",
        ),
        _report(preset("camden"), (Month(2026, 11),), title="Monthly report", first_name=""),
    ],
    "calendar_reminder": [
        {
            "kind": "calendar",
            "activity": "Multi-agency Quality Assurance panel in Adults Social Care",
            "month": "January 2027",
            "starts_on": "2027-01-04",
            "first_name": "Lee",
            "on": "2027-01-20",
            "every": "fortnight",
            "after": None,
        },
        {
            "kind": "calendar",
            "activity": "Practice Week report to SAM",
            "month": "July 2027",
            "starts_on": "2027-07-01",
            "first_name": None,
            "on": "2027-07-30",
            "every": "after",
            "after": {
                "activity": "Annual Practice Week",
                "on": None,
                "month": "June 2027",
                "months": 1,
                "days": 0,
            },
        },
        {
            "kind": "calendar",
            "activity": "Panel minutes",
            "month": "January 2027",
            "starts_on": "2027-01-04",
            "first_name": "Lee",
            "on": "2027-01-27",
            "every": "after",
            "after": {
                "activity": "Panel",
                "on": "2027-01-20",
                "month": "January 2027",
                "months": 0,
                "days": 7,
            },
        },
    ],
}
