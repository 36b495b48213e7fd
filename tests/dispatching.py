"""The product's router for handler-level tests, as `bot/composition.py` composes it.

Handler tests call `dispatch` the way the turn runner does, without an adapter. Hooks
can be replaced (recorded or silenced) per call, since nothing is registered globally.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.composition import router
from handlers.interaction import Interaction, Kind, Reply
from handlers.turn import Hooks
from qa.framework import Framework

LONDON = ZoneInfo("Europe/London")


def dispatch(
    interaction: Interaction,
    *,
    session: Session,
    framework: Framework,
    now: datetime,
    hooks: Hooks | None = None,
    tz: ZoneInfo = LONDON,
) -> list[Reply]:
    return router(hooks=hooks).dispatch(
        interaction, session=session, framework=framework, now=now, tz=tz
    )


def act(
    session: Session,
    user_id: str,
    name: str,
    *,
    framework: Framework,
    now: datetime,
    kind: Kind = "command",
    platform: str = "slack",
    hooks: Hooks | None = None,
    **fields: Any,
) -> list[Reply]:
    """What `user_id` did on `platform` (a command, a press, a submitted form: `fields` are
    the rest of the `Interaction`), dispatched as the turn runner would; the replies."""
    interaction = Interaction(platform=platform, user_id=user_id, kind=kind, name=name, **fields)
    return dispatch(interaction, session=session, framework=framework, now=now, hooks=hooks)
