"""Running the ASGI app under uvicorn: what `qa-bot serve` and `qa-bot demo` share."""

from __future__ import annotations

import logging

import uvicorn

from bot.app import build_app
from bot.deps import Deps
from bot.logsafe import install as install_safe_logging
from bot.settings import Settings
from qa.framework import Framework
from storage.db import make_engine

# Libraries that log whole payloads (names, what people typed) at DEBUG; see below.
PAYLOAD_LOGGERS = ("slack_bolt", "slack_sdk", "bot.slack.bolt", "microsoft_teams", "httpx")


def quiet_libraries(level: str) -> None:
    """Keep the chat SDKs at INFO or above even when QA_BOT_LOG_LEVEL=DEBUG.

    Bolt, the Slack SDK and the Teams SDK log request and response bodies at DEBUG;
    those carry names and free text. Our own loggers still go down to DEBUG.
    """
    floor = max(logging.getLevelNamesMapping().get(level.upper(), logging.INFO), logging.INFO)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(floor)


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: str) -> None:
    """Logs carry ids and outcomes, never names or free text (see docs/data-protection.md).

    Every record goes through `bot.logsafe`: one line each, control characters
    escaped and arguments capped, whichever library logged it.
    """
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT, force=True)
    install_safe_logging(LOG_FORMAT)
    quiet_libraries(level)


def run_server(settings: Settings, framework: Framework) -> None:
    """Serve Slack, Teams and /healthz on one port until interrupted."""
    configure_logging(settings.log_level)
    deps = Deps(settings=settings, framework=framework, engine=make_engine(settings.database_url))
    api = build_app(deps)
    uvicorn.run(
        api,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,  # request lines can carry ids we prefer not to log at INFO
        # uvicorn's own loggers propagate to the root handler configure_logging made
        # safe, instead of getting handlers of their own that would print raw lines.
        log_config=None,
        timeout_graceful_shutdown=10,
    )
