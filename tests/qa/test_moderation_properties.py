"""Invariants of moderation selection and assignment over generated audits and moderators.

Each property is checked against facts worked out here from the inputs (who wrote the
audit, who manages the case's team, capacity), not read back from the module.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.framework import Framework, preset
from qa.moderation import (
    Moderator,
    PastModeration,
    SubmittedAudit,
    assign,
    select_for_moderation,
)
from qa.working_days import Month

PROPERTY = settings(
    max_examples=int(os.environ.get("QA_BOT_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PEOPLE = st.integers(1, 16)
TEAMS = st.sampled_from(["Team A", "Team B", "Team C", None])
MONTH = Month(2025, 3)


def _variant(name: str, changes: dict[str, object]) -> Framework:
    fw = preset(name)
    return fw.model_copy(update={"moderation": fw.moderation.model_copy(update=changes)})


@st.composite
def frameworks(draw: st.DrawFn) -> Framework:
    name = draw(st.sampled_from(["camden", "lambeth", "wandsworth", "city-of-london"]))
    changes: dict[str, object] = {}
    if draw(st.booleans()):
        changes["drift_boost"] = draw(st.sampled_from([0.0, 0.3, 1.0]))
    if draw(st.booleans()):
        options = ["author", "case_team_manager", "author_line_manager", "case_worker"]
        changes["exclusions"] = draw(st.lists(st.sampled_from(options), unique=True))
    return _variant(name, changes)


@st.composite
def audits(draw: st.DrawFn, fw: Framework) -> list[SubmittedAudit]:
    ids = draw(st.lists(st.integers(1, 200), unique=True, max_size=25))
    return [
        SubmittedAudit(
            id=i,
            case_id=1000 + i,
            case_team=draw(TEAMS),
            case_service=draw(st.sampled_from(["Children in Need", "Looked After"])),
            case_team_manager_ids=tuple(draw(st.lists(PEOPLE, max_size=2, unique=True))),
            worker_id=draw(st.none() | PEOPLE),
            auditor_id=draw(PEOPLE),
            auditor_line_manager_id=draw(st.none() | PEOPLE),
            overall_grade=draw(st.sampled_from(fw.grade_keys)),
            domain_grades={},
            submitted_on=date(2025, 2, 20) + timedelta(days=draw(st.integers(0, 30))),
        )
        for i in ids
    ]


@st.composite
def moderators(draw: st.DrawFn, fw: Framework) -> list[Moderator]:
    policy = fw.moderation
    roles = [*policy.moderator_roles, *policy.panel_roles]
    roles += [policy.chair_role] if policy.chair_role else []
    roles += [r for r in fw.role_keys if r not in roles][:2]  # some who may not moderate
    ids = draw(st.lists(PEOPLE, unique=True, max_size=10))
    return [
        Moderator(
            id=i,
            roles=tuple(draw(st.lists(st.sampled_from(roles), min_size=1, max_size=2))),
            team=draw(TEAMS),
            capacity_left=draw(st.integers(0, 4)),
            assigned_this_month=draw(st.integers(0, 3)),
        )
        for i in ids
    ]


@st.composite
def histories(draw: st.DrawFn) -> list[PastModeration]:
    n = draw(st.integers(0, 20))
    return [
        PastModeration(
            audit_id=500 + k,
            auditor_id=draw(PEOPLE),
            moderator_id=draw(PEOPLE),
            month=MONTH.shift(-draw(st.integers(0, 8))),
            agreed_overall=(agreed := draw(st.booleans())),
            original_grade="good",
            final_grade="good" if agreed else "inadequate",
            deciding=draw(st.booleans()),
        )
        for k in range(n)
    ]


@dataclass(frozen=True)
class Case:
    fw: Framework
    audits: list[SubmittedAudit]
    moderators: list[Moderator]
    history: list[PastModeration]
    rng: random.Random


@st.composite
def cases(draw: st.DrawFn) -> Case:
    fw = draw(frameworks())
    return Case(
        fw,
        draw(audits(fw)),
        draw(moderators(fw)),
        draw(histories()),
        draw(st.randoms(use_true_random=False)),
    )


T = TypeVar("T")


def shuffled(rng: random.Random, items: list[T]) -> list[T]:
    out = items[:]
    rng.shuffle(out)
    return out


def excluded(fw: Framework, a: SubmittedAudit, m: Moderator) -> bool:
    rules = fw.moderation.exclusions
    return (
        m.id == a.auditor_id  # never, whatever the exclusions say
        or ("case_team_manager" in rules and m.id in a.case_team_manager_ids)
        or ("case_team_manager" in rules and a.case_team is not None and m.team == a.case_team)
        or ("author_line_manager" in rules and m.id == a.auditor_line_manager_id)
        or ("case_worker" in rules and m.id == a.worker_id)
    )


def may_sit(fw: Framework, m: Moderator) -> bool:
    p = fw.moderation
    roles = {*p.panel_roles, p.chair_role} if p.panel else set(p.moderator_roles)
    return bool(roles & set(m.roles))


# -- selection ---------------------------------------------------------------------


@PROPERTY
@given(cases())
def test_selection_follows_the_grades_and_ignores_order(case: Case) -> None:
    fw, policy = case.fw, case.fw.moderation
    selected = select_for_moderation(fw, MONTH, case.audits, case.history)
    ids = {s.audit_id for s in selected}
    grade = {a.id: a.overall_grade for a in case.audits}

    assert {a.id for a in case.audits if a.overall_grade in policy.always_grades} <= ids
    assert all(grade[i] in {*policy.always_grades, *policy.sample_grades} for i in ids)
    assert all(s.reason for s in selected)
    again = select_for_moderation(
        fw, MONTH, shuffled(case.rng, case.audits), shuffled(case.rng, case.history)
    )
    assert again == selected


@PROPERTY
@given(cases(), st.data())
def test_selection_of_an_audit_does_not_depend_on_the_others(
    case: Case, data: st.DataObject
) -> None:
    fw = case.fw
    keep = data.draw(st.lists(st.booleans(), min_size=len(case.audits), max_size=len(case.audits)))
    some = [a for a, k in zip(case.audits, keep, strict=True) if k]
    whole = select_for_moderation(fw, MONTH, case.audits, case.history)
    part = select_for_moderation(fw, MONTH, some, case.history)
    kept = {a.id for a in some}
    assert part == tuple(s for s in whole if s.audit_id in kept)


# -- assignment --------------------------------------------------------------------


@PROPERTY
@given(cases())
def test_assignment_respects_exclusions_roles_and_capacity(case: Case) -> None:
    fw = case.fw
    selected = select_for_moderation(fw, MONTH, case.audits, case.history)
    result = assign(fw, MONTH, selected, case.audits, case.moderators, case.history)
    audit = {a.id: a for a in case.audits}
    person = {m.id: m for m in case.moderators}

    for row in result.assigned:
        m = person[row.moderator_id]
        assert not excluded(fw, audit[row.audit_id], m)
        assert may_sit(fw, m)
    load = Counter(row.moderator_id for row in result.assigned)
    assert all(n <= person[pid].capacity_left for pid, n in load.items())

    # Every selected audit is either assigned or reported, never both, never twice.
    assigned_ids = {row.audit_id for row in result.assigned}
    reported = [u.audit_id for u in result.unassigned]
    assert len(reported) == len(set(reported))
    assert assigned_ids.isdisjoint(reported)
    assert assigned_ids | set(reported) == {s.audit_id for s in selected}
    assert all(u.reason for u in result.unassigned)
    rows = Counter((row.audit_id, row.moderator_id) for row in result.assigned)
    assert set(rows.values()) <= {1}
    chairs = Counter(row.audit_id for row in result.assigned if row.is_chair)
    if fw.moderation.panel:
        assert all(chairs[i] == 1 for i in assigned_ids)
    else:
        assert not chairs
        assert Counter(row.audit_id for row in result.assigned) == dict.fromkeys(assigned_ids, 1)


@PROPERTY
@given(cases())
def test_an_audit_is_unassigned_only_when_no_one_could_take_it(case: Case) -> None:
    fw = case.fw
    if fw.moderation.panel:
        return
    selected = select_for_moderation(fw, MONTH, case.audits, case.history)
    result = assign(fw, MONTH, selected, case.audits, case.moderators, case.history)
    audit = {a.id: a for a in case.audits}
    load = Counter(row.moderator_id for row in result.assigned)
    for u in result.unassigned:
        for m in case.moderators:
            if may_sit(fw, m) and not excluded(fw, audit[u.audit_id], m):
                assert load[m.id] == m.capacity_left  # they were full


@PROPERTY
@given(cases())
def test_assignment_does_not_depend_on_input_order(case: Case) -> None:
    fw, rng = case.fw, case.rng
    selected = select_for_moderation(fw, MONTH, case.audits, case.history)
    first = assign(fw, MONTH, selected, case.audits, case.moderators, case.history)
    again = assign(
        fw,
        MONTH,
        shuffled(rng, list(selected)),
        shuffled(rng, case.audits),
        shuffled(rng, case.moderators),
        shuffled(rng, case.history),
    )
    assert again == first
