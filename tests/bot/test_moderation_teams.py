"""Moderation in Teams, through the real endpoint: from a submitted audit to its outcome.

The app runs in playground mode; people's stored conversation references point at the
in-project fake Bot Connector, so the outbox sender's proactive cards (the request,
the outcome) land there. *Moderate* on a request is pressed as an `Action.Execute`
invoke into `POST /api/messages`, and each answer comes back as the card Teams shows
in place: the next step, the same step with errors under their fields, or the
receipt. Cards are checked against the Adaptive Card 1.5 model as they arrive.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

import handlers.audit  # noqa: F401 - registers the audit dialog
from bot.routing_keys import RoutingKeys, keys_for
from storage.models import Audit, Escalation, Moderation, Person
from tests.bot.test_audit_teams import TeamsAudit, check_card, elements, inputs, text_of
from tests.chat import app_client, drain, teams_settings
from tests.fakes.connector import ConnectorCall, FakeConnector
from tests.handlers.audit_world import AAD_AUDITOR, AAD_OTHER
from tests.handlers.moderation_world import (
    REASON,
    ModerationWorld,
    aad_id,
    allocation_status,
    audit_of,
    connect_auditor,
    connect_teams,
    dialog_of,
    grade_escalations_and_actions,
    moderation_answers,
    moderations,
    moderator_and_case,
    relevant_assistant_director,
    seed_moderation_world,
)

ERROR = "A regrade to Inadequate needs at least one action: add it here"


def find_action(node: Any, action: str) -> dict[str, Any] | None:
    """The data of the first Action.Execute for `action` anywhere in a card."""
    if isinstance(node, list):
        for child in node:
            found = find_action(child, action)
            if found is not None:
                return found
    elif isinstance(node, dict):
        if node.get("type") == "Action.Execute" and node["data"].get("action") == action:
            return dict(node["data"])
        for value in node.values():
            found = find_action(value, action)
            if found is not None:
                return found
    return None


class ChatAudit(TeamsAudit):
    """A `TeamsAudit` whose presses come from each person's own 1:1 chat with the bot."""

    own_chats = True


class TeamsModeration:
    """Both sides in Teams: the auditor (a `TeamsAudit`) and the moderators."""

    def __init__(
        self,
        client: TestClient,
        connector: FakeConnector,
        keys: RoutingKeys,
        world: ModerationWorld,
        engine: Engine,
    ) -> None:
        self.client, self.connector, self.keys = client, connector, keys
        self.world, self.engine = world, engine
        self.auditor = ChatAudit(client, connector, keys, world.audit)

    def deliver(self) -> None:
        report = drain(self.client)
        assert report.remaining == 0, report

    def sent_to(self, aad: str) -> list[ConnectorCall]:
        return [c for c in self.connector.messages() if c.conversation_id == f"a:chat-{aad}"]

    def execute(self, data: dict[str, Any], user: str) -> dict[str, Any]:
        return self.auditor.execute(data, user=user)

    def submit_audit(self, grade: str) -> None:
        a = self.auditor
        a.start()
        while a.step() != "review":
            a.press("audit.step", {**a.answer(), **self._grades(grade)})
        card = a.press("audit.step", {})
        assert "is submitted" in text_of(card)

    def _grades(self, grade: str) -> dict[str, str]:
        step = self.auditor.dialog.step(self.auditor.step())
        return {f.key: grade for f in step.fields if f.kind == "grade"}

    def request_for(self, row: Moderation) -> dict[str, Any]:
        self.deliver()
        cards = [
            card
            for call in self.sent_to(aad_id(row.moderator_id))
            for card in call.cards
            if find_action(card, "moderation.open")
        ]
        assert cards, "the moderator was asked"
        check_card(cards[-1])
        return cards[-1]

    def open(self, data: dict[str, Any], user: str) -> dict[str, Any]:
        """Press *Moderate*: the request stays in place (so Moderate can resume later),
        and the step the moderation is at arrives as a new card."""
        pressed = self.execute(data, user)
        assert find_action(pressed, "moderation.step") is None, "the request was replaced"
        assert find_action(pressed, "moderation.open") == data
        card = self.sent_to(user)[-1].cards[0]
        check_card(card)
        return card

    def moderate(self, row: Moderation, **answers: Any) -> dict[str, Any]:
        """Press *Moderate* and answer each card; the card shown in place at the end."""
        user = aad_id(row.moderator_id)
        data = find_action(self.request_for(row), "moderation.open")
        assert data is not None
        card = self.open(data, user)
        dialog = dialog_of(self.engine, self.world.framework, row)
        while (step_data := find_action(card.get("actions", []), "moderation.step")) is not None:
            step = (self.keys.verify(step_data["routing_key"]) or "").rsplit(":", 1)[-1]
            values = moderation_answers(dialog.step(step), owner=self.owner(card), **answers)
            shown = inputs(card)
            sent = {k: values.get(k, "") for k in shown}
            card = self.execute({**step_data, **sent}, user)
            again = find_action(card.get("actions", []), "moderation.step")
            if again is not None and again["routing_key"] == step_data["routing_key"]:
                return card  # the same step again: errors
        return card

    @staticmethod
    def owner(card: dict[str, Any]) -> str:
        for e in elements(card):
            if e["type"] == "Input.ChoiceSet" and e["id"].endswith(".owner"):
                return str(e["choices"][0]["value"])
        return "0"


