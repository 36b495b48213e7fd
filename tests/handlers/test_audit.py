"""The audit dialog's rules, through `dispatch` with a seeded demo authority.

The platform tests (tests/bot/test_audit_slack.py, test_audit_teams.py) drive the same
dialog through the real endpoints; here the rules are checked one at a time: who may
open an audit, what a step refuses, that no answer is ever lost, what a submission
stores, and that an urgent flag is escalated the moment it is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import handlers.audit  # noqa: F401 - registers the dialog's buttons and forms
from handlers.interaction import Reply
from handlers.turn import Hooks, Turn
from qa.forms import build_audit_dialog
from storage.models import (
    Allocation,
    Audit,
    AuditLogEntry,
    Escalation,
    Moderation,
    OutboxMessage,
    Person,
    Recommendation,
)
from tests.dispatching import dispatch
from tests.handlers.audit_world import (
    DUE,
    SLACK_AUDITOR,
    SLACK_OTHER,
    World,
    answers_for,
    seed_world,
)
from tests.handlers.dialog_acting import slack_press

SUBMITTED: list[int] = []


def _record(_turn: Turn, audit: Audit) -> None:
    SUBMITTED.append(audit.id or 0)


# Only our recorder runs after a submission: other features' hooks are theirs to test.
RECORDER = Hooks(after_submit=(_record,))


@pytest.fixture(autouse=True)
def hooks() -> Iterator[list[int]]:
    SUBMITTED.clear()
    yield SUBMITTED


def act(
    session: Session,
    world: World,
    now: datetime,
    name: str,
    key: str | None,
    values: dict[str, Any] | None = None,
    *,
    kind: str = "action",
    user: str = SLACK_AUDITOR,
) -> list[Reply]:
    interaction = slack_press(name, key, values, kind=kind, user=user)
    return dispatch(
        interaction, session=session, framework=world.framework, now=now, hooks=RECORDER
    )


def submit_step(
    session: Session, world: World, now: datetime, reply: Reply, values: dict[str, Any]
) -> list[Reply]:
    key = reply.context["step_key"]
    return act(session, world, now, "audit.step", key, values, kind="submission")


def dialog_of(world: World, session: Session) -> Any:
    return build_audit_dialog(world.framework, world.area, case_reference=world.reference)


def owner_of(reply: Reply) -> str:
    for item in reply.context["items"]:
        if item["type"] == "field" and item["input"] == "person":
            return str(item["options"][0]["value"])
    raise AssertionError("no person picker on this step")


def walk_to(
    session: Session, world: World, now: datetime, stop: str, grade: str = "inadequate"
) -> Reply:
    """Start the audit and answer every step until `stop` is on screen."""
    dialog = dialog_of(world, session)
    [reply] = act(session, world, now, "audit.start", f"allocation:{world.allocation_id}")
    while reply.context["step"] != stop:
        step = dialog.step(reply.context["step"])
        owner = owner_of(reply) if any(f.kind == "person" for f in step.fields) else 0
        [reply] = submit_step(
            session, world, now, reply, answers_for(step, owner=owner, grade=grade)
        )
        assert reply.template == "audit_step", reply
        assert not reply.errors, reply.errors
    return reply


def the_audit(session: Session, world: World) -> Audit:
    audit = session.exec(select(Audit).where(Audit.allocation_id == world.allocation_id)).one()
    return audit


@pytest.fixture
def camden(engine: Engine, now: datetime) -> World:
    return seed_world(engine, now, "camden")


@pytest.fixture
def lambeth(engine: Engine, now: datetime) -> World:
    return seed_world(engine, now, "lambeth")


def test_start_audit_opens_the_case_context_and_keeps_a_draft(
    engine: Engine, now: datetime, camden: World
) -> None:
    with Session(engine) as session:
        [reply] = act(session, camden, now, "audit.start", f"allocation:{camden.allocation_id}")
        assert reply.template == "audit_step"
        assert reply.context["step"] == "context" and reply.context["reference"] == camden.reference
        facts = {
            line["label"]: line["value"] for p in reply.context["facts"] for line in p["lines"]
        }
        assert facts["Case"] == camden.reference and "Review period" in facts
        audit = the_audit(session, camden)
        assert audit.status == "draft" and audit.step == "context"
        assert session.get(Allocation, camden.allocation_id).status == "in_progress"  # type: ignore[union-attr]
        # Starting again resumes the same audit.
        [again] = act(session, camden, now, "audit.start", f"allocation:{camden.allocation_id}")
        assert again.context["audit_key"] == f"audit:{audit.id}"
        assert len(session.exec(select(Audit)).all()) == 1


def test_missing_answers_get_an_error_under_each_field_and_are_kept(
    engine: Engine, now: datetime, lambeth: World
) -> None:
    with Session(engine) as session:
        reply = walk_to(session, lambeth, now, "domains")
        dialog = dialog_of(lambeth, session)
        values = answers_for(dialog.step("domains"), owner=0)
        grade_key = next(k for k in values if k.endswith(".grade"))
        evidence_key = [k for k in values if k.endswith(".evidence")][-1]
        del values[grade_key]
        values[evidence_key] = "   "
        [again] = submit_step(session, lambeth, now, reply, values)
        assert again.context["step"] == "domains"
        assert set(again.errors) == {grade_key, evidence_key}
        assert again.errors[grade_key].startswith("Choose a grade for")
        # What was typed is kept (and shown again): nothing is lost on an error.
        kept = the_audit(session, lambeth).answers["answers"]["domains"]
        assert {k: v for k, v in values.items() if k != evidence_key} == kept


def test_recommendation_due_dates_and_owners_are_checked(
    engine: Engine, now: datetime, camden: World
) -> None:
    with Session(engine) as session:
        reply = walk_to(session, camden, now, "recommendations")
        dialog = dialog_of(camden, session)
        values = answers_for(dialog.step("recommendations"), owner=owner_of(reply), recs=3)
        values["rec.1.due"] = "2026-11-30"  # the past
        values["rec.2.due"] = "2026-12-25"  # Christmas Day
        values["rec.3.owner"] = "999999"  # nobody we know
        [again] = submit_step(session, camden, now, reply, values)
        assert again.errors["rec.1.due"].startswith("Pick a due date after today")
        assert "bank holiday" in again.errors["rec.2.due"]
        assert again.errors["rec.3.owner"] == "Choose someone from the list"


def test_going_back_keeps_what_was_typed_on_both_steps(
    engine: Engine, now: datetime, camden: World
) -> None:
    with Session(engine) as session:
        reply = walk_to(session, camden, now, "narrative")
        typed = {"narrative.working_well": "Half a thought"}
        [back] = act(session, camden, now, "audit.back", reply.context["step_key"], typed)
        assert back.context["step"] == "feedback"
        shown = {i["key"]: i["value"] for i in back.context["items"] if i["type"] == "field"}
        assert all(shown.values()), "the feedback answers are shown again"
        [forward] = submit_step(
            session,
            camden,
            now,
            back,
            answers_for(dialog_of(camden, session).step("feedback"), owner=0),
        )
        values = {i["key"]: i["value"] for i in forward.context["items"] if i["type"] == "field"}
        assert values["narrative.working_well"] == "Half a thought"


def test_personal_details_are_warned_about_then_kept_when_confirmed(
    engine: Engine, now: datetime, camden: World
) -> None:
    with Session(engine) as session:
        reply = walk_to(session, camden, now, "narrative")
        values = answers_for(dialog_of(camden, session).step("narrative"), owner=0)
        key = next(iter(values))
        values[key] = "Mum rang from 07700 900123 about the plan."
        [warned] = submit_step(session, camden, now, reply, values)
        assert warned.context["step"] == "narrative" and warned.context["confirm"]
        [field] = [i for i in warned.context["items"] if i.get("key") == key]
        assert "phone number" in field["warning"] and "07700" not in field["warning"]
        [on] = submit_step(session, camden, now, warned, {**values, "audit.confirm": ["yes"]})
        assert on.context["step"] == "overall"


def test_a_complete_inadequate_audit_is_stored_with_grades_and_recommendations(
    engine: Engine, now: datetime, lambeth: World
) -> None:
    with Session(engine) as session:
        reply = walk_to(session, lambeth, now, "review")
        facts = [line for p in reply.context["facts"] for line in p["lines"]]
        assert any(line["value"] == "Inadequate" for line in facts)
        [done] = submit_step(session, lambeth, now, reply, {})
        session.commit()
        assert done.template == "audit_submitted"
        assert done.context["overall"] == "Inadequate" and done.context["recommendations"] == 2
        audit = the_audit(session, lambeth)
        domains = lambeth.framework.domains_for(lambeth.area)
        assert audit.status == "submitted" and audit.overall_grade == "inadequate"
        assert audit.domain_grades == {d.key: "inadequate" for d in domains}
        assert "referrals" in "".join(audit.domain_grades), "Lambeth Early Help's extra domain"
        assert audit.narrative and audit.submitted_at == now
        assert session.get(Allocation, lambeth.allocation_id).status == "completed"  # type: ignore[union-attr]
        recs = session.exec(select(Recommendation).order_by(col(Recommendation.id))).all()
        assert [(r.level, r.due_on, r.raised_by_id) for r in recs] == [
            ("child", date.fromisoformat(DUE), lambeth.auditor_id)
        ] * 2
        assert all(r.case_id == lambeth.case_id and r.audit_id == audit.id for r in recs)
        assert [audit.id] == SUBMITTED
        actions = session.exec(select(AuditLogEntry.action)).all()
        assert "audit.start" in actions and "audit.submit" in actions
        # The thank-you carries grades and counts, never what was written.
        assert "Evidence for" not in repr(done.context) and "Recommendation 1" not in repr(
            done.context
        )


def test_service_level_recommendations_are_not_tied_to_the_child(
    engine: Engine, now: datetime, camden: World
) -> None:
    with Session(engine) as session:
        reply = walk_to(session, camden, now, "review", grade="good")
        submit_step(session, camden, now, reply, {})
        recs = session.exec(select(Recommendation).order_by(col(Recommendation.id))).all()
        assert [r.level for r in recs] == ["child", "service"]
        assert [r.case_id for r in recs] == [camden.case_id, None]


def test_a_submitted_audit_can_be_edited_until_moderation_starts(
    engine: Engine, now: datetime, camden: World
) -> None:
    with Session(engine) as session:
        reply = walk_to(session, camden, now, "review")
        [done] = submit_step(session, camden, now, reply, {})
        key = done.context["audit_key"]
        [review] = act(session, camden, now, "audit.edit", key)
        assert review.context["step"] == "review" and review.context["editing"]
        # Back to the overall grade, change it, and submit again.
        [page] = act(session, camden, now, "audit.back", review.context["step_key"])
        while page.context["step"] != "overall":
            [page] = act(session, camden, now, "audit.back", page.context["step_key"])
        [nxt] = submit_step(session, camden, now, page, {"overall.grade": "requires_improvement"})
        while nxt.context["step"] != "review":
            shown = {i["key"]: i["value"] for i in nxt.context["items"] if i["type"] == "field"}
            [nxt] = submit_step(session, camden, now, nxt, {k: v for k, v in shown.items() if v})
        [again] = submit_step(session, camden, now, nxt, {})
        assert again.template == "audit_submitted" and again.context["edited"]
        audit = the_audit(session, camden)
        assert audit.overall_grade == "requires_improvement"
        assert [h["event"] for h in audit.history] == ["submitted", "edited"]
        assert audit.history[1]["previous"]["overall_grade"] == "inadequate"
        assert len(session.exec(select(Recommendation)).all()) == 2, "edited, not duplicated"
        session.add(
            Moderation(
                audit_id=audit.id or 0,
                moderator_id=camden.other_id,
                month="2026-12",
                due_on=date(2026, 12, 15),
                created_at=now,
            )
        )
        session.flush()
        [refused] = act(session, camden, now, "audit.edit", key)
        assert refused == Reply("audit_refused", {"reason": "moderated"})


def test_only_the_allocated_auditor_can_open_continue_or_submit(
    engine: Engine, now: datetime, camden: World
) -> None:
    with Session(engine) as session:
        reply = walk_to(session, camden, now, "domains")
        refused = Reply("audit_refused", {"reason": "not_yours"})
        start = f"allocation:{camden.allocation_id}"
        assert act(session, camden, now, "audit.start", start, user=SLACK_OTHER) == [refused]
        assert act(
            session, camden, now, "audit.continue", reply.context["audit_key"], user=SLACK_OTHER
        ) == [refused]
        values = answers_for(dialog_of(camden, session).step("domains"), owner=0)
        stolen = act(
            session,
            camden,
            now,
            "audit.step",
            reply.context["step_key"],
            values,
            kind="submission",
            user=SLACK_OTHER,
        )
        assert stolen == [refused]
        assert the_audit(session, camden).step == "domains"
        assert "domains" not in the_audit(session, camden).answers["answers"]


def test_a_forged_or_unknown_key_is_refused_politely(
    engine: Engine, now: datetime, camden: World
) -> None:
    with Session(engine) as session:
        invalid = [Reply("audit_refused", {"reason": "invalid"})]
        assert act(session, camden, now, "audit.start", None) == invalid
        assert act(session, camden, now, "audit.start", "allocation:999999") == invalid
        assert act(session, camden, now, "audit.step", "audit:1", {}, kind="submission") == invalid
        assert session.exec(select(Audit)).all() == []


def test_an_urgent_flag_is_escalated_at_once_and_only_once(
    engine: Engine, now: datetime, camden: World
) -> None:
    with Session(engine) as session:
        reply = walk_to(session, camden, now, "domains")
        typed = {
            next(
                i["key"]
                for i in reply.context["items"]
                if i["type"] == "field" and i["input"] == "text"
            ): "Drift"
        }
        [form] = act(session, camden, now, "audit.flag", reply.context["step_key"], typed)
        assert form.template == "audit_flag" and form.context["single"]
        assert the_audit(session, camden).answers["answers"]["domains"] == typed, "kept first"
        note = {"flag.note": "No plan since the strategy meeting."}
        [back, receipt] = act(
            session,
            camden,
            now,
            "audit.flag.send",
            form.context["routing_key"],
            note,
            kind="submission",
        )
        assert back.template == "audit_step" and back.placement == "unstack"
        assert receipt.template == "urgent_flag_receipt"
        rows = session.exec(select(Escalation)).all()
        assert rows and all(r.kind == "urgent" and r.flag == "safeguarding" for r in rows)
        assert all(r.deadline - now == timedelta(hours=24) for r in rows)
        messages = session.exec(
            select(OutboxMessage).where(OutboxMessage.template == "urgent_flag")
        ).all()
        assert {m.idempotency_key for m in messages} == {
            f"urgent:{rows[0].audit_id}:safeguarding:{r.owner_id}" for r in rows
        }
        context = messages[0].context
        assert context["reference"] == camden.reference and context["note"] == note["flag.note"]
        assert context["routing_key"].startswith("escalation:")
        audit = the_audit(session, camden)
        assert audit.urgent_flags == ["safeguarding"]
        assert "audit.urgent_flag" in session.exec(select(AuditLogEntry.action)).all()
        [_, again] = act(
            session,
            camden,
            now,
            "audit.flag.send",
            form.context["routing_key"],
            note,
            kind="submission",
        )
        assert again.context["already"] and len(session.exec(select(Escalation)).all()) == len(rows)


def test_a_flag_note_with_personal_details_is_not_sent_into_chat(
    engine: Engine, now: datetime, camden: World
) -> None:
    with Session(engine) as session:
        reply = walk_to(session, camden, now, "domains")
        [form] = act(session, camden, now, "audit.flag", reply.context["step_key"])
        note = {"flag.note": "Child born 03/04/2015 is not safe"}
        [warned] = act(
            session,
            camden,
            now,
            "audit.flag.send",
            form.context["routing_key"],
            note,
            kind="submission",
        )
        assert warned.template == "audit_flag" and warned.context["confirm"]
        assert session.exec(select(Escalation)).all() == []
        confirmed = {**note, "audit.confirm": ["yes"]}
        act(
            session,
            camden,
            now,
            "audit.flag.send",
            form.context["routing_key"],
            confirmed,
            kind="submission",
        )
        message = session.exec(
            select(OutboxMessage).where(OutboxMessage.template == "urgent_flag")
        ).first()
        assert (
            message is not None
            and message.context["note"] == ""
            and message.context["note_withheld"]
        )


def test_the_owner_can_respond_to_an_urgent_flag(
    engine: Engine, now: datetime, camden: World
) -> None:
    with Session(engine) as session:
        reply = walk_to(session, camden, now, "domains")
        [form] = act(session, camden, now, "audit.flag", reply.context["step_key"])
        act(
            session,
            camden,
            now,
            "audit.flag.send",
            form.context["routing_key"],
            {},
            kind="submission",
        )
        row = session.exec(select(Escalation)).first()
        assert row is not None
        owner = session.get(Person, row.owner_id)
        assert owner is not None
        owner.slack_user_id = "U0OWNER"
        session.flush()
        key = f"escalation:{row.id}"
        assert act(session, camden, now, "urgent.respond", key)[0].template == "audit_refused"
        [open_form] = act(session, camden, now, "urgent.respond", key, user="U0OWNER")
        assert open_form.template == "urgent_respond"
        [err] = act(
            session,
            camden,
            now,
            "urgent.respond.send",
            key,
            {"urgent.response": " "},
            kind="submission",
            user="U0OWNER",
        )
        assert "urgent.response" in err.errors
        [done] = act(
            session,
            camden,
            now,
            "urgent.respond.send",
            key,
            {"urgent.response": "Visited today; plan agreed."},
            kind="submission",
            user="U0OWNER",
        )
        assert done.template == "notice" and row.status == "responded" and row.responded_at == now


def test_my_work_offers_to_continue_a_draft(engine: Engine, now: datetime, camden: World) -> None:
    with Session(engine) as session:
        [before] = act(session, camden, now, "my", None, kind="command")
        assert before.context["audit_buttons"] == [
            {
                "reference": camden.reference,
                "action": "audit.start",
                "routing_key": f"allocation:{camden.allocation_id}",
                "started": False,
            }
        ]
        walk_to(session, camden, now, "domains")
        [after] = act(session, camden, now, "my", None, kind="command")
        audit = the_audit(session, camden)
        assert after.context["audit_buttons"] == [
            {
                "reference": camden.reference,
                "action": "audit.continue",
                "routing_key": f"audit:{audit.id}",
                "started": True,
            }
        ]
        [resumed] = act(session, camden, now, "audit.continue", f"audit:{audit.id}")
        assert resumed.context["step"] == "domains"
