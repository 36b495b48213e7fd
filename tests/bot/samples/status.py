"""Sample contexts for the status templates (`handlers.status`), merged by test_render.py.

The full samples are the largest a status can be: every figure set, the row cap
reached with long names, the overdue list at its cap with long references and names.
"""

from __future__ import annotations

from typing import Any

LONG = "Children in Need of Help and Protection, North and Central Localities"

_FIGURES: dict[str, Any] = {
    "allocated": 240,
    "done": 120,
    "in_progress": 60,
    "not_started": 60,
    "overdue": 45,
    "overdue_earlier": 7,
    "awaiting_moderation": 30,
    "moderation_overdue": 4,
    "escalations_open": 6,
    "escalations_late": 2,
    "recommendations_open": 80,
    "recommendations_overdue": 12,
    "grades": [
        {"label": "Outstanding", "count": 10},
        {"label": "Good", "count": 70},
        {"label": "Requires Improvement", "count": 30},
        {"label": "Inadequate", "count": 10},
    ],
    "graded": 120,
}
_EMPTY_FIGURES: dict[str, Any] = {
    **dict.fromkeys(_FIGURES, 0),
    "grades": [],
}


def _rows(n: int, kind: str) -> list[dict[str, Any]]:
    return [
        {
            "name": f"{LONG} {i}",
            "allocated": 24,
            "done": 12,
            "overdue": 5,
            "late": 3,
            "action": f"status.{kind}",
            "routing_key": f"{kind}:{i + 1}",
        }
        for i in range(n)
    ]


def _agreement_row(label: str, n: int) -> dict[str, Any]:
    return {
        "label": label,
        "n": n,
        "exact": "100%",
        "within_one": "100%",
        "kappa": "-0.25",
        "ac1": "n/a",
    }


_AGREEMENT: dict[str, Any] = {
    "period": "January 2026 to December 2026",
    "n": 1240,
    "rows": [_agreement_row("Overall grade", 1240)]
    + [_agreement_row(f"{LONG} domain {i}", 1000 + i) for i in range(12)]
    + [_agreement_row("A domain nobody graded", 0)],
    "notes": [
        "Kappa: auditors and moderators gave one and the same grade every time, so chance "
        "agreement is certain and kappa cannot be worked out."
    ]
    * 3,
    "auditors_key": "all",
}

_STATUS_ALL: dict[str, Any] = {
    "level": "all",
    "title": "Testshire County Council",
    "month": "December 2026",
    "figures": _FIGURES,
    "row_kind": "service",
    "rows": _rows(10, "service"),
    "rows_more": 12,
    "overdue_total": 70,
    "overdue_key": "overdue:all",
    "back": None,
    "agreement": _AGREEMENT,
}

_OVERDUE: dict[str, Any] = {
    "title": LONG,
    "items": [
        {
            "kind": kind,
            "reference": f"CASE-{i:06d}-{'X' * 30}",
            "activity": "themed_audit" if kind == "allocation" else kind,
            "owner": "Alexandra Featherstonehaugh-Montgomery-Smythe " * 2,
            "due_on": "2026-11-17",
        }
        for i, kind in enumerate(
            ["allocation", "moderation", "recommendation", "escalation", "allocation"] * 3
        )
    ],
    "total": 40,
    "more": 25,
    "back": {"action": "status.service", "routing_key": "service:3", "name": LONG},
}

_REFUSED: dict[str, Any] = {
    "reason": "scope",
    "asked": "Children Looked After",
    "can_see": "Early Help",
    "suggestion": None,
    "suggestion_action": None,
    "suggestion_key": None,
    "scope": "service",
}

SAMPLES: dict[str, dict[str, Any]] = {
    "status": _STATUS_ALL,
    "status_overdue": _OVERDUE,
    "status_refused": _REFUSED,
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "status": [
        {
            **_STATUS_ALL,
            "level": "service",
            "title": LONG,
            "row_kind": "team",
            "rows": _rows(3, "team"),
            "rows_more": 0,
            "overdue_key": "overdue:service:3",
            "back": {"action": "status", "routing_key": None, "name": "Testshire County Council"},
        },
        {
            **_STATUS_ALL,
            "level": "team",
            "title": "Early Help 1",
            "row_kind": None,
            "rows": [],
            "rows_more": 0,
            "overdue_key": "overdue:team:1",
            "back": {"action": "status.service", "routing_key": "service:1", "name": "Early Help"},
            "agreement": None,
        },
        {
            **_STATUS_ALL,
            "level": "team",
            "figures": _EMPTY_FIGURES,
            "row_kind": None,
            "rows": [],
            "rows_more": 0,
            "overdue_total": 0,
            "back": None,
            "agreement": None,
        },
        {**_STATUS_ALL, "overdue_total": 0},
        {**_STATUS_ALL, "overdue_total": 0, "agreement": {**_AGREEMENT, "auditors_key": None}},
        {
            **_STATUS_ALL,
            "agreement": {**_AGREEMENT, "n": 0, "rows": [], "notes": [], "auditors_key": None},
        },
    ],
    "status_overdue": [
        {**_OVERDUE, "items": [], "total": 0, "more": 0},
        {**_OVERDUE, "back": {"action": "status", "routing_key": None, "name": "Early Help"}},
    ],
    "status_refused": [
        {**_REFUSED, "reason": "own", "asked": None, "can_see": None, "scope": None},
        {**_REFUSED, "asked": None},
        {**_REFUSED, "asked": None, "can_see": None},
        {
            **_REFUSED,
            "reason": "unknown",
            "asked": "Erly Help",
            "suggestion": "Early Help",
            "suggestion_action": "status.service",
            "suggestion_key": "service:1",
            "can_see": None,
        },
        {**_REFUSED, "reason": "unknown", "asked": "Erly Help", "suggestion": "Early Help"},
        {**_REFUSED, "reason": "unknown", "asked": "zzz", "can_see": None},
        {**_REFUSED, "reason": "no_team", "asked": None, "can_see": None},
        {**_REFUSED, "reason": "expired", "asked": None, "can_see": None},
        {**_REFUSED, "reason": "private_only", "asked": None, "can_see": None},
    ],
}
