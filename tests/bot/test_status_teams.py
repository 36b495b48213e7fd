"""`status` on Teams, through the real endpoint: activities into `POST /api/messages`.

Typed words come back as a card in the chat; an `Action.Execute` press on a drill-down
button answers with the next card in place (the invoke response). Buttons carry the
very routing keys the bot rendered; forged and forwarded ones are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.routing_keys import RoutingKeys
from storage.models import Team
from tests import chat
from tests.chat import TestClient, app_client, post_activity, teams_settings
from tests.fakes.connector import ConnectorCall, FakeConnector
from tests.handlers.agreement_dataset import add_moderations
from tests.handlers.status_dataset import NOW, seed

ROUTING_SECRET = "status-test-routing-secret"
KEYS = RoutingKeys(ROUTING_SECRET)


@pytest.fixture
def client(db_url: str, engine: Engine) -> Iterator[TestClient]:
    seed(engine)
    settings = teams_settings(db_url, QA_BOT_ROUTING_SECRET=ROUTING_SECRET)
    with app_client(settings, engine, NOW) as test_client:
        yield test_client


def say(
    client: TestClient, connector: FakeConnector, user: str, text: str, **kw: Any
) -> ConnectorCall:
    return chat.say(client, connector, f"aad-{user}", text, **kw)


def press(
    client: TestClient, connector: FakeConnector, user: str, data: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    return chat.press(client, connector, f"aad-{user}", data, **kw)


def card_text(card: dict[str, Any]) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"text", "title", "value"} and isinstance(value, str):
                    parts.append(value)
                elif key != "data":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return "\n".join(parts)


def actions(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Button title -> its data, for every Action.Execute in the card (rows: the row name)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any, label: str | None) -> None:
        if isinstance(node, dict):
            if node.get("type") == "ColumnSet":
                label = node["columns"][0]["items"][0]["text"].split("**")[1]
            if node.get("type") == "Action.Execute":
                found[label or node["title"]] = node["data"]
                return
            for value in node.values():
                walk(value, label)
        elif isinstance(node, list):
            for value in node:
                walk(value, label)

    walk(card.get("body", []), None)
    walk(card.get("actions", []), None)
    return found


def test_typing_status_gets_the_authority_card_for_a_qa_lead(
    client: TestClient, connector: FakeConnector
) -> None:
    (card,) = say(client, connector, "U1LEAD", "status").cards
    text = card_text(card)
    assert "Status for Testshire County Council: December 2026" in text
    assert "3 of 9 done, 2 in progress, 4 not started, 4 overdue" in text
    assert "Good 2, Inadequate 1" in text
    data = actions(card)["Early Help"]
    assert data["action"] == "status.service"
    assert KEYS.verify(data["routing_key"]) == "service:1"


def test_a_mention_in_a_channel_asking_for_status_is_answered(
    client: TestClient, connector: FakeConnector
) -> None:
    sent = say(
        client,
        connector,
        "U1HOS",
        "<at>QA bot</at> status",
        conversation_id="19:qa@thread.tacv2",
        conversation_type="channel",
    )
    assert "Status for Early Help: December 2026" in card_text(sent.cards[0])


def test_typing_a_misspelt_name_gets_did_you_mean(
    client: TestClient, connector: FakeConnector
) -> None:
    (card,) = say(client, connector, "U1LEAD", "status Erly Help").cards
    assert (
        "I couldn't find a service or team called 'Erly Help': did you mean Early Help?"
        in card_text(card)
    )
    assert KEYS.verify(actions(card)["Status for Early Help"]["routing_key"]) == "service:1"


def test_practitioner_typing_status_is_pointed_at_my(
    client: TestClient, connector: FakeConnector
) -> None:
    (card,) = say(client, connector, "U1PAT", "status").cards
    assert "Status reports are for managers and the QA team" in card_text(card)
    assert actions(card)["My work"]["action"] == "my"


def test_drilling_down_replaces_the_card_in_place(
    client: TestClient, connector: FakeConnector
) -> None:
    (top,) = say(client, connector, "U1LEAD", "status").cards
    sent_before = len(connector.messages())

    service = press(client, connector, "U1LEAD", actions(top)["Early Help"])
    assert "Status for Early Help: December 2026" in card_text(service)

    team = press(client, connector, "U1LEAD", actions(service)["Early Help 1"])
    assert "Status for Early Help 1: December 2026" in card_text(team)

    overdue = press(client, connector, "U1LEAD", actions(team)["Overdue items (7)"])
    text = card_text(overdue)
    assert "Overdue in Early Help 1: 7 items, oldest first" in text
    assert "Audit, Tess Manager, due Friday 27 November" in text
    assert "Action, Pat Worker, due Tuesday 1 December" in text

    back = press(client, connector, "U1LEAD", actions(overdue)["Back to Early Help 1"])
    assert "Status for Early Help 1" in card_text(back)
    assert len(connector.messages()) == sent_before  # all in place, nothing new posted


def test_the_overdue_list_is_not_shown_in_a_channel(
    client: TestClient, connector: FakeConnector
) -> None:
    data = {"action": "status.overdue", "routing_key": KEYS.sign("overdue:team:1")}
    card = press(
        client,
        connector,
        "U1TM",
        data,
        conversation_id="19:qa@thread.tacv2",
        conversation_type="channel",
    )
    text = card_text(card)
    assert "only show it in our one-to-one chat" in text and "Tess" not in text


def test_forged_and_forwarded_keys_are_refused(
    client: TestClient, connector: FakeConnector
) -> None:
    forged = {"action": "status.service", "routing_key": "service:1~forged"}
    assert "That button has expired" in card_text(press(client, connector, "U1TM", forged))

    (lead_card,) = say(client, connector, "U1LEAD", "status").cards
    forwarded = actions(lead_card)["Children Looked After"]
    text = card_text(press(client, connector, "U1TM", forwarded))
    assert "You can see status for Early Help 1. Ask your QA lead for the whole picture." in text
    assert "Children Looked After" not in text

    overdue = {"action": "status.overdue", "routing_key": KEYS.sign("overdue:service:2")}
    assert "You can see status for Early Help." in card_text(
        press(client, connector, "U1HOS", overdue)
    )


def test_an_action_submit_press_drills_down_too(
    client: TestClient, connector: FakeConnector
) -> None:
    data = {"action": "status.team", "routing_key": KEYS.sign("team:2")}
    pressed = chat.submit(data, service_url=connector.url, aad_object_id="aad-U1HOS")
    assert post_activity(client, pressed).status_code == 200
    (sent,) = connector.messages()
    assert "Status for Early Help 2" in sent.all_text


def test_names_from_the_staff_list_stay_inert_in_the_card(
    client: TestClient, connector: FakeConnector, engine: Engine
) -> None:
    with Session(engine) as session:
        team = session.get(Team, 2)
        assert team is not None
        team.name = "Team ${x} [link](http://evil.example) <at>Boss</at>"
        session.add(team)
        session.commit()
    (card,) = say(client, connector, "U1HOS", "status").cards
    text = card_text(card)
    assert "${x}" not in text and "[link](" not in text and "<at>Boss" not in text


# -- agreement --------------------------------------------------------------------------------


def test_qa_lead_sees_agreement_then_per_service_and_per_auditor(
    client: TestClient, connector: FakeConnector, engine: Engine
) -> None:
    """Figures worked by hand in tests/handlers/agreement_dataset.py."""
    add_moderations(engine)
    (card,) = say(client, connector, "U1LEAD", "status").cards
    text = card_text(card).replace("\\.", ".")  # the card escapes "0.75" as markdown
    assert "Agreement between auditors and moderators, January 2026 to December 2026" in text
    assert "Overall grade (n 4)" in text
    assert "exact 50%, within one grade 100%, kappa 0.75, AC1 0.34" in text
    assert "Assessment (n 5)" in text and "exact 60%, within one grade 100%" in text

    service = press(client, connector, "U1LEAD", actions(card)["Early Help"])
    assert "Overall grade (n 3)" in card_text(service)

    auditors = card_text(press(client, connector, "U1LEAD", actions(card)["Agreement by auditor"]))
    assert "Tom Manager (n 2)" in auditors and "Tess Manager (n 2)" in auditors


def test_per_auditor_figures_follow_the_line_chain_and_stay_out_of_channels(
    client: TestClient, connector: FakeConnector, engine: Engine
) -> None:
    add_moderations(engine)
    data = {"action": "status.auditors", "routing_key": KEYS.sign("all")}
    hana = card_text(press(client, connector, "U1HOS", data))
    assert "Tom Manager (n 2)" in hana and "Tess" not in hana
    director = card_text(press(client, connector, "U1DIR", data))
    assert "No one you manage" in director and "Tom" not in director
    channel = card_text(
        press(
            client,
            connector,
            "U1LEAD",
            data,
            conversation_id="19:qa@thread.tacv2",
            conversation_type="channel",
        )
    )
    assert "only show it in our one-to-one chat" in channel and "Tom" not in channel
