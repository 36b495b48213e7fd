"""Observations of practice: the `observe` card, the form, the receipt, the notice; and
the observation lines in `status` and the summary post."""

from __future__ import annotations

from typing import Any

from tests.bot.samples.status import _STATUS_ALL
from tests.bot.samples.summary import SAMPLES as _SUMMARY

LONG = "Children in Need, Child Protection and Court Proceedings Service " * 2

_ROLES = [
    {"value": "practitioner", "label": "Social worker"},
    {"value": "team_manager", "label": "Team manager"},
]
_SETTINGS = ["Home visit", "Supervision", "Other"]

_HELP = {
    "name": "Tom",
    "role_labels": ["Team manager"],
    "audits": True,
    "moderates": False,
    "escalations": False,
    "status_scope": "team",
    "lead": False,
    "didnt_catch": None,
    "observes": True,
}

_NOTICE = {
    "observed_role": "Social worker",
    "setting": "Home visit",
    "observed_on": "2026-12-07",
    "went_well": "Warm, *clear* explanation of the plan <@U123> & the child's views sought",
    "could_be_better": "Agree the next visit date before leaving" * 40,
    "feedback_given": True,
    "feedback_on": "2026-12-08",
    "reference": "CASE-000001",
    "by": "Tom Manager",
}

SAMPLES: dict[str, dict[str, Any]] = {
    "observe_prompt": {"routing_key": "observe"},
    "observation_form": {
        "roles": _ROLES,
        "settings": _SETTINGS,
        "routing_key": "observe",
        "values": {},
    },
    "observation_receipt": {"what": "recorded", **_NOTICE, "told": 1, "notify": True},
    "observation_notice": _NOTICE,
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "observation_form": [
        {
            **SAMPLES["observation_form"],
            "values": {
                "observed_role": "practitioner",
                "setting": "Home visit",
                "observed_on": "2026-12-07",
                "went_well": "Calm & clear",
                "could_be_better": 'Say "why" sooner',
                "feedback_given": "yes",
                "feedback_on": "08/12/2026",
                "reference": "CASE-000001",
            },
            "errors": {
                "went_well": "This looks like a date of birth: leave it out.",
                "feedback_on": "Pick the date feedback was given",
                "reference": "No case has that reference",
            },
        }
    ],
    "observation_receipt": [
        {"what": "recorded", **_NOTICE, "reference": None, "told": 0, "notify": True},
        {"what": "recorded", **_NOTICE, "told": 0, "notify": False},
        {"what": "off"},
        {"what": "not_manager", "roles": ["Team manager", "Service manager"]},
        {"what": "gone"},
    ],
    "observation_notice": [
        {**_NOTICE, "reference": None, "feedback_given": False, "feedback_on": None},
    ],
    "help": [_HELP],
    "welcome": [_HELP],
    "status": [
        {
            **_STATUS_ALL,
            "observations": {
                "total": "12",
                "rows": [{"name": LONG, "count": "fewer than 5"}] * 12,
            },
        },
        {**_STATUS_ALL, "observations": {"total": "0", "rows": []}},
    ],
    "summary_post": [
        {
            **_SUMMARY["summary_post"],
            "observations": {
                "lines": [{"scope": "All services", "count": "7"}]
                + [{"scope": LONG, "count": "fewer than 5"}] * 12,
                "more": 3,
            },
        }
    ],
}
