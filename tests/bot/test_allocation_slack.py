"""The allocation prompt and "Can't do this one" in Slack, through the real endpoint.

The monthly job queues the prompts; the outbox sender delivers them to the fake Slack
Web API; the buttons found in what Slack received are clicked with signed requests
into `POST /slack/events`; the modal Slack was asked to open is submitted back. Waits
are on conditions (the listener pool going idle, the outbox drained), never sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from qa.framework import load_framework
from storage.models import Allocation, Audit, OutboxMessage, Person
from tests import chat
from tests.bot.test_render import EVIL
from tests.chat import SMALL, TestClient, app_client, count, deliver, last_view, slack_settings
from tests.fakes.slack_api import Call, FakeSlack
from tests.handlers.allocation_world import (
    NOW,
    World,
    allocate_the_month,
    allocated_world,
    allocation_for,
    seed_world,
)

FRAMEWORK = load_framework(str(SMALL))


@pytest.fixture
def api(db_url: str, engine: Engine, slack: FakeSlack) -> Iterator[TestClient]:
    settings = slack_settings(db_url, slack.url)
    with app_client(settings, engine, NOW, framework=FRAMEWORK) as client:
        yield client


@pytest.fixture
def world(engine: Engine) -> World:
    """The small authority, with the month allocated and every prompt delivered."""
    return allocated_world(engine, FRAMEWORK)


# -- driving Slack ------------------------------------------------------------------------


def click(api: TestClient, user: str, action_id: str, value: str) -> httpx.Response:
    """A button in the bot's DM with `user`."""
    return chat.click(api, user, action_id, value)


def submit(
    api: TestClient, user: str, view: dict[str, Any], values: dict[str, Any]
) -> httpx.Response:
    """Submit the modal `view` (as Slack was asked to open it) with `values` {block: element}."""
    state = {block: {block: element} for block, element in values.items()}
    shown = chat.modal(view, {"values": state}, title=view["title"], blocks=view["blocks"])
    return chat.post_interaction(api, chat.view_submission(user, shown))


def blocks(call: Call) -> list[dict[str, Any]]:
    found = call.params.get("blocks")
    return json.loads(found) if isinstance(found, str) else list(found or [])


def text(call: Call) -> str:
    return json.dumps(blocks(call), ensure_ascii=False) + str(call.params.get("text", ""))


def buttons(call: Call) -> dict[tuple[str, str], str]:
    """(action id, the case reference of its section) -> signed value, from a message."""
    out, reference = {}, ""
    for block in blocks(call):
        if block["type"] == "section":
            words = block["text"]["text"].split("*")
            reference = words[1] if len(words) > 2 else reference
        if block["type"] == "actions":
            for element in block["elements"]:
                if "value" in element:
                    out[(element["action_id"], reference)] = element["value"]
    return out


def posted_to(slack: FakeSlack, channel: str, method: str = "chat.postMessage") -> list[Call]:
    return [c for c in slack.calls_to(method) if c.params.get("channel") == channel]


def allocation(engine: Engine, allocation_id: int) -> Allocation:
    with Session(engine) as session:
        row = session.get(Allocation, allocation_id)
        assert row is not None
        return row


# -- the tests ----------------------------------------------------------------------------


def test_the_monthly_prompt_lists_each_case_with_buttons_that_route_back(
    api: TestClient, slack: FakeSlack, world: World
) -> None:
    deliver(api)
    (prompt,) = posted_to(slack, "U0SAM")
    assert prompt.params["text"].startswith("Your audit for January: 1 case, due by ")
    found = buttons(prompt)
    assert set(found) == {("audit.start", "CASE-1"), ("allocation.decline", "CASE-1")}
    assert found[("allocation.decline", "CASE-1")].startswith(f"allocation:{world.allocation}~")
    (summary,) = posted_to(slack, "U0LEE")
    assert "allocations to 2 people" in text(summary)

    click(api, "U0SAM", "allocation.decline", found[("allocation.decline", "CASE-1")])

    view = last_view(slack)
    assert view["callback_id"] == "allocation.decline"
    assert view["private_metadata"] == found[("allocation.decline", "CASE-1")]
    assert "CASE-1" in json.dumps(view["blocks"])


