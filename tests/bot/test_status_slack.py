"""`/qa status` on Slack, through the real endpoint: signed requests into `/slack/events`.

The drill-down buttons are pressed with the very values the bot rendered (signed
routing keys), and with forged and forwarded ones: the adapter turns a forged key into
None, and the handler re-checks a genuine key against the clicker's scope.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.routing_keys import RoutingKeys
from storage.models import Service, Team
from tests import chat
from tests.chat import TestClient, app_client, post_command, post_event, settle, slack_settings
from tests.fakes.slack_api import FakeSlack
from tests.handlers.agreement_dataset import add_moderations
from tests.handlers.status_dataset import NOW, seed

ROUTING_SECRET = "status-test-routing-secret"
KEYS = RoutingKeys(ROUTING_SECRET)


@pytest.fixture
def api(db_url: str, engine: Engine, slack: FakeSlack) -> Iterator[TestClient]:
    seed(engine)
    settings = slack_settings(db_url, slack.url, routing_secret=ROUTING_SECRET)
    with app_client(settings, engine, NOW) as client:
        yield client


def command(api: TestClient, user: str, text: str) -> dict[str, Any]:
    response = post_command(api, None, user, text)
    assert response.status_code == 200
    reply: dict[str, Any] = response.json()
    return reply


def event(api: TestClient, payload: dict[str, Any], event_id: str) -> None:
    assert post_event(api, payload, event_id=event_id).status_code == 200
    settle(api)


def click(api: TestClient, user: str, action_id: str, value: str | None) -> httpx.Response:
    response = chat.click(api, user, action_id, value)
    assert response.status_code == 200
    return response


def blocks_of(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


text_of = chat.all_text


def buttons(params: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Button label -> (action id, value), from sections' accessories and actions blocks."""
    out: dict[str, tuple[str, str | None]] = {}
    for block in blocks_of(params):
        elements = block.get("elements", []) if block["type"] == "actions" else []
        if "accessory" in block:
            label = block["text"]["text"].split("*")[1]  # the row's name
            elements = [{**block["accessory"], "text": {"text": label}}]
        for element in elements:
            if element.get("type") == "button":
                out[element["text"]["text"]] = (element["action_id"], element.get("value"))
    return out


def last_dm(slack: FakeSlack) -> dict[str, Any]:
    return slack.calls_to("chat.postMessage")[-1].params


# -- the command ------------------------------------------------------------------------------


def test_qa_lead_gets_the_authority_status_privately_with_signed_drill_downs(
    api: TestClient,
) -> None:
    reply = command(api, "U1LEAD", "status")
    assert reply["response_type"] == "ephemeral"
    text = text_of(reply)
    assert "*Status for Testshire County Council*: December 2026" in text
    assert "3 of 9 done · 2 in progress · 4 not started · *4 overdue*" in text
    assert "Good 2 · Inadequate 1" in text
    found = buttons(reply)
    action, value = found["Early Help"]
    assert action == "status.service" and KEYS.verify(value) == "service:1"
    assert KEYS.verify(found["Overdue items (11)"][1]) == "overdue:all"
    assert len(blocks_of(reply)) <= 50


def test_a_misspelt_name_gets_did_you_mean(api: TestClient) -> None:
    reply = command(api, "U1LEAD", "status Erly Help")
    assert (
        "I couldn't find a service or team called 'Erly Help': did you mean Early Help?"
        in text_of(reply)
    )
    action, value = buttons(reply)["Status for Early Help"]
    assert action == "status.service" and KEYS.verify(value) == "service:1"


def test_practitioner_is_refused_with_a_pointer_to_their_own_work(api: TestClient) -> None:
    text = text_of(command(api, "U1PAT", "status"))
    assert "Status reports are for managers and the QA team" in text and "/qa my" in text


def test_a_team_manager_asking_for_their_service_is_told_what_they_can_see(
    api: TestClient,
) -> None:
    text = text_of(command(api, "U1TM", "status Early Help"))
    assert "You can see status for Early Help 1. Ask your QA lead for the whole picture." in text


def test_a_mention_asking_for_status_is_answered_privately(
    api: TestClient, slack: FakeSlack
) -> None:
    mention = {
        "type": "app_mention",
        "channel": "C0GENERAL",
        "user": "U1HOS",
        "text": "<@U0BOT> status",
        "ts": "1700000000.000300",
    }
    event(api, mention, "EvStatus1")
    assert not slack.calls_to("chat.postMessage")
    [call] = slack.calls_to("chat.postEphemeral")
    assert call.params["user"] == "U1HOS"
    assert "*Status for Early Help*" in text_of(call.params)
    assert set(buttons(call.params)) >= {"Early Help 1", "Early Help 2"}


def test_a_direct_message_naming_a_team_is_answered_in_the_dm(
    api: TestClient, slack: FakeSlack
) -> None:
    dm = {
        "type": "message",
        "channel_type": "im",
        "channel": "DU1HOS",
        "user": "U1HOS",
        "text": "status early help 2",
        "ts": "1700000000.000400",
    }
    event(api, dm, "EvStatus2")
    params = last_dm(slack)
    assert params["channel"] == "DU1HOS"
    assert "*Status for Early Help 2*" in text_of(params)


# -- drill-down ---------------------------------------------------------------------------------


