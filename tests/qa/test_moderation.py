"""Moderation selection and assignment under the shipped presets, one test per rule."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest

from qa.framework import Framework, preset
from qa.moderation import (
    Assigned,
    Moderator,
    PastModeration,
    Selected,
    SubmittedAudit,
    assign,
    due_date,
    monthly_capacity,
    sample_fraction,
    select_for_moderation,
)
from qa.working_days import Month, working_days_after

MARCH = Month(2025, 3)
GRADES = ("outstanding", "good", "requires_improvement", "inadequate")


def audit(
    audit_id: int,
    grade: str,
    *,
    auditor: int = 900,
    line_manager: int | None = 901,
    team: str | None = "Team A",
    team_managers: tuple[int, ...] = (902,),
    worker: int | None = 903,
    submitted_on: date = date(2025, 3, 3),
) -> SubmittedAudit:
    return SubmittedAudit(
        id=audit_id,
        case_id=10_000 + audit_id,
        case_team=team,
        case_service="Children in Need",
        case_team_manager_ids=team_managers,
        worker_id=worker,
        auditor_id=auditor,
        auditor_line_manager_id=line_manager,
        overall_grade=grade,
        domain_grades={},
        submitted_on=submitted_on,
    )


def moderator(pid: int, role: str, *, capacity: int = 4, team: str | None = None) -> Moderator:
    return Moderator(id=pid, roles=(role,), team=team, capacity_left=capacity)


def past(
    auditor: int, moderator_id: int, month: Month, *, agreed: bool = True, audit_id: int = 0
) -> PastModeration:
    return PastModeration(
        audit_id=audit_id,
        auditor_id=auditor,
        moderator_id=moderator_id,
        month=month,
        agreed_overall=agreed,
        original_grade="good",
        final_grade="good" if agreed else "requires_improvement",
    )


def with_moderation(fw: Framework, **changes: object) -> Framework:
    return fw.model_copy(update={"moderation": fw.moderation.model_copy(update=changes)})


def picked(selected: tuple[Selected, ...]) -> set[int]:
    return {s.audit_id for s in selected}


def by_audit(assigned: tuple[Assigned, ...]) -> dict[int, list[Assigned]]:
    out: dict[int, list[Assigned]] = {}
    for a in assigned:
        out.setdefault(a.audit_id, []).append(a)
    return out


# -- selection ---------------------------------------------------------------------


def test_camden_outstanding_and_inadequate_always_selected() -> None:
    fw = preset("camden")
    audits = [audit(i, GRADES[i % 4]) for i in range(1, 4001)]
    selected = {s.audit_id: s for s in select_for_moderation(fw, MARCH, audits)}

    for a in audits:
        if a.overall_grade in ("outstanding", "inadequate"):
            assert a.id in selected
            assert selected[a.id].basis == "always"
    assert selected[3].reason == (
        "graded Inadequate: every Inadequate learning conversation is moderated"
    )
    for grade in ("good", "requires_improvement"):
        ids = [a.id for a in audits if a.overall_grade == grade]
        share = sum(i in selected for i in ids) / len(ids)
        assert 0.2 < share < 0.3, (grade, share)  # a 25% sample, not all, not none
    assert selected[next(i for i in selected if i % 4 == 1)].reason == (
        "sample of Good learning conversations (25%)"
    )


def test_selection_is_reproducible_for_the_month() -> None:
    fw = preset("camden")
    audits = [audit(i, GRADES[i % 4]) for i in range(1, 201)]
    first = select_for_moderation(fw, MARCH, audits)

    shuffled = audits[:]
    random.Random(7).shuffle(shuffled)
    assert select_for_moderation(fw, MARCH, shuffled) == first
    # Adding audits (a later run the same month) never changes whether another is picked.
    more = select_for_moderation(fw, MARCH, [*audits, *(audit(i, "good") for i in range(201, 260))])
    assert picked(more) & set(range(1, 201)) == picked(first)
    # Another month draws another sample.
    assert picked(select_for_moderation(fw, MARCH.shift(1), audits)) != picked(first)


def test_wandsworth_dip_sample_share() -> None:
    fw = preset("wandsworth")
    audits = [audit(i, GRADES[i % 4]) for i in range(1, 2001)]
    selected = select_for_moderation(fw, MARCH, audits)

    assert 0.17 < len(selected) / len(audits) < 0.23
    assert {s.basis for s in selected} == {"sample"}
    for grade in GRADES:  # the dip sample covers every grade, none always
        assert any(audits[s.audit_id - 1].overall_grade == grade for s in selected)
    inadequate = next(s for s in selected if audits[s.audit_id - 1].overall_grade == "inadequate")
    assert inadequate.reason == "sample of Inadequate case audits (20%)"


def test_lambeth_moderates_every_audit() -> None:
    fw = preset("lambeth")
    audits = [audit(i, GRADES[i % 4]) for i in range(1, 41)]
    selected = select_for_moderation(fw, MARCH, audits)
    assert picked(selected) == {a.id for a in audits}
    assert {s.reason for s in selected} == {"every audit is moderated"}


def test_drifting_auditor_gets_a_higher_share() -> None:
    fw = with_moderation(preset("wandsworth"), drift_boost=0.4)
    drifting, steady = 1, 2
    history = [past(drifting, 50, MARCH.shift(-m), agreed=m % 4 == 0) for m in range(1, 5)]
    history += [past(steady, 50, MARCH.shift(-m)) for m in range(1, 5)]
    audits = [audit(i, "good", auditor=drifting) for i in range(1, 1001)]
    audits += [audit(i, "good", auditor=steady) for i in range(1001, 2001)]

    selected = {s.audit_id: s for s in select_for_moderation(fw, MARCH, audits, history)}
    drift_share = sum(i <= 1000 for i in selected) / 1000
    steady_share = sum(i > 1000 for i in selected) / 1000

    assert 0.16 < steady_share < 0.24  # the plain 20% sample
    assert 0.44 < drift_share < 0.56  # 20% + 0.4 x (3 changed of 4)
    raised = [s for i, s in selected.items() if s.basis == "drift"]
    assert raised and all(i <= 1000 for i in (s.audit_id for s in raised))
    assert raised[0].reason == (
        "sample raised to 50%: this auditor's grades were changed in 3 of the last 4 moderations"
    )
    # The raised sample only adds to the plain one: every plainly sampled audit stays.
    plain = select_for_moderation(fw, MARCH, audits)
    assert picked(plain) <= set(selected)


def test_drift_counts_only_earlier_months_in_the_window() -> None:
    fw = with_moderation(preset("wandsworth"), drift_boost=1.0)
    audits = [audit(i, "good", auditor=1) for i in range(1, 301)]
    plain = picked(select_for_moderation(fw, MARCH, audits))

    this_month = [past(1, 50, MARCH, agreed=False) for _ in range(3)]
    too_old = [past(1, 50, MARCH.shift(-7), agreed=False) for _ in range(3)]
    just_one = [past(1, 50, MARCH.shift(-1), agreed=False)]
    for history in (this_month, too_old, just_one):
        assert picked(select_for_moderation(fw, MARCH, audits, history)) == plain
    in_window = [past(1, 50, MARCH.shift(-6), agreed=False) for _ in range(2)]
    assert picked(select_for_moderation(fw, MARCH, audits, in_window)) == set(range(1, 301))


def test_camden_without_drift_boost_ignores_history() -> None:
    fw = preset("camden")
    audits = [audit(i, "good", auditor=1) for i in range(1, 101)]
    history = [past(1, 50, MARCH.shift(-1), agreed=False) for _ in range(5)]
    assert select_for_moderation(fw, MARCH, audits, history) == select_for_moderation(
        fw, MARCH, audits
    )


def test_sample_fraction_is_stable_and_spread() -> None:
    assert sample_fraction(MARCH, 1) == sample_fraction(Month(2025, 3), 1)
    values = [sample_fraction(MARCH, i) for i in range(1000)]
    assert all(0 <= v < 1 for v in values)
    assert 0.45 < sum(values) / len(values) < 0.55


def test_selection_rejects_bad_input_clearly() -> None:
    fw = preset("camden")
    with pytest.raises(ValueError, match="audit id 3 is given twice"):
        select_for_moderation(fw, MARCH, [audit(3, "good"), audit(3, "good")])
    with pytest.raises(ValueError, match="audit 4 is graded 'great', which is not in"):
        select_for_moderation(fw, MARCH, [audit(4, "great")])


# -- assignment --------------------------------------------------------------------


def test_no_moderator_gets_their_own_audit_or_their_own_teams_case() -> None:
    fw = preset("camden")
    a = audit(1, "inadequate", auditor=11, line_manager=12, team="Team A", team_managers=(13,))
    people = [
        moderator(11, "head_of_service"),  # wrote it
        moderator(12, "head_of_service"),  # the author's line manager
        moderator(13, "head_of_service", team="Team A"),  # manages the case's team
        moderator(14, "qa_manager", team="Team A"),  # in the case's team
        moderator(15, "head_of_qa", team="Quality Assurance"),  # free
    ]
    result = assign(fw, MARCH, select_for_moderation(fw, MARCH, [a]), [a], people)
    assert [(x.audit_id, x.moderator_id, x.is_chair) for x in result.assigned] == [(1, 15, False)]

    result = assign(fw, MARCH, select_for_moderation(fw, MARCH, [a]), [a], people[:4])
    assert result.assigned == ()
    (unassigned,) = result.unassigned
    assert unassigned.audit_id == 1
    assert unassigned.reason == (
        "no moderator is free for this learning conversation: in the case's team (1), "
        "the author's line manager (1), the case's team manager (1), "
        "the learning conversation's author (1)"
    )


def test_only_moderator_roles_moderate() -> None:
    fw = preset("camden")
    a = audit(1, "inadequate")
    people = [moderator(20, "team_manager"), moderator(21, "practitioner")]
    result = assign(fw, MARCH, select_for_moderation(fw, MARCH, [a]), [a], people)
    assert result.assigned == ()
    assert result.unassigned[0].reason.startswith("nobody holds a moderator's role (Head of")


def test_capacity_is_respected() -> None:
    fw = preset("camden")
    audits = [audit(i, "inadequate", auditor=100 + i) for i in range(1, 9)]
    audits += [audit(i, "good", auditor=100 + i) for i in range(9, 400)]
    selected = select_for_moderation(fw, MARCH, audits)
    people = [
        moderator(1, "head_of_service", capacity=4),
        moderator(2, "head_of_service", capacity=2),  # two already assigned this month
        moderator(3, "head_of_qa", capacity=1),
        moderator(4, "qa_manager", capacity=0),
    ]
    result = assign(fw, MARCH, selected, audits, people)

    load = Counter(a.moderator_id for a in result.assigned)
    assert load == {1: 4, 2: 2, 3: 1}
    assert len(result.unassigned) == len(selected) - 7
    # The framework's mandatory grades come first: the first seven Inadequate are assigned.
    assert {a.audit_id for a in result.assigned} == set(range(1, 8))
    assert 8 in {u.audit_id for u in result.unassigned}
    assert all(
        u.reason == "no moderator is free for this learning conversation: "
        "no capacity left this month (4)"
        for u in result.unassigned
    )


def test_assignment_is_balanced_across_moderators() -> None:
    fw = preset("camden")
    audits = [audit(i, "inadequate", auditor=100 + i) for i in range(1, 10)]
    people = [moderator(p, "head_of_service", capacity=4) for p in (1, 2, 3, 4)]
    people.append(
        Moderator(id=5, roles=("head_of_service",), capacity_left=4, assigned_this_month=2)
    )
    result = assign(fw, MARCH, select_for_moderation(fw, MARCH, audits), audits, people)
    load = Counter(a.moderator_id for a in result.assigned)
    month_total = {p: load[p] for p in (1, 2, 3, 4)} | {5: 2 + load[5]}
    assert sorted(month_total.values()) == [2, 2, 2, 2, 3]  # two already count for 5
    assert load.total() == 9


def test_same_moderator_not_reused_for_same_auditor_when_another_is_available() -> None:
    fw = preset("camden")
    a = audit(1, "inadequate", auditor=7)
    people = [moderator(1, "head_of_service"), moderator(2, "head_of_service")]
    selected = select_for_moderation(fw, MARCH, [a])
    # Whoever would get it with no history...
    usual = assign(fw, MARCH, selected, [a], people).assigned[0].moderator_id
    other = 3 - usual
    # ...does not, when they moderated this auditor last month.
    history = [past(7, usual, MARCH.shift(-1))]
    assert assign(fw, MARCH, selected, [a], people, history).assigned[0].moderator_id == other
    # Two months ago does not count.
    older = [past(7, usual, MARCH.shift(-2))]
    assert assign(fw, MARCH, selected, [a], people, older).assigned[0].moderator_id == usual
    # With nobody else free, the same moderator it is.
    busy = [moderator(usual, "head_of_service"), moderator(other, "head_of_service", capacity=0)]
    assert assign(fw, MARCH, selected, [a], busy, history).assigned[0].moderator_id == usual


def test_city_of_london_moderates_every_review_by_panel_with_chair() -> None:
    fw = preset("city-of-london")
    panel = [
        moderator(1, "independent_chair", capacity=15),
        moderator(2, "director", capacity=15),
        moderator(3, "assistant_director", capacity=15),
        moderator(4, "head_of_safeguarding", capacity=15),
        moderator(5, "head_of_service", capacity=15),
        moderator(6, "reviewer", capacity=15),  # not on the panel
    ]
    audits = [
        audit(1, "good", auditor=6),
        audit(2, "inadequate", auditor=4),  # written by a panel member: they sit out
        audit(3, "outstanding", auditor=1),  # written by the chair: no chair
    ]
    selected = select_for_moderation(fw, MARCH, audits)
    assert picked(selected) == {1, 2, 3}
    assert {s.reason for s in selected} == {"every practice and impact review is moderated"}

    result = assign(fw, MARCH, selected, audits, panel)
    rows = by_audit(result.assigned)
    assert [(a.moderator_id, a.is_chair) for a in rows[1]] == [
        (1, True),
        (2, False),
        (3, False),
        (4, False),
        (5, False),
    ]
    assert [a.moderator_id for a in rows[2]] == [1, 2, 3, 5]
    assert 3 not in rows
    (unassigned,) = result.unassigned
    assert unassigned.audit_id == 3
    assert unassigned.reason == (
        "the chair (Independent Chair of the Achieving Excellence Board) is the practice and "
        "impact review's author, so cannot chair its moderation: ask someone else to chair it"
    )


def test_panel_without_a_free_chair_is_not_assigned() -> None:
    fw = preset("city-of-london")
    a = audit(1, "good", auditor=6)
    selected = select_for_moderation(fw, MARCH, [a])
    nobody = assign(fw, MARCH, selected, [a], [moderator(2, "director")])
    assert nobody.unassigned[0].reason.startswith("nobody holds a chair's role (Independent")
    busy = assign(fw, MARCH, selected, [a], [moderator(1, "independent_chair", capacity=0)])
    assert busy.unassigned[0].reason == (
        "no chair is free for this practice and impact review: no capacity left this month (1)"
    )


def test_due_date_counts_working_days_from_submission_or_allocation_day() -> None:
    fw = preset("camden")  # 10 working days; allocation on the 1st working day
    april = Month(2025, 4)
    # Submitted mid-April: ten working days after, skipping Easter (18 and 21 April).
    assert due_date(fw, april, date(2025, 4, 14)) == date(2025, 4, 30)
    # Carried over from March: counted from April's allocation day, 1 April.
    assert due_date(fw, april, date(2025, 3, 20)) == working_days_after(date(2025, 4, 1), 10)
    a = audit(1, "inadequate", submitted_on=date(2025, 4, 14))
    result = assign(
        fw, april, select_for_moderation(fw, april, [a]), [a], [moderator(1, "head_of_qa")]
    )
    assert result.assigned[0].due_on == date(2025, 4, 30)


def test_monthly_capacity_follows_the_moderation_cadences() -> None:
    camden = preset("camden")
    assert monthly_capacity(camden, ["head_of_service"]) == 4
    assert monthly_capacity(camden, ["head_of_qa"]) == 1
    assert monthly_capacity(camden, ["qa_manager", "team_manager"]) == 1
    assert monthly_capacity(preset("lambeth"), ["practice_assurance_lead"]) == 20
    assert monthly_capacity(preset("city-of-london"), ["independent_chair"]) == 15


def test_assignment_rejects_bad_input_clearly() -> None:
    fw = preset("camden")
    a = audit(1, "inadequate")
    with pytest.raises(ValueError, match="selected audit 2 is not among the audits given"):
        assign(fw, MARCH, [Selected(2, "x")], [a], [])
    with pytest.raises(ValueError, match="moderator id 5 is given twice"):
        assign(fw, MARCH, [], [a], [moderator(5, "head_of_qa"), moderator(5, "head_of_qa")])
    with pytest.raises(ValueError, match=r"moderator 5 has negative capacity left \(-1\)"):
        assign(fw, MARCH, [], [a], [moderator(5, "head_of_qa", capacity=-1)])


def test_author_never_moderates_their_own_audit_whatever_the_exclusions() -> None:
    fw = with_moderation(preset("camden"), exclusions=[])
    a = audit(1, "inadequate", auditor=11, line_manager=12, team_managers=(13,), worker=14)
    selected = select_for_moderation(fw, MARCH, [a])
    alone = assign(fw, MARCH, selected, [a], [moderator(11, "head_of_service")])
    assert alone.assigned == ()
    # With no exclusions listed, the case's team manager may moderate.
    managers = assign(fw, MARCH, selected, [a], [moderator(13, "head_of_service", team="Team A")])
    assert managers.assigned[0].moderator_id == 13


def test_case_worker_exclusion_when_the_framework_lists_it() -> None:
    fw = with_moderation(preset("camden"), exclusions=["case_worker"])
    a = audit(1, "inadequate", worker=14)
    selected = select_for_moderation(fw, MARCH, [a])
    result = assign(fw, MARCH, selected, [a], [moderator(14, "head_of_service")])
    assert result.unassigned[0].reason == (
        "no moderator is free for this learning conversation: the case's worker (1)"
    )


# -- Camden: moderation sized by the moderators' slots (QAF 5.2.2) ---------------------


def test_camden_sample_grades_fill_the_moderators_slots():
    """ "All ... 'Outstanding' and 'Inadequate' and a selection of ... 'Good' and
    'Requires Improvement'": the selection fills the slots, however many they are."""
    fw = with_moderation(preset("camden"), fill_slots=True)
    audits = [audit(1, "inadequate"), audit(2, "outstanding")]
    audits += [audit(i, "good", submitted_on=date(2025, 3, i)) for i in range(3, 12)]
    picks = select_for_moderation(fw, MARCH, audits, free_slots=6)
    assert picked(picks) == {1, 2, 3, 4, 5, 6}, "always grades, then the earliest sampled"
    assert [s.basis for s in picks if s.audit_id > 2] == ["sample"] * 4
    assert "to fill this month's moderation slots" in picks[2].reason
    # no slots free: only the grades that are always moderated
    assert picked(select_for_moderation(fw, MARCH, audits, free_slots=0)) == {1, 2}
    # without the key the fixed share decides, as before
    share = with_moderation(fw, fill_slots=False)
    by_share = select_for_moderation(share, MARCH, audits, free_slots=6)
    assert picked(by_share) == picked(select_for_moderation(share, MARCH, audits))
    assert all(s.basis == "always" or "sample of" in s.reason for s in by_share)


def test_camden_moderators_prefer_their_own_service():
    """Heads of Service moderate for "understanding ... the work across their services"."""
    fw = with_moderation(preset("camden"), prefer_own_service=True, fill_slots=False)
    one = audit(1, "inadequate")  # case_service "Children in Need"
    people = [
        Moderator(id=1, roles=("head_of_service",), capacity_left=4, service="Early Help"),
        Moderator(id=2, roles=("head_of_service",), capacity_left=4, service="Children in Need"),
    ]
    sel = (Selected(1, "graded Inadequate", "always"),)
    got = assign(fw, MARCH, sel, [one], people)
    assert [a.moderator_id for a in got.assigned] == [2]
    # the own-service moderator is full: someone else takes it, nothing is left unassigned
    full = [people[0], Moderator(id=2, roles=("head_of_service",), service="Children in Need")]
    assert [a.moderator_id for a in assign(fw, MARCH, sel, [one], full).assigned] == [1]
