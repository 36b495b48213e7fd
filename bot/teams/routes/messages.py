"""Typed commands (`help`, `my`, `status ...`) and `Action.Submit` card presses."""

from __future__ import annotations

from typing import Any

from bot.teams import activities
from bot.teams.routes.replies import reply_all, run_activity
from bot.turns import TurnRunner


def register(app: Any, turns: TurnRunner) -> None:
    @app.on_message
    async def on_message(ctx: Any) -> None:
        rendered = await run_activity(ctx, turns, activities.from_message)
        if rendered is not None:  # None: already answered, or nothing to act on
            await reply_all(ctx, rendered, turns)
