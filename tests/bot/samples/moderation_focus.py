"""Sample contexts for the QA lead's monthly moderation summary (issue 15)."""

from __future__ import annotations

from typing import Any

SAMPLES: dict[str, dict[str, Any]] = {
    "moderation_focus": {
        "first_name": "Lee",
        "month": "December 2026",
        "lines": [
            "Impact on the child: up to 47.5% of audits moderated, as moderators agreed with "
            "its grade in 1 of 4 moderations (below 70%)",
            "Dana <Drift> & *Co*: up to 35% of their audits moderated, as their grades were "
            "changed in 2 of 4 moderations",
        ],
        "more": 0,
        "share": 10.0,
        "moderations_word": "moderations",
        "audits_word": "audits",
    },
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "moderation_focus": [
        {**SAMPLES["moderation_focus"], "first_name": "", "lines": ["x" * 400] * 10, "more": 3},
    ],
}
