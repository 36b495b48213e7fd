"""The tracking buttons and forms, through `dispatch`: who may press, what is recorded,
what is edited in place, who is told. The endpoints are covered in tests/bot."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.composition import router
from handlers.interaction import Interaction, Kind, Reply
from handlers.turn import Turn
from reminders.tracking import AUDIT_ESCALATIONS, REMINDERS
from storage.db import session_scope
from storage.models import (
    Audit,
    AuditLogEntry,
    Escalation,
    OutboxMessage,
    Person,
    Recommendation,
    RecommendationUpdate,
)
from tests.dispatching import LONDON, act
from tests.reminders.tracking_world import (
    LAMBETH,
    World,
    add_audit,
    add_recommendation,
    at,
    build_world,
    escalations,
    messages,
    ticker,
)

NOW = at(2026, 12, 1, 10)
LATER = at(2026, 12, 2, 11)
SLACK_IDS = {
    "director": {"slack_user_id": "UDIR"},
    "ad": {"slack_user_id": "UAD"},
    "lead": {"slack_user_id": "ULEAD"},
    "manager": {"slack_user_id": "UTM"},
    "worker": {"slack_user_id": "USW"},
    "auditor": {"slack_user_id": "UAUD"},
}


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine, **SLACK_IDS)


def press(
    engine: Engine,
    user: str,
    name: str,
    key: str | None,
    *,
    kind: Kind = "action",
    values: dict[str, Any] | None = None,
    now: datetime = LATER,
    platform: str = "slack",
) -> list[Reply]:
    with session_scope(engine) as s:
        return act(
            s, user, name, framework=LAMBETH, now=now, kind=kind, platform=platform,
            routing_key=key, values=values or {},
            replaces_pressed=platform == "teams",  # as the Teams adapter says of a card press
        )  # fmt: skip


def assigned(engine: Engine, world: World, **extra: Any) -> tuple[int, str]:
    """A recommendation raised by the auditor, owned by the worker, announced."""
    rec = add_recommendation(
        engine,
        owner=world.worker,
        due=date(2026, 12, 17),
        created=NOW,
        case=world.case,
        raised_by=world.auditor,
        **extra,
    )
    ticker(engine).run_job(REMINDERS, now=NOW)
    key = f"assigned:recommendation:{rec}"
    return rec, f"rec:{rec}|{key}"


def rec_row(engine: Engine, rec: int) -> Recommendation:
    with Session(engine) as s:
        row = s.get(Recommendation, rec)
        assert row is not None
        return row


def edits(engine: Engine, key: str) -> list[OutboxMessage]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.idempotency_key).startswith(f"{key}:edit:"))
                .order_by(col(OutboxMessage.id))
            )
        )


# -- Done -------------------------------------------------------------------------------


def test_done_asks_for_the_impact_then_records_it_edits_the_reminder_and_tells_the_raiser(
    engine: Engine, world: World
) -> None:
    rec, key = assigned(engine, world)

    [form] = press(engine, "USW", "rec.done", key)
    assert form.template == "rec_form" and form.context["form"] == "done"
    assert form.context["reference"] == "CIN-0001" and form.context["routing_key"] == key

    [again] = press(engine, "USW", "rec.done", key, kind="submission", values={"impact": " "})
    assert again.errors == {"impact": "Say what difference this has made for the child"}
    assert rec_row(engine, rec).status == "open"

    impact = "The chronology is up to date and the IRO has it"
    replies = press(engine, "USW", "rec.done", key, kind="submission", values={"impact": impact})

    assert [r.template for r in replies] == ["rec_receipt"]  # Slack: the outbox edits in place
    assert replies[0].context == {"what": "done", "reference": "CIN-0001"}
    row = rec_row(engine, rec)
    assert row.status == "done" and row.impact_note == impact and row.completed_at == LATER
    [edit] = edits(engine, f"assigned:recommendation:{rec}")
    assert edit.context["update_of"] == f"assigned:recommendation:{rec}"
    assert edit.context["item"]["state"] == {
        "what": "done",
        "by": "Sam Worker",
        "on": "2026-12-02",
        "open": False,
    }
    [told] = messages(engine, "rec_progress")
    assert told.person_id == world.auditor and told.context["event"] == "done"
    assert told.context["note"] == impact
    with Session(engine) as s:
        log = s.exec(select(AuditLogEntry).where(AuditLogEntry.action == "recommendation.done"))
        assert [e.actor_id for e in log] == [world.worker]

    [late] = press(engine, "USW", "rec.update", key)
    assert late.template == "rec_receipt" and late.context["what"] == "already_done"


def test_only_the_owner_can_act_and_a_forged_key_changes_nothing(
    engine: Engine, world: World
) -> None:
    rec, key = assigned(engine, world)
    [refused] = press(engine, "UTM", "rec.snooze", key)
    assert refused.context["what"] == "not_owner" and refused.context["owner"] == "Sam Worker"
    for bad in (None, "rec:999|x", "escalation:1|x", "rec:abc"):
        [gone] = press(engine, "USW", "rec.snooze", bad)
        assert gone.context["what"] == "gone"
    assert rec_row(engine, rec).snoozed_until is None


def test_on_teams_the_pressed_card_is_replaced_by_the_updated_reminder(
    engine: Engine, world: World
) -> None:
    with session_scope(engine) as s:
        worker = s.get(Person, world.worker)
        assert worker is not None
        worker.teams_user_id = "aad-worker"
        s.add(worker)
    _, key = assigned(engine, world)
    replies = press(
        engine,
        "aad-worker",
        "rec.update",
        key,
        kind="submission",
        values={"progress": "Health assessment booked"},
        platform="teams",
    )
    assert [r.template for r in replies] == ["rec_reminder", "rec_receipt"]
    assert replies[0].context["item"]["state"]["what"] == "updated"
    assert replies[0].context["item"]["open"] is True
    with Session(engine) as s:
        [update] = s.exec(select(RecommendationUpdate)).all()
        assert update.kind == "update" and update.note == "Health assessment booked"


def test_snooze_pauses_reminders_until_the_next_working_day(engine: Engine, world: World) -> None:
    rec, key = assigned(engine, world)
    friday = at(2026, 12, 4, 15)
    [receipt] = press(engine, "USW", "rec.snooze", key, now=friday)
    assert receipt.context == {"what": "snoozed", "reference": "CIN-0001", "until": "2026-12-07"}
    assert rec_row(engine, rec).snoozed_until == date(2026, 12, 7)
    [edit] = edits(engine, f"assigned:recommendation:{rec}")
    assert edit.context["item"]["state"]["until"] == "2026-12-07"


# -- Need more time ---------------------------------------------------------------------


def test_more_time_is_asked_of_the_qa_lead_who_agrees_and_everyone_is_told(
    engine: Engine, world: World
) -> None:
    rec, key = assigned(engine, world)
    ask = {"new_due": "2026-12-25", "reason": "Waiting for the health assessment"}

    [bad] = press(engine, "USW", "rec.more_time", key, kind="submission", values=ask)
    assert bad.errors == {
        "new_due": "Pick a new due date on a working day (25 December is a bank holiday)"
    }
    early = {**ask, "new_due": "2026-12-10"}
    [bad] = press(engine, "USW", "rec.more_time", key, kind="submission", values=early)
    assert bad.errors == {"new_due": "Pick a date after the current due date"}

    ok = {**ask, "new_due": "2027-01-14"}
    [receipt] = press(engine, "USW", "rec.more_time", key, kind="submission", values=ok)
    assert receipt.context["what"] == "more_time"
    assert rec_row(engine, rec).status == "more_time_requested"
    [request] = messages(engine, "rec_time_request")
    assert request.person_id == world.lead
    item = request.context["item"]
    assert item["new_due_on"] == "2027-01-14" and item["reason"] == ask["reason"]

    [refused] = press(engine, "USW", "rec.approve_time", item["routing_key"])
    assert refused.context["what"] == "not_lead"

    [agreed] = press(engine, "ULEAD", "rec.approve_time", item["routing_key"])
    assert agreed.context == {
        "what": "approved",
        "reference": "CIN-0001",
        "new_due_on": "2027-01-14",
    }
    row = rec_row(engine, rec)
    assert row.due_on == date(2027, 1, 14) and row.status == "open"
    told = {(m.person_id, m.context["event"]) for m in messages(engine, "rec_progress")}
    assert told == {(world.worker, "time_approved"), (world.auditor, "date_changed")}
    [edit] = edits(engine, request.idempotency_key)
    assert edit.context["item"]["state"]["what"] == "approved"

    [twice] = press(engine, "ULEAD", "rec.refuse_time", item["routing_key"])
    assert twice.context["what"] == "already_decided" and twice.context["by"] == "Lee Lead"


def test_refused_more_time_keeps_the_date_and_tells_the_owner(engine: Engine, world: World) -> None:
    rec, key = assigned(engine, world)
    values = {"new_due": "2027-01-14", "reason": "Waiting"}
    press(engine, "USW", "rec.more_time", key, kind="submission", values=values)
    [request] = messages(engine, "rec_time_request")
    [receipt] = press(engine, "ULEAD", "rec.refuse_time", request.context["item"]["routing_key"])
    assert receipt.context["what"] == "refused"
    row = rec_row(engine, rec)
    assert row.due_on == date(2026, 12, 17) and row.status == "open"
    assert [(m.person_id, m.context["event"]) for m in messages(engine, "rec_progress")] == [
        (world.worker, "time_refused")
    ]


# -- escalations --------------------------------------------------------------------------


def test_the_after_submit_hook_escalates_an_inadequate_audit_at_once(
    engine: Engine, world: World
) -> None:
    audit_id = add_audit(
        engine, case=world.case, auditor=world.auditor, grade="inadequate", when=NOW
    )
    with session_scope(engine) as s:
        audit = s.get(Audit, audit_id)
        person = s.get(Person, world.auditor)
        assert audit is not None and person is not None
        interaction = Interaction(platform="slack", user_id="UAUD", kind="submission", name="x")
        hooks = router().hooks
        turn = Turn(interaction, person, s, LAMBETH, NOW, LONDON, hooks)
        hooks.audit_submitted(turn, audit)
        hooks.audit_submitted(turn, audit)  # again
    assert {r.owner_id for r in escalations(engine)} == {world.director, world.ad}
    assert len(messages(engine, "escalation_request")) == 2


def test_recording_remedial_action_answers_the_director_and_the_ad_alike(
    engine: Engine, world: World
) -> None:
    audit = add_audit(engine, case=world.case, auditor=world.auditor, grade="inadequate", when=NOW)
    ticker(engine).run_job(AUDIT_ESCALATIONS, now=NOW)
    mine = next(r for r in escalations(engine) if r.owner_id == world.ad)
    own_key = f"escalation:grade:{audit}:inadequate:{world.ad}:0"
    route = f"escalation:{mine.id}|{own_key}"

    [refused] = press(engine, "UDIR", "escalation.record", route)
    assert refused.context["what"] == "not_owner"
    [form] = press(engine, "UAD", "escalation.record", route)
    assert form.template == "escalation_form" and form.context["kind"] == "grade"
    assert form.context["by_default"] == "Ada Ad" and form.context["deadline"] == "2026-12-08"

    [half] = press(
        engine, "UAD", "escalation.record", route, kind="submission", values={"by_whom": "TM"}
    )
    assert set(half.errors) == {"action_taken"}
    values = {"action_taken": "Strategy meeting held; plan revised", "by_whom": "Team manager"}
    [receipt] = press(engine, "UAD", "escalation.record", route, kind="submission", values=values)

    assert receipt.context == {"what": "recorded", "reference": "CIN-0001"}
    rows = escalations(engine)
    assert {(r.owner_id, r.status) for r in rows} == {
        (world.ad, "responded"),
        (world.director, "resolved"),
    }
    assert all(r.response == "Strategy meeting held; plan revised\nBy: Team manager" for r in rows)
    for row in rows:
        key = f"escalation:grade:{audit}:inadequate:{row.owner_id}:0"
        [edit] = edits(engine, key)
        assert edit.context["item"]["state"]["what"] == "recorded"
        assert edit.context["item"]["state"]["by"] == "Ada Ad" and not edit.context["item"]["open"]

    director = next(r for r in rows if r.owner_id == world.director)
    director_route = (
        f"escalation:{director.id}|escalation:grade:{audit}:inadequate:{world.director}:0"
    )
    [already] = press(engine, "UDIR", "escalation.record", director_route)
    assert already.context["what"] == "already" and already.context["by"] == "Ada Ad"


def test_a_whole_caseload_decision_is_recorded(engine: Engine, world: World) -> None:
    with session_scope(engine) as s:
        row = Escalation(
            kind="dip_sample",
            audit_id=add_audit(
                engine, case=world.case, auditor=world.auditor, grade="inadequate", when=NOW
            ),
            case_id=world.case,
            owner_id=world.lead,
            deadline=at(2026, 12, 15, 23),
            created_at=NOW,
        )
        s.add(row)
        s.flush()
        route = f"escalation:{row.id}|escalation:dip_sample:{row.audit_id}:caseload:{world.lead}:0"
    [form] = press(engine, "ULEAD", "escalation.record", route)
    assert form.context["kind"] == "dip_sample"
    [bad] = press(engine, "ULEAD", "escalation.record", route, kind="submission", values={})
    assert set(bad.errors) == {"decision"}
    values = {"decision": "approve", "note": "Agreed at the QA meeting"}
    [receipt] = press(engine, "ULEAD", "escalation.record", route, kind="submission", values=values)
    assert receipt.context["what"] == "approved_caseload"
    [stored] = escalations(engine)
    assert stored.status == "approved" and stored.response == "approve: Agreed at the QA meeting"


def test_an_approved_whole_caseload_is_allocated_at_once_to_the_dip_sampler(
    engine: Engine, world: World
) -> None:
    """Approved, the caseload is audited now: allocated to the dip-sampler, who is told."""
    from storage.models import Allocation, Case

    trigger = add_audit(engine, case=world.case, auditor=world.auditor, grade="inadequate",
                        when=NOW)  # fmt: skip
    add_audit(engine, case=world.other_case, auditor=world.manager, grade="inadequate",
              when=NOW + timedelta(days=1), activity="dip_sample")  # fmt: skip
    with session_scope(engine) as s:
        s.add(Case(reference="CIN-0003", service_id=1, team_id=1, worker_id=world.worker,
                   area="cin_cp", opened_on=date(2026, 1, 5)))  # fmt: skip
        row = Escalation(kind="dip_sample", audit_id=trigger, case_id=world.case,
                         owner_id=world.lead, deadline=at(2026, 12, 15, 23),
                         created_at=NOW)  # fmt: skip
        s.add(row)
        s.flush()
        route = f"escalation:{row.id}|escalation:dip_sample:{trigger}:caseload:{world.lead}:0"
    values = {"decision": "approve"}
    for _ in range(2):  # pressed twice: one effect
        press(engine, "ULEAD", "escalation.record", route, kind="submission", values=values)
    with session_scope(engine) as s:
        rows = s.exec(select(Allocation).where(Allocation.activity == "audit")).all()
        refs = {c.id: c.reference for c in s.exec(select(Case))}
    assert [(refs[r.case_id or 0], r.person_id) for r in rows] == [("CIN-0003", world.manager)]
    [prompt] = messages(engine, "allocation_prompt", person=world.manager)
    assert [i["reference"] for i in prompt.context["items"]] == ["CIN-0003"]


def test_a_button_naming_someone_elses_message_neither_shows_nor_edits_it(
    engine: Engine, world: World
) -> None:
    """Message keys ride on buttons; a key for another person's message must not work."""
    with session_scope(engine) as s:
        manager = s.get(Person, world.manager)
        assert manager is not None
        manager.teams_user_id = "aad-manager"
        s.add(manager)
    rec, key = assigned(engine, world)  # the worker's reminder
    theirs = key.split("|", 1)[1]
    shown = press(engine, "aad-manager", "tracking.cancel", f"rec:{rec}|{theirs}", platform="teams")
    assert shown == []
    # the owner's own Cancel still shows their message
    with session_scope(engine) as s:
        worker = s.get(Person, world.worker)
        assert worker is not None
        worker.teams_user_id = "aad-worker"
        s.add(worker)
    [own] = press(engine, "aad-worker", "tracking.cancel", key, platform="teams")
    assert own.template == "rec_reminder"
    assert edits(engine, theirs) == []


