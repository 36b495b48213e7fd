"""The allocation prompt and "Can't do this one" in Teams, through the real endpoint.

The app runs in playground mode (no inbound authentication); people's stored
conversation references point at the in-project fake Bot Connector, so the outbox
sender's proactive cards land there. Buttons found in those cards are pressed as
`Action.Execute` invokes into `POST /api/messages`; each invoke answers with the card
Teams shows in place. Waits are on the outbox draining, never sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from qa.framework import load_framework
from storage.models import Allocation, Audit, OutboxMessage, Person
from tests import chat
from tests.bot.test_render import EVIL
from tests.chat import SMALL, TestClient, app_client, count, deliver, teams_settings
from tests.fakes.connector import ConnectorCall, FakeConnector
from tests.handlers.allocation_world import (
    NOW,
    World,
    allocate_the_month,
    allocated_world,
    allocation_for,
    on_teams,
    seed_world,
    teams_chat,
)

FRAMEWORK = load_framework(str(SMALL))


@pytest.fixture
def client(db_url: str, engine: Engine) -> Iterator[TestClient]:
    with app_client(teams_settings(db_url), engine, NOW, framework=FRAMEWORK) as test_client:
        yield test_client


@pytest.fixture
def world(engine: Engine, connector: FakeConnector) -> World:
    """The small authority in Teams, the month allocated, prompts queued."""
    return allocated_world(engine, FRAMEWORK, chat=teams_chat(connector.url))


# -- driving Teams ------------------------------------------------------------------------


def press(
    client: TestClient, connector: FakeConnector, who: str, data: dict[str, Any], **inputs: Any
) -> dict[str, Any]:
    """Press a card button as `who` (with form `inputs`); the card Teams shows in place."""
    # each person's own 1:1 chat with the bot
    where = f"a:chat-{who}"
    return chat.press(client, connector, f"aad-{who}", {**data, **inputs}, conversation_id=where)


def actions(node: Any) -> dict[str, dict[str, Any]]:
    """Every Action.Execute in a card: its `data.action` (plus the reference it sits under)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(item: Any, reference: str) -> None:
        if isinstance(item, list):
            for child in item:
                walk(child, reference)
        elif isinstance(item, dict):
            if item.get("type") == "Action.Execute":
                found[f"{item['data']['action']}@{reference}"] = item["data"]
                return
            if item.get("type") == "Container":
                first = item["items"][0].get("text", "")
                reference = first.split(":")[0]
            for value in item.values():
                walk(value, reference)

    walk(node, "")
    return found


def text_of(node: Any) -> str:
    """What a person reads on a card: texts, titles, fact values, labels, in order."""
    if isinstance(node, dict):
        parts = [v for k, v in node.items() if k in READABLE and isinstance(v, str)]
        parts += [text_of(v) for k, v in node.items() if k != "data" and not isinstance(v, str)]
        return "\n".join(p for p in parts if p)
    if isinstance(node, list):
        return "\n".join(text_of(v) for v in node)
    return ""


READABLE = {"text", "title", "value", "label", "placeholder"}


def sent_to(connector: FakeConnector, who: str, operation: str = "send") -> list[ConnectorCall]:
    return [c for c in connector.calls_to(operation) if c.conversation_id == f"a:chat-{who}"]


def status(engine: Engine, allocation_id: int) -> str:
    with Session(engine) as session:
        row = session.get(Allocation, allocation_id)
        assert row is not None
        return row.status


# -- the tests ----------------------------------------------------------------------------


