"""QA alerts (Lambeth QAF 8): raising one, the request to act, the raiser told, the week."""

from __future__ import annotations

from typing import Any

_KINDS = [
    {"value": "plan", "label": "The plan"},
    {"value": "safety", "label": "Safety and risk"},
]
_REQUEST = {
    "first_name": "Tom",
    "reference": "CASE-000001",
    "kind": "Safety and risk",
    "note": "Plan not reviewed since the conference & visits missed",
    "raised_by": "Ivy Reviewer",
    "raised_on": "2026-12-08",
    "due_on": "2026-12-18",
    "routing_key": "alert:3|qa-alert:3",
}

SAMPLES: dict[str, dict[str, Any]] = {
    "alert_start": {"first_name": "Ivy", "routing_key": "alert-new"},
    "alert_form": {"kinds": _KINDS, "days": 10, "routing_key": "alert-new", "values": {}},
    "alert_act_form": {
        "reference": "CASE-000001",
        "kind": "Safety and risk",
        "routing_key": "alert:3|qa-alert:3",
        "values": {},
    },
    "alert_request": _REQUEST,
    "alert_acted": {
        "first_name": "Ivy",
        "reference": "CASE-000001",
        "kind": "Safety and risk",
        "by": "Tom Manager",
        "on": "2026-12-09",
        "note": "Strategy discussion held; visits weekly",
    },
    "alert_receipt": {
        "what": "raised",
        "reference": "CASE-000001",
        "kind": "Safety and risk",
        "asked": "Tom Manager",
        "due_on": "2026-12-18",
    },
    "alert_weekly": {
        "first_name": "Ada",
        "week_of": "2026-12-07",
        "week_to": "2026-12-13",
        "raised": 2,
        "acted_on": 1,
        "open": 1,
        "by_service": [{"label": "Children in Need", "count": 2}],
        "by_kind": [{"label": "The plan", "count": 1}, {"label": "Safety and risk", "count": 1}],
        "alerts": [
            {
                "reference": "CASE-000001",
                "kind": "Safety and risk",
                "service": "Children in Need",
                "state": "acted on",
            },
            {
                "reference": "CASE-000002",
                "kind": "The plan",
                "service": "Children in Need",
                "state": "open",
            },
        ],
        "late": [
            {
                "reference": "CASE-000003",
                "kind": "The plan",
                "due_on": "2026-12-01",
                "asked": "Tom Manager",
            }
        ],
    },
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "help": [
        {
            "name": "Ivy",
            "role_labels": ["Independent Reviewing Officer"],
            "audits": True,
            "moderates": False,
            "escalations": False,
            "status_scope": "service",
            "lead": False,
            "raises_alerts": True,
            "didnt_catch": None,
        }
    ],
    "alert_start": [{"first_name": "", "routing_key": "alert-new"}],
    "alert_form": [
        {
            **SAMPLES["alert_form"],
            "values": {"reference": "CASE-000001", "concern": "plan", "note": "x"},
            "errors": {"note": "This looks like a name: use the case reference instead."},
        }
    ],
    "alert_act_form": [
        {
            **SAMPLES["alert_act_form"],
            "errors": {"note": "Say briefly what changed"},
        }
    ],
    "alert_request": [
        {
            **_REQUEST,
            "first_name": "",
            "acted": {"by": "Tom Manager", "on": "2026-12-09"},
            "update_of": "qa-alert:3",
        }
    ],
    "alert_receipt": [
        {**SAMPLES["alert_receipt"], "asked": None},
        {"what": "acted", "reference": "CASE-000001"},
        {"what": "already", "reference": "CASE-000001"},
        {"what": "not_asked", "reference": "CASE-000001", "owner": "Tom Manager"},
        {"what": "not_raiser", "reference": None},
        {"what": "gone", "reference": None},
    ],
    "alert_weekly": [
        {
            **SAMPLES["alert_weekly"],
            "first_name": "",
            "raised": 0,
            "acted_on": 0,
            "open": 0,
            "by_service": [],
            "by_kind": [],
            "alerts": [],
            "late": [],
        }
    ],
}
