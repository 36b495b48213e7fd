"""Follow-up windows' progress packs (City of London 2023) and their sign-off receipts."""

from __future__ import annotations

from typing import Any

_ITEM = {
    "reference": "CASE-000001",
    "level": "child",
    "due_on": "2027-06-15",
    "status": "open",
    "summary": "Update the chronology and share it with the IRO",
    "signed": False,
    "routing_key": "packitem:1|progress-pack:1:4",
}

SAMPLES: dict[str, dict[str, Any]] = {
    "progress_pack": {
        "first_name": "Hana",
        "window": "Recommendations follow-up, June and July",
        "due_by": "2027-07-31",
        "counts": {"due": 3, "done": 1, "open": 1, "overdue": 1, "signed": 1, "for_service": 1},
        "cases": 2,
        "items": [
            _ITEM,
            {**_ITEM, "reference": "CASE-000002", "status": "done", "signed": True},
            {**_ITEM, "level": "service", "status": "overdue", "summary": ""},
        ],
        "more": 0,
        "signed_off": False,
        "routing_key": "pack:1|progress-pack:1:4",
    },
    "pack_receipt": {
        "what": "item",
        "window": "Recommendations follow-up, June and July",
        "reference": "CASE-000001",
    },
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "progress_pack": [
        {
            **SAMPLES["progress_pack"],
            "first_name": None,
            "items": [{**_ITEM, "reference": None} for _ in range(10)],
            "counts": {"due": 14, "done": 0, "open": 14, "overdue": 0, "signed": 0},
            "cases": 9,
            "more": 4,
        },
        {
            **SAMPLES["progress_pack"],
            "items": [],
            "counts": {"due": 0, "done": 0, "open": 0, "overdue": 0, "signed": 0},
            "cases": 0,
        },
        {**SAMPLES["progress_pack"], "signed_off": True},
    ],
    "pack_receipt": [
        {"what": "item_and_pack", "window": "Follow-up", "reference": "CASE-000001"},
        {"what": "pack", "window": "Follow-up", "count": 2},
        {"what": "item_already", "window": "Follow-up", "reference": "CASE-000001"},
        {"what": "pack_already", "window": "Follow-up"},
        {"what": "not_allowed", "window": "Follow-up"},
        {"what": "gone", "reference": None},
    ],
}
