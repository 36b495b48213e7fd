"""Files sent with a queued message: the monthly summary's chart, drawn at send time.

The outbox stores a message's context as JSON, and the summary job runs in
`reminders/`, which does not draw (only `bot/` imports matplotlib). So a summary
message carries only `chart: {month, as_of, threshold}` (`messages.summary.
chart_spec`), and the sender asks `ChartFiles` for the PNG when it sends: the same
rows, counted to the same day with the same threshold, give the same figures as the
message's tables. A month's chart is drawn once per process for all its channels.

A file is a plain dict (`OutFile`) the messengers read: Slack uploads it, Teams puts
it in the card or beside it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import date
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from bot.reports.chart import render_chart
from qa.framework import Framework
from qa.working_days import Month
from storage.reporting import load_summary

__all__ = ["ChartFiles", "OutFile"]

CACHE_SIZE = 8


class OutFile(TypedDict):
    filename: str
    title: str
    alt_text: str
    mime: str
    content: bytes


class ChartFiles:
    """The files for a message context (thread-safe; remembers the last few charts)."""

    def __init__(self, engine: Engine, framework: Framework, tz: ZoneInfo) -> None:
        self.engine = engine
        self.framework = framework
        self.tz = tz
        self._cache: OrderedDict[tuple[str, str, int], OutFile] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def wanted(context: Mapping[str, Any] | None) -> bool:
        return isinstance((context or {}).get("chart"), dict)

    def files_for(self, context: Mapping[str, Any]) -> list[OutFile]:
        """The chart named by `context["chart"]`, drawn now (or remembered)."""
        spec = context["chart"]
        key = (str(spec["month"]), str(spec["as_of"]), int(spec["threshold"]))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return [self._cache[key]]
        drawn = self._draw(Month.parse(key[0]), date.fromisoformat(key[1]), key[2])
        with self._lock:
            self._cache[key] = drawn
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return [drawn]

    def _draw(self, month: Month, as_of: date, threshold: int) -> OutFile:
        with Session(self.engine) as session:
            s = load_summary(
                session=session,
                framework=self.framework,
                month=month,
                tz=self.tz,
                today=as_of,
                threshold=threshold,
            )
        chart = render_chart(s)
        return OutFile(
            filename=f"qa-summary-{month.key}.png",
            title=f"{s.title}: chart",
            alt_text=chart.alt_text,
            mime="image/png",
            content=chart.png,
        )
