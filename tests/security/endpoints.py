"""The real app as `qa-bot serve` builds it, for hostile-input tests on both endpoints.

Slack: `POST /slack/events` with a signing secret, its Web API pointed at the
in-project fake. Teams: `POST /api/messages`, in playground mode (no inbound token)
unless a test passes authentication settings. Plus the measures every hostile-input
test shares: rows per table, to prove nothing was written.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel

from bot.app import build_app
from bot.deps import Deps
from bot.settings import Settings
from qa.framework import load_framework
from storage.models import Person

with warnings.catch_warnings():  # Starlette nudges towards httpx2; httpx is what we have
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SMALL = Path(__file__).parents[1] / "data" / "framework-small.yml"
SECRET = "test-signing-secret"
ROUTING_SECRET = "test-routing-secret"  # fixed, whatever the environment holds
CLIENT_ID = "99999999-8888-7777-6666-555555555555"


def slack_client(db_url: str, engine: Engine, now: datetime, slack_url: str) -> TestClient:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=slack_url,
        database_url=db_url,
        routing_secret=ROUTING_SECRET,
        teams_client_id=None,
        teams_playground=False,
    )
    deps = Deps(settings, load_framework(str(SMALL)), engine, clock=lambda: now)
    return TestClient(build_app(deps, background=False))


def teams_settings(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "QA_BOT_DATABASE_URL": db_url,
        "QA_BOT_FRAMEWORK": str(SMALL),
        "QA_BOT_HOST": "127.0.0.1",
        "QA_BOT_TEAMS_PLAYGROUND": True,
        "SLACK_BOT_TOKEN": None,
        "SLACK_APP_TOKEN": None,
        "TEAMS_CLIENT_ID": None,
        "TEAMS_CLIENT_SECRET": None,
        "QA_BOT_ROUTING_SECRET": ROUTING_SECRET,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def teams_client(settings: Settings, engine: Engine, now: datetime) -> TestClient:
    deps = Deps(settings, load_framework(str(SMALL)), engine, clock=lambda: now)
    return TestClient(build_app(deps, background=False))


def slack_headers(body: bytes, *, content_type: str, secret: str = SECRET) -> dict[str, str]:
    """Headers Slack would send: a fresh timestamp and the v0 signature over the raw bytes."""
    ts = str(int(time.time()))
    mac = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + mac.hexdigest(),
    }


def add_person(engine: Engine, now: datetime, **fields: Any) -> int:
    values: dict[str, Any] = {
        "email": "lee.lead@council.gov.uk",
        "name": "Lee Lead",
        "roles": ["qa_lead"],
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    with Session(engine) as session:
        row = Person(**values)
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table, by table name."""
    with engine.connect() as conn:
        counts = {
            t.name: int(conn.execute(sa_select(func.count()).select_from(t)).scalar_one())
            for t in SQLModel.metadata.sorted_tables
        }
        conn.rollback()
    return counts


def rows_of(engine: Engine, table: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(SQLModel.metadata.tables[table].select())]
        conn.rollback()
    return rows
