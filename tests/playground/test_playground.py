"""End to end with Microsoft's own Teams emulator, the Microsoft 365 Agents Playground.

The bot runs as `qa-bot serve` would (the `build_app` ASGI app under uvicorn, in
playground mode, on an ephemeral loopback port). The Playground (npm
`@microsoft/m365agentsplayground`, started with npx) plays Teams: it posts the
user's activities to the bot and acts as the Bot Connector the bot answers through.
The test drives it over its HTTP API (`GET /_internal/v1/config`,
`POST /_conversation/v1/conversations/{id}/messages`) and reads the bot's replies on
its WebSocket stream, exactly as its browser UI does.

Skipped, with the reason, when Node/npx or the package cannot be had.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import build_app
from bot.deps import Deps
from bot.settings import Settings
from qa.framework import load_framework
from storage.models import Person
from tests.playground.ws_client import WebSocket, WebSocketClosed

pytestmark = pytest.mark.playground

FRAMEWORK = Path(__file__).parents[1] / "data" / "framework-small.yml"
PACKAGE = "@microsoft/m365agentsplayground"
START_TIMEOUT = 240.0  # the first run downloads the package (about 15 MB)
REPLY_TIMEOUT = 30.0


class BotServer:
    """The bot's ASGI app under uvicorn in a thread, on a port the OS picked."""

    def __init__(self, app: Any) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> BotServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the bot's server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()


class Playground:
    """The Playground CLI as a child process in its own process group."""

    def __init__(self, bot_endpoint: str) -> None:
        self.bot_endpoint = bot_endpoint
        self.port = 0
        self.output: list[str] = []
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Playground:
        npx = shutil.which("npx")
        assert npx is not None
        with socket.socket() as probe:  # a free port; the CLI falls back to another if taken
            probe.bind(("127.0.0.1", 0))
            wanted = probe.getsockname()[1]
        env = {
            **os.environ,
            "BOT_ENDPOINT": self.bot_endpoint,
            "TEAMSAPPTESTER_BROWSER": "none",
            "NO_UPDATE_NOTIFIER": "1",
            "npm_config_update_notifier": "false",
            "npm_config_fund": "false",
            "npm_config_audit": "false",
        }
        command = [npx, "-y", "-p", PACKAGE, "agentsplayground"]
        command += ["-e", self.bot_endpoint, "-p", str(wanted), "--disable-telemetry"]
        self._process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._pump, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            found = re.search(r"Listening on (\d+)", "".join(self.output))
            if found:
                self.port = int(found.group(1))
                return self
            if self._process.poll() is not None:
                break
            time.sleep(0.1)
        tail = "".join(self.output)[-800:]
        self.__exit__()
        pytest.skip(f"the Agents Playground did not start (npx {PACKAGE}): {tail.strip()}")

    def _pump(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            self.output.append(line)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)  # the group npx started, and only it
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def replies(ws: WebSocket, until: float) -> Iterator[dict[str, Any]]:
    """Every JSON message on the Playground's stream until the deadline."""
    while time.monotonic() < until:
        try:
            raw = ws.recv(timeout=max(until - time.monotonic(), 0.1))
        except WebSocketClosed:
            return
        if raw is None:
            continue
        try:
            yield json.loads(raw)
        except json.JSONDecodeError:
            continue


@pytest.fixture
def bot(db_url: str, engine: Engine, now: datetime) -> Iterator[BotServer]:
    values: dict[str, Any] = {
        "QA_BOT_DATABASE_URL": db_url,
        "QA_BOT_FRAMEWORK": str(FRAMEWORK),
        "QA_BOT_HOST": "127.0.0.1",
        "QA_BOT_TEAMS_PLAYGROUND": True,
        "SLACK_BOT_TOKEN": None,
        "SLACK_APP_TOKEN": None,
        "TEAMS_CLIENT_ID": None,
    }
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    deps = Deps(settings, load_framework(str(FRAMEWORK)), engine, clock=lambda: now)
    with BotServer(build_app(deps, background=False)) as server:
        yield server


@pytest.mark.timeout(START_TIMEOUT + 120)
def test_help_typed_in_the_playground_gets_the_help_card(
    bot: BotServer, engine: Engine, now: datetime
) -> None:
    if shutil.which("npx") is None or shutil.which("node") is None:
        pytest.skip("Node.js (node and npx) is not installed")
    with Playground(f"http://127.0.0.1:{bot.port}/api/messages") as playground:
        config = httpx.get(f"{playground.url}/_internal/v1/config", timeout=10).json()["config"]
        user = config["currentUser"]
        chat_id = config["personalChat"]["id"]
        with Session(engine) as session:  # the Playground's user is one of our people
            session.add(
                Person(
                    email=user["email"],
                    name=user["name"],
                    roles=["practitioner"],
                    teams_user_id=user["aadObjectId"],
                    created_at=now,
                    updated_at=now,
                )
            )
            session.commit()

        ws = WebSocket("127.0.0.1", playground.port, "/_ws_conversation/v1/conversations/stream")
        try:
            sent = httpx.post(
                f"{playground.url}/_conversation/v1/conversations/{chat_id}/messages",
                json={"from": {"id": user["id"]}, "text": "help", "textFormat": "plain"},
                timeout=30,
            )
            assert sent.status_code == 200, sent.text
            seen = []
            for event in replies(ws, time.monotonic() + REPLY_TIMEOUT):
                seen.append(event)
                if "what I can do" in json.dumps(event) and "AdaptiveCard" in json.dumps(event):
                    break
            else:
                pytest.fail(f"no help card on the Playground's stream; saw {seen!r}"[:2000])
        finally:
            ws.close()

    with Session(engine) as session:
        person = session.exec(select(Person)).one()
        assert person.teams_conversation is not None
        assert person.teams_conversation["conversation"]["id"] == chat_id
