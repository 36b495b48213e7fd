"""The real app as `qa-bot serve` builds it, for hostile-input tests on both endpoints.

Slack: `POST /slack/events` with a signing secret, its Web API pointed at the
in-project fake. Teams: `POST /api/messages`, in playground mode (no inbound token)
unless a test passes authentication settings. Both with a fixed routing secret, so a
forged key is forged whatever the environment holds. Signing, posting, seeding and
counting rows are the shared test client's (tests/chat.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from bot.settings import Settings
from tests import chat
from tests.chat import (
    CLIENT_ID,
    ROUTING_SECRET,
    SECRET,
    SMALL,
    TestClient,
    add_person,
    row_counts,
    rows_of,
)
from tests.security.openid import OpenIdServer

__all__ = ["CLIENT_ID", "ROUTING_SECRET", "SECRET", "SMALL", "add_person", "row_counts", "rows_of"]


def slack_client(db_url: str, engine: Engine, now: datetime, slack_url: str) -> TestClient:
    """The app with Slack only: Teams off, not even the playground."""
    settings = chat.slack_settings(
        db_url,
        slack_url,
        routing_secret=ROUTING_SECRET,
        teams_client_id=None,
        teams_playground=False,
    )
    return chat.app_client(settings, engine, now)


def teams_settings(db_url: str, **overrides: Any) -> Settings:
    return chat.teams_settings(db_url, **{"QA_BOT_ROUTING_SECRET": ROUTING_SECRET, **overrides})


def authenticated(db_url: str, keys: OpenIdServer) -> Settings:
    """Teams with inbound authentication on, checked against the local keys `keys`. The
    login URL is local too, so nothing reaches the internet: Entra-issued tokens are
    checked against keys under it, and the SDK's own sign-in for replies fails at once."""
    return chat.authenticated_teams_settings(
        db_url, keys.openid_url, login_url=keys.base, QA_BOT_ROUTING_SECRET=ROUTING_SECRET
    )


def teams_client(settings: Settings, engine: Engine, now: datetime) -> TestClient:
    return chat.app_client(settings, engine, now)


def slack_headers(body: bytes, *, content_type: str, secret: str = SECRET) -> dict[str, str]:
    """Headers Slack would send: a fresh timestamp and the v0 signature over the raw bytes."""
    return chat.signed_headers(body, content_type=content_type, secret=secret)
