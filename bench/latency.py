"""How fast `qa-bot serve` answers Slack and Teams at 50 concurrent requests, and our
overhead over the frameworks' own floor.

Slack wants an acknowledgement within 3 seconds; we aim for p99 under 100 ms. Three
kinds of signed request go to `POST /slack/events` of a real `qa-bot serve` (a
1,000-staff Camden authority in SQLite, see `bench/servers.py`): `/qa help`, a click
on *My work*, and the allocation decline form sent without a reason (answered with
inline errors). The same requests go to a bare Bolt app whose listeners only `ack()`,
served the same way (`run_in_threadpool(app.dispatch)`), and the ratio
p99(ours) / p99(bare) is our overhead; target under 1.5.

Teams: the round trip of `POST /api/messages` for a `help` message from a known
person (the reply card goes to the fake Bot Connector before the HTTP answer), against
a bare Teams SDK app that echoes the text to the same fake connector.

Each kind: WARMUP requests first (not counted), then TOTAL at CONCURRENCY in flight,
to ours and then to the bare app (all servers are up at once, kinds interleaved).
At a fixed 50 in flight, latency is about 50 / throughput (Little's law), so the p99
target needs some 500 acknowledgements a second from one process.
The load generator, fake Slack and fake connector share this machine's CPUs with the
server, so absolute figures depend on the machine; the ratios less so.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass

from bench.common import BenchResult
from bench.load import Request, Timings, client_for, run_load
from bench.servers import (
    AAD_USER,
    Seeded,
    Server,
    click_body,
    command_body,
    fake_connector,
    seeded_database,
    serve_bare_bolt,
    serve_bare_teams,
    serve_ours,
    signed_allocation_key,
    slack_headers,
    submission_body,
)
from tests.fakes import connector as teams
from tests.fakes.slack_api import FakeSlackProcess

CONCURRENCY = 50
WARMUP = 50
TOTAL = 500
TARGET_P99_MS = 100.0
TARGET_RATIO = 1.5


def slack_requests(seeded: Seeded, slack_api_url: str) -> dict[str, Callable[[], Request]]:
    """Request makers for the three Slack kinds (signed at send time)."""
    clicks = itertools.count(1)
    bodies: dict[str, Callable[[], bytes]] = {
        "slash command": lambda: command_body(slack_api_url, f"{next(clicks)}.trigger"),
        # Each click its own action_ts, as Slack sends them: none is a duplicate.
        "button click": lambda: click_body(action_ts=f"1700000000.{next(clicks):06d}"),
        "modal submission": lambda: submission_body(
            signed_allocation_key(seeded), f"{next(clicks)}.trigger"
        ),
    }

    def maker(body: Callable[[], bytes]) -> Callable[[], Request]:
        def make() -> Request:
            content = body()
            return "/slack/events", content, slack_headers(content)

        return make

    return {kind: maker(body) for kind, body in bodies.items()}


def teams_request(service_url: str) -> Callable[[], Request]:
    def make() -> Request:
        activity = teams.message("help", service_url=service_url, aad_object_id=AAD_USER)
        return "/api/messages", json.dumps(activity).encode(), {"Content-Type": "application/json"}

    return make


async def measure_kind(server: Server, make: Callable[[], Request]) -> Timings:
    async with client_for(CONCURRENCY) as client:
        await run_load(client, server.url, make, total=WARMUP, concurrency=CONCURRENCY)
        return await run_load(client, server.url, make, total=TOTAL, concurrency=CONCURRENCY)


@dataclass
class Pair:
    ours: Timings
    bare: Timings


def _results(kind: str, pair: Pair, floor: str) -> list[BenchResult]:
    ours, bare = pair.ours, pair.bare
    failed = f"; {ours.failures} of ours failed" if ours.failures else ""
    failed += f"; {bare.failures} of the bare app's failed" if bare.failures else ""
    ratio = ours.p99 / bare.p99 if bare.p99 > 0 else float("inf")
    note = f"{TOTAL} at {CONCURRENCY} concurrent after {WARMUP} warm-up{failed}"
    return [
        BenchResult(f"{kind}: p50", ours.p50, "ms", "", None, note),
        BenchResult(
            f"{kind}: p99",
            ours.p99,
            "ms",
            f"< {TARGET_P99_MS:.0f} ms",
            ours.p99 < TARGET_P99_MS and not ours.failures,
            note,
        ),
        BenchResult(
            f"{kind}: p99 / {floor}",
            ratio,
            "x",
            f"< {TARGET_RATIO}",
            ratio < TARGET_RATIO,
            f"{floor}: p50 {bare.p50:.1f} ms, p99 {bare.p99:.1f} ms",
        ),
    ]


def run() -> list[BenchResult]:
    seeded = seeded_database()
    pairs: dict[str, Pair] = {}
    with (
        FakeSlackProcess() as slack,
        fake_connector() as connector_url,
        serve_ours(seeded, slack.url) as ours,
        serve_bare_bolt(slack.url) as bolt,
        serve_bare_teams() as echo,
    ):
        kinds = [(kind, make, bolt) for kind, make in slack_requests(seeded, slack.url).items()]
        kinds.append(("Teams message", teams_request(connector_url), echo))
        for kind, make, bare in kinds:  # interleaved, so drift in machine load hits both
            mine = asyncio.run(measure_kind(ours, make))
            pairs[kind] = Pair(mine, asyncio.run(measure_kind(bare, make)))
    results: list[BenchResult] = []
    for kind, pair in pairs.items():
        floor = "bare Teams echo" if kind.startswith("Teams") else "bare Bolt"
        results += _results(kind, pair, floor)
    return results
