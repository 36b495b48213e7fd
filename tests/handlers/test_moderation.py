"""The moderation conversation's rules, through `dispatch` with a seeded demo authority.

The platform tests (tests/bot/test_moderation_slack.py, test_moderation_teams.py)
drive the same dialog through the real endpoints; here each rule is checked on its
own: the after-submit hook selects and assigns once per round, only the moderator may
open or submit, the outcome reaches the audit and its author, a downgrade needs an
action, a returned audit comes back to the same moderator, a panel's chair decides.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import handlers.audit  # noqa: F401 - registers the audit dialog
import handlers.moderation as moderation_handlers
from handlers.interaction import Interaction, Reply
from handlers.moderation_session import dialog_for
from handlers.turn import Hooks, Turn
from qa.forms import build_audit_dialog
from reminders.jobs import JobContext
from reminders.moderation import run_assign
from storage.models import (
    Allocation,
    Audit,
    Case,
    Escalation,
    Moderation,
    OutboxMessage,
    Person,
    Recommendation,
)
from tests.dispatching import LONDON, dispatch
from tests.handlers.audit_world import SLACK_AUDITOR, SLACK_OTHER, answers_for
from tests.handlers.dialog_acting import slack_press
from tests.handlers.moderation_world import (
    REASON,
    ModerationWorld,
    moderation_answers,
    moderations,
    seed_moderation_world,
    slack_id,
)

OUTCOMES: list[tuple[int, str | None]] = []


def _record(_turn: Turn, audit: Audit, m: Moderation) -> None:
    OUTCOMES.append((audit.id or 0, audit.final_grade))


# Moderation's hooks only (and a recorder of outcomes): escalations have their tests.
HOOKS = Hooks(after_submit=(moderation_handlers.moderate_after_submit,), after_outcome=(_record,))


@pytest.fixture(autouse=True)
def hooks() -> Iterator[None]:
    OUTCOMES.clear()
    yield


def act(
    engine: Engine,
    w: ModerationWorld,
    now: datetime,
    name: str,
    key: str | None,
    values: dict[str, Any] | None = None,
    *,
    kind: str = "action",
    user: str = SLACK_AUDITOR,
) -> list[Reply]:
    interaction = slack_press(name, key, values, kind=kind, user=user)
    with Session(engine) as session:
        replies = dispatch(
            interaction, session=session, framework=w.framework, now=now, hooks=HOOKS
        )
        session.commit()
    return replies


def owner_of(reply: Reply) -> str:
    for item in reply.context["items"]:
        if item["type"] == "field" and item["input"] == "person":
            return str(item["options"][0]["value"])
    return "0"


def submit_audit(engine: Engine, w: ModerationWorld, now: datetime, grade: str) -> Reply:
    """The auditor answers every step with `grade` and submits (or resubmits)."""
    world = w.audit
    dialog = build_audit_dialog(world.framework, world.area, case_reference=world.reference)
    [reply] = act(engine, w, now, "audit.start", f"allocation:{world.allocation_id}")
    while reply.template == "audit_step":
        step = dialog.step(reply.context["step"])
        values = answers_for(step, owner=owner_of(reply), grade=grade)
        [reply] = act(
            engine, w, now, "audit.step", reply.context["step_key"], values, kind="submission"
        )
        assert not reply.errors, reply.errors
    assert reply.template == "audit_submitted", reply
    return reply


def the_audit(engine: Engine, w: ModerationWorld) -> Audit:
    with Session(engine) as session:
        return session.exec(select(Audit).where(Audit.allocation_id == w.audit.allocation_id)).one()


def moderate(
    engine: Engine,
    w: ModerationWorld,
    now: datetime,
    row: Moderation,
    *,
    stop: str | None = None,
    **answers: Any,
) -> Reply:
    """The moderator opens the request and answers every step (until `stop`)."""
    user = slack_id(row.moderator_id)
    with Session(engine) as session:
        audit = session.get(Audit, row.audit_id)
        case = session.get(Case, audit.case_id) if audit else None
        assert audit is not None and case is not None
        dialog = dialog_for(w.framework, audit, case)
    [reply] = act(engine, w, now, "moderation.open", f"moderation:{row.id}", user=user)
    while reply.template == "moderation_step" and reply.context["step"] != stop:
        step = dialog.step(reply.context["step"])
        values = moderation_answers(step, owner=owner_of(reply), **answers)
        [reply] = act(
            engine,
            w,
            now,
            "moderation.step",
            reply.context["step_key"],
            values,
            kind="submission",
            user=user,
        )
        if reply.errors:
            return reply
    return reply


def queued(engine: Engine, template: str) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.template == template)
                .order_by(col(OutboxMessage.id))
            )
        )


@pytest.fixture
def camden(engine: Engine, now: datetime) -> ModerationWorld:
    return seed_moderation_world(engine, now, "camden")


@pytest.fixture
def lambeth(engine: Engine, now: datetime) -> ModerationWorld:
    return seed_moderation_world(engine, now, "lambeth")


# -- selection and assignment ------------------------------------------------------------


def test_an_inadequate_audit_goes_to_a_head_of_service_who_is_not_too_close(
    engine: Engine, now: datetime, camden: ModerationWorld
) -> None:
    submit_audit(engine, camden, now, "inadequate")
    [row] = moderations(engine)
    with Session(engine) as session:
        moderator = session.get(Person, row.moderator_id)
        case = session.get(Case, camden.audit.case_id)
        assert moderator is not None and case is not None
        assert "head_of_service" in moderator.roles
        assert row.moderator_id not in {camden.audit.auditor_id, camden.line_manager_id}
        assert moderator.team_id != case.team_id
    assert row.status == "assigned" and not row.is_chair
    assert row.due_on.isoformat() == "2026-12-15"  # ten working days on
    [request] = queued(engine, "moderation_request")
    assert request.person_id == row.moderator_id
    assert request.idempotency_key == f"moderation-request:{row.id}"
    context = request.context
    assert context["reference"] == camden.audit.reference and context["overall"] == "Inadequate"
    assert "every Inadequate" in context["reason"]
    assert context["routing_key"] == f"moderation:{row.id}"


def test_a_good_audit_outside_the_sample_is_not_moderated(
    engine: Engine, now: datetime, camden: ModerationWorld
) -> None:
    submit_audit(engine, camden, now, "good")  # audit 1 in December 2026: not in the 25%
    assert moderations(engine) == []
    assert the_audit(engine, camden).status == "submitted"


def test_the_hook_run_again_makes_no_second_moderation(
    engine: Engine, now: datetime, camden: ModerationWorld
) -> None:
    submit_audit(engine, camden, now, "inadequate")
    audit = the_audit(engine, camden)
    with Session(engine) as session:
        person = session.get(Person, camden.audit.auditor_id)
        assert person is not None
        interaction = Interaction("slack", SLACK_AUDITOR, "action", "x")
        turn = Turn(interaction, person, session, camden.framework, now, LONDON)
        for _ in range(2):
            moderation_handlers.moderate_after_submit(turn, session.get(Audit, audit.id) or audit)
        session.commit()
    assert len(moderations(engine)) == 1
    assert len(queued(engine, "moderation_request")) == 1


# -- who may moderate ------------------------------------------------------------------


def test_someone_else_is_refused_whatever_key_they_hold(
    engine: Engine, now: datetime, camden: ModerationWorld
) -> None:
    submit_audit(engine, camden, now, "inadequate")
    [row] = moderations(engine)
    for user in (SLACK_OTHER, SLACK_AUDITOR):
        [reply] = act(engine, camden, now, "moderation.open", f"moderation:{row.id}", user=user)
        assert reply.template == "moderation_refused" and reply.context["reason"] == "not_yours"
        [reply] = act(
            engine,
            camden,
            now,
            "moderation.step",
            f"moderation:{row.id}:grades",
            {"mod.overall.agree": "yes"},
            kind="submission",
            user=user,
        )
        assert reply.context["reason"] == "not_yours"
    [reply] = act(engine, camden, now, "moderation.open", None, user=slack_id(row.moderator_id))
    assert reply.context["reason"] == "invalid"
    assert moderations(engine)[0].status == "assigned"


# -- outcomes --------------------------------------------------------------------------


def test_confirming_makes_the_grade_final_and_tells_the_author(
    engine: Engine, now: datetime, camden: ModerationWorld
) -> None:
    submit_audit(engine, camden, now, "inadequate")
    [row] = moderations(engine)
    reply = moderate(engine, camden, now, row, outcome="confirmed")
    assert reply.template == "moderation_receipt" and reply.context["decided"]
    audit = the_audit(engine, camden)
    assert (audit.status, audit.final_grade) == ("final", "inadequate")
    assert audit.finalised_at is not None
    [told] = queued(engine, "moderation_outcome")
    assert told.person_id == camden.audit.auditor_id
    assert told.idempotency_key == f"moderation-outcome:{audit.id}:1"
    assert told.context["outcome"] == "confirmed" and told.context["given"] == "Inadequate"
    done = [m for m in queued(engine, "moderation_request") if m.context.get("update_of")]
    assert [m.context["state"] for m in done] == ["done"]
    assert [(audit.id, "inadequate")] == OUTCOMES
    assert moderations(engine)[0].status == "completed"
    # Pressing Moderate again shows the receipt, and changes nothing.
    [again] = act(engine, camden, now, "moderation.open", f"moderation:{row.id}",
                  user=slack_id(row.moderator_id))  # fmt: skip
    assert again.template == "moderation_receipt" and not again.context["just_now"]


def test_a_downgrade_without_an_action_is_refused_at_the_action(
    engine: Engine, now: datetime, lambeth: ModerationWorld
) -> None:
    submit_audit(engine, lambeth, now, "good")
    [row] = moderations(engine)
    reply = moderate(engine, lambeth, now, row, grade="inadequate", outcome="regraded")
    assert reply.template == "moderation_step" and reply.context["step"] == "actions"
    assert reply.errors == {
        "act.1.action": "A regrade to Inadequate needs at least one action: add it here"
    }
    assert the_audit(engine, lambeth).final_grade is None


def test_a_regrade_with_an_action_becomes_final_and_makes_the_action(
    engine: Engine, now: datetime, lambeth: ModerationWorld
) -> None:
    submit_audit(engine, lambeth, now, "good")
    [row] = moderations(engine)
    reply = moderate(engine, lambeth, now, row, grade="inadequate", outcome="regraded", actions=1)
    assert reply.template == "moderation_receipt", reply
    audit = the_audit(engine, lambeth)
    assert (audit.status, audit.final_grade, audit.overall_grade) == ("final", "inadequate", "good")
    with Session(engine) as session:
        [rec] = session.exec(
            select(Recommendation).where(Recommendation.source == "moderation")
        ).all()
        assert rec.audit_id == audit.id and rec.raised_by_id == row.moderator_id
        assert rec.due_on.isoformat() == "2027-01-12" and rec.status == "open"
        stored = session.get(Moderation, row.id)
        assert stored is not None
        assert (stored.outcome, stored.moderated_grade) == ("regraded", "inadequate")
    [told] = queued(engine, "moderation_outcome")
    assert told.context["final"] == "Inadequate" and told.context["actions"] == 1
    assert "drifted" in told.context["why"]
    assert [(audit.id, "inadequate")] == OUTCOMES


def test_a_regrade_to_inadequate_triggers_the_inadequate_escalation(
    engine: Engine, now: datetime, lambeth: ModerationWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_escalation = (*HOOKS.after_outcome, moderation_handlers.escalate_final_grade)
    monkeypatch.setattr(sys.modules[__name__], "HOOKS", Hooks(HOOKS.after_submit, with_escalation))
    submit_audit(engine, lambeth, now, "good")
    [row] = moderations(engine)
    moderate(engine, lambeth, now, row, grade="inadequate", outcome="regraded", actions=1)
    with Session(engine) as session:
        rows = session.exec(select(Escalation).where(Escalation.kind == "grade")).all()
    assert rows and {r.grade for r in rows} == {"inadequate"}
    assert {r.audit_id for r in rows} == {the_audit(engine, lambeth).id}


def test_a_returned_audit_reopens_and_its_resubmission_goes_back_to_the_moderator(
    engine: Engine, now: datetime, camden: ModerationWorld
) -> None:
    submit_audit(engine, camden, now, "inadequate")
    [row] = moderations(engine)
    reply = moderate(engine, camden, now, row, outcome="returned", reason=REASON)
    assert reply.template == "moderation_receipt" and reply.context["outcome"] == "returned"
    audit = the_audit(engine, camden)
    assert audit.status == "returned" and audit.final_grade is None
    assert audit.step != "end", "the dialog is open again for the author"
    with Session(engine) as session:
        allocation = session.get(Allocation, camden.audit.allocation_id)
        assert allocation is not None and allocation.status == "in_progress"
    [told] = queued(engine, "moderation_outcome")
    assert told.context["outcome"] == "returned" and told.context["comments"] == REASON
    assert told.context["audit_key"] == f"audit:{audit.id}"
    # The author revises and resubmits: a new round, back to the same moderator.
    submit_audit(engine, camden, now, "inadequate")
    rows = moderations(engine)
    assert len(rows) == 2 and rows[1].moderator_id == row.moderator_id
    assert rows[1].status == "assigned"
    requests = [m for m in queued(engine, "moderation_request") if not m.context.get("update_of")]
    assert [m.context["round"] for m in requests] == [1, 2]
    # Neither the hook nor the job run again makes a third.
    with Session(engine) as session:
        run_assign(JobContext(session, camden.framework, LONDON, now))
        session.commit()
    assert len(moderations(engine)) == 2
    # The second round decides: final, and the author hears once more (round 2).
    moderate(engine, camden, now, rows[1], outcome="confirmed")
    assert the_audit(engine, camden).status == "final"
    keys = [m.idempotency_key for m in queued(engine, "moderation_outcome")]
    assert keys == [f"moderation-outcome:{audit.id}:1", f"moderation-outcome:{audit.id}:2"]


def test_answers_are_kept_when_the_moderator_stops_half_way(
    engine: Engine, now: datetime, camden: ModerationWorld
) -> None:
    submit_audit(engine, camden, now, "inadequate")
    [row] = moderations(engine)
    reply = moderate(engine, camden, now, row, stop="recommendations")
    user = slack_id(row.moderator_id)
    [saved] = act(engine, camden, now, "moderation.save", reply.context["step_key"],
                  {"mod.recommendations.agree": "no"}, user=user)  # fmt: skip
    assert saved.template == "moderation_receipt" and saved.context["saved"]
    [back] = act(engine, camden, now, "moderation.open", f"moderation:{row.id}", user=user)
    assert back.context["step"] == "recommendations"
    shown = {i["key"]: i["value"] for i in back.context["items"] if i["type"] == "field"}
    assert shown["mod.recommendations.agree"] == "no"
    assert moderations(engine)[0].status == "in_progress"
