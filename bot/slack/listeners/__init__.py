"""Bolt listeners, one module per kind of Slack request, each with `register(app, runtime)`.

Listeners hold no business logic: they acknowledge, build an `Interaction`, call
the handler through `SlackRuntime` and deliver the rendered replies.
"""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import actions, commands, events, views
from bot.slack.runtime import SlackRuntime

MODULES = (commands, events, actions, views)


def register_all(app: App, runtime: SlackRuntime) -> None:
    for module in MODULES:
        module.register(app, runtime)
