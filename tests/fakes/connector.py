"""An in-project fake of the Bot Connector service, served on 127.0.0.1 for tests and benches.

Use its `url` as an activity's `serviceUrl` (the bot replies there) or as the service
URL of a stored conversation reference (proactive sends go there). It answers
`POST /v3/conversations` (open a chat), `POST /v3/conversations/{id}/activities`
(send), `POST .../activities/{activityId}` (reply), `PUT .../activities/{activityId}`
(update) and `GET .../members/{memberId}` (the roster, with emails). It records every
call and can be told to fail the next calls with 429 and a Retry-After, a 5xx, or
403 `MessageWritesBlocked` (a user who blocked the bot).

The functions at the end build activities as Teams sends them, for `POST /api/messages`.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlparse

_ACTIVITY_PATH = re.compile(r"/v3/conversations/(?P<conv>[^/]+)/activities(?:/(?P<act>[^/]+))?$")
_CREATE_PATH = re.compile(r"/v3/conversations/?$")
_MEMBER_PATH = re.compile(r"/v3/conversations/(?P<conv>[^/]+)/members/(?P<member>[^/]+)$")


@dataclass
class ConnectorCall:
    method: str  # HTTP method
    operation: str  # "create_conversation", "send", "reply", "update"
    conversation_id: str | None
    activity_id: str | None
    body: dict[str, Any]
    headers: dict[str, str]
    at: float

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards attached to this activity."""
        return [
            a.get("content") or {}
            for a in self.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    @property
    def all_text(self) -> str:
        """The message text and every string in its cards, for "does it say X" checks."""
        parts = [str(self.body.get("text") or ""), str(self.body.get("summary") or "")]

        def walk(node: Any) -> None:
            if isinstance(node, str):
                parts.append(node)
            elif isinstance(node, dict):
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.cards)
        return "\n".join(p for p in parts if p)


@dataclass
class ConnectorFault:
    status: int = 429
    retry_after: float | None = 1.0
    code: str | None = None  # e.g. "MessageWritesBlocked", "ConversationNotFound"


def blocked_by_user() -> ConnectorFault:
    return ConnectorFault(status=403, retry_after=None, code="MessageWritesBlocked")