@pytest.mark.parametrize("platform", ["slack", "teams"])
def test_wandsworth_the_dip_samplers_submission_allocates_the_caseload_at_once(
    engine: Engine, world: World, platform: str
) -> None:
    """Wandsworth QAF 33, through the after-submit hook: the dip sample that finds the
    same concerns allocates the worker's caseload to its author, who is told at once."""
    import json

    import handlers.escalation  # noqa: F401 - its hook, as the app registers it
    from bot.render import Renderer
    from handlers.escalation import escalate_after_submit
    from qa.framework import preset
    from storage.models import Allocation, Case

    ds = preset("wandsworth").dip_sample
    assert ds is not None
    fw = preset("wandsworth").model_copy(
        update={"dip_sample": ds.model_copy(update={"caseload": "allocate"})}
    )
    with session_scope(engine) as s:
        s.add(Case(reference="CIN-0003", service_id=1, team_id=1, worker_id=world.worker,
                   area="cin_cp", opened_on=date(2026, 1, 5)))  # fmt: skip
    add_audit(engine, case=world.case, auditor=world.auditor, grade="inadequate", when=NOW)
    dip = add_audit(
        engine, case=world.other_case, auditor=world.manager, grade="requires_improvement",
        when=LATER, activity="dip_sample",
    )  # fmt: skip
    with session_scope(engine) as s:
        audit, person = s.get(Audit, dip), s.get(Person, world.manager)
        assert audit is not None and person is not None
        interaction = Interaction(platform=platform, user_id="UTM", kind="submission", name="x")
        for _ in range(2):  # delivered twice: one effect
            escalate_after_submit(Turn(interaction, person, s, fw, LATER, LONDON), audit)
    with Session(engine) as s:
        [row] = s.exec(select(Allocation).where(Allocation.activity == "audit")).all()
        [prompt] = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key.startswith("allocation-caseload:")
            )  # type: ignore[attr-defined]
        ).all()
    assert row.person_id == world.manager and prompt.person_id == world.manager
    caseload = [e for e in escalations(engine) if e.kind == "dip_sample"]
    assert [e.status for e in caseload] == ["done"], "nobody asked to approve"
    shown = json.dumps(Renderer(fw).render("allocation_prompt", prompt.context, platform))  # type: ignore[arg-type]
    assert "CIN-0003" in shown and "Whole-caseload audit" in shown and "Not now" not in shown
