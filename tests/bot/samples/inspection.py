"""Inspection mode: the QA lead's answer (started, usage, refused) and the daily chase."""

from __future__ import annotations

from typing import Any

SAMPLES: dict[str, dict[str, Any]] = {
    "inspection_reply": {
        "what": "started",
        "audit_word": "audit",
        "audits_word": "audits",
        "days": 5,
        "due": "Monday 14 December 2026",
        "rows": [
            {"reference": "CASE-000001", "auditor": "Sam Manager"},
            {"reference": "CASE-000002", "auditor": "Tia Manager"},
        ],
        "unallocated": ["CASE-000003"],
        "unknown": ["CASE-999"],
    },
    "inspection_chase": {
        "first_name": "Sam",
        "audit_word": "audit",
        "audits_word": "audits",
        "items": [
            {
                "reference": "CASE-000001",
                "due": "Monday 14 December 2026",
                "overdue": False,
                "today": False,
            },
            {
                "reference": "CASE-000002",
                "due": "Friday 11 December 2026",
                "overdue": True,
                "today": False,
            },
        ],
    },
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "inspection_reply": [
        {"what": "not_lead"},
        {
            "what": "usage",
            "problem": "no_cases",
            "max_cases": 50,
            "max_days": 60,
            "audits_word": "audits",
        },
        {
            "what": "usage",
            "problem": "too_long",
            "max_cases": 50,
            "max_days": 60,
            "audits_word": "learning conversations",
        },
        {**SAMPLES["inspection_reply"], "rows": [], "unallocated": [], "unknown": ["X"], "days": 1},
    ],
    "inspection_chase": [
        {
            "first_name": "",
            "audit_word": "audit",
            "audits_word": "audits",
            "items": [{"reference": None, "due": "today", "overdue": False, "today": True}],
        },
    ],
}