@contextmanager
def teams_moderation(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector, preset: str
) -> Iterator[TeamsModeration]:
    """The app on `preset` with everyone's chat on the fake connector; both sides' driver."""
    world = seed_moderation_world(engine, now, preset)
    connect_teams(engine, connector.url)
    connect_auditor(engine, world, connector.url)
    settings = teams_settings(db_url, QA_BOT_FRAMEWORK=preset)
    with app_client(settings, engine, now, framework=world.framework) as client:
        yield TeamsModeration(client, connector, keys_for(settings), world, engine)


@pytest.fixture
def chat(
    request: pytest.FixtureRequest,
    db_url: str,
    engine: Engine,
    now: datetime,
    connector: FakeConnector,
) -> Iterator[TeamsModeration]:
    preset = getattr(request, "param", "camden")
    with teams_moderation(db_url, engine, now, connector, preset) as driver:
        yield driver


def the_audit(chat: TeamsModeration) -> Audit:
    return audit_of(chat.engine, chat.world)


def error_under(card: dict[str, Any], field: str) -> str:
    body = elements(card)
    at = next(i for i, e in enumerate(body) if e.get("id") == field)
    assert body[at + 1]["type"] == "TextBlock" and body[at + 1]["color"] == "attention"
    return str(body[at + 1]["text"])


# -- Camden: selection, assignment, refusals, returned ------------------------------------


def test_an_inadequate_audit_is_sent_to_a_head_of_service_who_is_not_too_close(
    chat: TeamsModeration,
) -> None:
    chat.submit_audit("inadequate")
    [row] = moderations(chat.engine)
    moderator, case = moderator_and_case(chat.engine, chat.world, row)
    assert "head_of_service" in moderator.roles and moderator.team_id != case.team_id
    assert row.moderator_id not in {chat.world.audit.auditor_id, chat.world.line_manager_id}
    text = text_of(chat.request_for(row))
    assert chat.world.audit.reference in text and "Inadequate" in text
    assert "Tuesday 15 December" in text and "Evidence for" not in text


