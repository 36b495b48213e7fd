"""Sample contexts for agreement per auditor (`handlers.status_agreement.auditors_view`).

The full sample is the largest the view can be: the row cap reached with long names,
every figure at its widest, and the notes at their cap.
"""

from __future__ import annotations

from typing import Any

NAME = "Alexandra Featherstonehaugh-Montgomery-Smythe " * 2

_AUDITORS: dict[str, Any] = {
    "period": "January 2026 to December 2026",
    "lead": True,
    "rows": [
        {
            "label": f"{NAME}{i}",
            "n": 120 + i,
            "exact": "100%",
            "within_one": "100%",
            "kappa": "-0.25",
            "ac1": "n/a",
        }
        for i in range(15)
    ],
    "more": 40,
    "notes": [
        "Kappa: auditors and moderators gave one and the same grade every time, so chance "
        "agreement is certain and kappa cannot be worked out."
    ]
    * 3,
    "back": {"action": "status.service", "routing_key": "service:3", "name": NAME},
}

SAMPLES: dict[str, dict[str, Any]] = {"status_agreement": _AUDITORS}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "status_agreement": [
        {**_AUDITORS, "rows": [], "more": 0, "notes": [], "lead": False, "back": None},
        {**_AUDITORS, "rows": [], "more": 0, "notes": [], "lead": True},
        {**_AUDITORS, "back": {"action": "status", "routing_key": None, "name": "Testshire"}},
    ],
}
