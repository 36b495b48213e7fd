"""An in-project fake of the Slack Web API, served on 127.0.0.1 for tests and benches.

Point the SDK at it with `WebClient(base_url=fake.url)` (the URL ends in `/api/`),
or set `SLACK_API_URL=fake.url`. It records every call, knows a few users, and
can be told to answer with errors (`fail_next`). Modelled on bolt-python's
`tests/mock_web_api_server/`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float


@dataclass
class Fault:
    status: int = 429
    retry_after: float | None = 1.0
    error: str | None = None  # a Slack error code answered with HTTP 200 and ok=false


@dataclass
class SlackUser:
    id: str
    email: str
    name: str = ""


@dataclass
class FakeSlackState:
    calls: list[Call] = field(default_factory=list)
    users: dict[str, SlackUser] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ts_counter: int = 0
    # Hook for richer behaviour (rate limits): returns (status, body, headers) or None.
    interceptor: (
        Callable[[str, dict[str, Any]], tuple[int, dict[str, Any], dict[str, str]] | None] | None
    ) = None


def _ok(**extra: Any) -> dict[str, Any]:
    return {"ok": True, **extra}


class FakeSlack:
    """Start with `with FakeSlack() as slack:`; `slack.url` is the Web API base URL."""

    def __init__(self) -> None:
        self.state = FakeSlackState()
        self.add_user("U0BOT", "bot@example.invalid", "qa-bot")
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- control --------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def add_user(self, user_id: str, email: str, name: str = "") -> None:
        self.state.users[user_id] = SlackUser(user_id, email, name or email.split("@")[0])

    def fail_next(self, method: str, fault: Fault, times: int = 1) -> None:
        with self.state.lock:
            self.state.faults.setdefault(method, []).extend([fault] * times)

    def calls_to(self, method: str) -> list[Call]:
        with self.state.lock:
            return [c for c in self.state.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until `count` calls to `method` have arrived (no fixed sleeps in tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.calls_to(method)
            if len(calls) >= count:
                return calls
            time.sleep(0.01)
        raise AssertionError(
            f"expected {count} call(s) to {method}, got {len(self.calls_to(method))}"
        )

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- behaviour ------------------------------------------------------------------
    def answer(
        self, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        st = self.state
        if st.interceptor is not None:
            intercepted = st.interceptor(method, params)
            if intercepted is not None:
                return intercepted
        with st.lock:
            faults = st.faults.get(method)
            fault = faults.pop(0) if faults else None
        if fault is not None:
            if fault.error:
                return 200, {"ok": False, "error": fault.error}, {}
            headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after else {}
            error = "ratelimited" if fault.status == 429 else "internal_error"
            return fault.status, {"ok": False, "error": error}, headers
        if method == "auth.test":
            return (
                200,
                _ok(user_id="U0BOT", bot_id="B0BOT", team_id="T0TEAM", team="Test Council"),
                {},
            )
        if method == "users.info":
            user = st.users.get(str(params.get("user", "")))
            if user is None:
                return 200, {"ok": False, "error": "user_not_found"}, {}
            return 200, _ok(user=_user_json(user)), {}
        if method == "users.lookupByEmail":
            email = str(params.get("email", "")).lower()
            found = next((u for u in st.users.values() if u.email.lower() == email), None)
            if found is None:
                return 200, {"ok": False, "error": "users_not_found"}, {}
            return 200, _ok(user=_user_json(found)), {}
        if method == "conversations.open":
            users = str(params.get("users", ""))
            return 200, _ok(channel={"id": "D" + users.replace(",", "")}), {}
        if method in {"chat.postMessage", "chat.update", "chat.postEphemeral"}:
            channel = str(params.get("channel", ""))
            if not channel:
                return 200, {"ok": False, "error": "channel_not_found"}, {}
            with st.lock:
                st.ts_counter += 1
                ts = params.get("ts") or f"1700000000.{st.ts_counter:06d}"
            return 200, _ok(channel=channel, ts=ts, message_ts=ts), {}
        if method in {"views.open", "views.update", "views.push", "views.publish"}:
            view = params.get("view")
            if isinstance(view, str):
                view = json.loads(view)
            return 200, _ok(view={"id": "V0VIEW", **(view or {})}), {}
        if method == "files.getUploadURLExternal":
            return (
                200,
                _ok(upload_url=f"http://127.0.0.1:{self.port}/upload/F0FILE", file_id="F0FILE"),
                {},
            )
        if method == "files.completeUploadExternal":
            return 200, _ok(files=[{"id": "F0FILE", "title": "chart"}]), {}
        return 200, _ok(), {}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = urlparse(self.path).path
                if path.startswith("/upload/"):
                    self._reply(200, {"ok": True}, {})
                    with fake.state.lock:
                        fake.state.calls.append(
                            Call("upload", {"bytes": len(raw)}, time.monotonic())
                        )
                    return
                method = path.rsplit("/", 1)[-1]
                params = _parse_body(raw, self.headers.get("Content-Type", ""))
                with fake.state.lock:
                    fake.state.calls.append(Call(method, params, time.monotonic()))
                status, body, headers = fake.answer(method, params)
                self._reply(status, body, headers)

            do_GET = do_POST

            def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _user_json(user: SlackUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "profile": {"email": user.email, "real_name": user.name},
    }


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    text = raw.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            data = json.loads(text or "{}")
            return data if isinstance(data, dict) else {}
        except json.JSONDecodeError:
            return {}
    return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(text).items()}
