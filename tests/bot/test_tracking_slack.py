"""Tracking on Slack, through the real endpoint: a reminder goes out, its buttons open
forms (signed `block_actions`), forms are submitted (`view_submission`), and the
reminder is edited in place (`chat.update`) by the outbox sender.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.render import Renderer
from reminders.tracking import AUDIT_ESCALATIONS, REMINDERS
from storage.models import Recommendation
from tests import chat
from tests.bot.samples.tracking import SAMPLES, rec
from tests.bot.test_render import EVIL
from tests.chat import (
    Clock,
    TestClient,
    all_text,
    app_client,
    last_view,
    settle,
    slack_settings,
)
from tests.chat import deliver_unpaced as deliver
from tests.fakes.slack_api import FakeSlack
from tests.reminders.tracking_world import (
    LAMBETH,
    World,
    add_audit,
    add_recommendation,
    at,
    build_world,
    escalations,
    ticker,
)

NOW = at(2026, 12, 1, 10)
IDS = {
    "director": {"slack_user_id": "UDIR"},
    "ad": {"slack_user_id": "UAD"},
    "worker": {"slack_user_id": "USW"},
    "auditor": {"slack_user_id": "UAUD"},
}


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def api(db_url: str, engine: Engine, slack: FakeSlack, clock: Clock) -> Iterator[TestClient]:
    settings = slack_settings(db_url, slack.url)
    with app_client(settings, engine, clock, framework=LAMBETH) as client:
        yield client


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, **IDS)


def _payload(call_params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = call_params.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks or [])


def button(blocks: list[dict[str, Any]], action_id: str) -> str:
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button in {blocks}")


def click(api: TestClient, user: str, action_id: str, value: str, ts: str) -> httpx.Response:
    message = {"ts": ts, "text": "", "blocks": []}
    return chat.click(api, user, action_id, value, message_ts=ts, wait=False, message=message)


def submit(
    api: TestClient, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]
) -> httpx.Response:
    state = {"values": {key: {key: element} for key, element in values.items()}}
    shown = chat.modal(view, state)
    return chat.post_interaction(api, chat.view_submission(user, shown), wait=False)


def text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def test_done_on_a_reminder_opens_a_form_records_the_impact_and_edits_the_reminder(
    api: TestClient, slack: FakeSlack, engine: Engine, world: World, clock: Clock
) -> None:
    rec = add_recommendation(
        engine, owner=world.worker, due=at(2026, 12, 17).date(), created=NOW, case=world.case
    )
    ticker(engine).run_job(REMINDERS, now=NOW)
    deliver(api)
    [posted] = slack.calls_to("chat.postMessage")
    assert posted.params["channel"] == "USW"  # a DM
    assert "A new action is yours: case CIN-0001" in all_text(posted.params)
    ts = slack.posts()[0].ts

    clock.now = at(2026, 12, 2, 11)
    assert (
        click(api, "USW", "rec.done", button(_payload(posted.params), "rec.done"), ts).status_code
        == 200
    )
    settle(api)
    view = last_view(slack)
    assert view["callback_id"] == "rec.done" and view["title"]["text"] == "Mark as done"

    empty = submit(api, "USW", view, {"impact": text("")})
    assert empty.json() == {
        "response_action": "errors",
        "errors": {"impact": "Say what difference this has made for the child"},
    }

    response = submit(api, "USW", view, {"impact": text("The plan is now reviewed monthly")})
    assert response.status_code == 200
    settle(api)
    receipt = slack.calls_to("chat.postMessage")[-1]
    assert receipt.params["channel"] == "USW"
    assert "Marked done for case CIN-0001. Thank you." in all_text(receipt.params)

    deliver(api)
    [update] = slack.calls_to("chat.update")
    assert update.params["channel"] == "USW" and update.params["ts"] == ts
    edited = all_text(update.params)
    assert "Marked done by Sam Worker on Wednesday 2 December" in edited
    assert "rec.done" not in edited  # no buttons once done
    with Session(engine) as s:
        row = s.get(Recommendation, rec)
        assert row is not None and row.status == "done"


def test_a_forged_button_value_is_refused_politely(
    api: TestClient, slack: FakeSlack, engine: Engine, world: World
) -> None:
    add_recommendation(
        engine, owner=world.worker, due=at(2026, 12, 17).date(), created=NOW, case=world.case
    )
    assert (
        click(api, "USW", "rec.snooze", "rec:1|assigned:recommendation:1~forged", "1.1").status_code
        == 200
    )
    settle(api)
    [reply] = slack.calls_to("chat.postMessage")
    assert "That button is no longer in use" in all_text(reply.params)


def test_the_ad_records_remedial_action_and_both_requests_are_edited(
    api: TestClient, slack: FakeSlack, engine: Engine, world: World, clock: Clock
) -> None:
    add_audit(engine, case=world.case, auditor=world.auditor, grade="inadequate", when=NOW)
    ticker(engine).run_job(AUDIT_ESCALATIONS, now=NOW)
    deliver(api)
    posted = {c.params["channel"]: c for c in slack.calls_to("chat.postMessage")}
    assert set(posted) == {"UAD", "UDIR"}
    assert "Remedial action needed on case CIN-0001 by Tuesday 8 December" in all_text(
        posted["UAD"].params
    )
    ts = {p.channel: p.ts for p in slack.posts()}

    clock.now = at(2026, 12, 3, 14)
    value = button(_payload(posted["UAD"].params), "escalation.record")
    click(api, "UAD", "escalation.record", value, ts["UAD"])
    settle(api)
    view = last_view(slack)
    assert view["callback_id"] == "escalation.record"
    values = {
        "action_taken": text("Legal planning meeting held; plan revised"),
        "by_whom": text("Service manager"),
    }
    assert submit(api, "UAD", view, values).status_code == 200
    settle(api)
    assert "Remedial action recorded for case CIN-0001" in all_text(
        slack.calls_to("chat.postMessage")[-1].params
    )
    assert {r.status for r in escalations(engine)} == {"responded", "resolved"}

    deliver(api)
    updates = {c.params["channel"]: c for c in slack.calls_to("chat.update")}
    assert set(updates) == {"UAD", "UDIR"}
    for channel, call in updates.items():
        assert call.params["ts"] == ts[channel]
        assert "Remedial action recorded by Ada Ad on Thursday 3 December" in all_text(call.params)


def test_staff_written_text_in_tracking_messages_is_inert() -> None:
    renderer = Renderer(LAMBETH)
    evil = rec(summary=EVIL, reference=EVIL, owner=EVIL)
    digest = {**SAMPLES["rec_digest"], "first_name": EVIL, "items": [evil]}
    weekly = {**SAMPLES["rec_weekly_escalation"], "items": [evil]}
    for name, context in (("rec_digest", digest), ("rec_weekly_escalation", weekly)):
        out = all_text(renderer.render(name, context, "slack"))
        for raw in ("<!channel>", "<@U123>", "<http://evil", "*bold*", "`code`"):
            assert raw not in out, f"{name}: {raw!r} reached Slack unescaped"
        card = str(renderer.render(name, context, "teams"))
        assert "${x}" not in card and "[link](" not in card
