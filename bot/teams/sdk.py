"""Importing and building the Microsoft Teams SDK app, without its side effects.

`microsoft_teams.apps.app` calls `load_dotenv(find_dotenv(usecwd=True))` when it is
imported, so a `.env` in the working directory would leak `CLIENT_ID` and friends into
the process (and into tests). It also warns on every run (an `ExperimentalWarning` at
import, a `DeprecationWarning` when its API client is built). Everything that touches
the SDK's `App` goes through this module, which imports it once with dotenv loading
switched off and those warnings silenced.
"""

from __future__ import annotations

import asyncio
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bot.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from microsoft_teams.apps import App

# The public Bot Connector front door; the service URL from a person's own activities wins.
DEFAULT_SERVICE_URL = "https://smba.trafficmanager.net/teams/"

_import_lock = threading.Lock()


@contextmanager
def _quiet_sdk() -> Iterator[None]:
    """Silence the SDK's own preview/deprecation warnings (they are not ours to fix)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)  # ExperimentalWarning subclasses it
        yield


def _import_app_module() -> Any:
    with _import_lock:
        previous = os.environ.get("PYTHON_DOTENV_DISABLED")
        os.environ["PYTHON_DOTENV_DISABLED"] = "1"
        try:
            with _quiet_sdk():
                import microsoft_teams.apps as apps
        finally:
            if previous is None:
                os.environ.pop("PYTHON_DOTENV_DISABLED", None)
            else:
                os.environ["PYTHON_DOTENV_DISABLED"] = previous
    return apps


def cloud_for(settings: Settings) -> Any:
    """The public cloud, with the login and OpenID metadata URLs the settings name."""
    from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides

    return with_overrides(
        PUBLIC,
        login_endpoint=settings.login_url.rstrip("/"),
        openid_metadata_url=settings.teams_openid_url,
    )


def build_app(api: FastAPI, settings: Settings) -> App:
    """A Teams SDK `App` serving `POST /api/messages` on `api`.

    Inbound JWT validation is on whenever `TEAMS_CLIENT_ID` is set; playground mode
    (refused by `Settings` unless the host is loopback) switches it off. Credentials
    come from settings only, never from the SDK's own environment variables.
    """
    apps = _import_app_module()
    from bot.teams.http_adapter import StrictFastAPIAdapter

    secret = settings.teams_client_secret
    options: dict[str, Any] = {
        "client_id": settings.teams_client_id,
        "client_secret": secret.get_secret_value() if secret else None,
        "tenant_id": settings.teams_tenant_id,
        "dangerously_allow_unauthenticated_requests": settings.teams_playground,
        "http_server_adapter": StrictFastAPIAdapter(
            api,
            auth_required=not settings.teams_playground,
            token_validator=_token_validator(settings),
        ),
        "cloud": cloud_for(settings),
        "state": False,
        "fetch_user_token": False,
        "telemetry": {"agent365": False},
    }
    saved = {name: os.environ.pop(name) for name in _SDK_ENV if name in os.environ}
    try:
        with _quiet_sdk():
            app = apps.App(**options)
            _run_coroutine(app.initialize())
    finally:
        os.environ.update(saved)
    return app  # type: ignore[no-any-return]


def _token_validator(settings: Settings) -> Any | None:
    """The SDK's own inbound token validator, for the adapter to check tokens before parsing.

    The same class, app id and cloud the SDK uses after parsing, so both agree on what
    a valid token is; None in playground mode or without a client id.
    """
    if settings.teams_playground or not settings.teams_client_id:
        return None
    _import_app_module()  # first, so the package is imported with dotenv loading off
    with _quiet_sdk():
        from microsoft_teams.apps.auth import InboundActivityTokenValidator

        return InboundActivityTokenValidator(settings.teams_client_id, cloud=cloud_for(settings))


# The SDK falls back to these when an option is unset; our settings are the only source.
_SDK_ENV = (
    "CLIENT_ID",
    "CLIENT_SECRET",
    "TENANT_ID",
    "MANAGED_IDENTITY_CLIENT_ID",
    "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS",
    "SERVICE_URL",
    "CLOUD",
)


def _run_coroutine(coro: Any) -> Any:
    """Run `App.initialize()` to completion from sync code, inside or outside an event loop.

    It only registers the messaging route and sets up token validation, so running it
    on a short-lived loop in a helper thread is safe whether or not the caller has a
    loop running (`build_app` is sync and may be called from async tests).
    """
    result: dict[str, Any] = {}

    def runner() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=runner, name="teams-sdk-init")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")
