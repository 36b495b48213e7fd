"""An in-project fake of the Slack Web API, served on 127.0.0.1 for tests and benches.

Point the SDK at it with `WebClient(base_url=fake.url)` (the URL ends in `/api/`),
or set `SLACK_API_URL=fake.url`. It records every call, knows a few users, and
can be told to answer with errors (`fail_next`). Modelled on bolt-python's
`tests/mock_web_api_server/`.

For the outbox sender it can also behave like Slack under load:

- `limits=RateLimits()` enforces Slack's posting limit (about one message a second
  per channel, with a small burst) and per-method workspace limits for tier-like
  methods (`users.lookupByEmail` ...), answering 429 with `Retry-After`;
- `fault_rates={"429": 0.05, "500": 0.01}` answers a share of calls with errors,
  from a seeded random generator so a run can be repeated;
- every *accepted* `chat.postMessage` is kept in `posted`, so a test can count
  duplicates (`duplicates()`);
- `violations` counts calls that arrived at a channel (for posting methods) or a
  method (for the others) before a Retry-After the fake had answered had expired:
  a sender that honours Retry-After keeps it at zero.

Like Slack, it keeps each post's message `metadata` and answers
`conversations.history` (newest first, `oldest`, `limit`, `cursor`; metadata only
with `include_all_metadata`) for a channel, or for the DM channel `conversations.open`
names (`D` + the user id) of posts addressed to a user id. `ts` values are the time
of posting, as Slack's are. `copies()` counts accepted posts per idempotency key.

Rate limiting is off by default so conversation tests can post freely.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

# Methods Slack limits per channel (the "special tier"); every other method is limited
# per method per workspace.
POSTING_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
# Tier-like methods the sender uses, limited by default to 100 a minute each.
TIER_METHODS = ("users.lookupByEmail", "users.info", "conversations.open", "conversations.history")


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
class Posted:
    """A message the fake accepted: what a person would see in Slack."""

    method: str  # chat.postMessage or chat.update
    channel: str
    text: str
    ts: str
    at: float
    metadata: dict[str, Any] | None = None

    def in_conversation(self, channel: str) -> bool:
        """Posted to `channel`, or to the user whose DM channel it is."""
        return channel in {self.channel, f"D{self.channel}"}

    @property
    def key(self) -> str | None:
        """The idempotency key the bot put in the metadata, if any."""
        payload = (self.metadata or {}).get("event_payload") or {}
        key = payload.get("key") if isinstance(payload, dict) else None
        return str(key) if key is not None else None


@dataclass
class RateLimits:
    """Slack-like limits. `per_channel` messages a second per channel, `burst` at once;
    `methods` maps a method to (calls, per seconds) for the whole workspace."""

    per_channel: float = 1.0
    burst: int = 3
    methods: dict[str, tuple[int, float]] = field(
        default_factory=lambda: {m: (100, 60.0) for m in TIER_METHODS}
    )


@dataclass
class _Bucket:
    capacity: float
    rate: float  # tokens a second
    tokens: float
    stamp: float

    def take(self, now: float) -> float:
        """Take a token; 0.0 when granted, else seconds until one is available."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass
class FakeSlackState:
    calls: list[Call] = field(default_factory=list)
    users: dict[str, SlackUser] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ts_counter: int = 0
    last_ts: float = 0.0
    # Hook for richer behaviour: returns (status, body, headers) or None.
    interceptor: (
        Callable[[str, dict[str, Any]], tuple[int, dict[str, Any], dict[str, str]] | None] | None
    ) = None
    posted: list[Posted] = field(default_factory=list)
    # (scope, key) -> the monotonic time the last Retry-After answered for it expires
    holds: dict[tuple[str, str], float] = field(default_factory=dict)
    buckets: dict[tuple[str, str], _Bucket] = field(default_factory=dict)
    violations: int = 0
    violation_log: list[tuple[str, str, float]] = field(default_factory=list)
    rate_limited: int = 0  # 429s answered because a limit was reached
    injected: Counter[str] = field(default_factory=Counter)  # random faults answered
    uploads: list[bytes] = field(default_factory=list)  # file bytes POSTed to upload URLs


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # listen() backlog: the default 5 stalls concurrent senders

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client killed mid-request (the kill -9 test) is expected: stay quiet."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _ok(**extra: Any) -> dict[str, Any]:
    return {"ok": True, **extra}


def _scope(method: str, params: dict[str, Any]) -> tuple[str, str]:
    """What a 429 applies to: the channel for posting methods, else the whole method."""
    if method in POSTING_METHODS:
        return ("channel", str(params.get("channel", "")))
    return ("method", method)


