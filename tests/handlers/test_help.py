"""What `help` offers follows the framework's roles, not a hard-coded list."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.render import Renderer
from handlers.help import help_context
from qa.framework import preset
from tests.handlers.helpers import person, small_framework


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (
            ["qa_lead"],
            {"lead": True, "status_scope": "all", "audits": False, "escalations": True},
        ),
        (
            ["practitioner"],
            {"lead": False, "status_scope": None, "audits": False, "moderates": False},
        ),
        (["team_manager"], {"status_scope": "team", "audits": True, "moderates": False}),
        (["service_manager"], {"status_scope": "service", "audits": True}),
        (["head_of_service"], {"moderates": True, "audits": False, "status_scope": "service"}),
        (["director"], {"escalations": True, "status_scope": "all", "lead": False}),
        (["practitioner", "team_manager"], {"status_scope": "team", "audits": True}),
        ([], {"status_scope": None, "audits": False, "role_labels": []}),
    ],
)
def test_help_follows_the_roles_a_person_holds(
    engine: Engine, now: datetime, roles: list[str], expected: dict[str, object]
) -> None:
    with Session(engine) as session:
        someone = person(session, now, "sam@council.gov.uk", roles, name="Sam Jones")
        context = help_context(person=someone, framework=small_framework(), didnt_catch="zz")
    assert context["name"] == "Sam" and context["didnt_catch"] == "zz"
    for key, value in expected.items():
        assert context[key] == value, key


def test_role_labels_come_from_the_framework(engine: Engine, now: datetime) -> None:
    with Session(engine) as session:
        someone = person(session, now, "sam@council.gov.uk", ["qa_lead", "practitioner", "x"])
        context = help_context(person=someone, framework=small_framework())
    assert context["role_labels"] == ["Social worker", "QA lead"]


@pytest.mark.parametrize("platform", ["slack", "teams", "text"])
def test_lambeth_help_tells_the_practice_assurance_team_about_weekly_reviews(
    engine: Engine, now: datetime, platform: str
) -> None:
    """The owner of the weekly reviews hears of them in `help`; a team manager does not."""
    lambeth = preset("lambeth")
    renderer = Renderer(lambeth)
    said = {}
    with Session(engine) as session:
        for role in ("practice_assurance_lead", "team_manager"):
            someone = person(session, now, f"{role}@council.gov.uk", [role], name="Sam Jones")
            context = help_context(person=someone, framework=lambeth)
            said[role] = json.dumps(renderer.render("help", context, platform))  # type: ignore[arg-type]
    assert "record the outcome of the review meetings" in said["practice_assurance_lead"]
    assert "record the outcome of the review meetings" not in said["team_manager"]
