"""Sample contexts for the draft reminder."""

from __future__ import annotations

from typing import Any

SAMPLES: dict[str, dict[str, Any]] = {
    "audit_draft_reminder": {
        "reference": "CASE-0000001",
        "due": "2026-12-17",
        "today": False,
        "audit_key": "audit:1",
    },
}
EXTRA: dict[str, list[dict[str, Any]]] = {
    "audit_draft_reminder": [
        {"reference": "<!channel> *x*", "due": "2026-12-17", "today": True, "audit_key": "audit:2"}
    ],
}
