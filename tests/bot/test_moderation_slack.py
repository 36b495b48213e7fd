"""Moderation in Slack, through the real endpoint: from a submitted audit to its outcome.

The auditor submits through the audit modal (signed `view_submission`s); the outbox
sender delivers the moderation request to the fake Slack Web API; the *Moderate*
button found in that message is clicked with a signed `block_actions`; each step of
the moderation modal is submitted back (`response_action: update` or `errors`); the
outcome reaches the author, whose *Revise and resubmit* opens their audit again.
Waits are on conditions (listeners idle, outbox drained), never sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import handlers.audit  # noqa: F401 - registers the audit dialog
from bot.composition import router
from bot.routing_keys import RoutingKeys
from storage.models import Audit, Escalation, Moderation, Person
from tests.bot.test_audit_slack import SlackAudit, app_for, check_view
from tests.chat import (
    all_text,
    block_actions,
    drain,
    last_view,
    modal,
    post_interaction,
    view_state,
    view_submission,
)
from tests.fakes.slack_api import FakeSlack
from tests.handlers.audit_world import SLACK_AUDITOR, SLACK_OTHER
from tests.handlers.moderation_world import (
    REASON,
    ModerationWorld,
    allocation_status,
    audit_of,
    dialog_of,
    grade_escalations_and_actions,
    moderation_answers,
    moderations,
    moderator_and_case,
    relevant_assistant_director,
    seed_moderation_world,
    slack_id,
)

ERROR = "A regrade to Inadequate needs at least one action: add it here"


class SlackModeration:
    """Both sides in Slack: the auditor (a `SlackAudit`) and the moderators."""

    def __init__(
        self, api: Any, slack: FakeSlack, keys: RoutingKeys, world: ModerationWorld, engine: Engine
    ) -> None:
        self.api, self.slack, self.keys, self.world, self.engine = api, slack, keys, world, engine
        self.auditor = SlackAudit(api, slack, keys, world.audit)

    # -- plumbing ---------------------------------------------------------------------
    def post(self, payload: dict[str, Any]) -> httpx.Response:
        response = post_interaction(self.api, payload)
        assert response.status_code == 200, response.text
        return response

    def deliver(self) -> None:
        report = drain(self.api)
        assert report.remaining == 0, report

    def sent_to(self, user: str) -> list[dict[str, Any]]:
        return [
            c.params
            for c in self.slack.calls_to("chat.postMessage")
            if c.params.get("channel") in (user, f"D{user}")
        ]

    def last_view(self, method: str) -> dict[str, Any]:
        return last_view(self.slack, method)

    @staticmethod
    def button(message: dict[str, Any], action_id: str) -> str:
        blocks = message["blocks"]
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        return str(
            next(
                e["value"]
                for b in blocks
                if b["type"] == "actions"
                for e in b["elements"]
                if e["action_id"] == action_id
            )
        )

    def click(self, user: str, action_id: str, value: str) -> None:
        """A button in the bot's DM with `user`."""
        self.post(block_actions(user, action_id, value))

    def submit(self, user: str, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        full = modal(
            {**view, "id": "V0MOD"},
            view_state(view, values),
            team_id="T0TEAM",
            title=view["title"],
            blocks=view["blocks"],
            root_view_id="V0MOD",
        )
        response = self.post(view_submission(user, full))
        return response.json() if response.content else {}

    # -- the people -------------------------------------------------------------------
    def submit_audit(self, grade: str) -> None:
        a = self.auditor
        a.open()
        while a.step() != "review":
            body = a.submit(a.answer(grade))
            assert body.get("response_action") == "update", body
        body = a.submit({})
        assert "response_action" not in body, "the modal closes on submit"

    def request_for(self, row: Moderation) -> dict[str, Any]:
        """The request message the moderator of `row` received (delivering it first)."""
        self.deliver()
        mine = [m for m in self.sent_to(slack_id(row.moderator_id)) if "moderate" in m["text"]]
        assert mine, "the moderator was asked"
        return mine[-1]

    def moderate(
        self, row: Moderation, *, stop_on_error: bool = False, **answers: Any
    ) -> dict[str, Any]:
        """Click *Moderate* on the request and answer each step; the last ack's body."""
        user = slack_id(row.moderator_id)
        before = len(self.slack.calls_to("views.open"))
        self.click(user, "moderation.open", self.button(self.request_for(row), "moderation.open"))
        assert len(self.slack.calls_to("views.open")) == before + 1, "the modal opened"
        view = self.last_view("views.open")
        check_view(view)
        dialog = dialog_of(self.engine, self.world.framework, row)
        while True:
            step = (self.keys.verify(view["private_metadata"]) or "").rsplit(":", 1)[-1]
            body = self.submit(
                user, view, moderation_answers(dialog.step(step), owner=self.owner(view), **answers)
            )
            if body.get("response_action") != "update":
                return body
            view = body["view"]
            check_view(view)

    @staticmethod
    def owner(view: dict[str, Any]) -> str:
        for block in view["blocks"]:
            element = block.get("element", {})
            if element.get("type") == "static_select" and block["block_id"].endswith(".owner"):
                return str(element["options"][0]["value"])
        return "0"


@pytest.fixture
def chat(
    request: pytest.FixtureRequest,
    db_url: str,
    engine: Engine,
    slack: FakeSlack,
    now: datetime,
) -> Iterator[SlackModeration]:
    preset = getattr(request, "param", "camden")
    world = seed_moderation_world(engine, now, preset)
    client, keys = app_for(db_url, engine, slack, now, world.audit, routes=router())
    with client:
        yield SlackModeration(client, slack, keys, world, engine)


def the_audit(chat: SlackModeration) -> Audit:
    return audit_of(chat.engine, chat.world)


# -- Camden: selection, assignment, refusals, returned ------------------------------------


def test_an_inadequate_audit_is_sent_to_a_head_of_service_who_is_not_too_close(
    chat: SlackModeration,
) -> None:
    chat.submit_audit("inadequate")
    [row] = moderations(chat.engine)
    moderator, case = moderator_and_case(chat.engine, chat.world, row)
    assert "head_of_service" in moderator.roles and moderator.team_id != case.team_id
    assert row.moderator_id not in {chat.world.audit.auditor_id, chat.world.line_manager_id}
    text = all_text(chat.request_for(row))
    assert chat.world.audit.reference in text and "Inadequate" in text
    assert "Tuesday 15 December" in text and "Moderate" in text
    assert "Evidence for" not in text, "no free text from the audit in the request"


def test_someone_else_pressing_moderate_is_refused_and_a_forged_key_too(
    chat: SlackModeration,
) -> None:
    chat.submit_audit("inadequate")
    [row] = moderations(chat.engine)
    value = chat.button(chat.request_for(row), "moderation.open")
    opened = len(chat.slack.calls_to("views.open"))
    chat.click(SLACK_OTHER, "moderation.open", value)
    assert len(chat.slack.calls_to("views.open")) == opened, "no modal for someone else"
    refusal = chat.sent_to(SLACK_OTHER)[-1]
    assert "assigned to someone else" in all_text(refusal)
    assert chat.world.audit.reference not in all_text(refusal)
    chat.click(slack_id(row.moderator_id), "moderation.open", f"moderation:{row.id}~forged")
    assert "no longer works" in all_text(chat.sent_to(slack_id(row.moderator_id))[-1])
    assert moderations(chat.engine)[0].status == "assigned"


def test_a_returned_audit_reopens_and_its_resubmission_goes_back_to_moderation(
    chat: SlackModeration,
) -> None:
    chat.submit_audit("inadequate")
    [row] = moderations(chat.engine)
    body = chat.moderate(row, outcome="returned", reason=REASON)
    assert "response_action" not in body, "the modal closes"
    receipt = chat.sent_to(slack_id(row.moderator_id))[-1]
    assert "goes back to its author" in all_text(receipt)
    audit = the_audit(chat)
    assert audit.status == "returned"
    assert allocation_status(chat.engine, chat.world) == "in_progress"
    chat.deliver()
    told = [m for m in chat.sent_to(SLACK_AUDITOR) if "come back to you" in m["text"]]
    assert len(told) == 1 and REASON in all_text(told[0])
    # The author presses Revise and resubmit: their audit opens at its review step.
    chat.click(SLACK_AUDITOR, "audit.continue", chat.button(told[0], "audit.continue"))
    view = chat.last_view("views.open")
    chat.auditor.view = {"id": "V0STEP", **view}
    assert chat.auditor.step() == "review"
    chat.auditor.submit({})
    assert the_audit(chat).status == "submitted"
    rows = moderations(chat.engine)
    assert len(rows) == 2 and rows[1].moderator_id == row.moderator_id
    again = chat.request_for(rows[1])
    assert "resubmitted" in all_text(again)
    chat.moderate(rows[1], outcome="confirmed")
    assert the_audit(chat).status == "final" and len(moderations(chat.engine)) == 2


# -- Lambeth: a regrade, with and without its action --------------------------------------


@pytest.mark.parametrize("chat", ["lambeth"], indirect=True)
def test_a_regrade_to_inadequate_needs_an_action_then_escalates(chat: SlackModeration) -> None:
    chat.submit_audit("good")
    [row] = moderations(chat.engine)
    body = chat.moderate(row, grade="inadequate", outcome="regraded")
    assert body["response_action"] == "errors" and body["errors"] == {"act.1.action": ERROR}
    assert the_audit(chat).final_grade is None
    body = chat.moderate(row, grade="inadequate", outcome="regraded", actions=1)
    assert "response_action" not in body
    audit = the_audit(chat)
    assert (audit.status, audit.final_grade) == ("final", "inadequate")
    escalations, recs = grade_escalations_and_actions(chat.engine)
    assert escalations and {e.grade for e in escalations} == {"inadequate"}
    assert len(recs) == 1 and recs[0].audit_id == audit.id
    chat.deliver()
    [told] = [m for m in chat.sent_to(SLACK_AUDITOR) if "regraded" in m["text"]]
    assert "from Good to Inadequate" in all_text(told) and "drifted" in all_text(told)


# -- City of London: a panel with its chair -----------------------------------------------


@pytest.mark.parametrize("chat", ["city-of-london"], indirect=True)
def test_a_panel_records_each_view_and_the_chair_decides(chat: SlackModeration) -> None:
    chat.submit_audit("good")
    rows = moderations(chat.engine)
    [chair] = [r for r in rows if r.is_chair]
    members = [r for r in rows if not r.is_chair]
    assert members and chat.world.audit.auditor_id not in {r.moderator_id for r in rows}
    chat.moderate(members[0], outcome="confirmed")
    receipt = chat.sent_to(slack_id(members[0].moderator_id))[-1]
    assert "chair's decision is final" in all_text(receipt)
    assert the_audit(chat).status == "submitted"
    chat.moderate(chair, grade="requires_improvement", outcome="regraded")
    audit = the_audit(chat)
    assert (audit.status, audit.final_grade) == ("final", "requires_improvement")
    statuses = {r.id: r.status for r in moderations(chat.engine)}
    assert statuses[chair.id] == statuses[members[0].id] == "completed"
    assert {statuses[r.id] for r in members[1:]} <= {"withdrawn"}
    # Each request is edited in place: done for those who moderated, withdrawn for the rest.
    chat.deliver()
    updates = [all_text(c.params) for c in chat.slack.calls_to("chat.update")]
    assert sum("Done: your moderation" in u for u in updates) == 2
    assert sum("No longer needed" in u for u in updates) == len(members) - 1
    late = members[-1]
    chat.click(
        slack_id(late.moderator_id), "moderation.open", chat.keys.sign(f"moderation:{late.id}")
    )
    assert "no longer waiting for you" in all_text(chat.sent_to(slack_id(late.moderator_id))[-1])
    with Session(chat.engine) as session:
        assert session.exec(select(Moderation).where(col(Moderation.is_chair))).one().id == chair.id


def test_closing_the_modal_keeps_what_was_typed(chat: SlackModeration) -> None:
    chat.submit_audit("inadequate")
    [row] = moderations(chat.engine)
    user = slack_id(row.moderator_id)
    value = chat.button(chat.request_for(row), "moderation.open")
    chat.click(user, "moderation.open", value)
    view = chat.last_view("views.open")
    assert view["notify_on_close"] is True
    field = next(b["block_id"] for b in view["blocks"] if b.get("block_id", "").endswith(".agree"))
    chat.post(
        {
            "type": "view_closed",
            "user": {"id": user},
            "team": {"id": "T0TEAM"},
            "api_app_id": "A0APP",
            "is_cleared": False,
            "view": {
                "id": "V0MOD",
                "type": "modal",
                "callback_id": view["callback_id"],
                "private_metadata": view["private_metadata"],
                "state": chat.auditor.state({field: "no"}, view),
                "hash": "1.h",
            },
        }
    )
    chat.click(user, "moderation.open", value)
    again = chat.last_view("views.open")
    [block] = [b for b in again["blocks"] if b.get("block_id") == field]
    assert block["element"]["initial_option"]["value"] == "no"
    assert moderations(chat.engine)[0].status == "in_progress"


def _reachable(world: ModerationWorld, engine: Engine, follow: bool) -> ModerationWorld:
    """Everyone reachable in Slack; `follow`: with `escalation.regrade_withdraws`."""
    fw = world.framework
    fw = fw.model_copy(
        update={"escalation": fw.escalation.model_copy(update={"regrade_withdraws": follow})}
    )
    with Session(engine) as session:
        for p in session.exec(select(Person).where(col(Person.slack_user_id).is_(None))):
            p.slack_user_id = slack_id(p.id or 0)
            session.add(p)
        session.commit()
    return replace(world, audit=replace(world.audit, framework=fw))


@pytest.fixture
def lambeth(
    request: pytest.FixtureRequest, db_url: str, engine: Engine, slack: FakeSlack, now: datetime
) -> Iterator[SlackModeration]:
    """Lambeth, everyone in Slack; param `follow` turns `regrade_withdraws` on."""
    follow = getattr(request, "param", "") == "follow"
    world = _reachable(seed_moderation_world(engine, now, "lambeth"), engine, follow)
    client, keys = app_for(db_url, engine, slack, now, world.audit, routes=router())
    with client:
        yield SlackModeration(client, slack, keys, world, engine)


@pytest.mark.parametrize("lambeth", ["follow"], indirect=True)
def test_lambeth_escalation_follows_the_moderators_final_grade(
    lambeth: SlackModeration,
) -> None:
    """Lambeth QAF 4: the moderator "give[s] an overall grading"; a regrade up withdraws
    the Inadequate's request, and those asked hear why."""
    chat = lambeth
    chat.submit_audit("inadequate")
    with Session(chat.engine) as session:
        asked = session.exec(select(Escalation).where(Escalation.kind == "grade")).all()
    assert asked and {e.grade for e in asked} == {"inadequate"}
    [row] = moderations(chat.engine)
    body = chat.moderate(row, grade="good", outcome="regraded")
    assert "response_action" not in body
    with Session(chat.engine) as session:
        after = session.exec(select(Escalation).where(Escalation.kind == "grade")).all()
    assert {(e.grade, e.status) for e in after} == {("inadequate", "withdrawn")}
    chat.deliver()
    for e in after:
        told = [m for m in chat.sent_to(slack_id(e.owner_id)) if "withdrawn" in m["text"]]
        assert len(told) == 1
        assert "regraded the audit up from Inadequate to Good" in all_text(told[0])
        assert "nothing more is needed" in all_text(told[0])


def test_lambeth_inadequate_reaches_the_relevant_assistant_director(
    lambeth: SlackModeration,
) -> None:
    """Lambeth QAF 4: escalated "to the Director ... and the relevant Assistant Director".

    The demo lists its Assistant Directors in a directorate team, outside every service:
    the AD is found up the case worker's line management, not by where their team sits.
    """
    chat = lambeth
    chat.submit_audit("inadequate")
    ad, people = relevant_assistant_director(chat.engine, chat.world)
    with Session(chat.engine) as session:
        asked = session.exec(select(Escalation).where(Escalation.kind == "grade")).all()
    owners = {e.owner_id for e in asked}
    assert ad in owners, "the relevant Assistant Director is asked"
    assert any("director" in people[o].roles for o in owners), "and the Director"
    chat.deliver()
    assert [m for m in chat.sent_to(slack_id(ad)) if chat.world.audit.reference in all_text(m)]
