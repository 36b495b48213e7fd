"""`Action.Execute` presses: the invoke response carries the updated card.

Teams replaces the pressed card with the one we return, so a form re-rendered with
its errors, or a card that now says "Done", appears in place. Further replies (if a
handler returns more than one) are sent as new messages.
"""

from __future__ import annotations

from typing import Any

from bot.teams import activities
from bot.teams.routes.replies import reply_all, run_activity
from bot.teams.turn import CARD_CONTENT_TYPE
from bot.turns import TurnRunner

ALREADY_DONE = "That press was already received."


def invoke_body(rendered: dict[str, Any] | None) -> dict[str, Any]:
    """The Universal Actions response: a card to show in place, else a short message."""
    if rendered and rendered.get("card"):
        return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": rendered["card"]}
    text = str((rendered or {}).get("text") or "Done.")
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


def register(app: Any, turns: TurnRunner) -> None:
    from microsoft_teams.api import InvokeResponse

    @app.on_card_action_execute
    async def on_execute(ctx: Any) -> Any:
        rendered = await run_activity(ctx, turns, activities.from_execute)
        if rendered is None:  # a resent copy of a press already answered
            return InvokeResponse(status=200, body=invoke_body({"text": ALREADY_DONE}))
        await reply_all(ctx, rendered[1:], turns)
        return InvokeResponse(status=200, body=invoke_body(rendered[0] if rendered else None))
