"""Teams routes: one module per kind of activity, each with `register(app, turns)`.

Routes translate and delegate (architecture.md, convention 1): they build an
`Interaction`, let `TurnRunner` run the handlers, and send the rendered replies.
"""

from __future__ import annotations

from typing import Any

from bot.teams.routes import card_actions, install, messages
from bot.turns import TurnRunner


def register_all(app: Any, turns: TurnRunner) -> None:
    for module in (messages, install, card_actions):
        module.register(app, turns)
