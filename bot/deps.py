"""What the composition root hands to the adapters, handlers and jobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from bot.settings import Settings
from qa.framework import Framework


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    settings: Settings
    framework: Framework
    engine: Engine
    clock: Callable[[], datetime] = field(default=utc_now)