def test_cant_do_this_one_end_to_end_then_the_qa_lead_confirms(
    client: TestClient, connector: FakeConnector, engine: Engine, world: World
) -> None:
    deliver(client)
    (prompt,) = sent_to(connector, "sam")
    (card,) = prompt.cards
    assert text_of(card).startswith("Your audit for January: 1 case, due by ")
    buttons = actions(card)
    assert set(buttons) == {"audit.start@CASE-1", "allocation.decline@CASE-1"}
    decline = buttons["allocation.decline@CASE-1"]
    assert decline["routing_key"].startswith(f"allocation:{world.allocation}~")

    form = press(client, connector, "sam", decline)
    assert form["type"] == "AdaptiveCard" and "Can't do this one: CASE-1" in text_of(form)
    submit = actions(form)["allocation.decline@"]
    assert submit["kind"] == "submission"

    # "Something else" with no words: the form comes back with the error; nothing changes.
    again = press(client, connector, "sam", submit, reason="other", details="")
    assert "Tell the QA lead briefly why" in text_of(again)
    assert status(engine, world.allocation) == "allocated"

    receipt = press(client, connector, "sam", submit, reason="absence", details="")
    assert "I've let the QA lead know about CASE-1" in text_of(receipt)
    assert status(engine, world.allocation) == "released"

    deliver(client)
    (edit,) = sent_to(connector, "sam", "update")  # the prompt, edited in place
    assert edit.activity_id == "activity-" + str(_sent_id(connector, prompt))
    assert "can't do this one" in text_of(edit.cards) and not actions(edit.cards)
    ask = sent_to(connector, "lee")[-1]
    assert "Sam Jones can't do CASE-1" in text_of(ask.cards)
    assert "Pat Smith takes CASE-1" in text_of(ask.cards)
    confirm = actions(ask.cards)["allocation.confirm@"]

    # Pat is not a QA lead: refused politely, nothing changes.
    queued = count(engine, OutboxMessage)
    refused = press(client, connector, "pat", confirm)
    assert "Only a QA lead can settle" in text_of(refused)
    assert count(engine, OutboxMessage) == queued

    settled = press(client, connector, "lee", confirm)
    assert "Confirmed by Lee Lead on Tuesday 5 January" in text_of(settled)
    assert not actions(settled)
    proposal = int(confirm["routing_key"].split("~")[0].split(":")[1])
    assert status(engine, proposal) == "allocated"
    deliver(client)
    (lead_edit,) = sent_to(connector, "lee", "update")
    assert "Confirmed by Lee Lead" in text_of(lead_edit.cards)
    new_prompt = sent_to(connector, "pat")[-1]
    assert "Please take on this audit in January: CASE-1" in text_of(new_prompt.cards)
    assert "audit.start@CASE-1" in actions(new_prompt.cards)

    # A second press on Confirm does nothing more.
    queued = count(engine, OutboxMessage)
    twice = press(client, connector, "lee", confirm)
    assert "already settled by Lee Lead" in text_of(twice)
    assert count(engine, OutboxMessage) == queued


def test_a_press_by_someone_else_or_with_a_forged_key_is_refused_and_changes_nothing(
    client: TestClient, connector: FakeConnector, engine: Engine, world: World
) -> None:
    deliver(client)
    decline = actions(sent_to(connector, "sam")[0].cards)["allocation.decline@CASE-1"]
    queued = count(engine, OutboxMessage)

    not_yours = press(client, connector, "pat", decline)
    forged = press(
        client,
        connector,
        "sam",
        {**decline, "routing_key": f"allocation:{world.allocation}~forged"},
    )
    submitted = press(client, connector, "pat", {**decline, "kind": "submission"}, reason="absence")

    assert "allocated to a colleague" in text_of(not_yours)
    assert "allocated to a colleague" in text_of(submitted)
    assert "isn't valid any more" in text_of(forged)
    assert status(engine, world.allocation) == "allocated"
    assert count(engine, OutboxMessage) == queued


def test_pick_another_and_back(
    client: TestClient, connector: FakeConnector, engine: Engine, world: World
) -> None:
    deliver(client)
    decline = actions(sent_to(connector, "sam")[0].cards)["allocation.decline@CASE-1"]
    form = press(client, connector, "sam", decline)
    press(client, connector, "sam", actions(form)["allocation.decline@"], reason="conflict")
    back = press(client, connector, "sam", actions(form)["allocation.show@"])
    assert "Nothing is left to do from this list" in text_of(back)
    deliver(client)
    ask = sent_to(connector, "lee")[-1]
    pick = press(client, connector, "lee", actions(ask.cards)["allocation.pick_other@"])
    (choice,) = [b for b in pick["body"] if b.get("id") == "choice"]
    assert choice["choices"][0]["value"] == f"person:{world.pat}"
    assert "allocation.proposal@" in actions(pick)  # Back to the request
    request = press(client, connector, "lee", actions(pick)["allocation.proposal@"])
    assert "allocation.confirm@" in actions(request)

    done = press(
        client, connector, "lee", actions(pick)["allocation.pick@"], choice=f"person:{world.pat}"
    )
    assert "Chosen by Lee Lead" in text_of(done)
    assert allocation_for(engine, world.pat, world.cases["CASE-1"]).status == "allocated"


