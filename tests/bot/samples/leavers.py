"""Sample contexts for the leaver templates (`import staff --sync` handing work on)."""

from __future__ import annotations

from typing import Any


def line(kind: str, reference: str | None, outcome: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "reference": reference,
        "what": "audit due 2027-01-25",
        "outcome": outcome,
    }


SAMPLES: dict[str, dict[str, Any]] = {
    "leaver_handover": {
        "leaver": "Sam Jones",
        "heir": "Hana Head",
        "heir_is_you": False,
        "heir_is_manager": True,
        "items": [
            line("allocation", "CASE-1", "proposed to Pat Smith: confirm it in my message"),
            line("moderation", "CASE-2", "now Lee Lead's"),
            line("escalation", "CASE-3", "now Hana Head's"),
            line("action", None, "now Hana Head's"),
        ],
        "proposals": 1,
    },
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "leaver_handover": [
        {
            **SAMPLES["leaver_handover"],
            "heir_is_you": True,
            "proposals": 0,
            "items": [line("action", f"CASE-{i}", "now yours") for i in range(30)],
        },
        {**SAMPLES["leaver_handover"], "heir": None, "items": []},
    ],
}
