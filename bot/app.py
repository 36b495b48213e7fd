"""The composition root: one ASGI app with Slack, Teams and /healthz.

`build_app` wires the adapters that are configured (Slack when its tokens are set,
Teams when its client id is set or in playground mode), the outbox sender and the
scheduler. Background loops are started and stopped by the app's lifespan, so tests
can run the whole thing under uvicorn on an ephemeral port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlmodel import Session, select

from bot.deps import Deps
from bot.messenger import Messenger
from bot.routing_keys import keys_for
from storage.models import JobRun
from storage.outbox import backlog

log = logging.getLogger(__name__)

BackgroundLoop = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def health(deps: Deps, now: datetime) -> tuple[bool, dict[str, Any]]:
    """Database reachable, scheduler tick age, outbox backlog and its oldest age."""
    body: dict[str, Any] = {"status": "ok", "database": "ok"}
    try:
        with Session(deps.engine) as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            count, oldest = backlog(session=session)
            last = session.exec(select(JobRun).order_by(JobRun.last_run_at.desc())).first()  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        log.warning("healthz: database unreachable: %s", type(exc).__name__)
        return False, {"status": "error", "database": "unreachable"}
    body["outbox"] = {
        "backlog": count,
        "oldest_pending_seconds": round((now - oldest).total_seconds(), 1) if oldest else None,
    }
    body["scheduler"] = {
        "last_tick": last.last_run_at.isoformat() if last else None,
        "tick_age_seconds": round((now - last.last_run_at).total_seconds(), 1) if last else None,
    }
    body["slack"] = deps.settings.slack_enabled
    body["teams"] = deps.settings.teams_enabled
    return True, body


def build_app(deps: Deps, *, background: bool = True) -> FastAPI:
    """The ASGI app. `background=False` leaves the sender and scheduler to the caller."""
    loops: list[BackgroundLoop] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = (
            [asyncio.create_task(loop(stop)) for loop in loops] if background else []
        )
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, timeout=10)

    api = FastAPI(
        title="qa-bot", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    api.state.deps = deps
    api.state.loops = loops

    from bot.static_pages import mount_static_pages

    mount_static_pages(api, deps.settings)  # the privacy and terms pages the app links to

    @api.get("/healthz")
    def healthz() -> JSONResponse:
        ok, body = health(deps, deps.clock())
        return JSONResponse(body, status_code=200 if ok else 503)

    from bot.render import Renderer

    renderer = Renderer(deps.framework, keys=keys_for(deps.settings))
    api.state.renderer = renderer  # one Jinja2 environment for the whole app
    messengers: list[Messenger] = []
    if deps.settings.slack_enabled:
        from bot.slack.adapter import mount as mount_slack

        messengers.append(mount_slack(api, deps))
    if deps.settings.teams_enabled:
        from bot.teams.adapter import mount as mount_teams

        messengers.append(mount_teams(api, deps, renderer=renderer))
    api.state.messengers = messengers

    from bot.sender import OutboxSender

    # A stable worker id lets a restarted process take its own claims back at once.
    worker = f"{socket.gethostname()}:{deps.settings.port}"
    api.state.sender = OutboxSender(deps, messengers, renderer=renderer, worker_id=worker)
    loops.append(api.state.sender.run)

    from bot.composition import jobs as all_jobs
    from reminders.schedule import SchedulerLoop, Ticker

    ticker = Ticker(
        engine=deps.engine, framework=deps.framework, tz=deps.settings.tz, jobs=all_jobs()
    )
    api.state.ticker = ticker
    loops.append(SchedulerLoop(ticker, deps.clock, interval=deps.settings.tick_seconds).run)
    return api