def test_service_then_team_then_overdue_items_with_owners(
    api: TestClient, slack: FakeSlack
) -> None:
    top = command(api, "U1LEAD", "status")
    click(api, "U1LEAD", *buttons(top)["Early Help"])
    service = last_dm(slack)
    assert "*Status for Early Help*" in text_of(service)
    assert "Back to Testshire County Council" in buttons(service)

    click(api, "U1LEAD", *buttons(service)["Early Help 1"])
    team = last_dm(slack)
    assert "*Status for Early Help 1*" in text_of(team)

    click(api, "U1LEAD", *buttons(team)["Overdue items (7)"])
    overdue = text_of(last_dm(slack))
    assert "*Overdue in Early Help 1*: 7 items, oldest first" in overdue
    assert "EH-1: audit, Tess Manager, due Friday 27 November" in overdue
    assert "EH-1: moderation, Hana Head, due Tuesday 8 December" in overdue
    assert "EH-1: escalation response, Dee Director" in overdue
    assert "No case: moderation, Hana Head, due Saturday 5 December" in overdue


def test_a_forged_button_value_is_refused(api: TestClient, slack: FakeSlack) -> None:
    click(api, "U1TM", "status.service", "service:2~not-our-signature")
    assert "That button has expired" in text_of(last_dm(slack))
    click(api, "U1TM", "status.service", None)
    assert "That button has expired" in text_of(last_dm(slack))


def test_a_genuine_key_forwarded_to_a_team_manager_is_refused_on_the_server(
    api: TestClient, slack: FakeSlack
) -> None:
    # The QA lead's own button, for another service, clicked by a team manager.
    _action, value = buttons(command(api, "U1LEAD", "status"))["Children Looked After"]
    click(api, "U1TM", "status.service", value)
    text = text_of(last_dm(slack))
    assert "You can see status for Early Help 1" in text
    assert "CLA" not in text and "Children Looked After" not in text
    click(api, "U1TM", "status.overdue", KEYS.sign("overdue:all"))
    assert "You can see status for Early Help 1" in text_of(last_dm(slack))
    click(api, "U1HOS", "status.team", KEYS.sign("team:3"))
    assert "You can see status for Early Help." in text_of(last_dm(slack))


def test_many_services_are_capped_within_slacks_block_limit(
    api: TestClient, engine: Engine
) -> None:
    with Session(engine) as session:
        for n in range(40):
            session.add(Service(id=100 + n, name=f"Service {n:02d}"))
            session.add(Team(id=100 + n, name=f"Team {n:02d}", service_id=100 + n))
        session.commit()
    reply = command(api, "U1LEAD", "status")
    assert len(blocks_of(reply)) <= 50
    assert "and 32 more: type `/qa status` and a name" in text_of(reply)


EVIL = 'Team <!channel> @here *bold* `code` "}]} <http://evil.example|click>'


def test_names_people_typed_into_the_staff_list_stay_inert(api: TestClient, engine: Engine) -> None:
    with Session(engine) as session:
        team = session.get(Team, 1)
        assert team is not None
        team.name = EVIL
        session.add(team)
        session.commit()
    reply = command(api, "U1HOS", "status")
    text = text_of(reply)
    assert "<!channel>" not in text and "<http://evil" not in text and "*bold*" not in text
    assert "&lt;!channel&gt;" in text
    assert len(blocks_of(reply)) == len(blocks_of(command(api, "U1LEAD", "status Early Help")))


# -- agreement --------------------------------------------------------------------------------


def test_qa_lead_sees_agreement_with_n_beside_every_figure_and_per_service(
    api: TestClient, engine: Engine, slack: FakeSlack
) -> None:
    """Figures worked by hand in tests/handlers/agreement_dataset.py."""
    add_moderations(engine)
    top = command(api, "U1LEAD", "status")
    text = text_of(top)
    assert "*Agreement between auditors and moderators*, January 2026 to December 2026" in text
    assert (
        "• Overall grade (n 4): exact 50% · within one grade 100% · kappa 0.75 · AC1 0.34" in text
    )
    assert "• Assessment (n 5): exact 60% · within one grade 100%" in text
    assert "• Planning (n 5): exact 80% · within one grade 80%" in text
    click(api, "U1LEAD", *buttons(top)["Early Help"])
    assert "• Overall grade (n 3): exact 67%" in text_of(last_dm(slack))


def test_per_auditor_figures_go_to_the_qa_lead_and_the_line_chain_only(
    api: TestClient, engine: Engine, slack: FakeSlack
) -> None:
    add_moderations(engine)
    action, value = buttons(command(api, "U1LEAD", "status"))["Agreement by auditor"]
    assert action == "status.auditors" and KEYS.verify(value) == "all"
    click(api, "U1LEAD", action, value)
    lead = text_of(last_dm(slack))
    assert "*Tom Manager* (n 2): exact 50%" in lead and "*Tess Manager* (n 2): exact 50%" in lead

    # Hana manages Tom, not Tess: the same signed button shows her Tom only.
    click(api, "U1HOS", action, value)
    hana = text_of(last_dm(slack))
    assert "Tom Manager" in hana and "Tess Manager" not in hana

    # The director sees every figure but manages nobody: no button, and a forwarded
    # button shows no one's figures.
    assert "Agreement by auditor" not in buttons(command(api, "U1DIR", "status"))
    click(api, "U1DIR", action, value)
    director = text_of(last_dm(slack))
    assert "No one you manage" in director
    assert "Tom Manager" not in director and "Tess Manager" not in director


def test_a_team_status_shows_no_agreement_figures(api: TestClient, engine: Engine) -> None:
    add_moderations(engine)
    text = text_of(command(api, "U1TM", "status"))
    assert "*Status for Early Help 1*" in text and "Agreement between" not in text
