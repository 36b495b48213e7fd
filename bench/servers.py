"""Real servers for the latency and memory benches, and the requests they are sent.

Everything runs on 127.0.0.1 in subprocesses of its own, so the load generator's CPU is
not the server's:

- `seeded_database()` builds (once per process) a SQLite file with Camden's framework
  and a 1,000-staff demo authority of 20,000 cases, and gives one practitioner a Slack
  id, a Teams id and an open allocation, so a click and a form have something real to
  act on.
- `serve_ours()` starts `qa-bot serve` against that file, Slack pointed at the fake
  Web API (`tests/fakes/slack_api.py`) and Teams in playground mode.
- `serve_bare_bolt()` and `serve_bare_teams()` start the floor we compare with (see
  `bench/bare_apps.py`): a bare Bolt app that only acks, and a bare Teams SDK echo app.
- `fake_connector()` runs the fake Bot Connector in a process of its own.

Every server is a context manager that kills its process on exit, whatever happened.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-signing-secret"
ROUTING_SECRET = "bench-routing-secret"
BOT_TOKEN = "xoxb-bench-token"
STAFF = 1_000
CASES = 20_000
SLACK_USER = "U0BENCH01"
AAD_USER = "00000000-0000-0000-0000-00000000be01"
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Seeded:
    url: str  # SQLAlchemy URL of the SQLite file
    person_id: int  # the practitioner every request comes from
    allocation_id: int  # their open allocation (the decline form acts on it)
    seconds: float  # how long building it took


def _sign_key(key: str) -> str:
    """A routing key signed as `bot.routing_keys.RoutingKeys` signs it, with the bench secret."""
    from bot.routing_keys import RoutingKeys

    return RoutingKeys(ROUTING_SECRET).sign(key)


def signed_allocation_key(seeded: Seeded) -> str:
    return _sign_key(f"allocation:{seeded.allocation_id}")


@cache
def seeded_database() -> Seeded:
    """The 1,000-staff Camden demo in a temp SQLite file, built once per process."""
    from sqlmodel import select

    from demo.authority import generate
    from qa.framework import preset
    from storage.db import make_engine, session_scope, upgrade
    from storage.models import Allocation, Case, Person
    from storage.seed import seed_demo

    start = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="qa-bench-serve-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    framework = preset("camden")
    now = datetime.now(UTC)
    authority = generate(framework, today=now.date(), staff=STAFF, cases=CASES)
    engine = make_engine(url)
    with session_scope(engine) as s:
        seed_demo(session=s, framework=framework, authority=authority, now=now)
    with session_scope(engine) as s:
        case = s.exec(select(Case).where(Case.worker_id.is_not(None)).limit(1)).one()  # type: ignore[union-attr]
        person = s.exec(select(Person).where(Person.id == case.worker_id)).one()
        person.slack_user_id = SLACK_USER
        person.teams_user_id = AAD_USER
        row = Allocation(
            month=f"{now:%Y-%m}",
            person_id=int(person.id or 0),
            case_id=case.id,
            activity="audit",
            due_on=(now + timedelta(days=20)).date(),
            reason="bench",
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        person_id, allocation_id = int(person.id or 0), int(row.id or 0)
    engine.dispose()
    return Seeded(url, person_id, allocation_id, time.perf_counter() - start)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    url: str  # http://127.0.0.1:PORT
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


def _wait_healthy(server: Server, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not answer /healthz within {timeout:.0f} s")


@contextmanager
def _run(name: str, argv: list[str], env: dict[str, str], port: int) -> Iterator[Server]:
    """Start `argv`, wait for /healthz, and always stop it (terminate, then kill)."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            argv, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
        )
        server = Server(name, f"http://127.0.0.1:{port}", process)
        try:
            _wait_healthy(server)
            yield server
        except RuntimeError:
            log.seek(0)  # show why it did not start (the tail of its output)
            sys.stderr.write(log.read()[-4000:].decode(errors="replace"))
            raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def serve_ours(seeded: Seeded, slack_api_url: str) -> Iterator[Server]:
    """`qa-bot serve` on an ephemeral port against the seeded file."""
    port = free_port()
    env = {
        "QA_BOT_DATABASE_URL": seeded.url,
        "QA_BOT_HOST": "127.0.0.1",
        "QA_BOT_PORT": str(port),
        "QA_BOT_FRAMEWORK": "camden",
        "QA_BOT_TEAMS_PLAYGROUND": "1",
        "QA_BOT_ROUTING_SECRET": ROUTING_SECRET,
        "QA_BOT_LOG_LEVEL": "WARNING",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_api_url,
        "PYTHON_DOTENV_DISABLED": "1",
    }
    qa_bot = str(Path(sys.executable).parent / "qa-bot")
    with _run("qa-bot serve", [qa_bot, "serve"], env, port) as server:
        yield server


