"""The monthly summary posted to a board's Teams channel, end to end.

The `post_summary` job runs at its frozen time on a Camden demo department; the app's
own outbox sender (`build_app`, Teams in playground mode) delivers one activity to the
fake Bot Connector: the card with the per-domain table as an Adaptive Card `Table`,
and the chart: an `Image` in the card when it fits Teams' ~28 KB card limit, else an
inline image attachment beside the card (a month's full chart is ~150 KB).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from microsoft_teams.cards import AdaptiveCard
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.teams.messenger import CARD_LIMIT, with_images
from storage.models import OutboxMessage, Person
from tests.bot.summary_posts import (
    SUMMARY_AT,
    Department,
    camden,
    department,
    leaks,
    run_post_summary,
)
from tests.bot.test_sender import running_clock
from tests.chat import app_client, teams_settings
from tests.fakes.connector import ConnectorCall, FakeConnector

BOARD = "19:qa-board@thread.tacv2"


@pytest.fixture
def dept(engine: Engine, connector: FakeConnector) -> Department:
    out = department(engine, camden(teams_conversation=BOARD))
    with Session(engine) as s:  # someone who talked to the bot: the tenant's service URL
        s.add(
            Person(
                email="installed@camden.gov.uk",
                name="Installed",
                teams_conversation={
                    "serviceUrl": connector.url,
                    "conversation": {"id": "a:chat-1", "conversationType": "personal"},
                },
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
                updated_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
        s.commit()
    return out


def deliver(db_url: str, engine: Engine, dept: Department) -> Any:
    settings = teams_settings(db_url)
    app = app_client(settings, engine, running_clock(SUMMARY_AT), framework=dept.framework).app
    return asyncio.run(app.state.sender.drain(timeout=20))  # type: ignore[attr-defined]


def elements(node: Any, kind: str) -> list[dict[str, Any]]:
    """Every card element of `kind`, however deep."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == kind:
            found.append(node)
        for value in node.values():
            found += elements(value, kind)
    elif isinstance(node, list):
        for value in node:
            found += elements(value, kind)
    return found


def posted(connector: FakeConnector) -> ConnectorCall:
    (call,) = connector.messages()
    return call


def test_the_card_has_the_per_domain_table_and_the_chart_and_no_case_reference(
    db_url: str, engine: Engine, dept: Department, connector: FakeConnector
) -> None:
    run_post_summary(engine, dept.framework)
    report = deliver(db_url, engine, dept)

    assert (report.delivered, report.failed) == (1, 0)
    call = posted(connector)
    assert call.conversation_id == BOARD
    (card,) = call.cards
    AdaptiveCard.model_validate(card)
    assert len(json.dumps(card).encode()) <= CARD_LIMIT
    (table,) = elements(card, "Table")
    labels = [row["cells"][0]["items"][0]["text"] for row in table["rows"]]
    assert labels[:2] == ["Domain", "Overall grade"]
    assert labels[2:] == [d.label for d in dept.framework.audit_form.domains]
    # A month's chart is too big for the card: it comes in the same activity, inline.
    assert elements(card, "Image") == []
    (inline,) = [a for a in call.body["attachments"] if a["contentType"] == "image/png"]
    assert inline["name"] == "qa-summary-2026-11.png"
    assert inline["contentUrl"].startswith("data:image/png;base64,")
    png = base64.b64decode(inline["contentUrl"].split(",", 1)[1])
    assert Image.open(io.BytesIO(png)).format == "PNG"
    assert leaks(call.body, dept) == []
    with Session(engine) as s:
        (row,) = s.exec(select(OutboxMessage))
    assert row.status == "sent" and row.platform == "teams"


def test_posting_again_sends_nothing_twice(
    db_url: str, engine: Engine, dept: Department, connector: FakeConnector
) -> None:
    run_post_summary(engine, dept.framework)
    deliver(db_url, engine, dept)
    run_post_summary(engine, dept.framework)
    report = deliver(db_url, engine, dept)

    assert report.delivered == 0 and len(connector.messages()) == 1


def test_an_image_too_big_for_the_card_goes_beside_it() -> None:
    noise = Image.effect_noise((900, 900), 120).convert("RGB")  # does not compress
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "x"}]}
    activity = {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }
    chart = {"filename": "c.png", "alt_text": "a chart", "mime": "image/png"}

    out = with_images(activity, [{**chart, "content": buffer.getvalue()}])

    assert out["attachments"][0]["content"] == card  # the card as it was
    inline = out["attachments"][1]
    assert inline["contentType"] == "image/png" and inline["name"] == "c.png"
    assert inline["contentUrl"].startswith("data:image/png;base64,")


def test_a_chart_small_enough_goes_in_the_card_under_its_caption() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 200), "white").save(buffer, format="PNG")
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "Table"},
            {"type": "TextBlock", "text": "Chart:", "id": "chart"},
            {"type": "TextBlock", "text": "Notes"},
        ],
    }
    activity = {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }
    chart = {"filename": "c.png", "alt_text": "a chart", "mime": "image/png"}

    out = with_images(activity, [{**chart, "content": buffer.getvalue()}])

    (attachment,) = out["attachments"]
    body = attachment["content"]["body"]
    assert [e["type"] for e in body] == ["TextBlock", "TextBlock", "Image", "TextBlock"]
    assert body[2]["url"].startswith("data:image/png;base64,") and body[2]["altText"] == "a chart"
    AdaptiveCard.model_validate(attachment["content"])
