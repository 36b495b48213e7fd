"""Slack, wired into the app: a Bolt `App`, its listeners, and how requests arrive.

Over HTTP (`POST /slack/events`, signature-verified) when a signing secret is set,
and over Socket Mode (no public URL) when an app-level token is set; both can run at
once. The Bolt app is synchronous and built without calling Slack
(`token_verification_enabled=False`), so start-up works offline and in tests; its
Web API client points at `SLACK_API_URL`. Returns the outbox's `SlackMessenger`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from starlette.concurrency import run_in_threadpool

from bot.deps import Deps
from bot.messenger import Messenger
from bot.render import Renderer
from bot.routing_keys import keys_for
from bot.slack.emails import EmailCache
from bot.slack.executor import TrackingExecutor
from bot.slack.http import add_events_route
from bot.slack.listeners import register_all
from bot.slack.runtime import SlackRuntime

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_SECONDS = 8.0
BackgroundLoop = Callable[[asyncio.Event], Awaitable[None]]


def _renderer(api: FastAPI, deps: Deps) -> Renderer:
    """The app's one Renderer, shared with the other adapters through `api.state`."""
    renderer = getattr(api.state, "renderer", None)
    if not isinstance(renderer, Renderer):
        renderer = Renderer(deps.framework, keys=keys_for(deps.settings))
        api.state.renderer = renderer
    return renderer


def build_bolt_app(deps: Deps, runtime: SlackRuntime, executor: TrackingExecutor) -> App:
    settings = deps.settings
    assert settings.slack_bot_token is not None
    # Replies to people's requests may wait briefly on a 429; the outbox has its own client.
    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    secret = settings.slack_signing_secret
    bolt = App(
        name="qa-bot",
        client=client,
        signing_secret=secret.get_secret_value() if secret else "",
        request_verification_enabled=secret is not None,
        token_verification_enabled=False,
        listener_executor=executor,
        logger=logging.getLogger("bot.slack.bolt"),
    )

    @bolt.error
    def on_error(error: Exception) -> None:
        # The type only: exception messages can quote payloads.
        log.error("slack listener failed: %s", type(error).__name__)

    register_all(bolt, runtime)
    return bolt


def mount(api: FastAPI, deps: Deps) -> Messenger:
    """Add Slack to `api`; return the messenger the outbox sender uses for Slack."""
    settings = deps.settings
    assert settings.slack_bot_token is not None, "mount() needs SLACK_BOT_TOKEN"
    runtime = SlackRuntime(deps=deps, renderer=_renderer(api, deps), emails=EmailCache())
    executor = TrackingExecutor()
    bolt = build_bolt_app(deps, runtime, executor)
    api.state.slack_app = bolt
    api.state.slack_executor = executor

    if settings.slack_signing_secret is not None:
        add_events_route(api, bolt, settings.slack_signing_secret.get_secret_value())
    if settings.slack_app_token is not None:
        api.state.loops.append(_socket_mode_loop(bolt, settings.slack_app_token.get_secret_value()))
    api.state.loops.append(_drain_loop(executor))

    from bot.slack.home import HomeRefresher
    from bot.slack.messenger import SlackMessenger  # written alongside; imported late

    # Its own client: the outbox handles 429s itself (RetryLater), unlike the replies above.
    messenger = SlackMessenger.from_settings(settings, engine=deps.engine)
    home = HomeRefresher(deps, runtime.renderer, bolt.client)
    api.state.slack_home = home
    messenger.after_dm = home.schedule  # the Home tab follows whatever reaches the person
    return messenger


def _socket_mode_loop(bolt: App, app_token: str) -> BackgroundLoop:
    """A background loop: hold a Socket Mode connection until the app stops."""

    async def loop(stop: asyncio.Event) -> None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(bolt, app_token)
        try:
            await run_in_threadpool(handler.connect)
            log.info("slack: socket mode connected")
            await stop.wait()
        except Exception as exc:  # noqa: BLE001 - logged; the app keeps serving HTTP
            log.error("slack: socket mode failed: %s", type(exc).__name__)
            await stop.wait()
        finally:
            await run_in_threadpool(handler.close)

    return loop


def _drain_loop(executor: TrackingExecutor) -> BackgroundLoop:
    """On shutdown, let replies already acknowledged to Slack finish sending."""

    async def loop(stop: asyncio.Event) -> None:
        await stop.wait()
        if not await run_in_threadpool(executor.wait_idle, SHUTDOWN_GRACE_SECONDS):
            log.warning("slack: %d listener task(s) still running at shutdown", executor.pending)
        executor.shutdown(wait=False, cancel_futures=True)

    return loop
