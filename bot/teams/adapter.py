"""Microsoft Teams on the shared FastAPI app: `POST /api/messages` in, proactive messages out.

`mount` is called by `bot.app.build_app` when Teams is configured (a client id, or
the local playground). It builds the Teams SDK app on the same FastAPI app as Slack
(one process, one port), registers the routes, and returns the `TeamsMessenger` the
outbox sender uses.

Inbound authentication: with `TEAMS_CLIENT_ID` set, the SDK validates the Bot
Framework JWT of every request (401 otherwise, before anything is processed).
`QA_BOT_TEAMS_PLAYGROUND=1` turns that off for the local Microsoft 365 Agents
Playground; `Settings` refuses it unless the host is a loopback address.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI

from bot.deps import Deps
from bot.messenger import Messenger
from bot.teams.messenger import TeamsMessenger
from bot.teams.routes import register_all
from bot.teams.sdk import build_app
from bot.teams.turn import teams_turns

log = logging.getLogger(__name__)


def mount(api: FastAPI, deps: Deps, *, renderer: Any | None = None) -> Messenger:
    """Serve Teams on `api` and return the messenger for proactive sends."""
    settings = deps.settings
    app = build_app(api, settings)
    turns = teams_turns(deps, renderer=renderer)
    register_all(app, turns)
    api.state.teams_app = app
    if settings.teams_playground:
        log.warning(
            "Teams playground mode: /api/messages accepts unauthenticated requests "
            "(only on the loopback address %s)",
            settings.host,
        )
    return TeamsMessenger(settings, engine=deps.engine, framework=deps.framework)