def test_someone_else_pressing_moderate_is_refused_and_a_forged_key_too(
    chat: TeamsModeration,
) -> None:
    chat.submit_audit("inadequate")
    [row] = moderations(chat.engine)
    data = find_action(chat.request_for(row), "moderation.open")
    assert data is not None
    for user in (AAD_OTHER, AAD_AUDITOR):
        card = chat.execute(data, user)
        assert "assigned to someone else" in text_of(card)
        assert chat.world.audit.reference not in text_of(card)
    forged = {**data, "routing_key": f"moderation:{row.id}~forged"}
    assert "no longer works" in text_of(chat.execute(forged, aad_id(row.moderator_id)))
    assert moderations(chat.engine)[0].status == "assigned"


def test_a_returned_audit_reopens_and_its_resubmission_goes_back_to_moderation(
    chat: TeamsModeration,
) -> None:
    chat.submit_audit("inadequate")
    [row] = moderations(chat.engine)
    card = chat.moderate(row, outcome="returned", reason=REASON)
    assert "goes back to its author" in text_of(card)
    assert the_audit(chat).status == "returned"
    assert allocation_status(chat.engine, chat.world) == "in_progress"
    chat.deliver()
    [told] = [c for c in chat.sent_to(AAD_AUDITOR) if "come back to you" in c.all_text]
    assert REASON in told.all_text
    (outcome_card,) = told.cards
    check_card(outcome_card)
    revise = find_action(outcome_card, "audit.continue")
    assert revise is not None
    chat.auditor.card = chat.execute(revise, AAD_AUDITOR)
    assert chat.auditor.step() == "review"
    assert "is submitted" in text_of(chat.auditor.press("audit.step", {}))
    rows = moderations(chat.engine)
    assert len(rows) == 2 and rows[1].moderator_id == row.moderator_id
    assert "resubmitted" in text_of(chat.request_for(rows[1]))
    card = chat.moderate(rows[1], outcome="confirmed")
    assert "confirmed" in text_of(card)
    assert the_audit(chat).status == "final" and len(moderations(chat.engine)) == 2


def test_save_for_later_keeps_the_answers_and_carry_on_resumes(chat: TeamsModeration) -> None:
    chat.submit_audit("inadequate")
    [row] = moderations(chat.engine)
    user = aad_id(row.moderator_id)
    data = find_action(chat.request_for(row), "moderation.open")
    assert data is not None
    card = chat.open(data, user)
    save = find_action(card.get("actions", []), "moderation.save")
    assert save is not None
    first = next(k for k in inputs(card) if k.endswith(".agree"))
    saved = chat.execute({**save, first: "no"}, user)
    assert "Saved" in text_of(saved)
    carry_on = find_action(saved, "moderation.open")
    assert carry_on is not None
    assert inputs(chat.execute(carry_on, user))[first] == "no"


# -- Lambeth: a regrade, with and without its action --------------------------------------


@pytest.mark.parametrize("chat", ["lambeth"], indirect=True)
def test_a_regrade_to_inadequate_needs_an_action_then_escalates(chat: TeamsModeration) -> None:
    chat.submit_audit("good")
    [row] = moderations(chat.engine)
    card = chat.moderate(row, grade="inadequate", outcome="regraded")
    assert error_under(card, "act.1.action") == ERROR
    assert the_audit(chat).final_grade is None
    card = chat.moderate(row, grade="inadequate", outcome="regraded", actions=1)
    assert "regraded to Inadequate" in text_of(card)
    audit = the_audit(chat)
    assert (audit.status, audit.final_grade) == ("final", "inadequate")
    escalations, recs = grade_escalations_and_actions(chat.engine)
    assert escalations and {e.grade for e in escalations} == {"inadequate"}
    assert len(recs) == 1
    chat.deliver()
    [told] = [c for c in chat.sent_to(AAD_AUDITOR) if "regraded from" in c.all_text]
    assert "from Good to Inadequate" in told.all_text


# -- City of London: a panel with its chair -----------------------------------------------


