"""A third dialog is a flow definition: the controller does the rest.

A made-up "note" dialog (two steps: a text and a date, then a review) is defined here
as a `DialogFlow` over an in-memory record, routed with `routes()` and driven through
a `Router` exactly as the product's router is driven. Everything the audit and
moderation flows get from the controller, it gets too: refusals for a forged key or
someone else's record, errors by field, Back and Save keeping what is typed, a closed
modal keeping a draft silently, one submission, and the receipt once finished.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from handlers.conversation import Conversation
from handlers.dialog_controller import DialogFlow, StepNotes
from handlers.dialog_session import OpenDialog, Refusal, parse_key
from handlers.interaction import Reply
from handlers.router import Router, unknown_user
from handlers.turn import Turn
from qa.dialog import END, Dialog, DialogState, Step, StepView
from qa.validation import Field
from storage.models import Case
from tests.handlers.audit_world import SLACK_AUDITOR, SLACK_OTHER, World, seed_world
from tests.handlers.dialog_acting import slack_press

LONDON = ZoneInfo("Europe/London")
NOTE = Dialog(
    "note",
    {
        "write": Step("write", "Write", ("when",), fields=(Field("note.text", "Note", "text"),)),
        "when": Step(
            "when",
            "When",
            ("review",),
            fields=(Field("note.on", "On", "date", dates="not_future"),),
        ),
        "review": Step("review", "Check and submit", (END,), submit_label="Submit"),
    },
    start="write",
)


@dataclass
class OpenNote(OpenDialog):
    note_id: int


@dataclass
class NoteFlow(DialogFlow[OpenNote]):
    """Notes kept in memory, each owned by one person; submitting records it once."""

    owner_id: int
    case: Case
    saved_states: dict[int, DialogState] = field(default_factory=dict)
    submitted: list[int] = field(default_factory=list)
    name = "note"

    def open(self, turn: Turn, record_id: int) -> OpenNote | Refusal:
        if record_id != 1:
            return Refusal(self.name, "invalid")
        if turn.person.id != self.owner_id:
            return Refusal(self.name, "not_yours")
        state = self.saved_states.get(record_id, NOTE.start_state())
        return OpenNote(self.case, NOTE, state, {}, record_id)

    def persist(self, turn: Turn, op: OpenNote) -> None:
        self.saved_states[op.note_id] = op.state

    def step_context(
        self, turn: Turn, op: OpenNote, sv: StepView, notes: StepNotes
    ) -> dict[str, Any]:
        return {"step": sv.key, "values": dict(sv.values), **vars(notes)}

    def finished(self, turn: Turn, op: OpenNote) -> list[Reply]:
        return [Reply("note_receipt", {"just_now": False})]

    def submit(self, turn: Turn, op: OpenNote) -> list[Reply]:
        self.submitted.append(op.note_id)
        return [Reply("note_receipt", {"just_now": True})]

    def saved(self, turn: Turn, op: OpenNote) -> Reply:
        return Reply("note_saved", {"step": op.state.step})


@pytest.fixture
def world(engine: Engine, now: datetime) -> World:
    return seed_world(engine, now, "camden")


@pytest.fixture
def flow(engine: Engine, world: World) -> NoteFlow:
    with Session(engine) as session:
        case = session.get(Case, world.case_id)
        assert case is not None
        return NoteFlow(owner_id=world.auditor_id, case=case)


def _send(
    engine: Engine,
    world: World,
    flow: NoteFlow,
    now: datetime,
    name: str,
    key: str | None,
    values: dict[str, Any] | None = None,
    *,
    user: str = SLACK_AUDITOR,
) -> list[Reply]:
    actions, submissions = flow.routes(open_action="note.open")
    router = Router(
        [Conversation("note", actions=actions, submissions=submissions)],
        fallback=lambda turn, _word: unknown_user(turn.interaction),
    )
    kind = "submission" if name in submissions else "action"
    interaction = slack_press(name, key, values, kind=kind, user=user)
    with Session(engine) as session:
        return router.dispatch(
            interaction, session=session, framework=world.framework, now=now, tz=LONDON
        )


def test_a_flow_gets_the_whole_dialog_from_the_controller(
    engine: Engine, now: datetime, world: World, flow: NoteFlow
) -> None:
    def send(name: str, key: str | None, values: dict[str, Any] | None = None) -> Reply:
        [reply] = _send(engine, world, flow, now, name, key, values)
        return reply

    opened = send("note.open", "note:1")
    assert (opened.template, opened.context["step"]) == ("note_step", "write")

    empty = send("note.step", "note:1:write", {})
    assert empty.context["step"] == "write"
    assert empty.errors == {"note.text": "Please fill in Note"}

    on = send("note.step", "note:1:write", {"note.text": "Seen at school"})
    assert on.context["step"] == "when"

    future = send("note.back", "note:1:when", {"note.on": "2099-01-01"})
    assert future.context["step"] == "write"
    assert flow.saved_states[1].answers["when"] == {"note.on": "2099-01-01"}  # kept, unchecked

    send("note.step", "note:1:write", {"note.text": "Seen at school"})
    saved = send("note.save", "note:1:when", {"note.on": "2026-11-30"})
    assert saved.template == "note_saved" and saved.context["step"] == "when"
    resumed = send("note.open", "note:1")
    assert resumed.context["values"] == {"note.on": "2026-11-30"}

    stale = send("note.step", "note:1:review", {})
    assert stale.context["step"] == "when"
    assert (
        stale.context["notice"] == "That step was already saved, so here is where your note is now."
    )

    send("note.step", "note:1:when", {"note.on": "2026-11-30"})
    done = send("note.step", "note:1:review", {})
    assert (done.template, done.context) == ("note_receipt", {"just_now": True})
    again = send("note.step", "note:1:review", {})
    assert (again.template, again.context) == ("note_receipt", {"just_now": False})
    assert flow.submitted == [1]


def test_a_closed_modal_keeps_the_draft_and_says_nothing(
    engine: Engine, now: datetime, world: World, flow: NoteFlow
) -> None:
    replies = _send(
        engine, world, flow, now, "note.step.closed", "note:1:write", {"note.text": "x"}
    )
    assert replies == []
    assert flow.saved_states[1].answers == {"write": {"note.text": "x"}}
    # a forged key, even on a closed modal, changes nothing and answers nothing
    assert _send(engine, world, flow, now, "note.step.closed", None, {"note.text": "y"}) == []
    assert flow.saved_states[1].answers == {"write": {"note.text": "x"}}


def test_someone_else_and_a_forged_key_are_refused_politely(
    engine: Engine, now: datetime, world: World, flow: NoteFlow
) -> None:
    [other] = _send(engine, world, flow, now, "note.open", "note:1", user=SLACK_OTHER)
    assert (other.template, other.context) == ("note_refused", {"reason": "not_yours"})
    for key in (None, "audit:1", "note:2", "note:1"):
        name = "note.step" if key != "note:1" else "note.back"  # a step form needs its step
        [reply] = _send(engine, world, flow, now, name, key, {"note.text": "z"})
        assert (reply.template, reply.context) == ("note_refused", {"reason": "invalid"})
    assert flow.saved_states == {} and flow.submitted == []


def test_a_routing_key_names_its_kind_its_record_and_maybe_a_step() -> None:
    assert parse_key("moderation:12:grades", "moderation") == (12, "grades")
    assert parse_key("audit:12", "audit") == (12, None)
    assert parse_key("moderation:12", "audit") is None
    assert parse_key("audit:twelve", "audit") is None
    assert parse_key(None, "audit") is None
