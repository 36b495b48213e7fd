"""App-only access tokens (OAuth 2.0 client credentials) for the Bot Connector and Graph.

One form POST to `{QA_BOT_LOGIN_URL}{tenant}/oauth2/v2.0/token`, cached until shortly
before it expires. This is the request msal's `acquire_token_for_client` makes; it is
done directly because msal refuses any authority that is not https, which would leave
the token path untestable against a local fake (and national clouds are just another
`QA_BOT_LOGIN_URL`). The secret never reaches a log or an exception message.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

from bot.messenger import RetryLater

BOT_CONNECTOR_SCOPE = "https://api.botframework.com/.default"
EARLY_REFRESH_SECONDS = 300


@dataclass
class AppTokens:
    login_url: str
    client_id: str
    client_secret: str
    timeout: float = 10.0
    _cache: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict, repr=False)
    _lock: asyncio.Lock | None = field(default=None, repr=False)

    def __repr__(self) -> str:  # never show the secret
        return f"AppTokens(login_url={self.login_url!r}, client_id={self.client_id!r})"

    async def get(self, scope: str, tenant: str) -> str:
        """A bearer token for `scope` in `tenant`; raises `RetryLater` if login fails."""
        key = (scope, tenant)
        cached = self._cache.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        url = f"{self.login_url.rstrip('/')}/{tenant}/oauth2/v2.0/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scope": scope,
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(url, data=form)
        except httpx.HTTPError as exc:
            raise RetryLater(f"login: network error ({type(exc).__name__})") from None
        if response.status_code != 200:
            code = _oauth_error(response)
            after = 60.0 if response.status_code < 500 else None
            raise RetryLater(
                f"login refused ({response.status_code} {code}): check TEAMS_CLIENT_ID, "
                "TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID",
                after=after,
            )
        body = response.json()
        token = str(body["access_token"])
        lifetime = float(body.get("expires_in", 3600))
        self._cache[key] = (token, time.monotonic() + max(lifetime - EARLY_REFRESH_SECONDS, 30))
        return token


def _oauth_error(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", "error"))
    except ValueError:
        return "error"
