"""Fan-out: thousands of direct messages through the outbox to the fake Slack.

Three figures, each against a fresh SQLite file and the in-project fake Slack Web API:

(a) faults: 2,000 DMs while the fake answers 5% of calls 429 (Retry-After 1 s) and
    1% 500: every message delivered exactly once, nothing sent to a channel before
    its Retry-After expired;
(b) limits: 5,000 DMs (250 people, 20 each) while the fake enforces Slack's posting
    limit (one a second per channel, burst 3) and 100 a minute for lookups: the
    delivered rate as a share of the sustained rate the fake allows (250 a second);
(c) kill -9: `qa-bot outbox send` in a subprocess killed half-way, then run again:
    duplicates must not exceed the messages in flight at the kill.

`kill_and_restart` is also run, smaller, by tests/faults/test_sender_kill.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bench.common import BenchResult
from bot.deps import Deps
from bot.sender import DrainReport, OutboxSender, SenderPolicy
from bot.settings import Settings
from bot.slack.messenger import SlackMessenger
from qa.framework import Framework, load_framework
from storage.db import make_engine, session_scope, upgrade
from storage.models import OutboxMessage, Person
from storage.outbox import SENDING, SENT, Message, enqueue
from tests.fakes.slack_api import FakeSlack, FakeSlackProcess, RateLimits

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORK_FILE = ROOT / "tests" / "data" / "framework-small.yml"


@dataclass
class Run:
    """What one scenario produced."""

    messages: int
    delivered: int  # distinct messages the fake accepted
    duplicates: int
    violations: int  # sends before a Retry-After expired
    seconds: float
    report: DrainReport | None = None
    fake: dict[str, Any] | None = None


def fresh_database(folder: Path) -> tuple[str, Engine]:
    url = f"sqlite:///{folder / 'fanout.db'}"
    upgrade(url)
    return url, make_engine(url)


def queue_dms(
    engine: Engine,
    fake: FakeSlack | FakeSlackProcess,
    *,
    people: int,
    each: int,
    lookup_share: float = 0.0,
) -> int:
    """`people` staff, `each` DMs apiece, queued round by round as jobs would queue them.

    A share of people have no Slack id yet: the sender looks them up by email.
    """
    now = datetime.now(UTC)
    lookups = int(people * lookup_share)
    with session_scope(engine) as s:
        rows = []
        users = []
        for i in range(people):
            user_id = f"U{i:06d}"
            email = f"person{i}@council.gov.uk"
            users.append((user_id, email))
            rows.append(
                Person(
                    email=email,
                    name=f"Person {i}",
                    slack_user_id=None if i < lookups else user_id,
                    created_at=now,
                    updated_at=now,
                )
            )
        s.add_all(rows)
        s.flush()
        ids = [p.id or 0 for p in rows]
    fake.add_users(users)
    for r in range(each):
        with session_scope(engine) as s:
            for pid in ids:
                key = f"fanout-{r}-{pid}"
                context = {"text": f"reminder {key}"}
                message = Message("notice", key, context=context, person_id=pid)
                enqueue(session=s, message=message, now=now)
    return people * each


def make_sender(engine: Engine, url: str, framework: Framework) -> OutboxSender:
    settings = Settings(slack_bot_token="xoxb-bench", slack_api_url=url)  # type: ignore[call-arg]
    messenger = SlackMessenger.from_settings(settings, engine=engine)
    deps = Deps(settings=settings, framework=framework, engine=engine)
    return OutboxSender(deps, [messenger])


def _summary(
    fake: FakeSlack | FakeSlackProcess, messages: int, seconds: float, report: DrainReport | None
) -> Run:
    stats = fake.stats()
    return Run(
        messages=messages,
        delivered=stats["delivered"],
        duplicates=stats["duplicates"],
        violations=stats["violations"],
        seconds=seconds,
        report=report,
        fake=stats,
    )


def deliver(
    *,
    people: int,
    each: int,
    limits: RateLimits | None = None,
    fault_rates: dict[str, float] | None = None,
    lookup_share: float = 0.0,
    timeout: float = 600.0,
) -> Run:
    """Queue the DMs, drain them in this process, and count what the fake accepted.

    The fake runs in a process of its own, as Slack would: its work is not the sender's.
    """
    framework = load_framework(str(FRAMEWORK_FILE))
    with tempfile.TemporaryDirectory() as folder:
        _, engine = fresh_database(Path(folder))
        with FakeSlackProcess(limits=limits, fault_rates=fault_rates, seed=42) as fake:
            messages = queue_dms(engine, fake, people=people, each=each, lookup_share=lookup_share)
            sender = make_sender(engine, fake.url, framework)
            started = time.perf_counter()
            report = asyncio.run(sender.drain(until_empty=True, timeout=timeout))
            seconds = time.perf_counter() - started
            run = _summary(fake, messages, seconds, report)
        engine.dispose()
    return run


@dataclass
class KillRun(Run):
    in_flight_at_kill: int = 0
    delivered_before_kill: int = 0


def _count(engine: Engine, status: str) -> int:
    with Session(engine) as s:
        return int(
            s.exec(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == status)
            ).one()
        )


def kill_and_restart(*, people: int = 1000, each: int = 2, timeout: float = 300.0) -> KillRun:
    """`qa-bot outbox send` in a subprocess, SIGKILLed half-way, then run again to the end."""
    with tempfile.TemporaryDirectory() as folder:
        url, engine = fresh_database(Path(folder))
        with FakeSlack(limits=RateLimits(), seed=7) as fake:
            messages = queue_dms(engine, fake, people=people, each=each)
            env = {
                **os.environ,
                "QA_BOT_DATABASE_URL": url,
                "QA_BOT_FRAMEWORK": str(FRAMEWORK_FILE),
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_API_URL": fake.url,
            }
            env.pop("SLACK_SIGNING_SECRET", None)
            env.pop("TEAMS_CLIENT_ID", None)
            env.pop("QA_BOT_TEAMS_PLAYGROUND", None)
            command = [
                sys.executable,
                "-c",
                "from bot.cli import main; main()",  # what the qa-bot script runs
                "outbox",
                "send",
                "--worker-id",
                "bench-sender",
                "--timeout",
                str(timeout),
            ]
            started = time.perf_counter()
            first = subprocess.Popen(
                command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            deadline = time.monotonic() + timeout
            while fake.stats()["posted"] < messages // 2:
                if first.poll() is not None or time.monotonic() > deadline:
                    output = first.stdout.read().decode() if first.stdout else ""
                    raise RuntimeError(f"the sender ended before half-way:\n{output}")
                time.sleep(0.005)
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
            delivered_before = fake.stats()["posted"]
            in_flight = _count(engine, SENDING)
            second = subprocess.run(
                command, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout
            )
            if second.returncode != 0:
                raise RuntimeError(f"the restarted sender failed:\n{second.stdout}{second.stderr}")
            seconds = time.perf_counter() - started
            run = _summary(fake, messages, seconds, None)
            sent = _count(engine, SENT)
        engine.dispose()
    if sent != messages:
        raise RuntimeError(f"{messages - sent} message(s) not marked sent after the restart")
    return KillRun(**vars(run), in_flight_at_kill=in_flight, delivered_before_kill=delivered_before)


def run() -> list[BenchResult]:
    results: list[BenchResult] = []

    a = deliver(people=1000, each=2, fault_rates={"429": 0.05, "500": 0.01}, lookup_share=0.05)
    injected = (a.fake or {}).get("injected", {})
    note_a = (
        f"{a.messages:,} DMs to 1,000 people in {a.seconds:.1f} s; fake answered "
        f"{injected.get('429', 0)} x 429 and {injected.get('500', 0)} x 500"
    )
    results += [
        BenchResult("fan-out with faults: delivered", a.delivered, "count",
                    f"= {a.messages:,}", a.delivered == a.messages, note_a),
        BenchResult("fan-out with faults: duplicates", a.duplicates, "count", "= 0",
                    a.duplicates == 0),
        BenchResult("fan-out with faults: sends before Retry-After expired", a.violations,
                    "count", "= 0", a.violations == 0),
    ]  # fmt: skip

    people, each = 250, 20
    b = deliver(people=people, each=each, limits=RateLimits(), lookup_share=0.04)
    # One a second per channel: the last of `each` messages can go (each - 1) s after
    # the first, so the whole run cannot take less than that.
    fastest = (each - 1) / RateLimits().per_channel
    share = 100.0 * fastest / b.seconds if b.delivered == b.messages else 0.0
    note_b = (
        f"{b.messages:,} DMs ({people} people x {each}) in {b.seconds:.1f} s; the limits "
        f"allow {fastest:.0f} s at best (one a second per channel, burst of "
        f"{RateLimits().burst} unused); {(b.fake or {}).get('rate_limited', 0)} x 429"
    )
    results += [
        BenchResult("fan-out at Slack's limits: share of allowed rate", share, "%", "> 90%",
                    share > 90.0, note_b),
        BenchResult("fan-out at Slack's limits: duplicates", b.duplicates, "count", "= 0",
                    b.duplicates == 0),
        BenchResult("fan-out at Slack's limits: sends before Retry-After expired",
                    b.violations, "count", "= 0", b.violations == 0),
    ]  # fmt: skip

    raw = deliver(people=2000, each=1)
    results.append(
        BenchResult("fan-out, no limits: messages a second", raw.delivered / raw.seconds,
                    "/s", "no target", None, f"{raw.delivered:,} DMs in {raw.seconds:.1f} s; the "
                    "fake in its own process, one SQLite file, concurrency 20")
    )  # fmt: skip

    c = kill_and_restart()
    bound = SenderPolicy().concurrency
    note_c = (
        f"{c.messages:,} DMs; killed after {c.delivered_before_kill:,} accepted with "
        f"{c.in_flight_at_kill} claimed; the restart delivered the rest"
    )
    met = c.duplicates <= min(c.in_flight_at_kill, bound) and c.delivered == c.messages
    results += [
        BenchResult("kill -9 half-way: duplicates", c.duplicates, "count",
                    f"<= in flight ({c.in_flight_at_kill}) and <= concurrency ({bound})",
                    met, note_c),
    ]  # fmt: skip
    return results
