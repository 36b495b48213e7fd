"""Shared fixtures: a fresh, migrated database for every test.

SQLite by default. When QA_BOT_TEST_DATABASE_URL points at PostgreSQL (as `.ci/run`
does), the same tests run there: the schema is migrated once into a template
database and each test gets its own copy (CREATE DATABASE ... TEMPLATE), which is
fast and keeps tests independent.
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from storage.db import make_engine, upgrade
from tests.chat import TestClient, app_client, slack_settings
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack

PG_URL = os.environ.get("QA_BOT_TEST_DATABASE_URL", "")
_counter = itertools.count()

# A Tuesday in term time; tests pass `now` explicitly rather than reading the clock.
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _pg_admin(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    u = make_url(url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(u.render_as_string(hide_password=False), autocommit=True)


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if PG_URL:
        name = f"qabot_tpl_{os.getpid()}"
        with _pg_admin(PG_URL) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield name
        with _pg_admin(PG_URL) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    yield str(path)


@pytest.fixture
def db_url(_template: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database that belongs to this test alone."""
    if PG_URL:
        name = f"qabot_t_{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
        with _pg_admin(PG_URL) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_template}"')
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        with _pg_admin(PG_URL) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    path = tmp_path / "qa-bot.db"
    shutil.copyfile(_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """The fake Slack Web API the app under test talks to (see tests/chat.py)."""
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    """The fake Bot Connector that Teams activities name as their `serviceUrl`."""
    with FakeConnector() as fake:
        yield fake


@pytest.fixture
def api(db_url: str, engine: Engine, slack: FakeSlack, now: datetime) -> Iterator[TestClient]:
    """The Slack app as `serve` builds it (small framework, clock at `now`), on the fake."""
    with app_client(slack_settings(db_url, slack.url), engine, now) as client:
        yield client
