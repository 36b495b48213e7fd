"""The audit dialog in Teams, through the real endpoint: `Action.Execute` invokes.

Each press is an `adaptiveCard/action` invoke into `POST /api/messages` whose data is
the button's (action, signed routing key) plus every input on the card, as Teams
sends it; the invoke response is the card Teams shows in place: the next step, or
the same step with each error under its field. Cards are checked against the
Adaptive Card 1.5 model and Teams' size limit as they arrive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from microsoft_teams.cards import AdaptiveCard
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import handlers.audit  # noqa: F401 - registers the dialog's buttons and forms
from bot.composition import router
from bot.routing_keys import RoutingKeys, keys_for
from handlers.router import Router
from handlers.turn import Hooks
from qa.forms import build_audit_dialog
from storage.models import Audit, Escalation, OutboxMessage, Recommendation
from tests import chat
from tests.chat import TestClient, app_client, teams_settings
from tests.fakes.connector import FakeConnector
from tests.handlers.audit_world import AAD_AUDITOR, AAD_OTHER, World, answers_for, seed_world

INPUTS = {"Input.Text", "Input.ChoiceSet", "Input.Date", "Input.Toggle", "Input.Number"}


# Other features' hooks (moderation, escalation) are theirs to test.
QUIET = router(hooks=Hooks())


def elements(card: dict[str, Any]) -> list[dict[str, Any]]:
    return list(card["body"])


def inputs(card: dict[str, Any]) -> dict[str, Any]:
    """Input id -> the value the card shows (what Teams would send back untouched)."""
    return {e["id"]: e.get("value", "") for e in elements(card) if e["type"] in INPUTS}


def check_card(card: dict[str, Any]) -> None:
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    AdaptiveCard.model_validate(card)
    assert len(json.dumps(card).encode()) < 28 * 1024


class TeamsAudit:
    def __init__(
        self, client: TestClient, connector: FakeConnector, keys: RoutingKeys, world: World
    ) -> None:
        self.client, self.connector, self.keys, self.world = client, connector, keys, world
        self.card: dict[str, Any] = {}
        self.dialog = build_audit_dialog(
            world.framework, world.area, case_reference=world.reference
        )

    own_chats = False  # True: each person presses from their own 1:1 chat with the bot

    def execute(self, data: dict[str, Any], *, user: str = AAD_AUDITOR) -> dict[str, Any]:
        where = {"conversation_id": f"a:chat-{user}"} if self.own_chats else {}
        card = chat.press(self.client, self.connector, user, data, **where)
        check_card(card)
        return card

    def start(self, *, user: str = AAD_AUDITOR, key: str | None = None) -> dict[str, Any]:
        signed = key or self.keys.sign(f"allocation:{self.world.allocation_id}")
        self.card = self.execute({"action": "audit.start", "routing_key": signed}, user=user)
        return self.card

    def action(self, name: str) -> dict[str, Any]:
        return next(a for a in self.card.get("actions", []) if a["data"]["action"] == name)

    def press(
        self, name: str, values: dict[str, Any] | None = None, *, user: str = AAD_AUDITOR
    ) -> dict[str, Any]:
        """Press a button on the card: its data, plus every input (as typed, or as shown)."""
        action = self.action(name)
        data = dict(action["data"])
        if action.get("associatedInputs") != "none":
            shown = inputs(self.card)
            typed = {
                k: ",".join(v) if isinstance(v, list) else v for k, v in (values or {}).items()
            }
            data.update({k: typed.get(k, "") if values is not None else shown[k] for k in shown})
        self.card = self.execute(data, user=user)
        return self.card

    def step(self) -> str:
        key = self.keys.verify(self.action("audit.step")["data"]["routing_key"]) or ""
        return key.rsplit(":", 1)[-1]

    def owner(self) -> str:
        for e in elements(self.card):
            if e["type"] == "Input.ChoiceSet" and e["id"].endswith(".owner"):
                return str(e["choices"][0]["value"])
        return "0"

    def answer(self) -> dict[str, Any]:
        return answers_for(self.dialog.step(self.step()), owner=self.owner())


def teams_app_for(
    db_url: str, engine: Engine, now: datetime, world: World, preset: str, *, routes: Router = QUIET
) -> tuple[TestClient, RoutingKeys]:
    """The Teams app on `preset` with `world`'s framework (the Slack side's `app_for`)."""
    settings = teams_settings(db_url, QA_BOT_FRAMEWORK=preset)
    client = app_client(settings, engine, now, framework=world.framework, router=routes)
    return client, keys_for(settings)


@pytest.fixture(params=["camden", "lambeth"])
def auditor(
    request: pytest.FixtureRequest,
    db_url: str,
    engine: Engine,
    now: datetime,
    connector: FakeConnector,
) -> Iterator[TeamsAudit]:
    world = seed_world(engine, now, str(request.param))
    client, keys = teams_app_for(db_url, engine, now, world, str(request.param))
    with client:
        yield TeamsAudit(client, connector, keys, world)


def stored(engine: Engine, world: World) -> Audit:
    with Session(engine) as session:
        return session.exec(select(Audit).where(Audit.allocation_id == world.allocation_id)).one()


def text_of(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


def test_a_complete_inadequate_audit_is_submitted_card_by_card(
    auditor: TeamsAudit, engine: Engine
) -> None:
    auditor.start()
    while auditor.step() != "review":
        before = auditor.step()
        auditor.press("audit.step", auditor.answer())
        assert "attention" not in text_of(auditor.card) or auditor.step() != before
    card = auditor.press("audit.step", {})
    assert "is submitted" in text_of(card) and "Inadequate" in text_of(card)
    assert "Evidence for" not in text_of(card)
    audit = stored(engine, auditor.world)
    assert audit.status == "submitted" and audit.overall_grade == "inadequate"
    with Session(engine) as session:
        recs = session.exec(select(Recommendation).order_by(col(Recommendation.id))).all()
        assert len(recs) == 2 and all(r.audit_id == audit.id for r in recs)


def test_missing_answers_come_back_beside_their_fields(auditor: TeamsAudit, engine: Engine) -> None:
    auditor.start()
    auditor.press("audit.step", {})
    values = auditor.answer()
    missing = next(k for k in values if k.endswith(".grade"))
    values.pop(missing)
    card = auditor.press("audit.step", values)
    body = elements(card)
    at = next(i for i, e in enumerate(body) if e.get("id") == missing)
    error = body[at + 1]
    assert error["type"] == "TextBlock" and error["color"] == "attention"
    assert error["text"].startswith("Choose a grade for")
    # Everything else typed is still on the card.
    shown = inputs(card)
    assert all(shown[k] == (",".join(v) if isinstance(v, list) else v) for k, v in values.items())


def test_save_for_later_and_continue_keeps_every_answer(
    auditor: TeamsAudit, engine: Engine
) -> None:
    auditor.start()
    auditor.press("audit.step", {})
    first = auditor.answer()
    auditor.press("audit.step", first)
    half = dict(list(auditor.answer().items())[:2])
    saved = auditor.press("audit.save", half)
    assert "Saved" in text_of(saved)
    auditor.card = saved
    card = auditor.press("audit.continue")
    assert {k: inputs(card)[k] for k in half} == half
    card = auditor.press("audit.back", inputs(card))
    assert {k: inputs(card)[k] for k in first} == {
        k: ",".join(v) if isinstance(v, list) else v for k, v in first.items()
    }


def test_an_urgent_flag_escalates_at_once_and_the_audit_carries_on(
    auditor: TeamsAudit, engine: Engine, connector: FakeConnector
) -> None:
    auditor.start()
    auditor.press("audit.step", {})
    step = auditor.step()
    typed = dict(list(auditor.answer().items())[:1])
    form = auditor.press("audit.flag", typed)
    assert "Urgent concern" in text_of(form)
    back = auditor.press("audit.flag.send", {"flag.note": "No plan since the strategy meeting."})
    assert auditor.step() == step and "Sent now to" in text_of(back)
    assert {k: inputs(back)[k] for k in typed} == typed, "what was typed is still there"
    with Session(engine) as session:
        rows = session.exec(select(Escalation)).all()
        assert rows and all(r.kind == "urgent" for r in rows)
        queued = session.exec(
            select(OutboxMessage).where(OutboxMessage.template == "urgent_flag")
        ).all()
        assert sorted(m.person_id or 0 for m in queued) == sorted(r.owner_id for r in rows)
    (receipt,) = connector.messages()
    assert "Sent now to" in receipt.all_text


def test_someone_else_is_refused_politely(auditor: TeamsAudit, engine: Engine) -> None:
    card = auditor.start(user=AAD_OTHER)
    assert "allocated to someone else" in text_of(card)
    assert auditor.world.reference not in text_of(card)
    with Session(engine) as session:
        assert session.exec(select(Audit)).all() == []
    auditor.start()
    stolen = auditor.press("audit.step", {}, user=AAD_OTHER)
    assert "allocated to someone else" in text_of(stolen)
    assert stored(engine, auditor.world).step == "context"


def test_a_forged_routing_key_is_refused(auditor: TeamsAudit, engine: Engine) -> None:
    card = auditor.start(key=f"allocation:{auditor.world.allocation_id}~forged")
    assert "no longer works" in text_of(card)
    with Session(engine) as session:
        assert session.exec(select(Audit)).all() == []


def test_my_offers_continue_audit(auditor: TeamsAudit, connector: FakeConnector) -> None:
    auditor.start()
    auditor.press("audit.step", {})
    where = auditor.step()
    sent = chat.say(auditor.client, connector, AAD_AUDITOR, "my")
    (card,) = sent.cards
    check_card(card)
    # One item (the draft is its allocation, counted once), with its button beside it.
    [item] = [e for e in card["body"] if e["type"] == "Container"]
    assert item["items"][0]["text"] == auditor.world.reference
    [action_set] = [e for e in item["items"] if e["type"] == "ActionSet"]
    [resume] = action_set["actions"]
    assert resume["data"]["action"] == "audit.continue"
    assert resume["title"] == "Continue"
    auditor.card = card
    auditor.card = auditor.execute(dict(resume["data"]))
    assert auditor.step() == where


@pytest.mark.parametrize("same", ["yes", "no"])
def test_wandsworth_the_dip_sampler_says_whether_the_same_concerns_are_present(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector, same: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Wandsworth QAF 33: "If the same concerns are found the social worker's case load is
    audited": the dip-sampler answers in the dialog; yes allocates the caseload at once."""
    from handlers.escalation import escalate_after_submit
    from qa.forms import SAME_CONCERNS
    from tests.handlers.audit_world import caseload_and_prompts, make_dip_sample

    world = make_dip_sample(engine, seed_world(engine, now, "wandsworth"), now)
    settings = teams_settings(db_url, QA_BOT_FRAMEWORK="wandsworth")
    only_escalation = router(hooks=Hooks(after_submit=(escalate_after_submit,)))
    fw = world.framework
    with app_client(settings, engine, now, framework=fw, router=only_escalation) as client:
        auditor = TeamsAudit(client, connector, keys_for(settings), world)
        auditor.dialog = build_audit_dialog(
            world.framework, world.area, case_reference=world.reference, dip_sample=True
        )
        auditor.start()
        asked = False
        while auditor.step() != "review":
            values = auditor.answer()
            if auditor.step() == "overall":
                asked = "Are the same concerns present" in text_of(auditor.card)
                values = {k: ("good" if k == "overall.grade" else v) for k, v in values.items()}
                values[SAME_CONCERNS] = same
            auditor.press("audit.step", values)
        auditor.press("audit.step", {})
    assert asked, "the question is on the overall grade's step"
    caseload, prompts = caseload_and_prompts(engine, world)
    if same == "yes":
        assert caseload and all("Whole-caseload audit" in r.reason for r in caseload)
        assert [p.person_id for p in prompts] == [world.auditor_id]
    else:
        assert caseload == [] and prompts == []
