"""Observations of practice in the monthly summary to a board's channel.

Counted by the date they took place, by service (team figures stay out of a channel,
as the grades' do), with the summary's small-number rules: figures narrower than the
framework's `summary.suppress_from` show "fewer than 5", and none can be worked out.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.render import Renderer
from qa.framework import Framework
from qa.working_days import Month
from reminders.summary import queue_summary
from storage.db import session_scope
from storage.models import Observation, OutboxMessage
from tests.reminders.followthrough_chat import person, teams_and_services
from tests.reminders.tracking_world import LAMBETH, LONDON, at

NOVEMBER = Month.parse("2026-11")


def _observe(engine: Engine, by: int, team: int | None, on: date, n: int = 1) -> None:
    with session_scope(engine) as s:
        for _ in range(n):
            s.add(
                Observation(
                    recorded_by_id=by,
                    team_id=team,
                    observed_role="practitioner",
                    setting="Home visit",
                    went_well="Clear plan",
                    could_be_better="Sooner follow-up",
                    feedback_given=False,
                    observed_on=on,
                    recorded_at=datetime(2026, 12, 1, 9, tzinfo=LONDON),
                )
            )


def _post(engine: Engine, fw: Framework) -> dict[str, object]:
    with session_scope(engine) as s:
        queue_summary(s, fw, NOVEMBER, now=at(2026, 12, 3, 9), tz=LONDON, threshold=5)
    with Session(engine) as s:
        [post] = s.exec(select(OutboxMessage).where(OutboxMessage.template == "summary_post"))
        return dict(post.context)


def _world(engine: Engine) -> None:
    teams_and_services(engine)
    tm = person(engine, "Tom Manager", ["team_manager"], team=1)
    _observe(engine, tm, 1, date(2026, 11, 3), n=6)  # Children in Need
    _observe(engine, tm, 4, date(2026, 11, 30), n=2)  # Quality
    _observe(engine, tm, 1, date(2026, 10, 31))  # October: not counted
    _observe(engine, tm, 2, date(2026, 12, 1))  # December: not counted


def test_the_board_sees_observations_by_service(engine: Engine) -> None:
    _world(engine)
    context = _post(engine, LAMBETH)  # suppress_from: team (services shown in full)
    assert context["observations"] == {
        "lines": [
            {"scope": "All services", "count": "8"},
            {"scope": "Children in Need", "count": "6"},
            {"scope": "Quality", "count": "2"},
        ],
        "more": 0,
    }
    renderer = Renderer(LAMBETH)
    slack = str(renderer.render("summary_post", context, "slack"))
    assert "*Observations of practice*" in slack and "Quality: *2*" in slack
    teams = str(renderer.render("summary_post", context, "teams"))
    assert "{'title': 'Children in Need', 'value': '6'}" in teams
    text = renderer.render("summary_post", context, "text")["text"]
    assert "Observations of practice:\n- All services: 8\n- Children in Need: 6" in text


def test_small_numbers_are_suppressed_where_the_framework_says(engine: Engine) -> None:
    _world(engine)
    strict = LAMBETH.model_copy(
        update={"summary": LAMBETH.summary.model_copy(update={"suppress_from": "service"})}
    )
    lines = _post(engine, strict)["observations"]["lines"]  # type: ignore[index]
    # Quality's 2 is hidden; Children in Need is withheld with it, so 8 - 6 gives nothing.
    assert lines == [
        {"scope": "All services", "count": "8"},
        {"scope": "Children in Need", "count": "not shown"},
        {"scope": "Quality", "count": "fewer than 5"},
    ]


def test_no_observations_line_where_the_framework_records_none(engine: Engine) -> None:
    _world(engine)
    off = LAMBETH.model_copy(
        update={"observations": LAMBETH.observations.model_copy(update={"by_roles": []})}
    )
    assert _post(engine, off)["observations"] is None
