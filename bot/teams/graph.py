"""Microsoft Graph: reaching a Teams user who has never opened the bot.

To message someone the bot needs a conversation with them, and Teams only makes one
when the app is installed for that person. With application permission
`TeamsAppInstallation.ReadWriteSelfForUser.All` (admin consent) the bot can install
itself for a user and then read the id of the 1:1 chat:

1. `GET /users/{email}` gives the Entra object id (skipped when the import file had it);
2. `POST /users/{id}/teamwork/installedApps` installs the app (409: already installed);
3. `GET /users/{id}/teamwork/installedApps?$expand=teamsApp&$filter=teamsApp/id eq '{app}'`
   then `GET .../installedApps/{installation}/chat` gives the chat id.

Base URLs come from `QA_BOT_GRAPH_URL` and `QA_BOT_LOGIN_URL` (national clouds, tests).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from bot.messenger import PermanentFailure, RetryLater
from bot.teams.connector import RETRYABLE, error_code, retry_after
from bot.teams.tokens import AppTokens

# Installing is asynchronous on Microsoft's side: the chat can take a few seconds to appear.
CHAT_NOT_READY_SECONDS = 10.0


def graph_scope(graph_url: str) -> str:
    """`https://graph.microsoft.com/.default` for the public cloud, and so on."""
    parts = urlsplit(graph_url)
    return f"{parts.scheme}://{parts.netloc}/.default"


class GraphClient:
    def __init__(
        self,
        *,
        graph_url: str,
        tokens: AppTokens,
        tenant_id: str,
        catalog_app_id: str,
        timeout: float = 15.0,
    ) -> None:
        self._base = graph_url.rstrip("/") + "/"
        self._tokens = tokens
        self._tenant = tenant_id
        self._app = catalog_app_id
        self._scope = graph_scope(graph_url)
        self._timeout = timeout

    async def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> httpx.Response:
        token = await self._tokens.get(self._scope, self._tenant)
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.request(
                    method, self._base + path, params=params, json=json, headers=headers
                )
        except httpx.HTTPError as exc:
            raise RetryLater(f"Graph {what}: network error ({type(exc).__name__})") from None
        if response.status_code in ok:
            return response
        status, code = response.status_code, error_code(response)
        if status in RETRYABLE:
            raise RetryLater(f"Graph {what}: {status} {code}", after=retry_after(response))
        if status in (401, 403):
            raise PermanentFailure(
                f"Graph {what}: refused ({status} {code}); the Entra app needs the application "
                "permissions User.Read.All and TeamsAppInstallation.ReadWriteSelfForUser.All "
                "with admin consent"
            )
        if status == 404:
            raise PermanentFailure(f"Graph {what}: not found (404 {code})")
        raise PermanentFailure(f"Graph {what}: {status} {code}")

    async def user_id_by_email(self, email: str) -> str:
        """The Entra object id of the user with this email (or user principal name)."""
        response = await self._call(
            "GET", f"users/{quote(email, safe='@')}", "find user", params={"$select": "id"}
        )
        user_id = response.json().get("id")
        if not user_id:
            raise PermanentFailure("Graph find user: the answer had no id")
        return str(user_id)

    async def install_for(self, user_id: str) -> None:
        """Install the bot's app for the user; already installed is fine."""
        bind = f"{self._base}appCatalogs/teamsApps/{self._app}"
        await self._call(
            "POST",
            f"users/{quote(user_id)}/teamwork/installedApps",
            "install app",
            json={"teamsApp@odata.bind": bind},
            ok=(200, 201, 204, 409),
        )

    async def chat_id_for(self, user_id: str) -> str:
        """The id of the 1:1 chat between the user and the installed app."""
        listing = await self._call(
            "GET",
            f"users/{quote(user_id)}/teamwork/installedApps",
            "list installed apps",
            params={"$expand": "teamsApp", "$filter": f"teamsApp/id eq '{self._app}'"},
        )
        installs = listing.json().get("value") or []
        if not installs:
            raise RetryLater("Graph: the app is not installed yet", after=CHAT_NOT_READY_SECONDS)
        installation = str(installs[0]["id"])
        chat = await self._call(
            "GET",
            f"users/{quote(user_id)}/teamwork/installedApps/{quote(installation)}/chat",
            "get chat",
        )
        chat_id = chat.json().get("id")
        if not chat_id:
            raise RetryLater("Graph: the chat is not ready yet", after=CHAT_NOT_READY_SECONDS)
        return str(chat_id)

    async def conversation_for(self, *, user_id: str | None, email: str | None) -> tuple[str, str]:
        """(Entra user id, chat id) for a person, installing the app for them if needed."""
        if not user_id:
            if not email:
                raise PermanentFailure("no Teams id and no email to find the person by")
            user_id = await self.user_id_by_email(email)
        await self.install_for(user_id)
        return user_id, await self.chat_id_for(user_id)
