"""Once-only keys: first claim wins, a window re-opens a key, old keys are pruned."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from bot.composition import jobs
from qa.framework import preset
from reminders.jobs import JobContext
from storage.processed_events import KEEP_FOR, claim, prune, release, seen
from tests.dispatching import LONDON


def test_a_key_is_claimed_once(engine: Engine, now: datetime) -> None:
    with Session(engine) as session:
        assert claim(session=session, key="k1", now=now)
        assert not claim(session=session, key="k1", now=now + timedelta(days=1))


def test_a_windowed_key_opens_again_once_its_window_has_passed(
    engine: Engine, now: datetime
) -> None:
    window = timedelta(seconds=30)
    with Session(engine) as session:
        assert claim(session=session, key="k", now=now, window=window)
        assert not claim(session=session, key="k", now=now + timedelta(seconds=29), window=window)
        assert claim(session=session, key="k", now=now + timedelta(seconds=30), window=window)


def test_release_gives_up_keys_by_prefix_only(engine: Engine, now: datetime) -> None:
    with Session(engine) as session:
        for key in ("slack:open:U1:a", "slack:open:U1:b", "slack:open:U2:a"):
            claim(session=session, key=key, now=now)
        release(session=session, prefix="slack:open:U1:")
        assert [seen(session=session, key=k) for k in ("slack:open:U1:a", "slack:open:U2:a")] == [
            False,
            True,
        ]


def test_the_nightly_retention_job_prunes_old_keys(engine: Engine, now: datetime) -> None:
    with Session(engine) as session:
        claim(session=session, key="old", now=now - KEEP_FOR - timedelta(minutes=1))
        claim(session=session, key="recent", now=now - timedelta(hours=1))
        session.commit()
    with Session(engine) as session:
        result = jobs()["retention"].run(JobContext(session, preset("camden"), LONDON, now))
        session.commit()
        assert "1 once-only request key(s) pruned" in result.notes
        assert not seen(session=session, key="old") and seen(session=session, key="recent")
    with Session(engine) as session:
        assert prune(session=session, now=now) == 0
