"""The audit dialog in Slack, through the real endpoint: signed interactivity payloads.

*Start audit* is a button in a DM: it opens a modal (`views.open`). Each step is a
`view_submission` answered with `response_action: update` (the next step) or
`errors` (by block id); Back and the urgent flag are buttons inside the modal
(`block_actions` carrying the modal's state); the flag form is pushed on top
(`views.push`) and popped when sent; closing the modal (`view_closed`) keeps what was
typed. Payloads are complete views (type, id, callback_id, private_metadata, state),
built from the views the app really sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import handlers.audit  # noqa: F401 - registers the dialog's buttons and forms
from bot.composition import router
from bot.routing_keys import RoutingKeys, keys_for
from handlers.router import Router
from handlers.turn import Hooks
from qa.forms import build_audit_dialog
from storage.models import Allocation, Audit, Escalation, OutboxMessage, Recommendation
from tests import chat
from tests.chat import (
    TestClient,
    all_text,
    app_client,
    post_command,
    post_event,
    settle,
    slack_settings,
)
from tests.fakes.slack_api import FakeSlack, new_trigger_id
from tests.handlers.audit_world import SLACK_AUDITOR, SLACK_OTHER, World, answers_for, seed_world

# Other features' hooks (moderation, escalation) are theirs to test.
QUIET = router(hooks=Hooks())


class SlackAudit:
    """One auditor in Slack: clicks buttons and submits the modal the app last showed."""

    def __init__(self, api: TestClient, slack: FakeSlack, keys: RoutingKeys, world: World) -> None:
        self.api, self.slack, self.keys, self.world = api, slack, keys, world
        self.view: dict[str, Any] = {}
        self.stack: list[dict[str, Any]] = []
        self.dialog = build_audit_dialog(
            world.framework, world.area, case_reference=world.reference
        )

    def _post(self, payload: dict[str, Any]) -> httpx.Response:
        response = chat.post_interaction(self.api, payload)
        assert response.status_code == 200, response.text
        return response

    def _last_view(self, method: str) -> dict[str, Any]:
        return chat.last_view(self.slack, method)

    def click_in_dm(self, action_id: str, key: str | None, *, user: str = SLACK_AUDITOR) -> None:
        value = key if key is None or "~" in key else self.keys.sign(key)
        self._post(chat.block_actions(user, action_id, value))

    def open(self, *, user: str = SLACK_AUDITOR) -> dict[str, Any]:
        before = len(self.slack.calls_to("views.open"))
        self.click_in_dm("audit.start", f"allocation:{self.world.allocation_id}", user=user)
        assert len(self.slack.calls_to("views.open")) == before + 1, "a modal opened"
        self.view = {"id": "V0STEP", **self._last_view("views.open")}
        self.stack = [self.view]
        check_view(self.view)
        return self.view

    def state(self, values: dict[str, Any], view: dict[str, Any] | None = None) -> dict[str, Any]:
        """`view.state` as Slack builds it from the inputs on screen and what was typed."""
        return chat.view_state(view or self.view, values)

    def submit(
        self,
        values: dict[str, Any],
        view: dict[str, Any] | None = None,
        *,
        user: str = SLACK_AUDITOR,
    ) -> dict[str, Any]:
        """Submit the modal on top; the ack's body (empty when it just closes)."""
        view = view or self.view
        full = chat.modal(
            {"id": "V0STEP", **view},
            self.state(values, view),
            team_id="T0TEAM",
            title=view["title"],
            blocks=view["blocks"],
            root_view_id="V0STEP",
        )
        response = self._post(chat.view_submission(user, full))
        body = response.json() if response.content else {}
        if body.get("response_action") == "update":
            updated = {"id": full["id"], **body["view"]}
            check_view(updated)
            if view is self.view:
                self.view = updated
            return body
        return body

    def has_button(self, action_id: str) -> bool:
        return any(
            e["action_id"] == action_id
            for b in self.view["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
        )

    def click_in_modal(self, action_id: str, values: dict[str, Any]) -> None:
        button = next(
            e
            for b in self.view["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == action_id
        )
        opened = chat.modal({**self.view, "id": "V0STEP"}, self.state(values))
        nav = {"action_id": action_id, "block_id": "audit.nav", "type": "button"}
        self._post(
            {
                "type": "block_actions",
                "user": {"id": SLACK_AUDITOR},
                "trigger_id": new_trigger_id(),
                "container": {"type": "view", "view_id": "V0STEP"},
                "view": opened,
                "actions": [{**nav, "value": button["value"]}],
            }
        )

    def close(self, values: dict[str, Any]) -> None:
        opened = chat.modal({**self.view, "id": "V0STEP"}, self.state(values))
        self._post(chat.view_closed(SLACK_AUDITOR, opened))

    def step(self) -> str:
        key = self.keys.verify(self.view["private_metadata"]) or ""
        return key.rsplit(":", 1)[-1]

    def owner(self) -> str:
        for block in self.view["blocks"]:
            element = block.get("element", {})
            if element.get("type") == "static_select" and block["block_id"].endswith(".owner"):
                return str(element["options"][0]["value"])
        return "0"

    def answer(self, grade: str = "inadequate") -> dict[str, Any]:
        return answers_for(self.dialog.step(self.step()), owner=self.owner(), grade=grade)


def check_view(view: dict[str, Any]) -> None:
    """Slack's limits on a modal: 100 blocks, title 24, metadata 3000, unique block ids."""
    assert view["type"] == "modal" and len(view["blocks"]) <= 100
    assert len(view["title"]["text"]) <= 24 and len(view.get("private_metadata", "")) <= 3000
    ids = [b["block_id"] for b in view["blocks"] if "block_id" in b]
    assert len(ids) == len(set(ids))


def initial(view: dict[str, Any]) -> dict[str, Any]:
    """What the modal shows pre-filled, by block id."""
    out: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        for field in ("initial_value", "initial_date"):
            if field in element:
                out[block["block_id"]] = element[field]
        if "initial_option" in element:
            out[block["block_id"]] = element["initial_option"]["value"]
        if "initial_options" in element:
            out[block["block_id"]] = [o["value"] for o in element["initial_options"]]
    return out


def app_for(
    db_url: str,
    engine: Engine,
    slack: FakeSlack,
    now: datetime,
    world: World,
    *,
    routes: Router = QUIET,
) -> tuple[TestClient, RoutingKeys]:
    settings = slack_settings(db_url, slack.url)
    client = app_client(settings, engine, now, framework=world.framework, router=routes)
    return client, keys_for(settings)


@pytest.fixture(params=["camden", "lambeth"])
def preset(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def auditor(
    db_url: str, engine: Engine, slack: FakeSlack, now: datetime, preset: str
) -> Iterator[SlackAudit]:
    world = seed_world(engine, now, preset)
    client, keys = app_for(db_url, engine, slack, now, world)
    with client:
        yield SlackAudit(client, slack, keys, world)


def stored(engine: Engine, world: World) -> Audit:
    with Session(engine) as session:
        return session.exec(select(Audit).where(Audit.allocation_id == world.allocation_id)).one()


def test_a_complete_inadequate_audit_is_submitted_step_by_step(
    auditor: SlackAudit, engine: Engine, slack: FakeSlack
) -> None:
    auditor.open()
    seen = []
    while auditor.step() != "review":
        seen.append(auditor.step())
        body = auditor.submit(auditor.answer())
        assert body.get("response_action") == "update", body
    assert seen[0] == "context" and "overall" in seen
    body = auditor.submit({})
    assert body == {} or "response_action" not in body, "the modal closes"
    [receipt] = [
        c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == SLACK_AUDITOR
    ]
    text = all_text(receipt.params)
    assert auditor.world.reference in text and "Inadequate" in text
    assert "Evidence for" not in text, "no free text echoed into chat"
    audit = stored(engine, auditor.world)
    assert audit.status == "submitted" and audit.overall_grade == "inadequate"
    assert set(audit.domain_grades) == {
        d.key for d in auditor.world.framework.domains_for(auditor.world.area)
    }
    with Session(engine) as session:
        recs = session.exec(select(Recommendation).order_by(col(Recommendation.id))).all()
        assert len(recs) == 2 and all(r.raised_by_id == auditor.world.auditor_id for r in recs)
        assert session.get(Allocation, auditor.world.allocation_id).status == "completed"  # type: ignore[union-attr]


def test_missing_answers_come_back_as_errors_on_their_blocks(
    auditor: SlackAudit, engine: Engine
) -> None:
    auditor.open()
    auditor.submit({})  # context
    values = auditor.answer()
    missing = sorted(values)[:2]
    for key in missing:
        values.pop(key)
    body = auditor.submit(values)
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == set(missing)
    block_ids = {b.get("block_id") for b in auditor.view["blocks"]}
    assert set(body["errors"]) <= block_ids
    assert stored(engine, auditor.world).step == auditor.step()


def test_closing_the_modal_and_coming_back_keeps_every_answer(
    auditor: SlackAudit, engine: Engine, slack: FakeSlack
) -> None:
    auditor.open()
    typed: dict[str, Any] = {}
    for _ in range(3):
        values = auditor.answer()
        typed.update(values)
        auditor.submit(values)
    half = dict(list(auditor.answer().items())[:1])
    typed.update(half)
    auditor.close(half)
    where = auditor.step()
    # A week later: *Continue* from `/qa my`.
    audit = stored(engine, auditor.world)
    auditor.click_in_dm("audit.continue", f"audit:{audit.id}")
    auditor.view = {"id": "V0STEP", **auditor._last_view("views.open")}
    assert auditor.step() == where
    shown = initial(auditor.view)
    assert {k: shown.get(k) for k in half} == half
    # Back through every earlier step: each still holds what was typed.
    while auditor.has_button("audit.back"):
        auditor.click_in_modal("audit.back", initial(auditor.view))
        auditor.view = {"id": "V0STEP", **auditor._last_view("views.update")}
        check_view(auditor.view)
        shown = initial(auditor.view)
        for key in shown:
            assert shown[key] == typed[key], key
    assert auditor.step() == "context"


def test_an_urgent_flag_is_pushed_sent_at_once_and_popped(
    auditor: SlackAudit, engine: Engine, slack: FakeSlack
) -> None:
    auditor.open()
    auditor.submit({})
    typed = dict(list(auditor.answer().items())[:2])
    auditor.click_in_modal("audit.flag", typed)
    [push] = slack.calls_to("views.push")
    flag_view = (
        json.loads(push.params["view"])
        if isinstance(push.params["view"], str)
        else push.params["view"]
    )
    check_view(flag_view)
    assert len(auditor.stack) + 1 <= 3
    assert stored(engine, auditor.world).answers["answers"][auditor.step()] == typed
    values = {"flag.note": "No plan since the strategy meeting."}
    if any(b.get("block_id") == "flag.kind" for b in flag_view["blocks"]):
        values["flag.kind"] = "safeguarding"
    body = auditor.submit(values, view=flag_view)
    assert "response_action" not in body, "sending pops back to the audit"
    with Session(engine) as session:
        rows = session.exec(select(Escalation)).all()
        assert rows and all(r.kind == "urgent" and r.flag == "safeguarding" for r in rows)
        queued = session.exec(
            select(OutboxMessage).where(OutboxMessage.template == "urgent_flag")
        ).all()
        assert len(queued) == len(rows)
        assert all(m.context["reference"] == auditor.world.reference for m in queued)
    receipt = slack.calls_to("chat.postMessage")[-1]
    assert receipt.params["channel"] == SLACK_AUDITOR and "Sent now to" in all_text(receipt.params)


def test_someone_else_is_refused_politely_whatever_they_send(
    auditor: SlackAudit, engine: Engine, slack: FakeSlack
) -> None:
    auditor.click_in_dm(
        "audit.start", f"allocation:{auditor.world.allocation_id}", user=SLACK_OTHER
    )
    assert slack.calls_to("views.open") == []
    refusal = slack.calls_to("chat.postMessage")[-1]
    assert refusal.params["channel"] == f"D{SLACK_OTHER}"
    assert "allocated to someone else" in all_text(refusal.params)
    assert auditor.world.reference not in all_text(refusal.params)
    # Even holding a genuine step key (a copied payload), a submission is refused.
    auditor.open()
    body = auditor.submit(auditor.answer(), user=SLACK_OTHER)
    assert "response_action" not in body
    refusal = slack.calls_to("chat.postMessage")[-1]
    assert refusal.params["channel"] == SLACK_OTHER
    assert "allocated to someone else" in all_text(refusal.params)
    audit = stored(engine, auditor.world)
    assert audit.step == "context" and audit.answers["answers"] == {}


def test_a_forged_routing_key_is_refused(
    auditor: SlackAudit, slack: FakeSlack, engine: Engine
) -> None:
    auditor.click_in_dm("audit.start", f"allocation:{auditor.world.allocation_id}~forged")
    assert slack.calls_to("views.open") == []
    assert "no longer works" in all_text(slack.calls_to("chat.postMessage")[-1].params)
    with Session(engine) as session:
        assert session.exec(select(Audit)).all() == []


def test_qa_my_and_the_home_tab_offer_continue_audit(
    auditor: SlackAudit, engine: Engine, slack: FakeSlack
) -> None:
    auditor.open()
    auditor.submit({})
    where = auditor.step()
    response = post_command(auditor.api, slack, SLACK_AUDITOR, "my")
    blocks = response.json()["blocks"]
    [button] = [
        b["accessory"]
        for b in blocks
        if b.get("accessory", {}).get("action_id") == "audit.continue"
    ]
    assert auditor.keys.verify(button["value"]) == f"audit:{stored(engine, auditor.world).id}"
    auditor.click_in_dm("audit.continue", button["value"])
    auditor.view = {"id": "V0STEP", **auditor._last_view("views.open")}
    assert auditor.step() == where
    post_event(
        auditor.api,
        {"type": "app_home_opened", "user": SLACK_AUDITOR, "tab": "home"},
        event_id="Ev0HOME",
    )
    settle(auditor.api)
    home = auditor._last_view("views.publish")
    assert any(b.get("accessory", {}).get("action_id") == "audit.continue" for b in home["blocks"])


@pytest.mark.parametrize("same", ["yes", "no"])
def test_wandsworth_the_dip_sampler_says_whether_the_same_concerns_are_present(
    db_url: str, engine: Engine, slack: FakeSlack, now: datetime, same: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Wandsworth QAF 33: "If the same concerns are found the social worker's case load is
    audited": the dip-sampler answers in the dialog; yes allocates the caseload at once."""
    from handlers.escalation import escalate_after_submit
    from qa.forms import SAME_CONCERNS
    from tests.handlers.audit_world import caseload_and_prompts, make_dip_sample

    world = make_dip_sample(engine, seed_world(engine, now, "wandsworth"), now)
    only_escalation = router(hooks=Hooks(after_submit=(escalate_after_submit,)))
    client, keys = app_for(db_url, engine, slack, now, world, routes=only_escalation)
    with client:
        auditor = SlackAudit(client, slack, keys, world)
        auditor.dialog = build_audit_dialog(
            world.framework, world.area, case_reference=world.reference, dip_sample=True
        )
        auditor.open()
        asked = False
        while auditor.step() != "review":
            values = auditor.answer("good")
            if auditor.step() == "overall":
                asked = "Are the same concerns present" in all_text(
                    {"blocks": auditor.view["blocks"]}
                )
                values[SAME_CONCERNS] = same
            body = auditor.submit(values)
            assert body.get("response_action") == "update", body
        auditor.submit({})
    assert asked, "the question is on the overall grade's step"
    caseload, prompts = caseload_and_prompts(engine, world)
    if same == "yes":
        assert caseload and all("Whole-caseload audit" in r.reason for r in caseload)
        assert [p.person_id for p in prompts] == [world.auditor_id]
    else:
        assert caseload == [] and prompts == [], "a Good dip sample with no same concerns"
