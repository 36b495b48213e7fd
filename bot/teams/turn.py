"""Teams' side of a turn: the shared runner, and how a rendered reply becomes an activity.

The routes (bot/teams/routes/) translate activities into `Interaction`s and hand them
to `bot.turns.TurnRunner`, the one runner both platforms share (once-only claims by
activity id, one transaction, the polite error, the render fallback). What is Teams'
own is here: a rendered template as a Bot Framework message activity.
"""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.turns import Rendered, TurnRunner

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def plain_message(text: str) -> Rendered:
    return {"text": text}


def teams_turns(deps: Deps, *, renderer: Any | None = None) -> TurnRunner:
    """The turn runner for Teams, sharing the app's renderer when one is given."""
    if renderer is None:
        from bot.render import Renderer
        from bot.routing_keys import keys_for

        renderer = Renderer(deps.framework, keys=keys_for(deps.settings))
    return TurnRunner(deps, platform="teams", renderer=renderer, plain=plain_message)


def message_json(rendered: Rendered) -> dict[str, Any]:
    """A Bot Framework message activity for a rendered template (card, else plain text)."""
    card = rendered.get("card")
    text = str(rendered.get("text") or "")
    activity: dict[str, Any] = {"type": "message"}
    if card:
        activity["attachments"] = [{"contentType": CARD_CONTENT_TYPE, "content": card}]
        # Teams shows `summary` in notifications and the chat list instead of "Card".
        if text:
            activity["summary"] = text[:200]
    else:
        activity["text"] = text
        activity["textFormat"] = "markdown"
    return activity
