"""What a person's press or form looks like to the router, for the dialog tests.

The audit, moderation and dialog-controller tests all act as a Slack user pressing
a button or sending a form with a routing key; this builds that `Interaction` once.
"""

from __future__ import annotations

from typing import Any

from handlers.interaction import Interaction


def slack_press(
    name: str,
    key: str | None,
    values: dict[str, Any] | None = None,
    *,
    kind: str = "action",
    user: str,
) -> Interaction:
    """`name` pressed (kind "action") or sent (kind "submission") by Slack user `user`."""
    return Interaction(
        platform="slack",
        user_id=user,
        kind=kind,  # type: ignore[arg-type]
        name=name,
        routing_key=key,
        values=values or {},
    )
