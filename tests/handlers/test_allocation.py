""" "Can't do this one" and the QA lead's Confirm / Pick another, through `dispatch`.

The same interactions the Slack and Teams adapters build (their end-to-end tests are in
tests/bot/test_allocation_*.py); here the database is checked closely: what is released,
proposed and allocated, what the audit log says, and what is queued for whom.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from handlers.interaction import Kind, Reply
from messages.allocation import prompt_context
from qa.working_days import Month
from reminders.allocations import queue_prompts
from reminders.drafts import DRAFT_REMINDERS
from reminders.schedule import Ticker
from storage.models import Allocation, Audit, AuditLogEntry, OutboxMessage, Person
from tests import dispatching
from tests.handlers.allocation_world import DUE, MONTH, NOW, World, allocate, seed_world
from tests.handlers.helpers import small_framework

FRAMEWORK = small_framework()


def act(
    session: Session,
    user: str,
    name: str,
    key: str | None,
    *,
    kind: Kind = "action",
    now: datetime = NOW,
    **values: Any,
) -> list[Reply]:
    return dispatching.act(
        session, user, name, framework=FRAMEWORK, now=now, kind=kind, routing_key=key, values=values
    )


def decline(session: Session, user: str, allocation_id: int, **values: Any) -> list[Reply]:
    return act(
        session, user, "allocation.decline", f"allocation:{allocation_id}", kind="submission",
        **values,
    )  # fmt: skip


def outbox(session: Session) -> dict[str, OutboxMessage]:
    return {m.idempotency_key: m for m in session.exec(select(OutboxMessage))}


def log_actions(session: Session, record_id: int) -> list[str]:
    rows = session.exec(
        select(AuditLogEntry)
        .where(AuditLogEntry.record_type == "allocation")
        .where(AuditLogEntry.record_id == str(record_id))
        .order_by(col(AuditLogEntry.id))
    )
    return [r.action for r in rows]


def proposal_of(session: Session) -> Allocation:
    (row,) = session.exec(select(Allocation).where(Allocation.status == "proposed")).all()
    return row


def world(engine: Engine, **kwargs: Any) -> tuple[Session, World]:
    session = Session(engine)
    w = seed_world(session, **kwargs)
    session.commit()
    return session, w


# -- the person ---------------------------------------------------------------------------


def test_cant_do_this_one_asks_the_allocated_person_why(engine: Engine) -> None:
    session, w = world(engine)
    with session:
        (reply,) = act(session, "U0SAM", "allocation.decline", f"allocation:{w.allocation}")
    assert reply.template == "allocation_decline"
    assert reply.context["reference"] == "CASE-1"
    assert reply.context["routing_key"] == f"allocation:{w.allocation}"


def test_a_conflict_of_interest_releases_the_case_and_asks_the_qa_lead_to_confirm(
    engine: Engine,
) -> None:
    session, w = world(engine)
    with session:
        (reply,) = decline(session, "U0SAM", w.allocation, reason="conflict")
        session.commit()
        released = session.get(Allocation, w.allocation)
        assert released is not None
        assert released.status == "released" and released.decline_reason == "conflict"
        proposal = proposal_of(session)
        # The engine's order for a conflict: the same person, another case of the quota.
        assert proposal.person_id == w.sam and proposal.case_id != w.cases["CASE-1"]
        assert "in place of case CASE-1 (conflict of interest)" in proposal.reason
        queued = outbox(session)
        ask = queued[f"allocation-proposal:{w.allocation}:{w.lead}"]
        assert ask.person_id == w.lead and ask.template == "allocation_replacement"
        assert ask.context["proposal"]["routing_key"] == f"allocation:{proposal.id}"
        assert ask.context["category"] == "conflict"
        assert log_actions(session, w.allocation) == ["allocation.released"]
        assert log_actions(session, proposal.id or 0) == ["allocation.proposed"]
    assert reply == Reply("allocation_released", {"reference": "CASE-1", "told": True})


def test_absence_sends_the_same_case_to_another_eligible_person(engine: Engine) -> None:
    session, w = world(engine)
    with session:
        decline(session, "U0SAM", w.allocation, reason="absence")
        proposal = proposal_of(session)
        assert (proposal.person_id, proposal.case_id) == (w.pat, w.cases["CASE-1"])
        assert proposal.reason.endswith("reallocated because a colleague could not take it")


def test_something_else_needs_a_few_words_and_nothing_changes_until_then(
    engine: Engine,
) -> None:
    session, w = world(engine)
    with session:
        (reply,) = decline(session, "U0SAM", w.allocation, reason="other", details="  ")
        assert reply.template == "allocation_decline" and set(reply.errors) == {"details"}
        (reply,) = decline(session, "U0SAM", w.allocation)
        assert set(reply.errors) == {"reason"}
        row = session.get(Allocation, w.allocation)
        assert row is not None and row.status == "allocated"
        assert outbox(session) == {}


def test_personal_details_are_flagged_and_only_sent_once_confirmed(engine: Engine) -> None:
    session, w = world(engine)
    words = "Family friend, ring me on 07700 900123"
    with session:
        (reply,) = decline(session, "U0SAM", w.allocation, reason="other", details=words)
        assert reply.template == "allocation_decline" and not reply.errors
        assert "phone number" in reply.context["warning"]
        assert reply.context["details"] == words  # kept in the form, not lost
        assert outbox(session) == {}
        (reply,) = decline(
            session, "U0SAM", w.allocation, reason="other", details=words, confirm=["yes"]
        )
        assert reply.template == "allocation_released"
        row = session.get(Allocation, w.allocation)
        assert row is not None and row.decline_reason == f"other: {words}"
        queued = outbox(session)
        # The words go to the QA lead only: nowhere else, not even the audit log.
        assert queued[f"allocation-proposal:{w.allocation}:{w.lead}"].context["details"] == words
        others = [m for m in queued.values() if m.person_id != w.lead]
        assert all("07700" not in str(m.context) for m in others)
        log = session.exec(select(AuditLogEntry)).all()
        assert all("07700" not in str(e.after) for e in log)


def test_someone_else_cannot_decline_and_nothing_changes(engine: Engine) -> None:
    session, w = world(engine)
    with session:
        (form,) = act(session, "U0PAT", "allocation.decline", f"allocation:{w.allocation}")
        (sent,) = decline(session, "U0PAT", w.allocation, reason="absence")
        row = session.get(Allocation, w.allocation)
        assert row is not None and row.status == "allocated"
        assert outbox(session) == {} and log_actions(session, w.allocation) == []
    assert form == sent == Reply("allocation_refused", {"why": "not_yours", "reference": None})


def test_a_forged_or_unknown_key_is_refused(engine: Engine) -> None:
    session, w = world(engine)
    with session:
        forged = decline(session, "U0SAM", w.allocation, reason="absence")  # the real one
        assert forged[0].template == "allocation_released"
        for key in (None, "allocation:999", "audit:1", "allocation:x"):
            (reply,) = act(session, "U0SAM", "allocation.decline", key)
            assert reply.context["why"] == "invalid"
        (again,) = decline(session, "U0SAM", w.allocation, reason="absence")
        assert again.context["why"] == "not_open" and again.context["status"] == "released"


def test_the_prompt_is_edited_in_place_to_show_the_released_case(engine: Engine) -> None:
    session, w = world(engine)
    with session:
        allocate(session, NOW, w.sam, w.cases["CASE-4"])
        queue_prompts(session=session, framework=FRAMEWORK, month=Month.parse(MONTH), now=NOW)
        decline(session, "U0SAM", w.allocation, reason="conflict")
        queued = outbox(session)
        edit = queued[f"allocation-declined:{w.allocation}"]
        assert edit.context["update_of"] == f"allocation-prompt:{w.sam}:{MONTH}"
        statuses = {i["reference"]: i["status"] for i in edit.context["items"]}
        assert statuses == {"CASE-1": "released", "CASE-4": "allocated"}


def test_two_declines_on_the_same_day_are_not_offered_the_same_case(engine: Engine) -> None:
    session, w = world(engine)
    with session:
        other = allocate(session, NOW, w.pat, w.cases["CASE-4"])
        decline(session, "U0SAM", w.allocation, reason="conflict")
        decline(session, "U0PAT", other, reason="conflict")
        proposals = session.exec(select(Allocation).where(Allocation.status == "proposed")).all()
        cases = [p.case_id for p in proposals]
        assert len(cases) == 2 and len(set(cases)) == 2


def test_when_nothing_is_left_the_qa_lead_is_told_plainly(engine: Engine) -> None:
    session, w = world(engine, pat_capacity=0)
    with session:
        (reply,) = decline(session, "U0SAM", w.allocation, reason="absence")
        assert reply.template == "allocation_released"
        ask = outbox(session)[f"allocation-proposal:{w.allocation}:{w.lead}"]
        assert ask.context["proposal"] is None
        assert session.exec(select(Allocation).where(Allocation.status == "proposed")).all() == []


# -- the QA lead ---------------------------------------------------------------------------


def test_the_qa_lead_confirms_and_the_new_person_gets_the_case(engine: Engine) -> None:
    session, w = world(engine)
    with session:
        decline(session, "U0SAM", w.allocation, reason="absence")
        proposal = proposal_of(session)
        (reply,) = act(session, "U0LEE", "allocation.confirm", f"allocation:{proposal.id}")
        session.commit()
        assert reply.template == "allocation_confirmed" and reply.context["person"] == "Pat Smith"
        row = session.get(Allocation, proposal.id)
        assert row is not None and row.status == "allocated" and row.person_id == w.pat
        queued = outbox(session)
        prompt = queued[f"allocation-prompt-single:{proposal.id}"]
        assert prompt.person_id == w.pat and prompt.context["replacement"] is True
        assert [i["reference"] for i in prompt.context["items"]] == ["CASE-1"]
        assert "Sam" not in str(prompt.context)  # not told who could not do it
        edit = queued[f"allocation-settled:{w.allocation}:{w.lead}"]
        assert edit.context["update_of"] == f"allocation-proposal:{w.allocation}:{w.lead}"
        assert edit.context["resolved"] == {
            "outcome": "confirmed",
            "by": "Lee Lead",
            "on": "2027-01-05",
        }
        assert log_actions(session, proposal.id or 0) == [
            "allocation.proposed",
            "allocation.confirmed",
        ]


def test_a_second_confirm_does_nothing_more(engine: Engine) -> None:
    session, w = world(engine)
    with session:
        decline(session, "U0SAM", w.allocation, reason="absence")
        proposal = proposal_of(session)
        act(session, "U0LEE", "allocation.confirm", f"allocation:{proposal.id}")
        before = session.exec(select(func.count()).select_from(OutboxMessage)).one()
        (again,) = act(session, "U0LEE", "allocation.confirm", f"allocation:{proposal.id}")
        after = session.exec(select(func.count()).select_from(OutboxMessage)).one()
        assert before == after
        assert log_actions(session, proposal.id or 0).count("allocation.confirmed") == 1
    assert again.template == "allocation_refused"
    assert again.context["why"] == "settled" and again.context["by"] == "Lee Lead"


def test_only_a_qa_lead_can_confirm(engine: Engine) -> None:
    session, w = world(engine)
    with session:
        decline(session, "U0SAM", w.allocation, reason="absence")
        proposal = proposal_of(session)
        (reply,) = act(session, "U0PAT", "allocation.confirm", f"allocation:{proposal.id}")
        assert reply.context["why"] == "not_lead"
        assert session.get(Allocation, proposal.id) == proposal
        assert proposal.status == "proposed"
        (reply,) = act(session, "U0PAT", "allocation.pick_other", f"allocation:{proposal.id}")
        assert reply.context["why"] == "not_lead"


def test_pick_another_offers_eligible_people_and_cases_and_settles_the_choice(
    engine: Engine,
) -> None:
    session, w = world(engine)
    with session:
        decline(session, "U0SAM", w.allocation, reason="conflict")
        proposal = proposal_of(session)
        key = f"allocation:{proposal.id}"
        (form,) = act(session, "U0LEE", "allocation.pick_other", key)
        assert form.template == "allocation_pick"
        people = {o["value"]: o["label"] for o in form.context["people"]}
        cases = {o["value"] for o in form.context["cases"]}
        assert people == {f"person:{w.pat}": "Pat Smith (Early Help 2)"}
        # Not Sam's current proposal, not the released case.
        assert f"case:{proposal.case_id}" not in cases and f"case:{w.cases['CASE-1']}" not in cases
        assert cases  # another case for Sam
        (bad,) = act(session, "U0LEE", "allocation.pick", key, kind="submission", choice="person:1")
        assert bad.errors == {"choice": bad.errors["choice"]} and bad.template == "allocation_pick"
        (done,) = act(
            session, "U0LEE", "allocation.pick", key, kind="submission", choice=f"person:{w.pat}"
        )
        assert done.template == "allocation_confirmed"
        row = session.get(Allocation, proposal.id)
        assert row is not None and row.status == "allocated"
        assert (row.person_id, row.case_id) == (w.pat, w.cases["CASE-1"])
        assert f"allocation-prompt-single:{proposal.id}" in outbox(session)
        assert log_actions(session, proposal.id or 0)[-1] == "allocation.picked"


def test_my_work_drops_a_released_case_and_shows_a_replacement_only_once_confirmed(
    engine: Engine,
) -> None:
    session, w = world(engine)
    with session:
        decline(session, "U0SAM", w.allocation, reason="absence")
        (sam,) = act(session, "U0SAM", "my", None, kind="command")
        (pat,) = act(session, "U0PAT", "my", None, kind="command")
        assert [i for i in sam.context["items"] if i["kind"] == "audit"] == []
        assert [i for i in pat.context["items"] if i["kind"] == "audit"] == []
        act(session, "U0LEE", "allocation.confirm", f"allocation:{proposal_of(session).id}")
        (pat,) = act(session, "U0PAT", "my", None, kind="command")
        audits = [i for i in pat.context["items"] if i["kind"] == "audit"]
        assert [a["reference"] for a in audits] == ["CASE-1"]


# -- after Start (issue 17) ---------------------------------------------------------------


def start(session: Session, user: str, allocation_id: int) -> Audit:
    (step,) = act(session, user, "audit.start", f"allocation:{allocation_id}")
    assert step.template == "audit_step"
    (audit,) = session.exec(select(Audit).where(Audit.allocation_id == allocation_id)).all()
    return audit


def audit_log(session: Session, audit_id: int) -> list[tuple[str, Any]]:
    rows = session.exec(
        select(AuditLogEntry)
        .where(AuditLogEntry.record_type == "audit")
        .where(AuditLogEntry.record_id == str(audit_id))
        .order_by(col(AuditLogEntry.id))
    )
    return [(r.action, r.after) for r in rows]


def test_a_started_case_can_still_be_declined_and_its_draft_is_withdrawn(engine: Engine) -> None:
    session, w = world(engine)
    with session:
        allocate(session, NOW, w.sam, w.cases["CASE-4"])
        queue_prompts(session=session, framework=FRAMEWORK, month=Month.parse(MONTH), now=NOW)
        audit = start(session, "U0SAM", w.allocation)
        session.commit()

        (form,) = act(session, "U0SAM", "allocation.decline", f"allocation:{w.allocation}")
        assert form.template == "allocation_decline" and form.context["started"] is True
        (reply,) = decline(session, "U0SAM", w.allocation, reason="conflict")
        session.commit()

        assert reply.template == "allocation_released"
        released = session.get(Allocation, w.allocation)
        assert released is not None and released.status == "released"
        session.refresh(audit)
        assert audit.status == "withdrawn"
        assert audit_log(session, audit.id or 0)[-1] == (
            "audit.withdrawn",
            {"status": "withdrawn", "reason": "conflict", "allocation_id": w.allocation},
        )
        # The QA lead gets the usual replacement proposal; the prompt is edited in place.
        queued = outbox(session)
        assert queued[f"allocation-proposal:{w.allocation}:{w.lead}"].person_id == w.lead
        edit = queued[f"allocation-declined:{w.allocation}"]
        items = {i["reference"]: i for i in edit.context["items"]}
        assert items["CASE-1"]["status"] == "released" and not items["CASE-1"]["declinable"]
        assert items["CASE-4"]["declinable"]
        # The withdrawn draft cannot be carried on, from the prompt or from the draft.
        (again,) = act(session, "U0SAM", "audit.start", f"allocation:{w.allocation}")
        (resumed,) = act(session, "U0SAM", "audit.continue", f"audit:{audit.id}")
        assert again.template == resumed.template == "audit_refused"
        assert again.context["reason"] == resumed.context["reason"] == "closed"

    # No draft reminder for it, even on its due day.
    due_day = datetime(DUE.year, DUE.month, DUE.day, 10, 0, tzinfo=UTC)
    Ticker(engine=engine, framework=FRAMEWORK, tz=ZoneInfo("Europe/London"), jobs={}).run_job(
        DRAFT_REMINDERS, now=due_day
    )
    with Session(engine) as s:
        keys = [m.idempotency_key for m in s.exec(select(OutboxMessage))]
    assert not [k for k in keys if k.startswith("draft-reminder:")]


def test_the_prompt_keeps_cant_do_this_one_after_start_while_the_audit_is_a_draft(
    engine: Engine,
) -> None:
    session, w = world(engine)
    with session:
        audit = start(session, "U0SAM", w.allocation)
        row = session.get(Allocation, w.allocation)
        assert row is not None and row.status == "in_progress"
        context = prompt_context(session, FRAMEWORK, session.get(Person, w.sam), [row])  # type: ignore[arg-type]
        assert context["items"][0]["declinable"] is True
        # Submitted (or returned by moderation): theirs to finish, no longer to hand on.
        for status in ("submitted", "returned"):
            audit.status = status
            session.add(audit)
            session.flush()
            (reply,) = decline(session, "U0SAM", w.allocation, reason="conflict")
            assert reply.context["why"] == "not_open"
            context = prompt_context(session, FRAMEWORK, session.get(Person, w.sam), [row])  # type: ignore[arg-type]
            assert context["items"][0]["declinable"] is False
        assert session.get(Allocation, w.allocation).status == "in_progress"  # type: ignore[union-attr]
