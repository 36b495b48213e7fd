"""`POST /slack/events`: verify, parse, then let Bolt dispatch in a worker thread.

Order matters: the signature is checked on the raw bytes before anything is parsed,
so a forged or stale request (401) never reaches a listener or the database. Then a
body that is not what Slack sends (bad JSON, missing fields) gets a 400 naming the
problem, never a 500 and never a log line with its content. Bolt's `dispatch` is
synchronous and waits for `ack()`; it runs in the thread pool so the event loop
(and /healthz, and Teams) never waits on it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_bolt.context import BoltContext
from slack_bolt.request.internals import build_context
from starlette.concurrency import run_in_threadpool

from bot.body_limits import MAX_BODY_BYTES, MAX_DEPTH, too_deep, without_lone_surrogates

log = logging.getLogger(__name__)

MAX_CLOCK_SKEW_SECONDS = 300  # what Slack documents and Bolt enforces


def signature_ok(secret: bytes, body: bytes, headers: Any, *, now: float) -> bool:
    """Slack's v0 signature over the raw bytes, within five minutes of `now`.

    Computed on bytes (not decoded text) so a body that is not UTF-8 is still judged
    by its signature first, and only then refused as unparseable.
    """
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    if not timestamp.isdigit() or not signature.startswith("v0="):
        return False
    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return False
    digest = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest("v0=" + digest.hexdigest(), signature)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_id(value: Any) -> bool:
    """A Slack id: a non-empty string (an empty one makes every reply fail after the ack)."""
    return isinstance(value, str) and bool(value)


# Keys Bolt reads as objects (None allowed: Slack sends `"enterprise": null`), and as
# lists of objects, wherever they appear; anything else makes Bolt fail with a 500.
_OBJECT_KEYS = ("user", "team", "channel", "container", "message", "enterprise")
_LIST_KEYS = ("actions", "authorizations")


def _shape_problem(body: dict[str, Any]) -> str | None:
    """Top-level values of the wrong type (found by tests/security/test_fuzz_endpoints.py)."""
    if "type" in body and not _is_str(body["type"]):
        return "'type' must be a string"
    for key in ("event", "view"):
        if key in body and not isinstance(body[key], dict):
            return f"'{key}' must be an object"
    for key in _OBJECT_KEYS:
        if body.get(key) is not None and not isinstance(body[key], dict):
            return f"'{key}' must be an object"
    for key in _LIST_KEYS:
        value = body.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, dict) for v in value)
        ):
            return f"'{key}' must be a list of objects"
    state = body.get("view", {}).get("state")
    if state is not None:
        values = state.get("values") if isinstance(state, dict) else None
        if not isinstance(state, dict) or not (
            values is None
            or (isinstance(values, dict) and all(isinstance(v, dict) for v in values.values()))
        ):
            return "'view.state.values' must be an object of objects"
    return None


def payload_problem(body: Any) -> str | None:
    """What is wrong with a parsed Slack payload, or None if it has the expected shape."""
    if not isinstance(body, dict) or not body:
        return "the body is empty or not an object"
    if "command" in body:
        if not (_is_str(body.get("command")) and _is_id(body.get("user_id"))):
            return "a slash command needs 'command' and 'user_id'"
        return None
    shape = _shape_problem(body)
    if shape is not None:
        return shape
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not _is_str(event.get("type")):
            return "an event callback needs an 'event' object with a 'type'"
        if not _is_str(body.get("event_id")):
            return "an event callback needs an 'event_id'"
    elif kind == "url_verification":
        if not _is_str(body.get("challenge")):
            return "url_verification needs a 'challenge'"
    elif kind in {"block_actions", "view_submission", "view_closed"}:
        user = body.get("user")
        if not isinstance(user, dict) or not _is_id(user.get("id")):
            return f"{kind} needs a 'user' with an 'id'"
        if kind == "block_actions":
            actions = body.get("actions")
            if not isinstance(actions, list) or not all(
                isinstance(a, dict) and _is_str(a.get("action_id")) for a in actions
            ):
                return "block_actions needs a list of 'actions' with 'action_id'"
        else:
            view = body.get("view")
            if not isinstance(view, dict) or not _is_str(view.get("type")):
                return f"{kind} needs a 'view' with a 'type'"
            if not _is_str(view.get("callback_id")):
                return f"{kind} needs a 'view.callback_id'"
            if kind == "view_submission" and not isinstance(view.get("state"), dict):
                return "view_submission needs 'view.state'"
    return None


def nests_too_deeply(body: bytes) -> bool:
    """JSON (the body, or the `payload=` field of a form) nested deeper than real payloads.

    Judged on the text before Bolt parses it: its JSON parser recurses, and a deep
    enough body would end in a RecursionError (a 500) instead of a 400. Both readings
    are checked whatever the content type says, as Bolt itself tries both.
    """
    if too_deep(body):
        return True
    if b"payload" not in body:
        return False
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=1000)
    except (UnicodeDecodeError, ValueError):
        return False  # refused as unparseable next
    return any(too_deep(value) for value in fields.get("payload", []))


# The start of a JSON escape in U+D000..U+DFFF (lone surrogates lie there), literal or
# percent-encoded in a form body, in any case: a body without one cannot carry a lone
# surrogate (decoded UTF-8 never does), so its payload need not be walked.
_SURROGATE_ESCAPE = re.compile(rb"(?:\\|%5c)(?:u|%75)(?:d|%64|%44)", re.IGNORECASE)


def _replace_lone_surrogates(request: BoltRequest, raw: bytes) -> None:
    """Replace lone surrogates (valid as JSON escapes, not encodable) in the parsed payload.

    Left in, a reply quoting the text fails to encode after the work is done and is
    lost. The raw body (which Bolt verifies the signature over) stays as it came.
    """
    if not _SURROGATE_ESCAPE.search(raw):
        return
    cleaned = without_lone_surrogates(request.body)
    if cleaned != request.body:
        request.body = cleaned
        request.context = build_context(BoltContext({}), cleaned)


def _bad_request(problem: str) -> JSONResponse:
    log.warning("slack: rejected a request: %s", problem)
    return JSONResponse({"ok": False, "error": problem}, status_code=400)


def add_events_route(api: FastAPI, bolt: App, signing_secret: str) -> None:
    secret = signing_secret.encode()

    @api.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _bad_request("the body is too large")
        if not signature_ok(secret, body, request.headers, now=time.time()):
            log.warning("slack: rejected a request with a missing, stale or wrong signature")
            return JSONResponse({"ok": False, "error": "invalid signature"}, status_code=401)
        if nests_too_deeply(body):
            return _bad_request(f"the body nests deeper than {MAX_DEPTH} levels")
        try:
            text = body.decode("utf-8")
            headers: dict[str, str | Sequence[str]] = {
                k: request.headers.getlist(k) for k in request.headers
            }
            bolt_request = BoltRequest(body=text, query=dict(request.query_params), headers=headers)
        except (
            UnicodeDecodeError,
            ValueError,
            TypeError,
            AttributeError,
            LookupError,
            RecursionError,
        ) as exc:
            return _bad_request(f"the body could not be parsed ({type(exc).__name__})")
        problem = payload_problem(bolt_request.body)
        if problem is not None:
            return _bad_request(problem)
        _replace_lone_surrogates(bolt_request, body)
        try:
            bolt_response = await run_in_threadpool(bolt.dispatch, bolt_request)
        except Exception as exc:  # noqa: BLE001 - a payload Bolt cannot handle is a 400
            return _bad_request(f"the payload could not be handled ({type(exc).__name__})")
        return to_starlette_response(bolt_response)
