"""`storage.status`: the figures against counts made by hand on a small authority."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from qa.working_days import Month
from storage.status import Counts, counts_by_team, directory, month_bounds
from storage.status_overdue import overdue_items
from tests.handlers.status_dataset import EXPECTED, NOW, PAST_DUE, seed

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 12, 10)


def _counts(engine: Engine, team_ids: list[int] | None = None) -> dict[int | None, Counts]:
    with Session(engine) as session:
        return counts_by_team(
            session=session,
            month=Month(2026, 12),
            today=TODAY,
            now=NOW,
            tz=LONDON,
            team_ids=team_ids,
        )


def test_each_teams_figures_match_the_hand_count(engine: Engine) -> None:
    seed(engine)
    counts = _counts(engine)
    assert set(counts) == {1, 2, 3}
    for team_id, expected in EXPECTED.items():
        assert asdict(counts[team_id]) == expected, f"team {team_id}"
        assert counts[team_id].past_due == PAST_DUE[team_id]


def test_the_authority_total_adds_the_teams_up(engine: Engine) -> None:
    seed(engine)
    total = sum(_counts(engine).values(), Counts())
    assert (total.allocated, total.done, total.in_progress, total.not_started) == (9, 3, 2, 4)
    assert (total.overdue, total.overdue_earlier) == (4, 1)
    assert (total.awaiting_moderation, total.moderation_overdue) == (2, 1)
    assert (total.escalations_open, total.escalations_late) == (3, 2)
    assert (total.recommendations_open, total.recommendations_overdue) == (4, 3)
    assert total.grades == {"inadequate": 1, "good": 2}
    assert total.past_due == 11


def test_a_scope_counts_only_its_teams(engine: Engine) -> None:
    seed(engine)
    assert set(_counts(engine, [2])) == {2}
    assert asdict(_counts(engine, [1, 2])[2]) == EXPECTED[2]
    assert _counts(engine, []) == {}


def test_nothing_is_late_on_its_due_day(engine: Engine) -> None:
    seed(engine)
    with Session(engine) as session:
        early = counts_by_team(
            session=session,
            month=Month(2026, 12),
            today=date(2026, 12, 8),  # a2 and a3 are due today: not overdue yet
            now=NOW,
            tz=LONDON,
            team_ids=[1],
        )
    assert early[1].overdue == 1  # only the moderation allocation due on the 5th


def test_month_bounds_follow_the_local_clock() -> None:
    start, end = month_bounds(Month(2026, 7), LONDON)
    assert start.utcoffset() is not None
    assert start.astimezone(ZoneInfo("UTC")).isoformat() == "2026-06-30T23:00:00+00:00"
    assert end.astimezone(ZoneInfo("UTC")).isoformat() == "2026-07-31T23:00:00+00:00"


def test_the_overdue_list_is_oldest_first_with_references_and_owners(engine: Engine) -> None:
    seed(engine)
    with Session(engine) as session:
        items, total = overdue_items(
            session=session, today=TODAY, now=NOW, tz=LONDON, team_ids=[1], limit=15
        )
    assert total == PAST_DUE[1] == len(items)
    assert [i.due_on for i in items] == sorted(i.due_on for i in items)
    rows = {(i.kind, i.reference, i.owner, i.due_on.isoformat()) for i in items}
    assert rows == {
        ("allocation", "EH-1", "Tess Manager", "2026-11-27"),
        ("recommendation", "EH-1", "Pat Worker", "2026-12-01"),
        ("allocation", None, "Hana Head", "2026-12-05"),
        ("allocation", "EH-2", "Tess Manager", "2026-12-08"),
        ("allocation", "EH-3", "Tess Manager", "2026-12-08"),
        ("moderation", "EH-1", "Hana Head", "2026-12-08"),
        ("escalation", "EH-1", "Dee Director", "2026-12-08"),
    }


def test_the_overdue_list_is_capped_but_counts_everything(engine: Engine) -> None:
    seed(engine)
    with Session(engine) as session:
        items, total = overdue_items(session=session, today=TODAY, now=NOW, tz=LONDON, limit=3)
    assert total == sum(PAST_DUE.values())
    assert len(items) == 3
    assert items[0].due_on == date(2026, 11, 27)


def test_the_directory_knows_services_and_teams(engine: Engine) -> None:
    seed(engine)
    with Session(engine) as session:
        org = directory(session=session)
    assert org.service_name(1) == "Early Help"
    assert sorted(org.teams_of(1)) == [1, 2]
    assert org.teams[3].service_id == 2