class FakeSlack:
    """Start with `with FakeSlack() as slack:`; `slack.url` is the Web API base URL."""

    def __init__(
        self,
        *,
        limits: RateLimits | None = None,
        fault_rates: dict[str, float] | None = None,
        seed: int = 1,
        fault_retry_after: int = 1,
        post_delay: float = 0.0,
    ) -> None:
        self.state = FakeSlackState()
        # Seconds between accepting a post and answering: a slow network, so that a
        # process killed meanwhile leaves posts Slack has but the bot never heard of.
        self.post_delay = post_delay
        self.limits = limits
        self.fault_rates = dict(fault_rates or {})
        self.fault_retry_after = fault_retry_after
        self._rng = random.Random(seed)
        self.add_user("U0BOT", "bot@example.invalid", "qa-bot")
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- control --------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def add_user(self, user_id: str, email: str, name: str = "") -> None:
        self.state.users[user_id] = SlackUser(user_id, email, name or email.split("@")[0])

    def add_users(self, users: list[tuple[str, str]]) -> None:
        """Many (user id, email) pairs at once (also POST /_fake/users)."""
        for user_id, email in users:
            self.add_user(user_id, email)

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

    def posts(self, method: str = "chat.postMessage") -> list[Posted]:
        """Accepted messages, in the order the fake accepted them."""
        with self.state.lock:
            return [p for p in self.state.posted if p.method == method]

    def copies(self) -> Counter[str]:
        """Accepted postMessages per idempotency key (from their metadata)."""
        return Counter(p.key for p in self.posts() if p.key is not None)

    def duplicates(self) -> int:
        """Accepted postMessages beyond the first with the same channel and text."""
        counts = Counter((p.channel, p.text) for p in self.posts())
        return sum(n - 1 for n in counts.values() if n > 1)

    @property
    def violations(self) -> int:
        with self.state.lock:
            return self.state.violations

    def stats(self) -> dict[str, Any]:
        """The figures a bench reports (also served at GET /_fake/stats)."""
        with self.state.lock:
            posted = [p for p in self.state.posted if p.method == "chat.postMessage"]
            counts = Counter((p.channel, p.text) for p in posted)
            return {
                "calls": len(self.state.calls),
                "posted": len(posted),
                "delivered": len(counts),  # distinct (channel, text)
                "duplicates": sum(n - 1 for n in counts.values() if n > 1),
                "keys": len({p.key for p in posted if p.key is not None}),
                "violations": self.state.violations,
                "rate_limited": self.state.rate_limited,
                "injected": dict(self.state.injected),
            }

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- behaviour ------------------------------------------------------------------
    def _too_many(
        self, scope: tuple[str, str], now: float, wait: float
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer 429 and remember when its Retry-After expires (caller holds the lock)."""
        retry_after = max(1, math.ceil(wait))
        self.state.holds[scope] = now + retry_after
        return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}

    def _police(
        self, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """Early sends, random faults and rate limits, before the method's own answer."""
        if method == "auth.test":
            return None
        st, now = self.state, time.monotonic()
        scope = _scope(method, params)
        with st.lock:
            expires = st.holds.get(scope)
            if expires is not None and now < expires:
                st.violations += 1
                st.violation_log.append((scope[0], scope[1], expires - now))
                if self.limits is not None:
                    return (
                        429,
                        {"ok": False, "error": "ratelimited"},
                        {"Retry-After": str(max(1, math.ceil(expires - now)))},
                    )
            roll = self._rng.random() if self.fault_rates else 1.0
            share_429 = self.fault_rates.get("429", 0.0)
            if roll < share_429:
                st.injected["429"] += 1
                return self._too_many(scope, now, self.fault_retry_after)
            if roll < share_429 + self.fault_rates.get("500", 0.0):
                st.injected["500"] += 1
                return 500, {"ok": False, "error": "internal_error"}, {}
            if self.limits is None:
                return None
            if scope[0] == "channel":
                capacity, rate = float(self.limits.burst), self.limits.per_channel
            elif method in self.limits.methods:
                count, period = self.limits.methods[method]
                capacity, rate = float(count), count / period
            else:
                return None
            bucket = st.buckets.get(scope)
            if bucket is None:
                bucket = st.buckets[scope] = _Bucket(capacity, rate, capacity, now)
            wait = bucket.take(now)
            if wait > 0:
                st.rate_limited += 1
                return self._too_many(scope, now, wait)
        return None

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
            if fault.status == 429 and fault.retry_after:
                with st.lock:
                    st.holds[_scope(method, params)] = time.monotonic() + int(fault.retry_after)
            error = "ratelimited" if fault.status == 429 else "internal_error"
            return fault.status, {"ok": False, "error": error}, headers
        policed = self._police(method, params)
        if policed is not None:
            return policed
        if method == "auth.test":
            return (
                200,
                _ok(
                    user_id="U0BOT",
                    bot_id="B0BOT",
                    team_id="T0TEAM",
                    team="Test Council",
                    url="https://test-council.slack.com/",
                ),
                {},
            )
        if method == "bots.info":
            return 200, _ok(bot={"id": "B0BOT", "app_id": "A0APP", "name": "qa-bot"}), {}
        if method == "conversations.history":
            return 200, self._history(params), {}
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
        if method in POSTING_METHODS:
            channel = str(params.get("channel", ""))
            if not channel:
                return 200, {"ok": False, "error": "channel_not_found"}, {}
            metadata = params.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            with st.lock:
                st.ts_counter += 1
                st.last_ts = max(time.time(), st.last_ts + 0.000001)
                ts = str(params.get("ts") or f"{st.last_ts:.6f}")
                if method != "chat.postEphemeral":
                    text = str(params.get("text", ""))
                    st.posted.append(
                        Posted(method, channel, text, ts, time.monotonic(), metadata or None)
                    )
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

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        """`conversations.history`: the channel's posts, newest first, a page at a time."""
        channel = str(params.get("channel", ""))
        oldest = float(params.get("oldest") or 0)
        limit = max(1, min(999, int(params.get("limit") or 100)))
        start = int(params.get("cursor") or 0)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in {"1", "true"}
        with self.state.lock:
            found = [
                p
                for p in self.state.posted
                if p.method == "chat.postMessage"
                and p.in_conversation(channel)
                and float(p.ts) > oldest
            ]
        found.sort(key=lambda p: float(p.ts), reverse=True)
        page = found[start : start + limit]
        messages = []
        for p in page:
            item: dict[str, Any] = {
                "type": "message",
                "ts": p.ts,
                "text": p.text,
                "bot_id": "B0BOT",
            }
            if with_metadata and p.metadata:
                item["metadata"] = p.metadata
            messages.append(item)
        more = start + limit < len(found)
        return _ok(
            messages=messages,
            has_more=more,
            response_metadata={"next_cursor": str(start + limit) if more else ""},
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlparse(self.path)
                path = url.path
                if path == "/_fake/stats":
                    self._reply(200, fake.stats(), {})
                    return
                if path == "/_fake/users":
                    users = json.loads(raw or b"[]")
                    fake.add_users([(u["id"], u["email"]) for u in users])
                    self._reply(200, {"ok": True}, {})
                    return
                if path.startswith("/upload/"):
                    self._reply(200, {"ok": True}, {})
                    with fake.state.lock:
                        fake.state.calls.append(
                            Call("upload", {"bytes": len(raw)}, time.monotonic())
                        )
                        fake.state.uploads.append(raw)
                    return
                method = path.rsplit("/", 1)[-1]
                params = _parse_body(raw, self.headers.get("Content-Type", ""))
                if url.query:  # some SDK calls send their arguments in the query string
                    params = {**_parse_body(url.query.encode(), ""), **params}
                with fake.state.lock:
                    fake.state.calls.append(Call(method, params, time.monotonic()))
                status, body, headers = fake.answer(method, params)
                if fake.post_delay and method == "chat.postMessage" and status == 200:
                    time.sleep(fake.post_delay)
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


class FakeSlackProcess:
    """The same fake in a process of its own, for benches: its CPU is not the sender's.

    `with FakeSlackProcess(limits=RateLimits()) as slack:` offers `url`, `add_users`
    and `stats`, like FakeSlack, over the fake's `/_fake/` control endpoints.
    """

    def __init__(
        self,
        *,
        limits: RateLimits | None = None,
        fault_rates: dict[str, float] | None = None,
        seed: int = 1,
        fault_retry_after: int = 1,
    ) -> None:
        self.config = {
            "limits": None if limits is None else asdict(limits),
            "fault_rates": fault_rates or {},
            "seed": seed,
            "fault_retry_after": fault_retry_after,
        }
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> FakeSlackProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.slack_api", json.dumps(self.config)],
            cwd=Path(__file__).resolve().parents[2],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.__exit__()
            raise RuntimeError("the fake Slack process did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            if self._process.stdin:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def _control(self, path: str, body: Any = None) -> Any:
        base = self.url.removesuffix("/api/")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{base}/_fake/{path}", data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def add_users(self, users: list[tuple[str, str]]) -> None:
        self._control("users", [{"id": u, "email": e} for u, e in users])

    def stats(self) -> dict[str, Any]:
        return dict(self._control("stats"))


def main(argv: list[str]) -> None:
    """Serve a fake configured by the JSON in argv[1]; print its URL; stop when stdin closes."""
    config = json.loads(argv[1]) if len(argv) > 1 else {}
    limits = None
    if config.get("limits") is not None:
        raw = dict(config["limits"])
        raw["methods"] = {m: (int(c), float(p)) for m, (c, p) in raw.get("methods", {}).items()}
        limits = RateLimits(**raw)
    fake = FakeSlack(
        limits=limits,
        fault_rates=config.get("fault_rates") or None,
        seed=int(config.get("seed", 1)),
        fault_retry_after=int(config.get("fault_retry_after", 1)),
    )
    with fake:
        print(fake.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main(sys.argv)


_triggers = itertools.count(1)


def new_trigger_id() -> str:
    """A fresh `trigger_id`, as Slack gives every command, click and submission its own
    (the bot treats a repeated one as a resent copy of the same request)."""
    return f"{next(_triggers)}.{time.monotonic_ns()}.trigger"
