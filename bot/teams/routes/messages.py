"""Typed commands (`help`, `my`, `status ...`) and `Action.Submit` card presses."""

from __future__ import annotations

import logging
from typing import Any

from bot.teams import activities
from bot.teams.routes.replies import reply_all, roster_email
from bot.turns import TurnRunner

log = logging.getLogger(__name__)


def register(app: Any, turns: TurnRunner) -> None:
    @app.on_message
    async def on_message(ctx: Any) -> None:
        activity = ctx.activity
        conversation = activities.personal_reference(activity, ctx.conversation_ref)
        interaction = activities.from_message(activity, conversation)
        if interaction is None:
            log.info("teams: message %s has nothing to act on", activity.id)
            return
        rendered = await turns.run(interaction, email=roster_email(ctx))
        if rendered is not None:  # None: a copy of an activity already answered
            await reply_all(ctx, rendered, turns)
