"""The app was installed: remember the conversation and say hello.

Teams sends two activities when the app is added: `installationUpdate` (action
`add`) and a `conversationUpdate` whose `membersAdded` includes the bot. Only the
first is acted on, so nobody is welcomed twice; the second is logged and ignored.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.teams import activities
from bot.teams.routes.replies import reply_all, run_activity
from bot.turns import TurnRunner

log = logging.getLogger(__name__)


def register(app: Any, turns: TurnRunner) -> None:
    @app.on_install_add
    async def on_install(ctx: Any) -> None:
        rendered = await run_activity(ctx, turns, activities.installed)
        if rendered is not None:  # None: a copy of an activity already answered
            await reply_all(ctx, rendered, turns)

    @app.on_conversation_update
    async def on_conversation_update(ctx: Any) -> None:
        if activities.bot_was_added(ctx.activity):
            log.info("teams: bot added to conversation (install handled via installationUpdate)")
