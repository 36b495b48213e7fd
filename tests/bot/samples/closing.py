"""Sample contexts for the findings and closing-block templates, and the moderation
outcome's amended recommendations: each text at its longest, and hostile text."""

from __future__ import annotations

from typing import Any

from tests.bot.samples.audit import EVIL
from tests.bot.samples.moderation import SAMPLES as MODERATION

_RECS = [
    {
        "level": "child" if i % 2 else "service",
        "action": "a" * 300,
        "owner": "Firstname Longsurname-Hyphenated",
        "due_on": "2027-01-15",
    }
    for i in range(10)
]
_FINDINGS: dict[str, Any] = {
    "first_name": "Sam",
    "role": "worker",
    "reference": "CASE-0000001",
    "auditor": "Firstname Longsurname-Hyphenated",
    "grade": "Requires Improvement",
    "moderated": True,
    "domains": [
        {
            "label": f"Domain number {i} with a long name" + "x" * 100,
            "grade": "Good",
            "changed": i % 2 == 0,
        }
        for i in range(12)
    ],
    "recommendations": _RECS,
    "more": 4,
}
_ITEM: dict[str, Any] = {
    "type": "closing",
    "id": 123456,
    "open": True,
    "state": None,
    "routing_key": "closing:123456|closing-request:123456:7",
}
_REQUEST: dict[str, Any] = {
    "first_name": "Sam",
    "reference": "CASE-0000001",
    "grade": "Requires Improvement",
    "findings_sent_on": "2026-12-01",
    "item": _ITEM,
}
_QUESTIONS = [
    {
        "key": "sent_to_worker",
        "label": "Date sent to the allocated worker and line manager",
        "kind": "date",
    },
    {"key": "uploaded_to_mosaic", "label": "Date uploaded to Mosaic", "kind": "date"},
    {
        "key": "tracker_meeting",
        "label": "Date Recommendation Review Tracker Meeting to be held",
        "kind": "date",
    },
    {
        "key": "moderation_panel",
        "label": "Was this audit reviewed by the Moderation Panel?",
        "kind": "yes_no",
    },
]
_FORM: dict[str, Any] = {
    "reference": "CASE-0000001",
    "routing_key": "closing:123456|closing-request:123456:7",
    "questions": _QUESTIONS,
    "values": {"sent_to_worker": "2026-12-01", "moderation_panel": "yes"},
}

SAMPLES: dict[str, dict[str, Any]] = {
    "findings": _FINDINGS,
    "closing_request": _REQUEST,
    "closing_form": _FORM,
    "closing_receipt": {"what": "recorded", "reference": "CASE-0000001"},
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "findings": [
        {**_FINDINGS, "role": "line_manager", "moderated": False, "domains": [], "more": 0},
        {**_FINDINGS, "recommendations": [], "more": 0, "first_name": "", "grade": ""},
        {
            **_FINDINGS,
            "reference": EVIL,
            "auditor": EVIL,
            "first_name": EVIL,
            "domains": [{"label": EVIL, "grade": "Good", "changed": True}],
            "recommendations": [{**_RECS[0], "action": EVIL, "owner": EVIL}],
        },
    ],
    "closing_request": [
        {
            **_REQUEST,
            "findings_sent_on": None,
            "item": {
                **_ITEM,
                "open": False,
                "state": {"what": "closed", "by": "Sam Lead", "on": "2026-12-02"},
            },
        },
        {**_REQUEST, "reference": EVIL, "first_name": EVIL, "grade": ""},
    ],
    "closing_form": [
        {**_FORM, "values": {}},
        {**_FORM, "reference": EVIL, "questions": [{**q, "label": EVIL} for q in _QUESTIONS]},
    ],
    "closing_receipt": [
        {"what": "not_yours", "reference": "CASE-0000001"},
        {"what": "gone", "reference": None},
        {"what": "recorded", "reference": EVIL},
    ],
    "moderation_outcome": [
        {
            **MODERATION["moderation_outcome"],
            "outcome": "confirmed",
            "recommendations_amended": True,
            "recommendations_comments": "r" * 1000,
        },
        {
            **MODERATION["moderation_outcome"],
            "recommendations_amended": True,
            "recommendations_comments": EVIL,
        },
    ],
}
