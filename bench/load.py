"""A small closed-loop load generator: N requests, C at a time, each one timed.

`C` workers share one `httpx.AsyncClient` (a pool of C connections) and take requests
from a shared counter until N are done, so there are always C in flight. A request is
built just before it is sent (Slack signatures carry a timestamp). Latency is from
send to the full HTTP response, in milliseconds.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

# (path, body bytes, headers) for one request
Request = tuple[str, bytes, dict[str, str]]


@dataclass
class Timings:
    ms: list[float] = field(default_factory=list)
    failures: int = 0  # a non-2xx answer or a transport error

    def percentile(self, p: float) -> float:
        if not self.ms:
            return float("nan")
        ordered = sorted(self.ms)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index]

    @property
    def p50(self) -> float:
        return statistics.median(self.ms) if self.ms else float("nan")

    @property
    def p99(self) -> float:
        return self.percentile(99)


async def run_load(
    client: httpx.AsyncClient,
    base_url: str,
    make: Callable[[], Request],
    *,
    total: int,
    concurrency: int,
) -> Timings:
    timings = Timings()
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            path, body, headers = make()
            start = time.perf_counter()
            try:
                response = await client.post(f"{base_url}{path}", content=body, headers=headers)
                ok = response.is_success
            except httpx.HTTPError:
                ok = False
            timings.ms.append((time.perf_counter() - start) * 1000)
            if not ok:
                timings.failures += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return timings


def client_for(concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(limits=limits, timeout=30.0)