@contextmanager
def serve_bare_bolt(slack_api_url: str) -> Iterator[Server]:
    port = free_port()
    argv = [sys.executable, "-m", "bench.bare_apps", "bolt", str(port), slack_api_url]
    with _run("bare Bolt app", argv, {}, port) as server:
        yield server


@contextmanager
def serve_bare_teams() -> Iterator[Server]:
    port = free_port()
    argv = [sys.executable, "-m", "bench.bare_apps", "teams", str(port)]
    with _run("bare Teams echo app", argv, {"PYTHON_DOTENV_DISABLED": "1"}, port) as server:
        yield server


@contextmanager
def fake_connector() -> Iterator[str]:
    """The fake Bot Connector (tests/fakes/connector.py) in a process of its own; its URL.

    Its own process keeps its CPU out of the load generator's, and its listen backlog
    is raised from the standard library's 5 so 50 concurrent replies are not refused.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.bare_apps", "connector", "0"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError("the fake connector process did not start")
        yield url
    finally:
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_mb(pid: int) -> float:
    """Resident set size of `pid` in MB (VmRSS from /proc), 0.0 if it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# -- requests as Slack and Teams send them ----------------------------------------------
def slack_headers(body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    mac = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256)
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + mac.hexdigest(),
    }


def command_body(slack_api_url: str, trigger_id: str = "1.2.abc") -> bytes:
    """`/qa help` (`trigger_id` tells one command from a resent copy of it)."""
    from urllib.parse import urlencode

    return urlencode(
        {
            "token": "legacy",
            "team_id": "T0TEAM",
            "channel_id": "C0GENERAL",
            "user_id": SLACK_USER,
            "command": "/qa",
            "text": "help",
            "response_url": f"{slack_api_url}response",
            "trigger_id": trigger_id,
        }
    ).encode()


def _payload_body(payload: dict[str, Any]) -> bytes:
    import json
    from urllib.parse import urlencode

    return urlencode({"payload": json.dumps(payload)}).encode()


def click_body(action_ts: str = "1700000000.000001") -> bytes:
    """The *My work* button on the Home tab (`action_ts` tells one click from another)."""
    return _payload_body(
        {
            "type": "block_actions",
            "user": {"id": SLACK_USER},
            "team": {"id": "T0TEAM"},
            "api_app_id": "A0APP",
            "trigger_id": "1.2.abc",
            "container": {"type": "view", "view_id": "V0VIEW"},
            "view": {"id": "V0VIEW", "type": "home", "callback_id": ""},
            "actions": [
                {
                    "action_id": "my",
                    "block_id": "b1",
                    "type": "button",
                    "value": "",
                    "action_ts": action_ts,
                }
            ],
        }
    )


def submission_body(routing_key: str, trigger_id: str = "1.2.def") -> bytes:
    """The decline form sent with no reason chosen: answered with inline errors."""
    return _payload_body(
        {
            "type": "view_submission",
            "team": {"id": "T0TEAM"},
            "user": {"id": SLACK_USER},
            "api_app_id": "A0APP",
            "trigger_id": trigger_id,
            "view": {
                "id": "V0VIEW",
                "type": "modal",
                "callback_id": "allocation.decline",
                "private_metadata": routing_key,
                "state": {"values": {"details": {"details": {"type": "plain_text_input"}}}},
                "title": {"type": "plain_text", "text": "Can't do this one"},
                "blocks": [],
            },
        }
    )
