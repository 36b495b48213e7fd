"""The Bot Connector REST API (`/v3/conversations/...`), with its answers mapped to outcomes.

Used for proactive messages: the service URL comes with each call (from the person's
stored conversation reference), which is how Teams routes a tenant to its region.
Answers become what the outbox sender understands: an activity id, `RetryLater`
(429 with Retry-After, 412, 5xx, network errors, a refused login) or
`PermanentFailure` (the user blocked the bot, the conversation is gone, the
message itself is unacceptable).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from bot.messenger import PermanentFailure, RetryLater
from bot.teams.tokens import BOT_CONNECTOR_SCOPE, AppTokens

log = logging.getLogger(__name__)

RETRYABLE = {408, 412, 429, 500, 502, 503, 504}


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from a `Retry-After` header (seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def error_code(response: httpx.Response) -> str:
    """The Bot Framework error code (`{"error": {"code": ...}}`), or the HTTP status."""
    try:
        body = response.json()
    except ValueError:
        return str(response.status_code)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("code"):
        return str(error["code"])
    if isinstance(error, str):
        return error
    return str(response.status_code)


def raise_for_outcome(response: httpx.Response, what: str) -> None:
    """Turn a non-2xx answer into `RetryLater` or `PermanentFailure`."""
    status = response.status_code
    if status < 300:
        return
    code = error_code(response)
    if status in RETRYABLE:
        raise RetryLater(f"{what}: Teams answered {status} {code}", after=retry_after(response))
    if status == 401:
        raise RetryLater(
            f"{what}: Teams refused our credentials (401); check TEAMS_CLIENT_ID and "
            "TEAMS_CLIENT_SECRET",
            after=retry_after(response) or 300.0,
        )
    if status == 403:
        raise PermanentFailure(f"{what}: Teams will not deliver it (403 {code})")
    if status == 404:
        raise PermanentFailure(f"{what}: the Teams conversation was not found (404 {code})")
    raise PermanentFailure(f"{what}: Teams rejected the message ({status} {code})")


class ConnectorClient:
    """Bot Connector calls; a token is attached when credentials are configured."""

    def __init__(
        self, *, tokens: AppTokens | None, token_tenant: str, timeout: float = 15.0
    ) -> None:
        self._tokens = tokens
        self._token_tenant = token_tenant
        self._timeout = timeout

    async def _request(
        self, method: str, url: str, body: dict[str, Any], what: str
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if self._tokens is not None:
            token = await self._tokens.get(BOT_CONNECTOR_SCOPE, self._token_tenant)
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.request(method, url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise RetryLater(f"{what}: network error ({type(exc).__name__})") from None
        raise_for_outcome(response, what)
        try:
            answer = response.json()
        except ValueError:
            return {}
        return answer if isinstance(answer, dict) else {}

    @staticmethod
    def _conversation_url(service_url: str, conversation_id: str) -> str:
        return f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe=':@;=')}"

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str:
        """Post a new activity; returns its id."""
        url = self._conversation_url(service_url, conversation_id) + "/activities"
        answer = await self._request("POST", url, activity, "send")
        return str(answer.get("id") or "")

    async def update(
        self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]
    ) -> str:
        """Replace an activity we sent earlier (a card edited in place)."""
        url = (
            self._conversation_url(service_url, conversation_id)
            + f"/activities/{quote(activity_id, safe='')}"
        )
        answer = await self._request("PUT", url, {**activity, "id": activity_id}, "update")
        return str(answer.get("id") or activity_id)

    async def create_personal(
        self, service_url: str, *, user_id: str, tenant_id: str | None, bot_id: str | None
    ) -> str:
        """Open (or find) the 1:1 chat between the bot and `user_id`; returns its id."""
        body: dict[str, Any] = {"isGroup": False, "members": [{"id": user_id}]}
        if bot_id:
            body["bot"] = {"id": bot_id}
        if tenant_id:
            body["tenantId"] = tenant_id
            body["channelData"] = {"tenant": {"id": tenant_id}}
        url = f"{service_url.rstrip('/')}/v3/conversations"
        answer = await self._request("POST", url, body, "open chat")
        conversation_id = answer.get("id")
        if not conversation_id:
            raise RetryLater("open chat: Teams returned no conversation id")
        return str(conversation_id)
