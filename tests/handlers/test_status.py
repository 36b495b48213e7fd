"""`status`: who sees what, the figures, and the drill-down buttons, through `dispatch`.

The routing keys here are the plain keys an adapter hands over after verifying the
signature; tests/bot/test_status_slack.py and test_status_teams.py send signed (and
forged) ones through the real endpoints.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.composition import router
from handlers.interaction import Kind, Reply
from tests.dispatching import act
from tests.handlers.helpers import small_framework
from tests.handlers.status_dataset import NOW, seed

FRAMEWORK = small_framework()


def ask(
    engine: Engine,
    user: str,
    *,
    kind: Kind = "command",
    name: str = "status",
    text: str = "",
    key: str | None = None,
    platform: Any = "slack",
    conversation: dict[str, Any] | None = None,
) -> Reply:
    with Session(engine) as session:
        [reply] = act(
            session,
            user if platform == "slack" else f"aad-{user}",
            name,
            framework=FRAMEWORK,
            now=NOW,
            kind=kind,
            platform=platform,
            text=text,
            routing_key=key,
            conversation=conversation,
            # What the Teams adapter says: a stored personal conversation is a private chat.
            private=platform != "teams" or conversation is not None,
        )
    return reply


def click(engine: Engine, user: str, action: str, key: str | None, **kw: Any) -> Reply:
    return ask(engine, user, kind="action", name=action, key=key, **kw)


@pytest.fixture
def org(engine: Engine) -> Engine:
    seed(engine)
    return engine


# -- who sees what -------------------------------------------------------------------------


def test_the_drill_down_actions_are_registered_with_the_router() -> None:
    assert {"status.service", "status.team", "status.overdue"} <= set(router().actions)


@pytest.mark.parametrize("user", ["U1LEAD", "U1DIR"])
def test_qa_lead_and_director_see_the_whole_authority_by_service(org: Engine, user: str) -> None:
    reply = ask(org, user)
    assert reply.template == "status"
    ctx = reply.context
    assert ctx["level"] == "all" and ctx["title"] == "Testshire County Council"
    assert ctx["month"] == "December 2026"
    assert ctx["row_kind"] == "service"
    assert [r["name"] for r in ctx["rows"]] == ["Early Help", "Children Looked After"]
    assert [r["routing_key"] for r in ctx["rows"]] == ["service:1", "service:2"]
    assert ctx["back"] is None and ctx["overdue_key"] == "overdue:all"


def test_qa_lead_can_ask_for_any_service_or_team_by_name(org: Engine) -> None:
    assert ask(org, "U1LEAD", text="children looked after").context["title"] == (
        "Children Looked After"
    )
    team = ask(org, "U1LEAD", text="  CLA   permanence ").context
    assert team["level"] == "team" and team["title"] == "CLA Permanence"
    assert team["back"] == {
        "action": "status.service",
        "routing_key": "service:2",
        "name": "Children Looked After",
    }


def test_head_of_service_sees_their_service_by_team(org: Engine) -> None:
    ctx = ask(org, "U1HOS").context
    assert ctx["level"] == "service" and ctx["title"] == "Early Help"
    assert [r["name"] for r in ctx["rows"]] == ["Early Help 1", "Early Help 2"]
    assert [r["action"] for r in ctx["rows"]] == ["status.team", "status.team"]
    assert ctx["back"] is None  # the authority is not theirs to see
    assert ask(org, "U1HOS", text="Early Help 2").context["title"] == "Early Help 2"


def test_head_of_service_asking_for_another_service_is_refused_naming_their_own(
    org: Engine,
) -> None:
    reply = ask(org, "U1HOS", text="Children Looked After")
    assert reply.template == "status_refused"
    assert reply.context["reason"] == "scope"
    assert reply.context["can_see"] == "Early Help"
    assert ask(org, "U1HOS", text="CLA Permanence").context["reason"] == "scope"
    assert ask(org, "U1HOS", text="all").context["reason"] == "scope"


def test_team_manager_sees_their_team_only(org: Engine) -> None:
    ctx = ask(org, "U1TM").context
    assert ctx["level"] == "team" and ctx["title"] == "Early Help 1"
    assert ctx["rows"] == [] and ctx["back"] is None
    refused = ask(org, "U1TM", text="Early Help")
    assert refused.template == "status_refused"
    assert refused.context["can_see"] == "Early Help 1"
    assert ask(org, "U1TM", text="Early Help 2").context["reason"] == "scope"


def test_practitioner_is_pointed_at_their_own_work(org: Engine) -> None:
    for text in ("", "Early Help"):
        reply = ask(org, "U1PAT", text=text)
        assert reply.template == "status_refused" and reply.context["reason"] == "own"


def test_a_manager_whose_team_is_unknown_is_told_what_to_fix(org: Engine) -> None:
    reply = ask(org, "U0SM")
    assert reply.context["reason"] == "no_team" and reply.context["scope"] == "service"


# -- the figures ----------------------------------------------------------------------------


def test_the_figures_match_the_hand_count(org: Engine) -> None:
    figures = ask(org, "U1LEAD").context["figures"]
    assert {k: v for k, v in figures.items() if k != "grades"} == {
        "allocated": 9,
        "done": 3,
        "in_progress": 2,
        "not_started": 4,
        "overdue": 4,
        "overdue_earlier": 1,
        "awaiting_moderation": 2,
        "moderation_overdue": 1,
        "escalations_open": 3,
        "escalations_late": 2,
        "recommendations_open": 4,
        "recommendations_overdue": 3,
        "graded": 3,
    }
    # In the framework's order, with its labels; grades nobody was given are left out.
    assert figures["grades"] == [
        {"label": "Good", "count": 2},
        {"label": "Inadequate", "count": 1},
    ]


def test_service_rows_add_up_their_teams_and_put_the_most_overdue_first(org: Engine) -> None:
    ctx = ask(org, "U1LEAD").context
    early, cla = ctx["rows"]
    assert (early["allocated"], early["done"], early["overdue"], early["late"]) == (7, 2, 5, 4)
    assert (cla["allocated"], cla["done"], cla["overdue"], cla["late"]) == (2, 1, 0, 2)
    assert ctx["overdue_total"] == 11
    team = ask(org, "U1TM").context
    assert team["figures"]["allocated"] == 5 and team["overdue_total"] == 7


def test_rows_are_capped_and_the_rest_counted(org: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("handlers.status.ROW_LIMIT", 1)
    ctx = ask(org, "U1LEAD").context
    assert len(ctx["rows"]) == 1 and ctx["rows_more"] == 1


# -- typed names ------------------------------------------------------------------------------


def test_a_misspelt_name_gets_a_did_you_mean_with_a_button(org: Engine) -> None:
    reply = ask(org, "U1LEAD", text="Erly Help")
    assert reply.template == "status_refused"
    assert reply.context["reason"] == "unknown"
    assert reply.context["asked"] == "Erly Help"
    assert reply.context["suggestion"] == "Early Help"
    assert reply.context["suggestion_action"] == "status.service"
    assert reply.context["suggestion_key"] == "service:1"


def test_a_did_you_mean_outside_the_scope_offers_no_button(org: Engine) -> None:
    ctx = ask(org, "U3TM", text="Erly Help").context
    assert ctx["suggestion"] == "Early Help" and ctx["suggestion_key"] is None
    assert ctx["can_see"] == "CLA Permanence"


def test_nothing_like_it_says_so(org: Engine) -> None:
    ctx = ask(org, "U1LEAD", text="Zebra crossing").context
    assert ctx["reason"] == "unknown" and ctx["suggestion"] is None


def test_a_long_name_is_echoed_back_clipped(org: Engine) -> None:
    ctx = ask(org, "U1LEAD", text="x" * 500).context
    assert len(ctx["asked"]) == 40


# -- drill-down buttons -------------------------------------------------------------------------


def test_a_service_button_shows_its_teams(org: Engine) -> None:
    ctx = click(org, "U1LEAD", "status.service", "service:1").context
    assert ctx["level"] == "service" and ctx["title"] == "Early Help"
    assert ctx["back"] == {
        "action": "status",
        "routing_key": None,
        "name": "Testshire County Council",
    }


def test_a_team_button_within_the_service_works_for_its_head(org: Engine) -> None:
    ctx = click(org, "U1HOS", "status.team", "team:2").context
    assert ctx["title"] == "Early Help 2"
    assert ctx["back"] == {"action": "status", "routing_key": None, "name": "Early Help"}


def test_a_forwarded_service_key_is_refused_for_a_team_manager(org: Engine) -> None:
    reply = click(org, "U1TM", "status.service", "service:2")
    assert reply.template == "status_refused" and reply.context["reason"] == "scope"
    assert reply.context["can_see"] == "Early Help 1"
    assert click(org, "U1TM", "status.service", "service:1").context["reason"] == "scope"
    assert click(org, "U1HOS", "status.team", "team:3").context["reason"] == "scope"
    assert click(org, "U1TM", "status.overdue", "overdue:team:2").context["reason"] == "scope"


@pytest.mark.parametrize(
    ("action", "key"),
    [
        ("status.service", None),  # the adapter's verdict on a forged key
        ("status.team", "service:1"),  # a key for the wrong button
        ("status.service", "service:abc"),
        ("status.overdue", "team:1"),
        ("status.overdue", None),
    ],
)
def test_a_key_that_is_not_one_we_sent_is_refused(
    org: Engine, action: str, key: str | None
) -> None:
    reply = click(org, "U1LEAD", action, key)
    assert reply.template == "status_refused" and reply.context["reason"] == "expired"


def test_a_key_for_a_team_that_does_not_exist_is_refused(org: Engine) -> None:
    assert click(org, "U1LEAD", "status.team", "team:99").context["reason"] == "scope"


def test_a_practitioner_clicking_a_status_button_is_refused(org: Engine) -> None:
    assert click(org, "U1PAT", "status.team", "team:1").context["reason"] == "own"


def test_the_overdue_list_names_owners_for_an_entitled_manager(org: Engine) -> None:
    reply = click(org, "U1HOS", "status.overdue", "overdue:team:1")
    assert reply.template == "status_overdue"
    ctx = reply.context
    assert ctx["title"] == "Early Help 1" and ctx["total"] == 7 and ctx["more"] == 0
    assert ctx["items"][0] == {
        "kind": "allocation",
        "reference": "EH-1",
        "activity": "audit",
        "owner": "Tess Manager",
        "due_on": "2026-11-27",
    }
    assert ctx["back"] == {"action": "status.team", "routing_key": "team:1", "name": "Early Help 1"}


def test_the_overdue_list_is_not_shown_in_a_teams_channel(org: Engine) -> None:
    in_channel = click(org, "U1TM", "status.overdue", "overdue:team:1", platform="teams")
    assert in_channel.template == "status_refused"
    assert in_channel.context["reason"] == "private_only"
    personal = click(
        org, "U1TM", "status.overdue", "overdue:team:1", platform="teams", conversation={"id": "a"}
    )
    assert personal.template == "status_overdue"


def test_logs_carry_ids_not_names_or_what_was_typed(
    org: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="handlers")
    ask(org, "U1LEAD", text="Erly Help")
    ask(org, "U1HOS")
    click(org, "U1TM", "status.service", "service:2")
    click(org, "U1HOS", "status.overdue", "overdue:team:1")
    for secret in ("Erly", "Early Help", "Hana", "Tess", "EH-1"):
        assert secret not in caplog.text
