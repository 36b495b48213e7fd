"""The monthly calibration case: the prompt, the two forms, the result, the receipt."""

from __future__ import annotations

from typing import Any

from tests.bot.samples.status import SAMPLES as STATUS

_GRADES = [
    {"value": "outstanding", "label": "Outstanding"},
    {"value": "good", "label": "Good"},
    {"value": "requires_improvement", "label": "Requires Improvement"},
    {"value": "inadequate", "label": "Inadequate"},
]
_QUESTIONS = [
    {"key": "assessment", "label": "Assessment"},
    {"key": "planning", "label": "Planning"},
    {"key": "overall", "label": "Overall"},
]
_ROW = {
    "label": "Assessment",
    "reference": "Good",
    "answered": "12",
    "grades": [
        {"label": "Outstanding", "count": "fewer than 5", "reference": False},
        {"label": "Good", "count": "not shown", "reference": True},
        {"label": "Requires Improvement", "count": "6", "reference": False},
        {"label": "Inadequate", "count": "0", "reference": False},
    ],
    "matching": "not shown",
}
_RESULT = {"month": "December 2026", "final": True, "answered": 12, "sent": 14, "rows": [_ROW]}
_SET = "calset:202701|calibration-set"

SAMPLES: dict[str, dict[str, Any]] = {
    "calibration_prompt": {
        "first_name": "Pat",
        "month": "December 2026",
        "closes_on": "2026-12-21",
        "routing_key": "calcase:3|calibration-prompt:2026-12:7",
    },
    "calibration_form": {
        "month": "December 2026",
        "vignette": "A & B, siblings aged 4 and 7: *referral* from school <about> bruising.",
        "questions": _QUESTIONS,
        "grades": _GRADES,
        "routing_key": "calcase:3|calibration-prompt:2026-12:7",
        "values": {},
    },
    "calibration_set_form": {
        "month": "January 2027",
        "questions": _QUESTIONS,
        "grades": _GRADES,
        "routing_key": _SET,
        "values": {},
    },
    "calibration_result": {
        "result": _RESULT,
        "first_name": "Lee",
        "set_month": None,
    },
    "calibration_receipt": {"what": "graded", "reference": None, "month": "December 2026"},
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "calibration_form": [
        {
            **SAMPLES["calibration_form"],
            "values": {"assessment": "good"},
            "errors": {"planning": "Pick a grade for Planning"},
        }
    ],
    "calibration_set_form": [
        {
            **SAMPLES["calibration_set_form"],
            "values": {"vignette": 'A "short" vignette', "assessment": "good"},
            "errors": {"vignette": "This looks like a date of birth."},
        }
    ],
    "calibration_result": [
        {
            "result": None,
            "nudge": True,
            "first_name": "Lee",
            "set_month": "January 2027",
            "set_already": False,
            "send_on": "2027-01-08",
            "routing_key": _SET,
        },
        {
            "result": None,
            "set_month": "January 2027",
            "set_already": False,
            "send_on": "2027-01-08",
            "routing_key": _SET,
        },
        {
            "result": {**_RESULT, "final": False, "sent": 0},
            "set_month": "January 2027",
            "set_already": True,
            "send_on": "2027-01-08",
            "routing_key": _SET,
        },
    ],
    "calibration_receipt": [
        {"what": w, "reference": None, "month": "December 2026", "send_on": "2026-12-07"}
        for w in ("already", "closed", "set", "already_sent", "not_lead", "not_grader", "off")
    ]
    + [{"what": "gone", "reference": None}],
    "status": [
        {
            **STATUS["status"],
            "calibration": {
                "month": "December 2026",
                "final": False,
                "answered": 12,
                "reference": "Good",
                "matching": "58%",
            },
        }
    ],
    "help": [
        {
            "name": "Lee",
            "role_labels": ["QA lead"],
            "audits": True,
            "moderates": True,
            "escalations": False,
            "status_scope": "all",
            "lead": True,
            "calibration": True,
            "didnt_catch": None,
        }
    ],
}
