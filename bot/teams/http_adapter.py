"""Serves the Teams SDK's messaging route on our FastAPI app, rejecting bad input with 4xx.

The SDK's own `FastAPIAdapter` hands `await request.json()` straight to its server,
so a body that is not JSON, not an object, or not a valid activity ends in a 500
(and a stack trace in the log). Bot Framework treats a 5xx as "try again", so a
malformed request would be retried for nothing. This adapter checks, cheapest and
most important first: 413 for an oversized body; with authentication on, 401 unless
the bearer token is valid (signature, audience, issuer, expiry: the SDK's own
validator), so nobody unauthenticated gets a byte parsed; 400 for nesting deeper
than real activities ever are (refused on the raw bytes: the JSON parser recurses);
400 for anything that is not an activity, or has no `serviceUrl` to reply to. Only
then does the SDK see the request (and check the token against the `serviceUrl`).
Nothing is processed or stored before that point, and nothing from the body is logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from bot.body_limits import MAX_BODY_BYTES, MAX_DEPTH, too_deep, without_lone_surrogates

log = logging.getLogger(__name__)


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def usable_service_url(value: Any) -> bool:
    """An http(s) URL with a host: where the replies to this activity go."""
    if not isinstance(value, str) or not value.isprintable():
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def activity_problem(body: Any) -> str | None:
    """Why `body` is not an activity the SDK can process, or None when it is."""
    if not isinstance(body, dict):
        return "the body must be a JSON object (a Bot Framework activity)"
    if not isinstance(body.get("type"), str) or not body["type"]:
        return "the activity has no 'type'"
    if not usable_service_url(body.get("serviceUrl")):
        # Without it every reply fails after the work is done: refuse before any work.
        return "the activity has no usable 'serviceUrl' (an http or https URL)"
    from microsoft_teams.api import ActivityTypeAdapter
    from microsoft_teams.apps.events import CoreActivity
    from pydantic import ValidationError

    try:
        core = CoreActivity.model_validate(body)
        ActivityTypeAdapter.validate_python(core.model_dump(by_alias=True, exclude_none=True))
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in err["loc"][-2:]) for err in exc.errors()})
        return "the activity is not valid: check " + ", ".join(fields[:5])
    return None


class StrictFastAPIAdapter:
    """An `HttpServerAdapter` (the SDK's protocol) that mounts routes on an existing app."""

    def __init__(
        self, app: FastAPI, *, auth_required: bool, token_validator: Any | None = None
    ) -> None:
        """`token_validator`: the SDK's `InboundActivityTokenValidator`, used before parsing."""
        self._app = app
        self._auth_required = auth_required
        self._token_validator = token_validator

    async def _token_ok(self, authorization: str) -> bool:
        """The bearer token is present and (when a validator is set) valid."""
        if not authorization.startswith("Bearer "):
            return False
        if self._token_validator is None:
            return True  # the SDK refuses every request itself when it has no credentials
        try:
            await self._token_validator.validate_token(authorization.removeprefix("Bearer "))
        except Exception as exc:  # noqa: BLE001 - any failure to validate is a 401
            log.warning("teams: token rejected before parsing: %s", type(exc).__name__)
            return False
        return True

    @property
    def app(self) -> FastAPI:
        return self._app

    def register_route(self, method: str, path: str, handler: Any) -> None:
        if method != "POST":
            raise ValueError(f"unsupported HTTP method for a Teams route: {method}")

        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            if len(raw) > MAX_BODY_BYTES:
                return _problem(413, "the request body is too large for an activity")
            auth = request.headers.get("authorization", "")
            if self._auth_required and not await self._token_ok(auth):
                log.warning("teams: request to %s without a valid bearer token: 401", path)
                return _problem(401, "Unauthorized")
            if too_deep(raw):
                log.warning("teams: request to %s nests too deeply: 400", path)
                return _problem(400, f"the body nests deeper than {MAX_DEPTH} levels")
            try:
                body = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                log.warning("teams: request to %s is not JSON: 400", path)
                return _problem(400, "the body is not valid JSON")
            problem = activity_problem(body)
            if problem is not None:
                log.warning("teams: malformed activity to %s: 400", path)
                return _problem(400, problem)
            result = await handler({"body": body, "headers": dict(request.headers)})
            status = int(result["status"])
            content = result.get("body")
            if content is not None:
                # An invoke response may quote what was sent, lone surrogates included.
                return JSONResponse(content=without_lone_surrogates(content), status_code=status)
            return Response(status_code=status)

        self._app.add_api_route(path, endpoint, methods=["POST"], include_in_schema=False)

    def serve_static(self, path: str, directory: str) -> None:
        from fastapi.staticfiles import StaticFiles

        self._app.mount(path, StaticFiles(directory=directory, html=True), name=path.strip("/"))

    async def start(self, port: int) -> None:
        raise NotImplementedError("qa-bot serves this app itself (qa-bot serve)")

    async def stop(self) -> None:
        return None
