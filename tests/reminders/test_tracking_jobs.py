"""The tracking jobs at frozen times: escalations, reminders, digests, chasers, reviews."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import Engine

from bot.render import Renderer
from qa.framework import preset
from qa.grading import end_of_day
from reminders.qa_calendar import QA_CALENDAR
from reminders.tracking import (
    AUDIT_ESCALATIONS,
    CASE_REVIEWS,
    OVERDUE_DIGESTS,
    RE_ESCALATIONS,
    REMINDERS,
    URGENT_CHASERS,
    WEEKLY_ESCALATIONS,
)
from storage.db import session_scope
from storage.models import Escalation, Person, Recommendation
from tests.reminders.tracking_world import (
    LAMBETH,
    LONDON,
    add_audit,
    add_recommendation,
    at,
    build_world,
    escalations,
    messages,
    ticker,
)

# Tuesday 1 December 2026, 10:00 in London: a working day.
SUBMITTED = at(2026, 12, 1, 10)


# -- grade escalations ------------------------------------------------------------------


def test_inadequate_audit_escalates_to_director_and_service_ad_within_7_days(
    engine: Engine,
) -> None:
    w = build_world(engine)
    audit = add_audit(engine, case=w.case, auditor=w.auditor, grade="inadequate", when=SUBMITTED)
    t = ticker(engine)

    t.run_job(AUDIT_ESCALATIONS, now=SUBMITTED + timedelta(minutes=1))
    t.run_job(AUDIT_ESCALATIONS, now=SUBMITTED + timedelta(minutes=2))

    rows = escalations(engine)
    assert {r.owner_id for r in rows} == {w.director, w.ad}  # not the other service's AD
    deadline = end_of_day(date(2026, 12, 8), LONDON)
    assert all(r.kind == "grade" and r.deadline == deadline and r.level == 0 for r in rows)
    sent = messages(engine, "escalation_request")
    assert sorted(m.idempotency_key for m in sent) == sorted(
        f"escalation:grade:{audit}:inadequate:{p}:0" for p in (w.director, w.ad)
    )
    context = sent[0].context
    assert context["item"]["reference"] == "CIN-0001" and context["item"]["due_on"] == "2026-12-08"
    assert "Sam" not in str(context)  # no worker named, case reference only


def test_requires_improvement_gives_14_days_and_a_good_grade_nothing(engine: Engine) -> None:
    w = build_world(engine)
    add_audit(engine, case=w.case, auditor=w.auditor, grade="requires_improvement", when=SUBMITTED)
    add_audit(engine, case=w.other_case, auditor=w.auditor, grade="good", when=SUBMITTED)

    ticker(engine).run_job(AUDIT_ESCALATIONS, now=SUBMITTED)

    rows = escalations(engine)
    assert len(rows) == 2 and {r.case_id for r in rows} == {w.case}
    assert rows[0].deadline == end_of_day(date(2026, 12, 15), LONDON)


def test_an_audit_graded_at_night_is_asked_for_in_the_morning(engine: Engine) -> None:
    w = build_world(engine)
    night = at(2026, 12, 1, 22)
    add_audit(engine, case=w.case, auditor=w.auditor, grade="inadequate", when=night)
    t = ticker(engine)

    t.run_job(AUDIT_ESCALATIONS, now=night)
    assert len(escalations(engine)) == 2 and messages(engine, "escalation_request") == []

    t.run_job(AUDIT_ESCALATIONS, now=at(2026, 12, 2, 9, 1))
    assert len(messages(engine, "escalation_request")) == 2
    # The deadline still counts from the audit, not from the morning.
    assert escalations(engine)[0].deadline == end_of_day(date(2026, 12, 8), LONDON)


def test_escalation_owners_are_reminded_before_the_deadline_then_it_goes_up_the_line(
    engine: Engine,
) -> None:
    w = build_world(engine)
    audit = add_audit(engine, case=w.case, auditor=w.auditor, grade="inadequate", when=SUBMITTED)
    t = ticker(engine)
    t.run_job(AUDIT_ESCALATIONS, now=SUBMITTED)

    # Due Tuesday 8 December; Lambeth reminds 2 working days before: Friday 4 December.
    t.run_job(REMINDERS, now=at(2026, 12, 3, 10))
    assert [
        m for m in messages(engine, "escalation_request") if "due-soon" in m.idempotency_key
    ] == []
    t.run_job(REMINDERS, now=at(2026, 12, 4, 10))
    t.run_job(REMINDERS, now=at(2026, 12, 8, 10))
    keys = {m.idempotency_key for m in messages(engine, "escalation_request")}
    ad_row = next(r for r in escalations(engine) if r.owner_id == w.ad)
    assert f"due-soon:escalation:{ad_row.id}:2026-12-08:2wd" in keys
    assert f"due-today:escalation:{ad_row.id}:2026-12-08" in keys

    # Wednesday 9 December: nothing recorded, so the AD's line manager is asked.
    t.run_job(RE_ESCALATIONS, now=at(2026, 12, 9, 10))
    t.run_job(RE_ESCALATIONS, now=at(2026, 12, 9, 11))
    upper = [r for r in escalations(engine) if r.level == 1]
    assert [r.owner_id for r in upper] == [w.strategic]
    key = f"escalation:grade:{audit}:inadequate:{w.strategic}:1"
    [sent] = [m for m in messages(engine, "escalation_request") if m.idempotency_key == key]
    assert sent.context["stage"] == "re_escalated"
    assert sent.context["asked_first"] == [
        "Director of Children's Social Care",
        "Assistant Director",
    ]
    # Its deadline counts from the old one: 7 more days.
    assert upper[0].deadline == end_of_day(date(2026, 12, 15), LONDON)


# -- dip samples (Wandsworth) -----------------------------------------------------------


def test_dip_sample_finding_the_same_concerns_asks_to_audit_the_whole_caseload(
    engine: Engine,
) -> None:
    """With `dip_sample.caseload: approval` the approver is asked. (The Wandsworth preset
    now allocates at once, QAF 33; this keeps the approval mode in view.)"""
    wandsworth = preset("wandsworth")
    ds = wandsworth.dip_sample
    assert ds is not None
    wandsworth = wandsworth.model_copy(
        update={"dip_sample": ds.model_copy(update={"caseload": "approval"})}
    )
    w = build_world(engine)
    with session_scope(engine) as s:  # Wandsworth's approver of whole-caseload audits
        lead = s.get(Person, w.lead)
        assert lead is not None
        lead.roles = [*lead.roles, "head_of_safeguarding"]
        s.add(lead)
    trigger = add_audit(
        engine, case=w.case, auditor=w.auditor, grade="requires_improvement", when=SUBMITTED
    )
    t = ticker(engine, wandsworth)
    t.run_job(AUDIT_ESCALATIONS, now=SUBMITTED)
    assert not [r for r in escalations(engine) if r.kind == "dip_sample"]

    later = at(2027, 1, 12, 10)
    add_audit(
        engine,
        case=w.other_case,
        auditor=w.manager,
        grade="requires_improvement",
        when=later,
        activity="dip_sample",
    )
    t.run_job(AUDIT_ESCALATIONS, now=later)
    t.run_job(AUDIT_ESCALATIONS, now=later + timedelta(hours=1))

    [row] = [r for r in escalations(engine) if r.kind == "dip_sample"]
    assert row.owner_id == w.lead and row.audit_id == trigger and row.case_id == w.case
    assert row.deadline == end_of_day(date(2027, 1, 26), LONDON)  # RI: 14 days
    [sent] = messages(engine, "escalation_request", person=w.lead)[-1:]
    assert sent.idempotency_key == f"escalation:dip_sample:{trigger}:caseload:{w.lead}:0"


# -- urgent flags -----------------------------------------------------------------------


def _urgent_row(engine: Engine, *, owner: int, audit: int, case: int) -> int:
    with session_scope(engine) as s:
        row = Escalation(
            kind="urgent",
            audit_id=audit,
            case_id=case,
            flag="safeguarding",
            owner_id=owner,
            deadline=SUBMITTED + timedelta(hours=24),
            created_at=SUBMITTED,
        )
        s.add(row)
        s.flush()
        return row.id or 0


def test_an_urgent_flag_is_chased_every_day_until_answered_even_at_night(
    engine: Engine,
) -> None:
    w = build_world(engine)
    audit = add_audit(engine, case=w.case, auditor=w.auditor, grade="good", when=SUBMITTED)
    row = _urgent_row(engine, owner=w.manager, audit=audit, case=w.case)
    t = ticker(engine)

    t.run_job(URGENT_CHASERS, now=SUBMITTED + timedelta(hours=23))
    assert messages(engine, "escalation_request") == []
    t.run_job(URGENT_CHASERS, now=SUBMITTED + timedelta(hours=25))
    t.run_job(URGENT_CHASERS, now=SUBMITTED + timedelta(hours=26))
    # Three days down: one chaser for now, not one for each missed day.
    t.run_job(URGENT_CHASERS, now=SUBMITTED + timedelta(days=4, hours=1))
    keys = [m.idempotency_key for m in messages(engine, "escalation_request")]
    assert keys == [f"urgent-chase:{row}:1", f"urgent-chase:{row}:4"]
    chaser = messages(engine, "escalation_request")[0].context
    assert chaser["stage"] == "chase" and chaser["item"]["routing_key"] == f"escalation:{row}"

    with session_scope(engine) as s:
        found = s.get(Escalation, row)
        assert found is not None
        found.status = "responded"
        s.add(found)
    t.run_job(URGENT_CHASERS, now=SUBMITTED + timedelta(days=6))
    assert len(messages(engine, "escalation_request")) == 2


def test_a_flag_on_an_audit_the_dialog_did_not_escalate_is_escalated_by_the_job(
    engine: Engine,
) -> None:
    w = build_world(engine)
    audit = add_audit(
        engine, case=w.case, auditor=w.auditor, grade="good", when=SUBMITTED, flags=["safeguarding"]
    )
    ticker(engine).run_job(AUDIT_ESCALATIONS, now=at(2026, 12, 1, 23))
    rows = escalations(engine)
    # Lambeth: the QA lead and the service's AD are told; the service manager responds.
    assert {(r.owner_id, r.status) for r in rows} == {
        (w.lead, "informed"),
        (w.ad, "informed"),
        (w.auditor, "open"),
    }
    sent = messages(engine, "escalation_request")
    assert len(sent) == 3  # urgent: not held until morning
    assert {m.idempotency_key for m in sent} == {
        f"escalation:urgent:{audit}:safeguarding:{p}:0" for p in (w.lead, w.ad, w.auditor)
    }


# -- recommendations --------------------------------------------------------------------


def test_a_new_action_is_announced_once_then_reminded_before_and_on_its_due_day(
    engine: Engine,
) -> None:
    w = build_world(engine)
    rec = add_recommendation(
        engine, owner=w.worker, due=date(2026, 12, 17), created=SUBMITTED, case=w.case
    )
    t = ticker(engine)
    for now in (SUBMITTED, at(2026, 12, 1, 23), at(2026, 12, 14, 10), at(2026, 12, 14, 15)):
        t.run_job(REMINDERS, now=now)
    t.run_job(REMINDERS, now=at(2026, 12, 17, 9, 30))

    sent = messages(engine, "rec_reminder")
    assert [m.idempotency_key for m in sent] == [
        f"assigned:recommendation:{rec}",
        f"due-soon:recommendation:{rec}:2026-12-17:3wd",
        f"due-today:recommendation:{rec}:2026-12-17",
    ]
    assert [m.context["stage"] for m in sent] == ["assigned", "due_soon", "due_today"]
    item = sent[0].context["item"]
    assert item["reference"] == "CIN-0001" and item["routing_key"] == (
        f"rec:{rec}|assigned:recommendation:{rec}"
    )
    assert item["summary"].startswith("Update the chronology")


def test_action_text_with_personal_details_is_never_shown(engine: Engine) -> None:
    w = build_world(engine)
    add_recommendation(
        engine,
        owner=w.worker,
        due=date(2026, 12, 17),
        created=SUBMITTED,
        case=w.case,
        action="Call mum on 07700 900123 about the plan",
    )
    ticker(engine).run_job(REMINDERS, now=SUBMITTED)
    [sent] = messages(engine, "rec_reminder")
    assert sent.context["item"]["summary"] == ""
    assert "07700" not in str(sent.context)


LONG_ACTION = (
    "Set measurable goals in the plan for school attendance and health checks, "
    "review them at each core group with the family and the school nurse, and record "
    "on the file how each goal was met or why not, before the next review conference"
)


def test_a_long_action_is_shown_in_full_on_its_reminder_and_digest(engine: Engine) -> None:
    """Cut at 60 characters ("set measu...") nobody could tell which action was meant."""
    w = build_world(engine)
    add_recommendation(
        engine, owner=w.worker, due=date(2026, 12, 17), created=SUBMITTED, case=w.case,
        action=LONG_ACTION,
    )  # fmt: skip
    t = ticker(engine)
    t.run_job(REMINDERS, now=SUBMITTED)
    t.run_job(OVERDUE_DIGESTS, now=at(2026, 12, 21, 10))
    [reminder] = messages(engine, "rec_reminder")
    [digest] = messages(engine, "rec_digest", person=w.worker)
    assert reminder.context["item"]["summary"] == LONG_ACTION
    assert [i["summary"] for i in digest.context["items"]] == [LONG_ACTION]
    renderer = Renderer(preset("camden"))
    for message in (reminder, digest):
        for platform in ("slack", "teams"):
            shown = json.dumps(renderer.render(message.template, message.context, platform))
            assert LONG_ACTION in shown, (message.template, platform)


def test_overdue_actions_make_one_digest_a_day_never_on_a_bank_holiday(engine: Engine) -> None:
    w = build_world(engine)
    for due in (date(2026, 12, 17), date(2026, 12, 18)):
        add_recommendation(engine, owner=w.worker, due=due, created=SUBMITTED, case=w.case)
    t = ticker(engine)
    # Monday 21 to Tuesday 29 December, morning and afternoon; 25, 26 and 28 December
    # are bank holidays (28th: Boxing Day's substitute), 26 and 27 a weekend.
    for day in range(21, 30):
        for hour in (8, 10, 15, 20):
            t.run_job(OVERDUE_DIGESTS, now=at(2026, 12, day, hour))

    digests = messages(engine, "rec_digest", person=w.worker)
    days = [m.idempotency_key.rsplit(":", 1)[1] for m in digests]
    assert days == ["2026-12-21", "2026-12-22", "2026-12-23", "2026-12-24", "2026-12-29"]
    assert all(m.context["total"] == 2 for m in digests)
    assert [i["due_on"] for i in digests[0].context["items"]] == ["2026-12-17", "2026-12-18"]


def test_overdue_actions_go_to_the_owners_service_ad_once_a_week(engine: Engine) -> None:
    w = build_world(engine)
    add_recommendation(
        engine, owner=w.worker, due=date(2026, 12, 4), created=SUBMITTED, case=w.case
    )
    t = ticker(engine)
    for day in (7, 8, 9, 14, 15):
        t.run_job(WEEKLY_ESCALATIONS, now=at(2026, 12, day, 10))

    weekly = messages(engine, "rec_weekly_escalation")
    assert [(m.person_id, m.idempotency_key) for m in weekly] == [
        (w.ad, f"overdue-escalation:{w.ad}:2026-W50"),
        (w.ad, f"overdue-escalation:{w.ad}:2026-W51"),
    ]
    assert weekly[0].context["items"][0]["owner"] == "Sam Worker"


def test_three_days_of_downtime_are_caught_up_with_one_message_of_each_kind(
    engine: Engine,
) -> None:
    w = build_world(engine)
    add_recommendation(
        engine, owner=w.worker, due=date(2026, 12, 4), created=SUBMITTED, case=w.case
    )
    audit = add_audit(engine, case=w.case, auditor=w.auditor, grade="good", when=SUBMITTED)
    row = _urgent_row(engine, owner=w.manager, audit=audit, case=w.case)
    t = ticker(engine)
    t.tick(at(2026, 12, 7, 9, 30))  # Monday
    before = {m.idempotency_key: m.template for m in messages(engine)}

    t.tick(at(2026, 12, 10, 9, 30))  # Thursday, after three days down

    new = {m.idempotency_key: m.template for m in messages(engine)}.items() - before.items()
    assert Counter(template for _, template in new) == Counter(
        {"rec_digest": 1, "escalation_request": 2}
    )
    keys = {key for key, _ in new}
    # One chaser for the urgent flag (not one per missed day), and the unanswered
    # flag one level further up the line.
    assert {k for k in keys if k.startswith("urgent-chase:")} == {f"urgent-chase:{row}:8"}
    assert f"escalation:urgent:{audit}:safeguarding:{w.strategic}:2" in keys
    assert f"overdue-digest:{w.worker}:2026-12-10" in keys
    assert list(before.values()).count("rec_weekly_escalation") == 1  # Monday's only


def test_snoozing_skips_the_next_digest_but_not_the_weekly_escalation(engine: Engine) -> None:
    w = build_world(engine)
    rec = add_recommendation(engine, owner=w.worker, due=date(2026, 12, 4), created=SUBMITTED)
    with session_scope(engine) as s:
        row = s.get(Recommendation, rec)
        assert row is not None
        row.snoozed_until = date(2026, 12, 8)
        s.add(row)
    t = ticker(engine)
    t.run_job(OVERDUE_DIGESTS, now=at(2026, 12, 7, 10))
    t.run_job(WEEKLY_ESCALATIONS, now=at(2026, 12, 7, 10))
    assert messages(engine, "rec_digest") == []
    assert len(messages(engine, "rec_weekly_escalation")) == 1
    t.run_job(OVERDUE_DIGESTS, now=at(2026, 12, 8, 10))
    assert len(messages(engine, "rec_digest")) == 1


# -- weekly case reviews (Lambeth's PRIMs) and the QA calendar --------------------------


# Weekly reviews with nobody named to hold them: the line manager is reminded.
NO_OWNER = LAMBETH.model_copy(
    update={"escalation": LAMBETH.escalation.model_copy(update={"case_review_owner_role": None})}
)


def test_a_case_graded_inadequate_is_reviewed_weekly_until_graded_good(engine: Engine) -> None:
    w = build_world(engine)
    add_audit(engine, case=w.case, auditor=w.auditor, grade="inadequate", when=SUBMITTED)
    t = ticker(engine, framework=NO_OWNER)
    t.run_job(CASE_REVIEWS, now=at(2026, 12, 3, 10))  # same week: not yet
    for day in (7, 8, 14):
        t.run_job(CASE_REVIEWS, now=at(2026, 12, day, 10))
    reviews = messages(engine, "case_review")
    assert [(m.person_id, m.idempotency_key) for m in reviews] == [
        (w.manager, f"case-review:{w.case}:2026-W50:{w.manager}"),
        (w.manager, f"case-review:{w.case}:2026-W51:{w.manager}"),
    ]
    assert reviews[0].context == {
        "first_name": "Tom",
        "reference": "CIN-0001",
        "grade": "Inadequate",
    }

    add_audit(engine, case=w.case, auditor=w.auditor, grade="good", when=at(2026, 12, 16, 10))
    t.run_job(CASE_REVIEWS, now=at(2026, 12, 21, 10))
    assert len(messages(engine, "case_review")) == 2


def test_lambeth_prims_go_to_the_practice_assurance_team_not_the_line_manager(
    engine: Engine,
) -> None:
    """Lambeth names who holds the reviews; the line manager is not reminded as well."""
    w = build_world(engine)
    add_audit(engine, case=w.case, auditor=w.auditor, grade="inadequate", when=SUBMITTED)
    t = ticker(engine)
    for day in (7, 8, 14):
        t.run_job(CASE_REVIEWS, now=at(2026, 12, day, 10))
    assert messages(engine, "case_review") == []


def test_the_qa_calendar_reminds_each_owner_ahead_of_the_month_once(engine: Engine) -> None:
    w = build_world(engine)
    t = ticker(engine, jobs=(QA_CALENDAR,))
    # January 2027 starts on Monday 4 January; Lambeth reminds 5 days ahead: 30 December.
    t.run_job(QA_CALENDAR, now=at(2026, 12, 29, 10))
    assert messages(engine, "calendar_reminder", person=w.lead) == []
    t.run_job(QA_CALENDAR, now=at(2026, 12, 30, 10))
    t.run_job(QA_CALENDAR, now=at(2026, 12, 31, 10))
    [sent] = messages(engine, "calendar_reminder", person=w.lead)
    assert sent.idempotency_key == f"calendar:0:2027-01:{w.lead}"
    assert sent.context["activity"] == "Landing the Learning meeting"
    assert sent.context["starts_on"] == "2027-01-04"


def _wandsworth_allocating():  # type: ignore[no-untyped-def]
    fw = preset("wandsworth")
    ds = fw.dip_sample
    assert ds is not None
    return fw.model_copy(update={"dip_sample": ds.model_copy(update={"caseload": "allocate"})})


def test_wandsworth_same_concerns_allocate_the_whole_caseload_at_once(engine: Engine) -> None:
    """Wandsworth QAF 33: "If the same concerns are found the social worker's case load is
    audited": allocated to the dip-sampler at once, nobody asked to approve, no "Not now"."""
    from sqlmodel import Session, select

    from storage.models import Allocation, Case

    fw = _wandsworth_allocating()
    w = build_world(engine)
    with session_scope(engine) as s:
        for ref in ("CIN-0003", "CIN-0004", "CIN-0005"):
            s.add(Case(reference=ref, service_id=1, team_id=1, worker_id=w.worker,
                       area="cin_cp", opened_on=date(2026, 1, 5)))  # fmt: skip
        s.add(Case(reference="CIN-9", service_id=1, team_id=1, worker_id=w.worker,
                   area="cin_cp", opened_on=date(2026, 1, 5), status="closed"))  # fmt: skip
    add_audit(engine, case=w.case, auditor=w.auditor, grade="inadequate", when=SUBMITTED)
    t = ticker(engine, fw)
    t.run_job(AUDIT_ESCALATIONS, now=SUBMITTED)
    later = at(2027, 1, 12, 10)
    add_audit(
        engine, case=w.other_case, auditor=w.manager, grade="inadequate", when=later,
        activity="dip_sample",
    )  # fmt: skip
    t.run_job(AUDIT_ESCALATIONS, now=later)
    t.run_job(AUDIT_ESCALATIONS, now=later + timedelta(hours=1))  # again: nothing new
    with Session(engine) as s:
        refs = {c.id: c.reference for c in s.exec(select(Case))}
        rows = s.exec(select(Allocation).where(Allocation.activity == "audit")).all()
    assert sorted(refs[r.case_id or 0] for r in rows) == ["CIN-0003", "CIN-0004", "CIN-0005"]
    assert {(r.person_id, r.month, r.status) for r in rows} == {(w.manager, "2027-01", "allocated")}
    assert rows[0].reason.startswith("Whole-caseload audit: dip samples after case CIN-0001")
    assert not messages(engine, "escalation_request", person=w.lead), "no approval asked"
    [marker] = [r for r in escalations(engine) if r.kind == "dip_sample"]
    assert marker.status == "done" and marker.owner_id == w.manager
    # the test world never sent the dip sample's own prompt, so it is listed too
    [prompt] = messages(engine, "allocation_prompt", person=w.manager)
    listed = {i["reference"] for i in prompt.context["items"]}
    assert listed >= {"CIN-0003", "CIN-0004", "CIN-0005"}