def test_cant_do_this_one_end_to_end_then_the_qa_lead_confirms(
    api: TestClient, slack: FakeSlack, engine: Engine, world: World
) -> None:
    deliver(api)
    (prompt,) = posted_to(slack, "U0SAM")
    click(api, "U0SAM", "allocation.decline", buttons(prompt)[("allocation.decline", "CASE-1")])
    form = last_view(slack)

    # "Something else" without a word: Slack shows the error by the field; nothing changes.
    answer = submit(api, "U0SAM", form, {"reason": _radio("other"), "details": _text(None)})
    assert answer.json()["response_action"] == "errors" and "details" in answer.json()["errors"]
    assert allocation(engine, world.allocation).status == "allocated"

    answer = submit(api, "U0SAM", form, {"reason": _radio("absence"), "details": _text(None)})
    assert answer.status_code == 200 and not answer.content  # the modal closes
    (receipt,) = posted_to(slack, "U0SAM")[1:]
    assert "I've let the QA lead know about CASE-1" in text(receipt)
    assert allocation(engine, world.allocation).status == "released"

    deliver(api)
    # Sam's prompt is edited in place; Lee is asked to confirm Pat.
    (edit,) = posted_to(slack, prompt.params["channel"], "chat.update")
    assert edit.params["ts"] == _ts(slack, prompt) and "can't do this one" in text(edit)
    assert ("allocation.decline", "CASE-1") not in buttons(edit)
    ask = posted_to(slack, "U0LEE")[-1]
    assert "Sam Jones can't do CASE-1" in text(ask) and "Pat Smith takes CASE-1" in text(ask)
    confirm = buttons(ask)[("allocation.confirm", "Proposed:")]

    # Pat is not a QA lead: refused politely, nothing changes.
    before = count(engine, OutboxMessage)
    click(api, "U0PAT", "allocation.confirm", confirm)
    assert "Only a QA lead can settle" in text(posted_to(slack, "DU0PAT")[-1])
    assert count(engine, OutboxMessage) == before

    click(api, "U0LEE", "allocation.confirm", confirm)
    assert "Done: Pat Smith takes CASE-1" in text(posted_to(slack, "DU0LEE")[-1])
    proposal = int(confirm.split("~")[0].split(":")[1])
    assert allocation(engine, proposal).status == "allocated"
    deliver(api)
    (settled,) = posted_to(slack, ask.params["channel"], "chat.update")
    assert "Confirmed by Lee Lead on Tuesday 5 January" in text(settled)
    assert not buttons(settled)
    new_prompt = posted_to(slack, "U0PAT")[-1]
    assert "Please take on this audit in January: CASE-1" in text(new_prompt)
    assert ("audit.start", "CASE-1") in buttons(new_prompt)

    # A second click on Confirm does nothing more.
    queued = count(engine, OutboxMessage)
    click(api, "U0LEE", "allocation.confirm", confirm)
    assert "already settled by Lee Lead" in text(posted_to(slack, "DU0LEE")[-1])
    assert count(engine, OutboxMessage) == queued


def test_a_click_by_someone_else_or_with_a_forged_key_is_refused_and_changes_nothing(
    api: TestClient, slack: FakeSlack, engine: Engine, world: World
) -> None:
    deliver(api)
    value = buttons(posted_to(slack, "U0SAM")[0])[("allocation.decline", "CASE-1")]
    queued = count(engine, OutboxMessage)

    click(api, "U0PAT", "allocation.decline", value)
    click(api, "U0SAM", "allocation.decline", f"allocation:{world.allocation}~forged")
    click(api, "U0SAM", "allocation.decline", f"allocation:{world.allocation}")

    assert slack.calls_to("views.open") == []
    assert "allocated to a colleague" in text(posted_to(slack, "DU0PAT")[-1])
    refusals = posted_to(slack, "DU0SAM")
    assert len(refusals) == 2 and all("isn't valid any more" in text(r) for r in refusals)
    assert allocation(engine, world.allocation).status == "allocated"
    assert count(engine, OutboxMessage) == queued


def test_pick_another_through_the_modal(
    api: TestClient, slack: FakeSlack, engine: Engine, world: World
) -> None:
    deliver(api)
    decline = buttons(posted_to(slack, "U0SAM")[0])[("allocation.decline", "CASE-1")]
    click(api, "U0SAM", "allocation.decline", decline)
    submit(api, "U0SAM", last_view(slack), {"reason": _radio("conflict"), "details": _text("")})
    deliver(api)
    ask = posted_to(slack, "U0LEE")[-1]
    assert "Sam Jones takes case" in text(ask)  # the engine's first idea: another case for Sam
    click(
        api, "U0LEE", "allocation.pick_other", buttons(ask)[("allocation.pick_other", "Proposed:")]
    )
    form = last_view(slack)
    assert form["callback_id"] == "allocation.pick"
    (select_block,) = [b for b in form["blocks"] if b.get("block_id") == "choice"]
    groups = select_block["element"]["option_groups"]
    choice = groups[0]["options"][0]["value"]
    assert choice == f"person:{world.pat}"

    answer = submit(api, "U0LEE", form, {"choice": _select(choice)})
    assert answer.status_code == 200 and not answer.content
    assert "Done: Pat Smith takes CASE-1" in text(posted_to(slack, "U0LEE")[-1])
    assert allocation_for(engine, world.pat, world.cases["CASE-1"]).status == "allocated"


