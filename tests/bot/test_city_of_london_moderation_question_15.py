"""City of London's moderation template in full, walked in Slack and in Teams.

CoL QAF 2024, Appendix 2: besides each section's grade, question 15 ("Were appropriate
attempts made to elicit feedback and to discuss the child, young person or family with
the worker and manager?"), questions 17 and 18 (child and service recommendations, each
"Do you agree with the recommendations made?") and the "Date of Moderation Panel". The
panel's chair answers them through signed Slack `view_submission`s and Teams
`Action.Execute` invokes; question 15 left unanswered comes back as an error under it;
the answers are kept with the moderation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

import handlers.audit  # noqa: F401 - registers the audit dialog
from bot.composition import router
from qa.dialog import Dialog
from qa.moderation_dialog import moderation_result
from storage.models import Audit, Moderation
from storage.moderations import load_state
from tests.bot.test_audit_slack import app_for, check_view
from tests.bot.test_audit_teams import check_card, elements, inputs
from tests.bot.test_moderation_slack import SlackModeration
from tests.bot.test_moderation_teams import TeamsModeration, find_action, teams_moderation
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.handlers.moderation_world import (
    aad_id,
    dialog_of,
    moderation_answers,
    moderations,
    seed_moderation_world,
    slack_id,
)

PRESET = "city-of-london"
Q15 = (
    "Were appropriate attempts made to elicit feedback and to discuss the child, young "
    "person or family with the worker and manager?"
)
AGREE = "Do you agree with the recommendations made?"
UNANSWERED = {"mod.q.feedback_attempts": None}
ANSWERED = {
    "mod.q.feedback_attempts": "No",
    "mod.q.feedback_attempts.comments": "The worker was not spoken to.",
    "mod.q.panel_date": "2026-12-03",
    "mod.q.child_recommendations": "Yes",
    "mod.q.service_recommendations": "No",
    "mod.q.service_recommendations.comments": "They need a named owner.",
}


def chair_of(engine: Engine) -> Moderation:
    [chair] = [r for r in moderations(engine) if r.is_chair]
    return chair


def moderation_dialog(chat: SlackModeration | TeamsModeration, row: Moderation) -> Dialog:
    return dialog_of(chat.engine, chat.world.framework, row)


def check_kept(chat: SlackModeration | TeamsModeration, row: Moderation) -> None:
    """The chair's answers are kept with the moderation, and the panel has decided."""
    with Session(chat.engine) as session:
        stored = session.get(Moderation, row.id)
        audit = session.get(Audit, row.audit_id)
        assert stored is not None and audit is not None
        state = load_state(stored)
        assert state is not None and state.finished
        done = moderation_result(state, chat.world.framework, overall_grade="good")
        assert audit.status == "final" and audit.final_grade == "good"
    assert {k: (v.answer, v.comments) for k, v in done.questions.items()} == {
        "feedback_attempts": ("No", "The worker was not spoken to."),
        "panel_date": ("2026-12-03", ""),
        "child_recommendations": ("Yes", ""),
        "service_recommendations": ("No", "They need a named owner."),
    }


# -- Slack -------------------------------------------------------------------------------


@pytest.fixture
def in_slack(
    db_url: str, engine: Engine, slack: FakeSlack, now: datetime
) -> Iterator[SlackModeration]:
    world = seed_moderation_world(engine, now, PRESET)
    client, keys = app_for(db_url, engine, slack, now, world.audit, routes=router())
    with client:
        yield SlackModeration(client, slack, keys, world, engine)


