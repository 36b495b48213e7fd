"""One turn of a Teams conversation: hand the `Interaction` to the handlers, render the replies.

The routes (bot/teams/routes/) only translate activities; this is what they share.
Handlers are synchronous and use the database, so they run in a worker thread inside
one retried transaction (`storage.db.with_retries`): the event loop keeps serving
other requests, and a turn either happens completely or not at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from bot.deps import Deps
from bot.routing import keys_for, verified
from handlers.interaction import Interaction, Reply
from storage.db import with_retries

log = logging.getLogger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

Rendered = dict[str, Any]


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


class TurnRunner:
    """Dispatches interactions and renders the replies for Teams."""

    def __init__(self, deps: Deps, *, renderer: Any | None = None) -> None:
        self.deps = deps
        if renderer is None:
            from bot.render import Renderer

            renderer = Renderer(deps.framework, keys=keys_for(deps.settings))
        self._renderer = renderer

    async def run(self, interaction: Interaction) -> list[Rendered]:
        """Handle `interaction` and return each reply rendered for Teams."""
        replies = await asyncio.to_thread(self._dispatch, interaction)
        return [self.render(reply) for reply in replies]

    def render(self, reply: Reply) -> Rendered:
        context = dict(reply.context)
        if reply.errors:
            context["errors"] = dict(reply.errors)
        rendered: Rendered = self._renderer.render(reply.template, context, platform="teams")
        return rendered

    def _dispatch(self, interaction: Interaction) -> list[Reply]:
        from handlers.router import dispatch

        # Local time, as the Slack side passes: 'overdue' and 'today' are local dates.
        now = self.deps.clock().astimezone(self.deps.settings.tz)
        checked = verified(interaction, keys_for(self.deps.settings))
        work: Callable[[Session], list[Reply]] = lambda session: dispatch(  # noqa: E731
            checked, session=session, framework=self.deps.framework, now=now
        )
        replies = with_retries(self.deps.engine, work)
        log.info(
            "teams: %s %s from user %s -> %d repl%s",
            interaction.kind,
            interaction.name or "-",
            interaction.user_id,
            len(replies),
            "y" if len(replies) == 1 else "ies",
        )
        return replies

    async def is_known(self, teams_user_id: str) -> bool:
        """Whether an active person already carries this Teams (Entra) id."""
        from handlers.identity import known_person_id

        def lookup() -> bool:
            with Session(self.deps.engine) as session:
                found = known_person_id(session=session, platform="teams", user_id=teams_user_id)
                return found is not None

        return await asyncio.to_thread(lookup)