@dataclass
class _State:
    calls: list[ConnectorCall] = field(default_factory=list)
    faults: dict[str, list[ConnectorFault]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    roster: dict[str, dict[str, Any]] = field(default_factory=dict)  # member id -> account
    blocked: dict[str, ConnectorFault] = field(default_factory=dict)  # conversation -> fault


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # listen() backlog: the default 5 stalls concurrent senders

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client killed mid-request (the crash bench) is expected: stay quiet."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeConnector:
    """`with FakeConnector() as connector:`; `connector.url` is the service URL."""

    def __init__(self, *, prefix: str = "/teams", send_delay: float = 0.0) -> None:
        self.prefix = prefix.rstrip("/")
        # Seconds between accepting a send and answering (a slow network; the crash bench).
        self.send_delay = send_delay
        self.state = _State()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- control --------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}/"

    def add_member(self, member_id: str, *, aad_object_id: str, email: str) -> None:
        """Someone the roster (`GET .../members/{id}`) knows, with their work email."""
        self.state.roster[member_id] = {
            "id": member_id,
            "aadObjectId": aad_object_id,
            "email": email,
            "userPrincipalName": email,
            "name": "Roster Name",
        }

    def fail_next(self, operation: str, fault: ConnectorFault, times: int = 1) -> None:
        """Make the next `times` calls of `operation` ("send", "update", ... or "*") fail."""
        with self.state.lock:
            self.state.faults.setdefault(operation, []).extend([fault] * times)

    def fail_conversation(self, conversation_id: str, fault: ConnectorFault) -> None:
        """Fail every send to this conversation (a user who blocked the bot stays blocked)."""
        with self.state.lock:
            self.state.blocked[conversation_id] = fault

    def calls_to(self, operation: str | None = None) -> list[ConnectorCall]:
        with self.state.lock:
            return [c for c in self.state.calls if operation in (None, c.operation)]

    def messages(self) -> list[ConnectorCall]:
        """Activities the bot posted (sends and replies), oldest first."""
        return [c for c in self.calls_to() if c.operation in {"send", "reply"}]

    def wait_for(
        self, operation: str, count: int = 1, timeout: float = 10.0
    ) -> list[ConnectorCall]:
        """Wait until `count` calls of `operation` arrived (no fixed sleeps in tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.calls_to(operation)
            if len(calls) >= count:
                return calls
            time.sleep(0.01)
        raise AssertionError(f"expected {count} {operation} call(s), got {self.calls_to()}")

    def __enter__(self) -> FakeConnector:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- behaviour ------------------------------------------------------------------
    def _take_fault(self, operation: str) -> ConnectorFault | None:
        with self.state.lock:
            for key in (operation, "*"):
                queue = self.state.faults.get(key)
                if queue:
                    return queue.pop(0)
        return None

    def answer(
        self, method: str, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.prefix and path.startswith(self.prefix):
            path = path[len(self.prefix) :]
        conversation_id = activity_id = None
        if method == "GET" and (member := _MEMBER_PATH.match(path)):
            self._record(method, "get_member", unquote(member["conv"]), None, {}, headers)
            account = self.state.roster.get(unquote(member["member"]))
            if account is None:
                return 404, {"error": {"code": "MemberNotFoundInConversation"}}, {}
            return 200, account, {}
        if method == "POST" and _CREATE_PATH.match(path):
            operation = "create_conversation"
        elif match := _ACTIVITY_PATH.match(path):
            conversation_id = unquote(match["conv"])
            activity_id = unquote(match["act"]) if match["act"] else None
            if method == "PUT" and activity_id:
                operation = "update"
            elif method == "POST":
                operation = "reply" if activity_id else "send"
            else:
                return 405, {"error": {"code": "MethodNotAllowed", "message": method}}, {}
        else:
            return 404, {"error": {"code": "NotFound", "message": path}}, {}
        new_id = self._record(method, operation, conversation_id, activity_id, body, headers)
        fault = self._take_fault(operation)
        if fault is None and conversation_id is not None:
            fault = self.state.blocked.get(conversation_id)
        if fault is not None:
            extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after else {}
            code = fault.code or ("TooManyRequests" if fault.status == 429 else "ServiceError")
            return fault.status, {"error": {"code": code, "message": "fake fault"}}, extra
        if operation == "create_conversation":
            members = body.get("members") or [{}]
            return 201, {"id": f"a:chat-with-{members[0].get('id', 'nobody')}"}, {}
        if operation == "update":
            return 200, {"id": activity_id or ""}, {}
        return 201, {"id": f"activity-{new_id}"}, {}

    def _record(
        self,
        method: str,
        operation: str,
        conversation_id: str | None,
        activity_id: str | None,
        body: dict[str, Any],
        headers: dict[str, str],
    ) -> int:
        call = ConnectorCall(
            method, operation, conversation_id, activity_id, body, headers, time.monotonic()
        )
        with self.state.lock:
            self.state.calls.append(call)
            return next(self.state.ids)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except json.JSONDecodeError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer, extra = fake.answer(
                    self.command, urlparse(self.path).path, body, headers
                )
                if fake.send_delay and self.command == "POST" and status == 201:
                    time.sleep(fake.send_delay)
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
            do_PUT = _handle

            def log_message(self, *args: Any) -> None:
                return None

        return Handler


# -- activities as Teams sends them (for posting to POST /api/messages) ---------------
TENANT_ID = "00000000-0000-0000-0000-0000000000aa"
BOT_ID = "00000000-0000-0000-0000-0000000000b0"


def activity(
    activity_type: str,
    *,
    service_url: str,
    aad_object_id: str | None,
    conversation_id: str = "a:personal-chat-1",
    conversation_type: str = "personal",
    activity_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A Bot Framework activity from user `29:...` (Entra id `aad_object_id`) to the bot."""
    sender: dict[str, Any] = {"id": f"29:user-{aad_object_id or 'anon'}", "name": "Test User"}
    if aad_object_id:
        sender["aadObjectId"] = aad_object_id
    body: dict[str, Any] = {
        "type": activity_type,
        "id": activity_id or f"act-{next(_activity_ids)}",
        "timestamp": "2026-12-01T09:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": sender,
        "conversation": {
            "id": conversation_id,
            "conversationType": conversation_type,
            "tenantId": TENANT_ID,
        },
        "recipient": {"id": f"28:{BOT_ID}", "name": "QA bot"},
        "channelData": {"tenant": {"id": TENANT_ID}},
        "locale": "en-GB",
    }
    body.update(fields)
    return body


def message(text: str, **kwargs: Any) -> dict[str, Any]:
    return activity("message", text=text, textFormat="plain", **kwargs)


def install(**kwargs: Any) -> dict[str, Any]:
    return activity("installationUpdate", action="add", **kwargs)


def execute(data: dict[str, Any], verb: str = "", **kwargs: Any) -> dict[str, Any]:
    """An `Action.Execute` press (the `adaptiveCard/action` invoke)."""
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}
    return activity("invoke", name="adaptiveCard/action", value=value, **kwargs)


_activity_ids = itertools.count(1)