@pytest.mark.parametrize("chat", ["city-of-london"], indirect=True)
def test_a_panel_records_each_view_and_the_chair_decides(chat: TeamsModeration) -> None:
    chat.submit_audit("good")
    rows = moderations(chat.engine)
    [chair] = [r for r in rows if r.is_chair]
    members = [r for r in rows if not r.is_chair]
    assert members and chat.world.audit.auditor_id not in {r.moderator_id for r in rows}
    card = chat.moderate(members[0], outcome="confirmed")
    assert "chair's decision is final" in text_of(card)
    assert the_audit(chat).status == "submitted"
    chat.moderate(chair, grade="requires_improvement", outcome="regraded")
    audit = the_audit(chat)
    assert (audit.status, audit.final_grade) == ("final", "requires_improvement")
    statuses = {r.id: r.status for r in moderations(chat.engine)}
    assert {statuses[r.id] for r in members[1:]} <= {"withdrawn"}
    late = members[-1]
    data = {
        "action": "moderation.open",
        "routing_key": chat.keys.sign(f"moderation:{late.id}"),
        "kind": "action",
    }
    assert "no longer waiting for you" in text_of(chat.execute(data, aad_id(late.moderator_id)))
    chat.deliver()
    updates = chat.connector.calls_to("update")
    assert sum("No longer needed" in c.all_text for c in updates) == len(members) - 1


@pytest.fixture
def following(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector
) -> Iterator[TeamsModeration]:
    """Lambeth with `escalation.regrade_withdraws`; everyone reachable in Teams."""
    world = seed_moderation_world(engine, now, "lambeth")
    with Session(engine) as session:
        for p in session.exec(select(Person)):
            p.teams_user_id = p.teams_user_id or aad_id(p.id or 0)
            session.add(p)
        auditor = session.get(Person, world.audit.auditor_id)
        assert auditor is not None
        auditor.teams_user_id = AAD_AUDITOR
        session.commit()
    connect_teams(engine, connector.url)
    fw = world.framework
    fw = fw.model_copy(
        update={"escalation": fw.escalation.model_copy(update={"regrade_withdraws": True})}
    )
    world = replace(world, audit=replace(world.audit, framework=fw))
    settings = teams_settings(db_url, QA_BOT_FRAMEWORK="lambeth")
    with app_client(settings, engine, now, framework=fw) as client:
        yield TeamsModeration(client, connector, keys_for(settings), world, engine)


def test_lambeth_escalation_follows_the_moderators_final_grade(
    following: TeamsModeration,
) -> None:
    """Lambeth QAF 4: the moderator "give[s] an overall grading"; a regrade up withdraws
    the Inadequate's request, and those asked hear why."""
    chat = following
    chat.submit_audit("inadequate")
    [row] = moderations(chat.engine)
    chat.moderate(row, grade="good", outcome="regraded")
    with Session(chat.engine) as session:
        after = session.exec(select(Escalation).where(Escalation.kind == "grade")).all()
        aad = {p.id: p.teams_user_id for p in session.exec(select(Person))}
    assert after and {(e.grade, e.status) for e in after} == {("inadequate", "withdrawn")}
    chat.deliver()
    for e in after:
        told = [c for c in chat.sent_to(str(aad[e.owner_id])) if "withdrawn" in c.all_text]
        assert len(told) == 1
        assert "regraded the audit up from Inadequate to Good" in told[0].all_text


def test_lambeth_inadequate_reaches_the_relevant_assistant_director(
    following: TeamsModeration,
) -> None:
    """Lambeth QAF 4: escalated "to the Director ... and the relevant Assistant Director",
    found up the case worker's line management (the demo's ADs sit in a directorate team)."""
    chat = following
    chat.submit_audit("inadequate")
    ad, people = relevant_assistant_director(chat.engine, chat.world)
    with Session(chat.engine) as session:
        owners = {e.owner_id for e in session.exec(select(Escalation))}
    assert ad in owners
    chat.deliver()
    aad = str(people[ad].teams_user_id)
    assert [c for c in chat.sent_to(aad) if chat.world.audit.reference in c.all_text]