def test_start_audit_opens_the_dialog_only_for_the_allocated_person(
    client: TestClient, connector: FakeConnector, engine: Engine, world: World
) -> None:
    deliver(client)
    start = actions(sent_to(connector, "sam")[0].cards)["audit.start@CASE-1"]

    refused = press(client, connector, "pat", start)
    assert count(engine, Audit) == 0 and not actions(refused).keys() & {"audit.step@"}

    dialog = press(client, connector, "sam", start)
    assert dialog["type"] == "AdaptiveCard" and "CASE-1" in text_of(dialog)
    with Session(engine) as session:
        (audit,) = session.exec(select(Audit)).all()
        assert audit.allocation_id == world.allocation and audit.auditor_id == world.sam


def _sent_id(connector: FakeConnector, call: ConnectorCall) -> int:
    """The activity id number the fake gave the message `call` sent."""
    return connector.calls_to().index(call) + 1


def test_the_persons_own_words_reach_only_the_qa_lead_and_cannot_format(
    client: TestClient, connector: FakeConnector, world: World
) -> None:
    deliver(client)
    decline = actions(sent_to(connector, "sam")[0].cards)["allocation.decline@CASE-1"]
    form = press(client, connector, "sam", decline)
    press(
        client, connector, "sam", actions(form)["allocation.decline@"], reason="other", details=EVIL
    )
    deliver(client)

    ask = text_of(sent_to(connector, "lee")[-1].cards)
    assert "Something else" in ask and "Boss" in ask
    for raw in ("${x}", "*bold*", "[link](", "<at>Boss"):
        assert raw not in ask
    others = [c for c in connector.messages() if c.conversation_id != "a:chat-lee"]
    others += connector.calls_to("update")
    assert all("evil.example" not in text_of(c.cards) for c in others)


def test_cant_do_this_one_stays_after_start_and_withdraws_the_draft(
    client: TestClient, connector: FakeConnector, engine: Engine, world: World
) -> None:
    deliver(client)
    (prompt,) = sent_to(connector, "sam")
    start = actions(prompt.cards)["audit.start@CASE-1"]

    # Start gives the prompt back in place (the step follows as its own card): the
    # started case says Carry on and keeps its "Can't do this one" (issue 17).
    kept = press(client, connector, "sam", start)
    assert status(engine, world.allocation) == "in_progress"
    assert "Carry on" in text_of(kept)
    decline = actions(kept)["allocation.decline@CASE-1"]

    form = press(client, connector, "sam", decline)
    assert "The draft you started will be withdrawn" in text_of(form)
    receipt = press(client, connector, "sam", actions(form)["allocation.decline@"],
                    reason="conflict", details="")  # fmt: skip
    assert "I've let the QA lead know about CASE-1" in text_of(receipt)
    assert status(engine, world.allocation) == "released"
    with Session(engine) as session:
        (audit,) = session.exec(select(Audit)).all()
        assert audit.status == "withdrawn"

    deliver(client)
    ask = sent_to(connector, "lee")[-1]
    assert "Sam Jones can't do CASE-1" in text_of(ask.cards)


def test_a_head_of_service_is_told_all_four_moderation_slots_once(
    client: TestClient, connector: FakeConnector, engine: Engine
) -> None:
    """Issue 17 item 4: four slots stored and told, and a re-run adds and sends nothing."""
    with Session(engine) as session:
        seed_world(session, chat=teams_chat(connector.url))
        session.add(
            Person(
                email="hana@testshire.gov.uk", name="Hana Head", roles=["head_of_service"],
                created_at=NOW, updated_at=NOW, **on_teams(connector.url, "hana"),
            )
        )  # fmt: skip
        for _ in range(2):
            allocate_the_month(session, FRAMEWORK)
        session.commit()
    deliver(client)
    (prompt,) = sent_to(connector, "hana")
    assert "4 moderations this month" in text_of(prompt.body)
    with Session(engine) as session:
        slots = session.exec(select(Allocation).where(Allocation.activity == "moderation")).all()
    assert len(slots) == 4