def slack_walk(
    chat: SlackModeration, row: Moderation, questions: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Press *Moderate* and answer each modal; every view shown, and the last ack."""
    user = slack_id(row.moderator_id)
    chat.click(user, "moderation.open", chat.button(chat.request_for(row), "moderation.open"))
    view = chat.last_view("views.open")
    dialog = moderation_dialog(chat, row)
    views = [view]
    while True:
        check_view(view)
        step = (chat.keys.verify(view["private_metadata"]) or "").rsplit(":", 1)[-1]
        values = moderation_answers(dialog.step(step), owner=chat.owner(view), questions=questions)
        body = chat.submit(user, view, values)
        if body.get("response_action") != "update":
            return views, body
        view = body["view"]
        views.append(view)


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def test_city_of_london_moderation_question_15_in_slack(in_slack: SlackModeration) -> None:
    chat = in_slack
    chat.submit_audit("good")
    chair = chair_of(chat.engine)
    views, body = slack_walk(chat, chair, UNANSWERED)
    assert len(views) == 1, "question 15 is on the first step, with the section grades"
    grades = json.dumps(views[0], ensure_ascii=False)
    assert "15. Feedback" in grades and Q15 in grades
    assert body["response_action"] == "errors"
    assert body["errors"] == {"mod.q.feedback_attempts": f"Choose an answer for {Q15}"}
    assert chat_status(chat, chair) != "completed"

    views, body = slack_walk(chat, chair, ANSWERED)
    assert "response_action" not in body, "the modal closes on submit"
    overall = next(v for v in views if any(b.get("block_id") == "mod.q.panel_date"
                                           for b in v["blocks"]))  # fmt: skip
    assert block(overall, "mod.q.panel_date")["element"]["type"] == "datepicker"
    assert "Date of Moderation Panel" in json.dumps(overall)
    recs = next(v for v in views if any(b.get("block_id") == "mod.q.child_recommendations"
                                        for b in v["blocks"]))  # fmt: skip
    text = json.dumps(recs, ensure_ascii=False)
    assert "17. Child Specific Recommendations" in text
    assert "18. Service Specific Recommendations" in text
    assert text.count(AGREE) == 2 and "mod.recommendations.agree" not in text
    check_kept(chat, chair)


def chat_status(chat: SlackModeration | TeamsModeration, row: Moderation) -> str:
    with Session(chat.engine) as session:
        stored = session.get(Moderation, row.id)
        assert stored is not None
        return stored.status


# -- Teams -------------------------------------------------------------------------------


@pytest.fixture
def in_teams(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector
) -> Iterator[TeamsModeration]:
    with teams_moderation(db_url, engine, now, connector, PRESET) as driver:
        yield driver


def teams_walk(
    chat: TeamsModeration, row: Moderation, questions: dict[str, Any]
) -> list[dict[str, Any]]:
    """Press *Moderate* and answer each card; every card shown (the last: the end, or
    the same step again with its errors)."""
    user = aad_id(row.moderator_id)
    data = find_action(chat.request_for(row), "moderation.open")
    assert data is not None
    card = chat.open(data, user)
    dialog = moderation_dialog(chat, row)
    cards = [card]
    while (step_data := find_action(card.get("actions", []), "moderation.step")) is not None:
        step = (chat.keys.verify(step_data["routing_key"]) or "").rsplit(":", 1)[-1]
        values = moderation_answers(dialog.step(step), owner=chat.owner(card), questions=questions)
        card = chat.execute({**step_data, **{k: values.get(k, "") for k in inputs(card)}}, user)
        check_card(card)
        cards.append(card)
        again = find_action(card.get("actions", []), "moderation.step")
        if again is not None and again["routing_key"] == step_data["routing_key"]:
            break
    return cards


def shown(card: dict[str, Any]) -> str:
    """The words a card shows: text blocks (markdown escapes taken out) and labels."""
    parts = [str(e.get("text") or e.get("label") or "") for e in elements(card)]
    return "\n".join(parts).replace("\\.", ".")


def error_under(card: dict[str, Any], field: str) -> str:
    body = elements(card)
    at = next(i for i, e in enumerate(body) if e.get("id") == field)
    assert body[at + 1]["type"] == "TextBlock" and body[at + 1]["color"] == "attention"
    return str(body[at + 1]["text"])


def test_city_of_london_moderation_question_15_in_teams(in_teams: TeamsModeration) -> None:
    chat = in_teams
    chat.submit_audit("good")
    chair = chair_of(chat.engine)
    cards = teams_walk(chat, chair, UNANSWERED)
    assert len(cards) == 2, "question 15 is on the first card, with the section grades"
    assert "15. Feedback" in shown(cards[0]) and Q15 in shown(cards[0])
    assert error_under(cards[-1], "mod.q.feedback_attempts") == f"Choose an answer for {Q15}"
    assert chat_status(chat, chair) != "completed"

    cards = teams_walk(chat, chair, ANSWERED)
    assert find_action(cards[-1].get("actions", []), "moderation.step") is None, "submitted"
    [overall] = [c for c in cards if "mod.q.panel_date" in inputs(c)]
    [date_input] = [e for e in elements(overall) if e.get("id") == "mod.q.panel_date"]
    assert date_input["type"] == "Input.Date"
    assert "Date of Moderation Panel" in shown(overall)
    [recs] = [c for c in cards if "mod.q.child_recommendations" in inputs(c)]
    text = shown(recs)
    assert "17. Child Specific Recommendations" in text
    assert "18. Service Specific Recommendations" in text
    assert text.count(AGREE) == 2 and "mod.recommendations.agree" not in inputs(recs)
    check_kept(chat, chair)
