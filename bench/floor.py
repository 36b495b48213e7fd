"""The request path against the framework's floor, measured so the difference shows.

For each kind of request (a Slack slash command, a button click, a modal submission,
a Teams message) the same payloads go to a real `qa-bot serve` and to a bare app of
the same framework (Bolt whose listeners only `ack()`, a Teams SDK echo), in
alternating rounds, at CONCURRENCY in flight. The load comes from `bench/loadgen.py`
in a process of its own, so it does not share an interpreter with anything it
measures.

First the **A/A floor**: the bare app against itself, twice, in the same alternation.
The ratio of its two p99s is what noise alone gives on this machine today; a product
ratio is meaningful only well above it. Targets (issue: the request path at the
framework's floor): p99 within 1.5x the bare app, throughput at least 60% of it.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from bench.common import BenchResult
from bench.servers import (
    AAD_USER,
    ROOT,
    SECRET,
    Server,
    click_body,
    command_body,
    fake_connector,
    seeded_database,
    serve_bare_bolt,
    serve_bare_teams,
    serve_ours,
    signed_allocation_key,
    submission_body,
)
from tests.fakes import connector as teams
from tests.fakes.slack_api import FakeSlackProcess

CONCURRENCY = 50
PER_ROUND = 400
WARMUP = 100
ROUNDS = 4
TARGET_RATIO = 1.5
TARGET_THROUGHPUT = 0.6
FORM = "application/x-www-form-urlencoded"


@dataclass
class Series:
    """Every latency of one app for one kind, over all rounds, and its throughput."""

    ms: list[float] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    failures: int = 0

    def add(self, result: dict[str, Any]) -> None:
        self.ms += result["ms"]
        self.requests += len(result["ms"])
        self.seconds += result["elapsed"]
        self.failures += result["failures"]

    def p(self, q: float) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load(server: Server, path: str, body: bytes, content_type: str, slack: bool) -> dict[str, Any]:
    """One measurement by the load generator process."""
    job = {
        "url": f"{server.url}{path}",
        "body": body.decode(),
        "content_type": content_type,
        "total": PER_ROUND,
        "concurrency": CONCURRENCY,
        "warmup": WARMUP,
        "slack_secret": SECRET if slack else None,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadgen"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@dataclass(frozen=True)
class Kind:
    name: str
    path: str
    body: bytes
    content_type: str
    slack: bool


def kinds(slack_api_url: str, routing_key: str, service_url: str) -> list[Kind]:
    click = click_body(action_ts="1700000000.__N__")
    message = teams.message("help", service_url=service_url, aad_object_id=AAD_USER)
    message["id"] = "act-__N__"
    return [
        Kind(
            "Slack slash command",
            "/slack/events",
            command_body(slack_api_url, trigger_id="__N__.trigger"),
            FORM,
            True,
        ),
        Kind("Slack button click", "/slack/events", click, FORM, True),
        Kind(
            "Slack view submission",
            "/slack/events",
            submission_body(routing_key, trigger_id="__N__.trigger"),
            FORM,
            True,
        ),
        Kind(
            "Teams message",
            "/api/messages",
            json.dumps(message).encode(),
            "application/json",
            False,
        ),
    ]


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("inf")


def run() -> list[BenchResult]:
    seeded = seeded_database()
    results: list[BenchResult] = []
    with (
        FakeSlackProcess() as slack,
        fake_connector() as connector_url,
        serve_ours(seeded, slack.url) as ours,
        serve_bare_bolt(slack.url) as bolt,
        serve_bare_teams() as echo,
    ):
        floors: list[float] = []
        for kind in kinds(slack.url, signed_allocation_key(seeded), connector_url):
            bare = echo if not kind.slack else bolt
            mine, theirs, again = Series(), Series(), Series()
            for round_ in range(ROUNDS):
                # Alternate who goes first, so drift in machine load hits both alike.
                order = [(ours, mine), (bare, theirs)]
                if round_ % 2:
                    order.reverse()
                for server, series in [*order, (bare, again)]:
                    series.add(load(server, kind.path, kind.body, kind.content_type, kind.slack))
            floor = _ratio(theirs.p(99), again.p(99))
            floors.append(max(floor, 1 / floor if floor else 0))
            ratio = _ratio(mine.p(99), theirs.p(99))
            share = _ratio(mine.rate, theirs.rate)
            failed = (
                f"; failures ours {mine.failures}, bare {theirs.failures}"
                if (mine.failures or theirs.failures)
                else ""
            )
            note = (
                f"{ROUNDS}x{PER_ROUND} at {CONCURRENCY} concurrent; bare p50 "
                f"{statistics.median(theirs.ms):.1f} / p99 {theirs.p(99):.1f} ms, "
                f"{theirs.rate:.0f} req/s; A/A p99 ratio {floor:.2f}{failed}"
            )
            results += [
                BenchResult(f"{kind.name}: p50", statistics.median(mine.ms), "ms", "", None, note),
                BenchResult(f"{kind.name}: p99", mine.p(99), "ms", "", None, note),
                BenchResult(
                    f"{kind.name}: p99 / bare",
                    ratio,
                    "x",
                    f"< {TARGET_RATIO}",
                    ratio < TARGET_RATIO and not mine.failures,
                    note,
                ),
                BenchResult(
                    f"{kind.name}: throughput / bare",
                    share,
                    "x",
                    f">= {TARGET_THROUGHPUT}",
                    share >= TARGET_THROUGHPUT,
                    f"ours {mine.rate:.0f} req/s, bare {theirs.rate:.0f} req/s",
                ),
            ]
        results.insert(
            0,
            BenchResult(
                "A/A noise floor (bare app vs itself, worst p99 ratio)",
                max(floors),
                "x",
                "",
                None,
                "a product ratio is meaningful only well above this",
            ),
        )
    return results