def test_start_audit_opens_the_dialog_only_for_the_allocated_person(
    api: TestClient, slack: FakeSlack, engine: Engine, world: World
) -> None:
    deliver(api)
    start = buttons(posted_to(slack, "U0SAM")[0])[("audit.start", "CASE-1")]

    click(api, "U0PAT", "audit.start", start)
    assert slack.calls_to("views.open") == []
    assert count(engine, Audit) == 0
    assert posted_to(slack, "DU0PAT"), "Pat is told why not"

    click(api, "U0SAM", "audit.start", start)
    view = last_view(slack)
    assert view["type"] == "modal" and "CASE-1" in json.dumps(view)
    with Session(engine) as session:
        (audit,) = session.exec(select(Audit)).all()
        assert audit.allocation_id == world.allocation and audit.auditor_id == world.sam


# -- Slack's element state shapes ----------------------------------------------------------


def _radio(value: str) -> dict[str, Any]:
    return {"type": "radio_buttons", "selected_option": {"value": value}}


def _select(value: str) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


def _text(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _ts(slack: FakeSlack, call: Call) -> str:
    """The ts Slack gave the message `call` posted."""
    index = slack.calls_to("chat.postMessage").index(call)
    return [p.ts for p in slack.posts("chat.postMessage")][index]


def test_the_persons_own_words_reach_only_the_qa_lead_and_cannot_format_or_ping(
    api: TestClient, slack: FakeSlack, world: World
) -> None:
    deliver(api)
    decline = buttons(posted_to(slack, "U0SAM")[0])[("allocation.decline", "CASE-1")]
    click(api, "U0SAM", "allocation.decline", decline)
    submit(api, "U0SAM", last_view(slack), {"reason": _radio("other"), "details": _text(EVIL)})
    deliver(api)

    ask = text(posted_to(slack, "U0LEE")[-1])
    assert "Something else" in ask and "&lt;!channel&gt;" in ask
    for raw in ("<!channel>", "<@U123>", "<http://evil", "*bold*", "`code`"):
        assert raw not in ask
    others = [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] != "U0LEE"]
    others += slack.calls_to("chat.update")
    assert all("evil.example" not in text(c) for c in others)


def test_a_started_case_can_still_be_declined_and_its_draft_is_withdrawn(
    api: TestClient, slack: FakeSlack, engine: Engine, world: World
) -> None:
    deliver(api)
    (prompt,) = posted_to(slack, "U0SAM")
    click(api, "U0SAM", "audit.start", buttons(prompt)[("audit.start", "CASE-1")])
    assert "audit.step" in json.dumps(last_view(slack))  # started: the draft exists
    assert allocation(engine, world.allocation).status == "in_progress"

    # The prompt still offers "Can't do this one" for the started case (issue 17).
    click(api, "U0SAM", "allocation.decline", buttons(prompt)[("allocation.decline", "CASE-1")])
    form = last_view(slack)
    assert form["callback_id"] == "allocation.decline"
    assert "The draft you started will be withdrawn" in json.dumps(form)
    answer = submit(api, "U0SAM", form, {"reason": _radio("conflict"), "details": _text(None)})
    assert answer.status_code == 200 and not answer.content

    assert allocation(engine, world.allocation).status == "released"
    with Session(engine) as session:
        (audit,) = session.exec(select(Audit)).all()
        assert audit.status == "withdrawn"
    deliver(api)
    (edit,) = posted_to(slack, prompt.params["channel"], "chat.update")
    assert ("allocation.decline", "CASE-1") not in buttons(edit)
    ask = posted_to(slack, "U0LEE")[-1]
    assert "Sam Jones can't do CASE-1" in text(ask)


def test_a_head_of_service_is_told_all_four_moderation_slots_once(
    api: TestClient, slack: FakeSlack, engine: Engine
) -> None:
    """Issue 17 item 4: four slots stored and told, and a re-run adds and sends nothing."""
    with Session(engine) as session:
        seed_world(session)
        session.add(
            Person(
                email="hana@testshire.gov.uk", name="Hana Head", roles=["head_of_service"],
                slack_user_id="U0HANA", created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
        for _ in range(2):
            allocate_the_month(session, FRAMEWORK)
        session.commit()
    deliver(api)
    (prompt,) = posted_to(slack, "U0HANA")
    assert "4 moderations this month" in text(prompt)
    with Session(engine) as session:
        slots = session.exec(select(Allocation).where(Allocation.activity == "moderation")).all()
    assert len(slots) == 4
