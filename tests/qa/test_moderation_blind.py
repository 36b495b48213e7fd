"""Blind moderation as a variation of the one moderation dialog (issue 15).

The blind step names no grade the auditor gave; the next step shows both side by
side; once passed (and sealed, as the handler does on every save) the blind step
cannot be reached again, so the blind grades are those given before the auditor's
were seen; the result carries them. Without the option the dialog is as it was.
"""

from __future__ import annotations

import json

import pytest

from qa.dialog import Advanced, Dialog, DialogError, DialogState, apply, view
from qa.framework import Framework, preset, preset_names
from qa.moderation_dialog import (
    BLIND_STEP,
    blind_grades,
    build_moderation_dialog,
    moderation_result,
    resume_state,
    seal_blind,
)
from tests.qa.test_dialog import PEOPLE, TODAY, answer, framework, submit

GIVEN = "inadequate"
MINE = "good"


def blind(fw: Framework) -> Framework:
    return fw.model_copy(update={"moderation": fw.moderation.model_copy(update={"blind": True})})


def dialog_for(fw: Framework) -> Dialog:
    grades = {d.key: GIVEN for d in fw.audit_form.domains}
    return build_moderation_dialog(
        fw, domain_grades=grades, overall_grade=GIVEN, case_reference="CASE-9"
    )


def on_screen(dialog: Dialog, state: DialogState) -> str:
    """Everything the step shows but its pickers' options (they list every grade)."""
    sv = view(dialog, state, today=TODAY, known_people=PEOPLE)
    step = dialog.step(state.step)
    parts = [step.title, step.intro, *(f"{f.label} {f.value}" for f in sv.facts)]
    parts += [f"{g.label} {g.help}" for g in step.groups]
    parts += [f"{f.label} {f.help} {f.missing}" for f in step.fields]
    return json.dumps(parts, ensure_ascii=False)


def past_blind(dialog: Dialog, fw: Framework) -> DialogState:
    state = dialog.start_state()
    values = {f.key: MINE for f in dialog.step(BLIND_STEP).fields}
    outcome = submit(dialog, state, values)
    assert isinstance(outcome, Advanced) and outcome.state.step == "grades"
    return seal_blind(outcome.state)


@pytest.mark.parametrize("name", ["small", *preset_names()])
def test_without_the_option_the_dialog_has_no_blind_step(name: str) -> None:
    dialog = dialog_for(framework(name))
    assert dialog.start == "grades" and BLIND_STEP not in dialog.steps


@pytest.mark.parametrize("name", ["small", *preset_names()])
def test_the_blind_step_comes_first_and_names_no_grade_given(name: str) -> None:
    fw = blind(framework(name))
    dialog = dialog_for(fw)
    assert dialog.start == BLIND_STEP
    shown = on_screen(dialog, dialog.start_state())
    label = fw.grade(GIVEN).label
    assert label not in shown and "Given" not in shown
    keys = {f.key for f in dialog.step(BLIND_STEP).fields}
    assert keys == {f"blind.{d.key}" for d in fw.audit_form.domains} | {"blind.overall"}


def test_the_next_step_shows_both_grades_side_by_side() -> None:
    fw = blind(preset("camden"))
    dialog = dialog_for(fw)
    state = past_blind(dialog, fw)
    shown = on_screen(dialog, state)
    assert "Inadequate · you: Good" in shown
    assert shown.count("· you: Good") == len(fw.audit_form.domains) + 1


def test_a_blind_grade_must_be_given_for_every_domain_and_overall() -> None:
    dialog = dialog_for(blind(preset("camden")))
    values = {f.key: MINE for f in dialog.step(BLIND_STEP).fields}
    values.pop("blind.overall")
    outcome = submit(dialog, dialog.start_state(), values)
    assert not isinstance(outcome, Advanced)
    assert "blind.overall" in outcome.errors  # type: ignore[union-attr]


def test_once_past_the_blind_step_it_cannot_be_reopened() -> None:
    fw = blind(preset("camden"))
    dialog = dialog_for(fw)
    state = past_blind(dialog, fw)
    back = apply(dialog, state, "grades", {}, today=TODAY, known_people=PEOPLE, action="back")
    assert back.state.step == "grades", "Back stays on the side-by-side step"
    with pytest.raises(DialogError):
        apply(dialog, state, BLIND_STEP, {"blind.overall": "outstanding"},
              today=TODAY, known_people=PEOPLE)  # fmt: skip
    assert blind_grades(state)["overall"] == MINE


def test_the_result_carries_the_blind_grades_and_the_decision_as_before() -> None:
    fw = blind(preset("camden"))
    dialog = dialog_for(fw)
    state = past_blind(dialog, fw)
    while not state.finished:
        outcome = submit(dialog, state, answer(dialog.steps[state.step]))
        assert isinstance(outcome, Advanced), outcome
        state = seal_blind(outcome.state)
    done = moderation_result(state, fw, overall_grade=GIVEN)
    assert done.outcome == "confirmed" and done.final_grade == GIVEN
    assert done.blind == {**{d.key: MINE for d in fw.audit_form.domains}, "overall": MINE}


def test_without_a_blind_step_sealing_changes_nothing() -> None:
    dialog = dialog_for(preset("camden"))
    state = dialog.start_state()
    assert seal_blind(state) is state and blind_grades(state) == {}


def test_a_moderation_saved_at_the_blind_step_resumes_when_the_option_is_switched_off() -> None:
    fw = blind(preset("camden"))
    saved = dialog_for(fw).start_state().with_answers(BLIND_STEP, {"blind.overall": MINE})
    plain = dialog_for(preset("camden"))
    resumed = resume_state(plain, saved)
    assert resumed.step == "grades" and blind_grades(resumed) == {"overall": MINE}
    assert resume_state(dialog_for(fw), saved) is saved
