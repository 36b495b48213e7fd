"""What the composition root hands to the adapters, the turn runner and the jobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.settings import Settings
from handlers.router import Router
from qa.framework import Framework


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    settings: Settings
    framework: Framework
    engine: Engine
    clock: Callable[[], datetime] = field(default=utc_now)
    # The routes and hooks of every conversation (`bot/composition.py`); tests may
    # pass a router with other hooks.
    router: Router = field(default_factory=lambda: _default_router())


def _default_router() -> Router:
    from bot.composition import router

    return router()
