"""The shape every benchmark reports in, and small measuring helpers."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class BenchResult:
    name: str  # "import 50,000 cases (SQLite)"
    value: float
    unit: str  # "s", "ms", "MB", "%", "count"
    target: str  # "< 10 s", human-readable
    met: bool | None  # None when there is no target
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Measure:
    seconds: float = 0.0
    peak_mb: float = 0.0


@contextmanager
def measure(*, memory: bool = True) -> Iterator[Measure]:
    """Wall time and (optionally) peak Python heap of the block."""
    m = Measure()
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        yield m
    finally:
        m.seconds = time.perf_counter() - start
        if memory:
            m.peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()


BenchFn = Callable[[], list[BenchResult]]
