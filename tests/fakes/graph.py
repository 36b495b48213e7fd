"""An in-project fake of Microsoft Graph and the Entra ID token endpoint, on 127.0.0.1.

One server plays both: `login_url` serves `POST /{tenant}/oauth2/v2.0/token`
(client credentials) and `graph_url` (`.../v1.0/`) serves the calls the bot makes to
reach someone who never opened it: `GET /users/{email-or-id}`,
`POST|GET /users/{id}/teamwork/installedApps` and
`GET /users/{id}/teamwork/installedApps/{installation}/chat`. Calls are recorded;
`fail_next` injects errors (e.g. 429 with Retry-After, 403 without consent).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

_TOKEN = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")
_USER = re.compile(r"^/v1\.0/users/(?P<user>[^/]+)$")
_INSTALLED = re.compile(r"^/v1\.0/users/(?P<user>[^/]+)/teamwork/installedApps$")
_CHAT = re.compile(r"^/v1\.0/users/(?P<user>[^/]+)/teamwork/installedApps/(?P<inst>[^/]+)/chat$")


@dataclass
class GraphCall:
    method: str
    operation: str  # "token", "get_user", "install", "list_installed", "get_chat"
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    headers: dict[str, str]
    at: float


@dataclass
class GraphFault:
    status: int = 429
    retry_after: float | None = 1.0
    code: str = "TooManyRequests"


@dataclass
class GraphUser:
    id: str
    email: str


@dataclass
class _State:
    calls: list[GraphCall] = field(default_factory=list)
    users: dict[str, GraphUser] = field(default_factory=dict)
    installed: dict[str, set[str]] = field(default_factory=dict)  # user id -> catalog app ids
    faults: dict[str, list[GraphFault]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens_issued: int = 0


class FakeGraph:
    """`with FakeGraph() as graph:`; point QA_BOT_GRAPH_URL / QA_BOT_LOGIN_URL at it."""

    def __init__(self, *, client_secret: str = "test-secret") -> None:
        self.client_secret = client_secret
        self.state = _State()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- control --------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def login_url(self) -> str:
        return self.base + "/"

    @property
    def graph_url(self) -> str:
        return self.base + "/v1.0/"

    def add_user(self, user_id: str, email: str) -> None:
        self.state.users[user_id] = GraphUser(user_id, email.lower())

    def mark_installed(self, user_id: str, catalog_app_id: str) -> None:
        self.state.installed.setdefault(user_id, set()).add(catalog_app_id)

    @staticmethod
    def chat_id(user_id: str) -> str:
        return f"19:{user_id}_bot@unq.gbl.spaces"

    def fail_next(self, operation: str, fault: GraphFault, times: int = 1) -> None:
        with self.state.lock:
            self.state.faults.setdefault(operation, []).extend([fault] * times)

    def calls_to(self, operation: str | None = None) -> list[GraphCall]:
        with self.state.lock:
            return [c for c in self.state.calls if operation in (None, c.operation)]

    def __enter__(self) -> FakeGraph:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- behaviour ------------------------------------------------------------------
    def _user(self, key: str) -> GraphUser | None:
        key = key.lower()
        return self.state.users.get(key) or next(
            (u for u in self.state.users.values() if u.email == key), None
        )

    def answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: dict[str, Any],
        headers: dict[str, str],
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        operation, match = self._route(method, path)
        with self.state.lock:
            self.state.calls.append(
                GraphCall(method, operation, path, query, body, headers, time.monotonic())
            )
            queue = self.state.faults.get(operation)
            fault = queue.pop(0) if queue else None
        if match is None:
            return 404, _error("NotFound", f"{method} {path}"), {}
        if fault is not None:
            extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after else {}
            return fault.status, _error(fault.code, "fake fault"), extra
        if operation == "token":
            if body.get("client_secret") != self.client_secret:
                return 401, {"error": "invalid_client", "error_description": "bad secret"}, {}
            with self.state.lock:
                self.state.tokens_issued += 1
                n = self.state.tokens_issued
            return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": f"tok-{n}"}, {}
        if not headers.get("authorization", "").startswith("Bearer tok-"):
            return 401, _error("InvalidAuthenticationToken", "no token"), {}
        user = self._user(unquote(match["user"]))
        if user is None:
            return 404, _error("Request_ResourceNotFound", "no such user"), {}
        if operation == "get_user":
            return 200, {"id": user.id, "mail": user.email}, {}
        if operation == "install":
            app_id = str(body.get("teamsApp@odata.bind", "")).rsplit("/", 1)[-1]
            with self.state.lock:
                apps = self.state.installed.setdefault(user.id, set())
                if app_id in apps:
                    return 409, _error("Conflict", "already installed"), {}
                apps.add(app_id)
            return 201, {}, {}
        if operation == "list_installed":
            wanted = re.search(r"teamsApp/id eq '([^']+)'", query.get("$filter", ""))
            apps = sorted(self.state.installed.get(user.id, set()))
            value = [
                {"id": f"inst-{user.id}-{a}", "teamsApp": {"id": a}}
                for a in apps
                if wanted is None or wanted.group(1) == a
            ]
            return 200, {"value": value}, {}
        if operation == "get_chat":
            return 200, {"id": self.chat_id(user.id), "chatType": "oneOnOne"}, {}
        return 404, _error("NotFound", path), {}

    @staticmethod
    def _route(method: str, path: str) -> tuple[str, re.Match[str] | None]:
        if method == "POST" and (m := _TOKEN.match(path)):
            return "token", m
        if method == "GET" and (m := _CHAT.match(path)):
            return "get_chat", m
        if m := _INSTALLED.match(path):
            return ("install" if method == "POST" else "list_installed"), m
        if method == "GET" and (m := _USER.match(path)):
            return "get_user", m
        return "unknown", None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                content_type = self.headers.get("Content-Type", "")
                if "application/x-www-form-urlencoded" in content_type:
                    body: dict[str, Any] = {k: v[0] for k, v in parse_qs(raw).items()}
                else:
                    body = json.loads(raw) if raw else {}
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer, extra = fake.answer(self.command, url.path, query, body, headers)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _handle
            do_POST = _handle

            def log_message(self, *args: Any) -> None:
                return None

        return Handler


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
