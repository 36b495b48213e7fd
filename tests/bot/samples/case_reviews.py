"""Weekly review until Good (Lambeth's PRIMs): the prompt, the outcome form, the receipt."""

from __future__ import annotations

from typing import Any

_GRADES = [
    {"value": "outstanding", "label": "Outstanding"},
    {"value": "good", "label": "Good"},
    {"value": "requires_improvement", "label": "Requires Improvement"},
    {"value": "inadequate", "label": "Inadequate"},
]

SAMPLES: dict[str, dict[str, Any]] = {
    "review_prompt": {
        "first_name": "Pat",
        "reference": "CASE-000001",
        "grade": "Inadequate",
        "week_of": "2026-12-14",
        "held": 1,
        "routing_key": "review:7|review-prompt:7",
    },
    "review_form": {
        "reference": "CASE-000001",
        "week_of": "2026-12-14",
        "grades": _GRADES,
        "routing_key": "review:7|review-prompt:7",
        "values": {},
    },
    "review_receipt": {
        "what": "recorded",
        "reference": "CASE-000001",
        "grade": "Requires Improvement",
    },
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "review_prompt": [
        {**SAMPLES["review_prompt"], "first_name": "", "reference": None, "grade": None, "held": 0},
        {
            **SAMPLES["review_prompt"],
            "recorded": {"grade": "Good", "by": "Pat Assurance", "on": "2026-12-15"},
            "update_of": "review-prompt:7",
        },
    ],
    "review_form": [
        {
            **SAMPLES["review_form"],
            "values": {"grade": "good", "note": "Plan updated & visits on track"},
            "errors": {"note": "This looks like a name: use the case reference instead."},
        }
    ],
    "review_receipt": [
        {"what": "ended_good", "reference": "CASE-000001", "grade": "Good"},
        {"what": "already", "reference": "CASE-000001", "grade": "Good"},
        {"what": "ended", "reference": "CASE-000001"},
        {"what": "not_owner", "reference": "CASE-000001", "owner": "Pat Assurance"},
        {"what": "gone", "reference": None},
    ],
}
