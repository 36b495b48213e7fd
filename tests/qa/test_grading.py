"""The grade scale and escalations: who is asked to act on a worrying audit, by when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from qa.framework import Framework, load_framework, preset
from qa.grading import (
    EscalationPlan,
    caseload_approval_requests,
    escalation_key,
    escalations_for,
    grade_rank,
    holders_of,
    is_downgrade,
    is_good_or_better,
    re_escalation,
    urgent_escalations,
)

LONDON = ZoneInfo("Europe/London")
# Lambeth: the Director (1), two Assistant Directors (2 for another service, 3 for the
# case's service), the QA lead (9).
HOLDERS = {"director": (1,), "assistant_director": (2, 3), "qa_lead": (9,)}
NOW = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)  # a Tuesday afternoon


def local(dt: datetime) -> datetime:
    return dt.astimezone(LONDON)


def lambeth_escalations(grade: str, **kw: Any) -> tuple[EscalationPlan, ...]:
    args: dict[str, Any] = {
        "grade": grade,
        "audit_id": 50,
        "service_ad_ids": (3,),
        "role_holders": HOLDERS,
        "now": NOW,
        "tz": LONDON,
    }
    return escalations_for(preset("lambeth"), **(args | kw))


def tweak_escalation(fw: Framework, **changes: Any) -> Framework:
    data = fw.model_dump()
    data["escalation"].update(changes)
    return Framework.model_validate(data)


# -- the grade scale ---------------------------------------------------------------


def test_grades_rank_best_first() -> None:
    fw = preset("lambeth")
    ranks = [grade_rank(fw, g) for g in ("outstanding", "good", "requires_improvement")]
    assert ranks == [0, 1, 2]
    assert grade_rank(fw, "inadequate") == 3


def test_good_and_outstanding_are_good_or_better() -> None:
    fw = preset("lambeth")
    assert is_good_or_better(fw, "good") and is_good_or_better(fw, "outstanding")
    assert not is_good_or_better(fw, "requires_improvement")


def test_an_unknown_grade_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"grade 'adequate' is not in the framework.*inadequate"):
        grade_rank(preset("lambeth"), "adequate")


def test_a_worse_grade_is_a_downgrade_and_a_first_grade_is_not() -> None:
    fw = preset("lambeth")
    assert is_downgrade(fw, "good", "inadequate")
    assert not is_downgrade(fw, "inadequate", "requires_improvement")
    assert not is_downgrade(fw, "good", "good")
    assert not is_downgrade(fw, None, "inadequate")


# -- grade escalations -------------------------------------------------------------


def test_inadequate_audit_escalates_to_director_and_service_ad_within_7_days() -> None:
    plans = lambeth_escalations("inadequate")
    assert {p.owner_id for p in plans} == {1, 3}  # not AD 2: another service's
    by_owner = {p.owner_id: p for p in plans}
    assert by_owner[1].roles_reason == ("director",)
    assert by_owner[3].roles_reason == ("assistant_director",)
    for p in plans:
        assert p.kind == "grade" and p.grade == "inadequate" and p.audit_id == 50
        assert p.level == 0 and p.responds
        assert local(p.deadline) == datetime(2026, 3, 17, 23, 59, 59, tzinfo=LONDON)
    assert len({p.key for p in plans}) == 2


def test_requires_improvement_within_14_days() -> None:
    plans = lambeth_escalations("requires_improvement")
    assert {p.owner_id for p in plans} == {1, 3}
    assert {local(p.deadline).date().isoformat() for p in plans} == {"2026-03-24"}


def test_a_good_audit_escalates_to_nobody() -> None:
    assert lambeth_escalations("good") == ()
    assert lambeth_escalations("outstanding") == ()


def test_someone_holding_two_of_the_roles_gets_one_escalation() -> None:
    plans = lambeth_escalations("inadequate", role_holders={"director": (3,)})
    assert [(p.owner_id, p.roles_reason) for p in plans] == [
        (3, ("director", "assistant_director"))
    ]


def test_when_nobody_holds_the_roles_the_qa_lead_is_asked() -> None:
    holders = {"qa_lead": (9,)}
    plans = lambeth_escalations("inadequate", role_holders=holders, service_ad_ids=())
    assert [(p.owner_id, p.roles_reason) for p in plans] == [(9, ("qa_lead",))]
    held = [
        holders_of(role, role_holders=holders, service_ad_ids=())
        for role in ("director", "assistant_director")
    ]
    assert held == [(), ()]


def test_a_regrade_to_inadequate_is_a_new_escalation_and_a_repeat_is_not() -> None:
    ri = {p.key for p in lambeth_escalations("requires_improvement")}
    inadequate = {p.key for p in lambeth_escalations("inadequate")}
    later = {p.key for p in lambeth_escalations("inadequate", now=NOW + timedelta(hours=5))}
    assert not ri & inadequate
    assert later == inadequate


def test_the_deadline_is_the_end_of_the_local_day_across_the_clock_change() -> None:
    # Graded on 25 March (GMT); 7 days on is 1 April, in British Summer Time.
    plans = lambeth_escalations("inadequate", now=datetime(2026, 3, 25, 23, 30, tzinfo=UTC))
    assert plans[0].deadline == datetime(2026, 4, 1, 22, 59, 59, tzinfo=UTC)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        lambeth_escalations("inadequate", now=datetime(2026, 3, 10, 14, 30))


# -- urgent flags ------------------------------------------------------------------


def test_an_urgent_flag_tells_its_roles_and_asks_for_a_response_within_its_hours() -> None:
    # Wandsworth: the Head of Safeguarding is told; the service manager and head of
    # service are asked for a response.
    plans = urgent_escalations(
        preset("wandsworth"),
        "safeguarding",
        audit_id=7,
        case_id=70,
        service_ad_ids=(),
        role_holders={
            "head_of_safeguarding": (5,),
            "service_manager": (6,),
            "head_of_service": (8,),
        },
        now=NOW,
    )
    by_owner = {p.owner_id: p for p in plans}
    assert set(by_owner) == {5, 6, 8}
    assert not by_owner[5].responds
    assert by_owner[6].responds and by_owner[8].responds
    assert {p.deadline for p in plans} == {NOW + timedelta(hours=24)}
    assert {p.kind for p in plans} == {"urgent"} and {p.flag for p in plans} == {"safeguarding"}
    assert {p.case_id for p in plans} == {70}


def test_an_urgent_flag_goes_to_the_service_ad_only() -> None:
    plans = urgent_escalations(
        preset("lambeth"),
        "safeguarding",
        audit_id=7,
        service_ad_ids=(3,),
        role_holders=HOLDERS | {"service_manager": (4,)},
        now=NOW,
    )
    assert {p.owner_id for p in plans} == {9, 3, 4}


def test_when_nobody_can_respond_those_told_are_asked_to() -> None:
    plans = urgent_escalations(
        preset("wandsworth"),
        "safeguarding",
        audit_id=7,
        service_ad_ids=(),
        role_holders={"head_of_safeguarding": (5,)},
        now=NOW,
    )
    assert [(p.owner_id, p.responds) for p in plans] == [(5, True)]


def test_an_unknown_urgent_flag_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"urgent flag 'racism'.*safeguarding"):
        urgent_escalations(
            preset("lambeth"), "racism", audit_id=1, service_ad_ids=(), role_holders={}, now=NOW
        )


# -- re-escalation -----------------------------------------------------------------


def _first(grade: str = "inadequate", fw: Framework | None = None) -> EscalationPlan:
    plans = escalations_for(
        fw or preset("lambeth"),
        grade=grade,
        audit_id=50,
        service_ad_ids=(3,),
        role_holders=HOLDERS,
        now=NOW,
        tz=LONDON,
    )
    return next(p for p in plans if p.owner_id == 3)


def _up(esc: EscalationPlan, now: datetime, **kw: Any) -> tuple[EscalationPlan, ...]:
    args: dict[str, Any] = {
        "now": now,
        "tz": LONDON,
        "role_holders": HOLDERS,
        "service_ad_ids": (3,),
        "line_manager_of": {3: 1, 1: 20},
    }
    return re_escalation(preset("lambeth"), esc, **(args | kw))


def test_no_re_escalation_before_the_deadline_or_once_answered() -> None:
    esc = _first()
    assert _up(esc, esc.deadline) == ()
    assert _up(esc, esc.deadline + timedelta(seconds=1), responded=True) == ()


def test_a_passed_deadline_re_escalates_to_the_line_manager() -> None:
    esc = _first()
    (up,) = _up(esc, esc.deadline + timedelta(hours=1))
    assert (up.owner_id, up.level, up.roles_reason) == (1, 1, ("line_manager",))
    # 7 more days, counted from the old deadline, not from when it was noticed.
    assert local(up.deadline) == datetime(2026, 3, 24, 23, 59, 59, tzinfo=LONDON)
    (late,) = _up(esc, esc.deadline + timedelta(days=3))
    assert late == up


def test_re_escalation_skips_people_already_asked_and_stops_at_the_top() -> None:
    esc = _first()
    assert _up(esc, esc.deadline + timedelta(hours=1), exclude=(1,)) == ()
    top = _up(esc, esc.deadline + timedelta(hours=1), line_manager_of={})
    assert top == ()


def test_re_escalate_to_roles_are_asked_first_then_the_line_above() -> None:
    grades = preset("lambeth").model_dump()["escalation"]["grades"]
    for g in grades:
        g["re_escalate_to"] = ["strategic_director"]
    fw = tweak_escalation(preset("lambeth"), grades=grades)
    esc = _first(fw=fw)
    holders = HOLDERS | {"strategic_director": (30,)}
    kw: dict[str, Any] = {"role_holders": holders, "line_manager_of": {30: 40}}
    (one,) = re_escalation(
        fw, esc, now=esc.deadline + timedelta(hours=1), tz=LONDON, service_ad_ids=(3,), **kw
    )
    assert (one.owner_id, one.roles_reason, one.level) == (30, ("strategic_director",), 1)
    (two,) = re_escalation(
        fw, one, now=one.deadline + timedelta(hours=1), tz=LONDON, service_ad_ids=(3,), **kw
    )
    assert (two.owner_id, two.level) == (40, 2)
    assert len({esc.key, one.key, two.key}) == 3


def test_an_unanswered_urgent_flag_re_escalates_after_its_response_hours() -> None:
    (plan,) = urgent_escalations(
        preset("wandsworth"),
        "safeguarding",
        audit_id=7,
        service_ad_ids=(),
        role_holders={"head_of_safeguarding": (5,)},
        now=NOW,
    )
    (up,) = re_escalation(
        preset("wandsworth"),
        plan,
        now=plan.deadline + timedelta(minutes=1),
        tz=LONDON,
        role_holders={},
        service_ad_ids=(),
        line_manager_of={5: 11},
    )
    assert (up.owner_id, up.kind, up.flag) == (11, "urgent", "safeguarding")
    assert up.deadline == plan.deadline + timedelta(hours=24)


# -- dip samples -------------------------------------------------------------------


def _approval(grades: tuple[str, ...], **kw: Any) -> tuple[EscalationPlan, ...]:
    args: dict[str, Any] = {
        "audit_id": 60,
        "dip_sample_grades": grades,
        "role_holders": {"head_of_safeguarding": (5,)},
        "service_ad_ids": (),
        "now": NOW,
        "tz": LONDON,
    }
    return caseload_approval_requests(preset("wandsworth"), **(args | kw))


def test_dip_samples_without_the_same_concerns_ask_for_nothing() -> None:
    assert _approval(("good", "outstanding")) == ()
    assert _approval(()) == ()


def test_the_same_concerns_ask_the_approver_to_audit_the_whole_caseload() -> None:
    (plan,) = _approval(("good", "requires_improvement"))
    assert (plan.owner_id, plan.kind, plan.grade, plan.audit_id) == (
        5,
        "dip_sample",
        "requires_improvement",
        60,
    )
    assert plan.roles_reason == ("head_of_safeguarding",)
    assert local(plan.deadline).date().isoformat() == "2026-03-24"  # RI: 14 days
    (worse,) = _approval(("inadequate", "requires_improvement"))
    assert worse.grade == "inadequate" and worse.key == plan.key
    assert local(worse.deadline).date().isoformat() == "2026-03-17"


def test_the_team_manager_can_say_the_concerns_recur_whatever_the_grades() -> None:
    assert len(_approval(("good",), same_concerns=True)) == 1
    assert _approval(("inadequate",), same_concerns=False) == ()


def test_no_dip_sample_rule_no_caseload_audit() -> None:
    assert preset("lambeth").dip_sample is None
    fw = preset("lambeth")
    assert (
        caseload_approval_requests(
            fw,
            audit_id=2,
            dip_sample_grades=("inadequate",),
            role_holders=HOLDERS,
            service_ad_ids=(3,),
            now=NOW,
            tz=LONDON,
        )
        == ()
    )


def test_the_small_test_framework_escalates_inadequate_to_its_director() -> None:
    fw = load_framework("tests/data/framework-small.yml")
    plans = escalations_for(
        fw,
        grade="inadequate",
        audit_id=1,
        service_ad_ids=(),
        role_holders={"director": (1,)},
        now=NOW,
        tz=LONDON,
    )
    assert [p.owner_id for p in plans] == [1]
    assert (
        escalations_for(
            fw,
            grade="requires_improvement",
            audit_id=1,
            service_ad_ids=(),
            role_holders={},
            now=NOW,
            tz=LONDON,
        )
        == ()
    )


def test_a_stored_escalation_rebuilds_its_key_from_its_columns() -> None:
    for plan in lambeth_escalations("inadequate"):
        assert (
            escalation_key(plan.kind, plan.audit_id, plan.grade or "", plan.owner_id, 0) == plan.key
        )


def test_a_withdrawn_request_says_what_changed_and_what_follows() -> None:
    from qa.grading import withdrawal_notice

    fw = preset("lambeth")
    down = withdrawal_notice(
        fw, reference="LAM-1", old="requires_improvement", new="inadequate", again=True
    )
    assert down.startswith("Case LAM-1: the moderation regraded the audit down from ")
    assert "Requires Improvement grade is withdrawn" in down and "that request follows" in down
    up = withdrawal_notice(fw, reference="LAM-1", old="inadequate", new="good", again=False)
    assert "up from Inadequate to Good" in up and "nothing more is needed" in up


def test_the_relevant_assistant_director_is_the_nearest_up_the_line() -> None:
    from qa.grading import StaffFacts, nearest_in_chain, unreached_roles

    roles = {2: ("team_manager",), 3: ("service_manager",), 4: ("assistant_director",),
             5: ("director",), 6: ("assistant_director",)}  # fmt: skip
    found = nearest_in_chain([2, 3, 4, 5], roles)
    assert found["assistant_director"] == (4,) and found["director"] == (5,)
    fw = preset("lambeth")
    staff = [
        StaffFacts(5, ("director",), "Directorate", None),
        StaffFacts(4, ("assistant_director",), "Directorate", 5),
        StaffFacts(2, ("team_manager",), "Early Help", 4),
        StaffFacts(7, ("team_manager",), "Children Looked After", 5),
    ]
    [warning] = unreached_roles(fw, staff, ["Children Looked After", "Directorate", "Early Help"])
    assert warning.startswith("service 'Children Looked After' has no Assistant Director")
    nobody = unreached_roles(fw, staff[2:], ["Early Help"])
    assert any(
        w.startswith("nobody holds the role 'Director of Children's Social Care'") for w in nobody
    )
