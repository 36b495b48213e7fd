"""The moderation dialog: agree or regrade, confirm, regrade or return, actions arising."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.dialog import (
    Advanced,
    Dialog,
    DialogError,
    DialogState,
    Invalid,
    NeedsConfirmation,
    apply,
    view,
)
from qa.framework import Framework, preset, preset_names
from qa.moderation_dialog import build_moderation_dialog, is_downgrade, moderation_result
from tests.qa.test_dialog import PEOPLE, TODAY, answer, framework, submit, walk

GOOD = "good"


def dialog_for(fw: Framework, overall: str = GOOD) -> Dialog:
    grades = {d.key: GOOD for d in fw.audit_form.domains}
    return build_moderation_dialog(fw, domain_grades=grades, overall_grade=overall,
                                   case_reference="CASE-9")  # fmt: skip


def regrade(to: str, **actions: Any) -> dict[str, dict[str, Any]]:
    """Per-step answers that disagree with the overall grade and regrade it to `to`."""
    return {
        "overall": {"mod.overall.agree": "no", "mod.overall.grade": to,
                    "mod.overall.why": "The plan has drifted"},
        "outcome": {"mod.outcome": "regraded"},
        "actions": {k.replace("__", "."): v for k, v in actions.items()},
    }  # fmt: skip


NO_ACTIONS = {f"act.1.{p}": None for p in ("action", "owner", "due")} | {
    f"act.{n}.{p}": None for n in (2, 3) for p in ("action", "owner", "due")
}


@pytest.mark.parametrize("name", ["small", *preset_names()])
def test_every_framework_can_confirm_a_grade_to_the_end(name: str) -> None:
    fw = framework(name)
    dialog = dialog_for(fw)
    state = walk(dialog)
    assert state.trail[0] == "grades" and state.trail[-1] == "review"
    done = moderation_result(state, fw, overall_grade=GOOD)
    assert (done.outcome, done.final_grade, done.moderated_grade) == ("confirmed", GOOD, None)
    assert set(done.domains) == {d.key for d in fw.audit_form.domains}
    assert all(d.agrees for d in done.domains.values())
    assert len(done.actions) == 3 and done.actions[0].due_on == date(2026, 12, 14)


def test_a_regrade_takes_the_moderators_overall_grade() -> None:
    fw = preset("camden")
    state = walk(dialog_for(fw), **regrade("outstanding"))
    done = moderation_result(state, fw, overall_grade=GOOD)
    assert (done.outcome, done.final_grade, done.moderated_grade) == (
        "regraded",
        "outstanding",
        "outstanding",
    )
    assert not done.overall_agrees


def test_a_returned_audit_needs_a_reason_and_has_no_final_grade() -> None:
    fw = preset("camden")
    dialog = dialog_for(fw)
    state = walk_to(dialog, "outcome")
    outcome = submit(dialog, state, {"mod.outcome": "returned"})
    assert isinstance(outcome, Invalid)
    assert outcome.errors == {
        "mod.outcome.reason": "Say why the learning conversation is being returned, so its "
        "author knows what to redo"
    }
    state = walk(dialog, state, outcome={"mod.outcome": "returned",
                                         "mod.outcome.reason": "Evidence is missing"})  # fmt: skip
    done = moderation_result(state, fw, overall_grade=GOOD)
    assert (done.outcome, done.final_grade, done.reason) == (
        "returned",
        None,
        "Evidence is missing",
    )


def walk_to(dialog: Dialog, key: str, **by_step: dict[str, Any]) -> DialogState:
    state = dialog.start_state()
    while state.step != key:
        outcome = submit(dialog, state, {**answer(dialog.steps[state.step]),
                                         **by_step.get(state.step, {})})  # fmt: skip
        assert isinstance(outcome, Advanced), outcome
        state = outcome.state
    return state


@pytest.mark.parametrize("grade", ["requires_improvement", "inadequate"])
def test_in_lambeth_a_downgrade_to_ri_or_inadequate_needs_an_action(grade: str) -> None:
    fw = preset("lambeth")
    assert fw.moderation.downgrade_requires_actions
    dialog = dialog_for(fw)
    state = walk_to(dialog, "actions", **regrade(grade))
    outcome = submit(dialog, state, NO_ACTIONS)
    assert isinstance(outcome, Invalid)
    label = fw.grade(grade).label
    assert outcome.errors == {
        "act.1.action": f"A regrade to {label} needs at least one action: add it here"
    }
    state = walk(dialog, state)  # with actions filled in
    done = moderation_result(state, fw, overall_grade=GOOD)
    assert done.final_grade == grade and done.actions


def test_an_upgrade_needs_no_action_even_in_lambeth() -> None:
    fw = preset("lambeth")
    state = walk(dialog_for(fw, overall="inadequate"), **regrade("good", **NO_ACTIONS))
    done = moderation_result(state, fw, overall_grade="inadequate")
    assert done.final_grade == "good" and done.actions == ()


def test_where_the_framework_does_not_ask_a_downgrade_needs_no_action() -> None:
    fw = preset("camden")
    assert not fw.moderation.downgrade_requires_actions
    state = walk(dialog_for(fw), **regrade("inadequate", **NO_ACTIONS))
    assert moderation_result(state, fw, overall_grade=GOOD).final_grade == "inadequate"


def test_regrading_while_agreeing_with_the_grade_is_refused() -> None:
    dialog = dialog_for(preset("camden"))
    state = walk_to(dialog, "outcome")
    outcome = submit(dialog, state, {"mod.outcome": "regraded"})
    assert isinstance(outcome, Invalid)
    assert list(outcome.errors) == ["mod.outcome"]
    assert outcome.errors["mod.outcome"].startswith("You agreed with the overall grade")


def test_confirming_while_giving_another_grade_is_refused() -> None:
    dialog = dialog_for(preset("camden"))
    state = walk_to(dialog, "outcome", overall=regrade("inadequate")["overall"])
    outcome = submit(dialog, state, {"mod.outcome": "confirmed"})
    assert isinstance(outcome, Invalid)
    assert outcome.errors["mod.outcome"].startswith("You gave a different overall grade")


def test_disagreeing_with_a_domain_grade_needs_the_grade_and_why() -> None:
    fw = preset("city-of-london")
    dialog = dialog_for(fw)
    values = answer(dialog.steps["grades"], mod__identity__agree="no")
    values.update({"mod.identity.grade": None, "mod.identity.why": ""})
    outcome = submit(dialog, dialog.start_state(), values)
    assert isinstance(outcome, Invalid)
    assert outcome.errors == {
        "mod.identity.grade": "Choose the grade you would give for Understanding of Identity "
        "and impact on practice",
        "mod.identity.why": "Say why you would grade it differently",
    }
    values.update({"mod.identity.grade": GOOD, "mod.identity.why": "Thin evidence"})
    same = submit(dialog, dialog.start_state(), values)
    assert isinstance(same, Invalid)
    assert list(same.errors) == ["mod.identity.grade"]
    values["mod.identity.grade"] = "requires_improvement"
    state = walk(dialog, dialog.start_state(), grades=values)
    done = moderation_result(state, fw, overall_grade=GOOD)
    assert done.domains["identity"].grade == "requires_improvement"
    assert not done.domains["identity"].agrees


def test_the_overall_step_shows_the_grades_given_and_the_moderators() -> None:
    fw = preset("lambeth")  # Wandsworth's framework names no domains (issue 13)
    dialog = dialog_for(fw)
    grades = answer(dialog.steps["grades"], mod__planning__agree="no",
                    mod__planning__grade="inadequate")  # fmt: skip
    state = walk_to(dialog, "overall", grades=grades)
    facts = {f.label: f.value for f in view(dialog, state, today=TODAY, known_people=PEOPLE).facts}
    assert facts["Overall grade given"] == "Good"
    assert facts["Quality of planning"] == "Good (you: Inadequate)"
    assert facts["Quality of assessment"] == "Good"


def test_outcomes_offered_are_the_frameworks() -> None:
    fw = preset("camden")
    limited = fw.model_copy(update={"moderation": fw.moderation.model_copy(
        update={"outcomes": ["confirm", "regrade"]})})  # fmt: skip
    outcome = dialog_for(limited).steps["outcome"].fields[0]
    assert [o.value for o in outcome.options] == ["confirmed", "regraded"]


def test_only_the_domains_the_audit_graded_are_moderated() -> None:
    fw = preset("lambeth")
    dialog = build_moderation_dialog(fw, domain_grades={"assessment": "good"}, overall_grade="good")
    assert [g.key for g in dialog.steps["grades"].groups] == ["mod.assessment"]


def test_an_unknown_grade_is_refused() -> None:
    with pytest.raises(DialogError, match="grade 'excellent' is not in the framework"):
        build_moderation_dialog(preset("camden"), domain_grades={}, overall_grade="excellent")


def test_downgrade_follows_the_scale_best_first() -> None:
    fw = preset("camden")
    assert is_downgrade(fw, "good", "inadequate")
    assert not is_downgrade(fw, "inadequate", "good")
    assert not is_downgrade(fw, "good", "good")


def test_a_moderation_state_round_trips_through_json() -> None:
    dialog = dialog_for(preset("lambeth"))
    state = walk_to(dialog, "outcome")
    restored = DialogState.from_json(json.loads(json.dumps(state.to_json())))
    assert restored == state and restored.dialog == "moderation"


def test_an_audit_state_cannot_drive_the_moderation_dialog() -> None:
    dialog = dialog_for(preset("lambeth"))
    with pytest.raises(DialogError, match="belongs to the audit dialog, not the moderation"):
        submit(dialog, DialogState(dialog="audit", step="grades"), {})


def test_every_moderation_step_fits_a_slack_modal() -> None:
    for name in preset_names():
        dialog = dialog_for(preset(name))
        for step in dialog.steps.values():
            assert len(step.fields) <= 40 and len(step.title) <= 24
            assert 2 * len(step.groups) + len(step.fields) + 10 <= 100


_MODERATION = dialog_for(preset("lambeth"))
_raw = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.integers(),
    st.sampled_from(["yes", "no", "good", "inadequate", "regraded", "confirmed", "returned"]),
    st.sampled_from(["2", "2026-12-14", "2026-12-25"]),
)


@settings(max_examples=150)
@given(step=st.sampled_from(sorted(_MODERATION.steps)), data=st.data())
def test_random_moderation_answers_never_crash(step: str, data: st.DataObject) -> None:
    keys = [f.key for f in _MODERATION.steps[step].fields]
    chosen = data.draw(st.lists(st.sampled_from(keys), unique=True) if keys else st.just([]))
    values = {k: data.draw(_raw) for k in chosen}
    earlier = data.draw(st.sampled_from(["yes", "no"]))
    state = DialogState(
        dialog="moderation",
        step=step,
        trail=("overall", "outcome"),
        answers={"overall": {"mod.overall.agree": earlier, "mod.overall.grade": "inadequate"},
                 "outcome": {"mod.outcome": "regraded"}},
    )  # fmt: skip
    if step in state.trail:
        state = DialogState(dialog="moderation", step=step)
    outcome = apply(_MODERATION, state, step, values, today=TODAY, known_people=PEOPLE)
    if isinstance(outcome, Invalid):
        assert outcome.errors and set(outcome.errors) <= set(keys)
    else:
        assert isinstance(outcome, Advanced | NeedsConfirmation)
