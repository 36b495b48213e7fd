"""kill -9 of `qa-bot serve` in the middle of a fan-out, then a restart: copies per person.

Each run queues one direct message for each of `people` people in a fresh SQLite
file, starts `qa-bot serve` (a real process) against an in-project fake platform
that answers each send `delay` seconds after accepting it (a slow network, so the
kill always finds messages the platform has and the bot has not heard back about),
SIGKILLs it once `kill_after` sends were accepted, starts it again on the same port
(so under the same worker id) and waits until every message is marked sent.

- Slack: every post carries its key in metadata and an unconfirmed claim is looked
  for in the conversation before it is sent again: the target is no duplicates.
- Teams: a bot cannot read its own conversation history, so what was accepted but
  not yet marked at the kill is sent again. The bound is the messages in flight at
  the kill (claimed and not recorded), itself at most the sender's concurrency (20)
  on the wire; the figure is measured here, not assumed.

Run it with `.venv/bin/python -m bench.crash` (a table, and `--json`), or add
"crash" to `BENCHES` in `bench/__main__.py` to have `make bench` run it.
tests/faults/test_crash_recovery.py runs `crash_and_restart` as a pass/fail test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bench.common import BenchResult
from bot.sender import SenderPolicy
from storage.db import make_engine, session_scope, upgrade
from storage.models import OutboxMessage, Person
from storage.outbox import SENDING, SENT, Message, enqueue
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack, RateLimits

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORK_FILE = ROOT / "tests" / "data" / "framework-small.yml"
Platform = Literal["slack", "teams"]


@dataclass
class CrashRun:
    platform: str
    messages: int
    accepted_before_kill: int  # sends the platform had accepted when the process died
    marked_before_kill: int  # of those, marked sent in the database
    in_flight_at_kill: int  # claimed and not recorded when it died
    copies: dict[str, int] = field(default_factory=dict)  # idempotency key -> copies
    history_checks: int = 0  # conversations.history calls (Slack)
    seconds: float = 0.0

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.copies.values() if n > 1)

    @property
    def missing(self) -> int:
        return self.messages - len(self.copies)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _queue(engine: Engine, people: int, platform: Platform, service_url: str) -> int:
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        rows = []
        for i in range(people):
            chat: dict[str, Any] = {"slack_user_id": f"U{i:05d}"}
            if platform == "teams":
                reference = {"serviceUrl": service_url, "conversation": {"id": f"a:chat-{i}"}}
                chat = {"teams_user_id": f"aad-{i}", "teams_conversation": reference}
            rows.append(
                Person(
                    email=f"person{i}@council.gov.uk",
                    name=f"Person {i}",
                    created_at=now,
                    updated_at=now,
                    **chat,
                )
            )
        s.add_all(rows)
        s.flush()
        for person in rows:
            key = f"crash-{person.id}"
            context = {"text": f"your allocation {key}"}
            message = Message("notice", key, context=context, person_id=person.id)
            enqueue(session=s, message=message, now=now)
    return people


def _env(url: str, port: int, platform: Platform, api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "QA_BOT_"))}
    env |= {
        "PYTHONPATH": str(ROOT),
        "QA_BOT_DATABASE_URL": url,
        "QA_BOT_FRAMEWORK": str(FRAMEWORK_FILE),
        "QA_BOT_HOST": "127.0.0.1",
        "QA_BOT_PORT": str(port),
        "QA_BOT_TICK_SECONDS": "3600",  # the scheduler stays out of the way
        "QA_BOT_LOG_LEVEL": "WARNING",
    }
    if platform == "slack":
        env |= {
            "SLACK_BOT_TOKEN": "xoxb-crash-bench",
            "SLACK_SIGNING_SECRET": "crash-bench-secret",
            "SLACK_API_URL": api_url,
        }
    else:
        env |= {"QA_BOT_TEAMS_PLAYGROUND": "1"}
    return env


def _serve(env: dict[str, str], folder: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; main()", "serve"],
            env=env,
            cwd=folder,  # no .env from the repository leaks in
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _count(engine: Engine, status: str) -> int:
    with Session(engine) as s:
        query = (
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == status)
        )
        return int(s.exec(query).one())


def _wait(condition: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, what: str,
          timeout: float) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if proc.poll() is not None:
            raise RuntimeError(f"serve ended while waiting for {what}:\n{log.read_text()[-3000:]}")
        time.sleep(0.005)
    raise RuntimeError(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def crash_and_restart(
    platform: Platform,
    *,
    people: int = 30,
    kill_after: int | None = None,
    delay: float = 0.5,
    timeout: float = 120.0,
) -> CrashRun:
    """One message each to `people`, serve SIGKILLed after `kill_after` accepted sends."""
    kill_after = kill_after if kill_after is not None else people // 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'crash.db'}"
        upgrade(url)
        engine = make_engine(url)
        log = folder / "serve.log"
        started = time.perf_counter()
        if platform == "slack":
            fake_slack = FakeSlack(limits=RateLimits(), post_delay=delay)
            fake: FakeSlack | FakeConnector = fake_slack
            api_url = fake_slack.url

            def accepted() -> int:
                return len(fake_slack.posts())

            def copies() -> Counter[str]:
                return fake_slack.copies()
        else:
            fake_teams = FakeConnector(send_delay=delay)
            fake = fake_teams
            api_url = fake_teams.url

            def accepted() -> int:
                return len(fake_teams.calls_to("send"))

            def copies() -> Counter[str]:  # per conversation; keys are worked out below
                return Counter(str(c.conversation_id) for c in fake_teams.calls_to("send"))

        with fake:
            messages = _queue(engine, people, platform, api_url)
            env = _env(url, _free_port(), platform, api_url)
            first = _serve(env, folder, log)
            try:
                _wait(lambda: accepted() >= kill_after, first, log, "the kill point", timeout)
            finally:
                os.kill(first.pid, signal.SIGKILL)
                first.wait()
            at_kill = accepted()
            marked, in_flight = _count(engine, SENT), _count(engine, SENDING)
            second = _serve(env, folder, log)
            try:
                _wait(lambda: _count(engine, SENT) >= messages, second, log, "every mark", timeout)
                time.sleep(delay + 0.2)  # anything still on its way arrives before counting
            finally:
                _stop(second)
            seen = copies()
            if platform == "teams":  # conversation ids -> keys, via the person ids
                seen = _teams_keys(engine, seen)
            history = (
                len(fake_slack.calls_to("conversations.history")) if platform == "slack" else 0
            )
        engine.dispose()
        return CrashRun(
            platform=platform,
            messages=messages,
            accepted_before_kill=at_kill,
            marked_before_kill=marked,
            in_flight_at_kill=in_flight,
            copies=dict(seen),
            history_checks=history,
            seconds=time.perf_counter() - started,
        )


def _teams_keys(engine: Engine, by_conversation: Counter[str]) -> Counter[str]:
    """Copies per idempotency key from copies per Teams conversation (`a:chat-{i}`)."""
    with Session(engine) as s:
        people = {p.id: p for p in s.exec(select(Person))}
    out: Counter[str] = Counter()
    for person_id, person in people.items():
        conversation = (person.teams_conversation or {}).get("conversation", {}).get("id")
        n = by_conversation.get(str(conversation), 0)
        if n:
            out[f"crash-{person_id}"] = n
    return out


def run() -> list[BenchResult]:
    bound = SenderPolicy().concurrency
    results: list[BenchResult] = []
    slack = crash_and_restart("slack")
    note = (
        f"{slack.messages} DMs, serve killed after {slack.accepted_before_kill} accepted "
        f"({slack.marked_before_kill} marked, {slack.in_flight_at_kill} in flight); "
        f"{slack.history_checks} history checks on restart"
    )
    results += [
        BenchResult("serve kill -9 mid fan-out, Slack: duplicates", slack.duplicates, "count",
                    "= 0", slack.duplicates == 0 and slack.missing == 0, note),
    ]  # fmt: skip
    teams = crash_and_restart("teams")
    note = (
        f"{teams.messages} messages, serve killed after {teams.accepted_before_kill} accepted "
        f"({teams.marked_before_kill} marked, {teams.in_flight_at_kill} in flight); Teams "
        "history cannot be read, so accepted-but-unmarked ones are sent again"
    )
    met = teams.duplicates <= min(teams.in_flight_at_kill, bound) and teams.missing == 0
    results += [
        BenchResult("serve kill -9 mid fan-out, Teams: duplicates", teams.duplicates, "count",
                    f"<= in flight ({teams.in_flight_at_kill}) and <= concurrency ({bound})",
                    met, note),
    ]  # fmt: skip
    return results


def main(argv: list[str]) -> int:
    if "--json" in argv:
        runs = [crash_and_restart("slack"), crash_and_restart("teams")]
        out = [{**asdict(r), "duplicates": r.duplicates, "missing": r.missing} for r in runs]
        for item in out:
            item.pop("copies")
        print(json.dumps(out, indent=2))
        return 0
    for r in run():
        met = "n/a" if r.met is None else ("yes" if r.met else "NO")
        print(f"{r.name}: {r.value:g} (target {r.target}: {met}) - {r.note}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
