"""A checklist answer that requires a recommendation (City of London QAF 2024).

"Evidencing Anti-Racist Practice": "All quality assurance process should be able to
clearly ascertain the ethnic and religious backgrounds of children and their families
and any specific additional needs, where this is not the case the reasons for this are
clearly evidenced on the record or are raised as a recommendation." Answered No, the
review cannot be submitted without a recommendation, and the refusal names the
question.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from qa.dialog import END, Advanced, Dialog, DialogState, Invalid
from qa.forms import build_audit_dialog, result
from qa.framework import FrameworkError, parse_framework, preset
from tests.qa.test_dialog import answer, submit

ITEM = "checklist.identity_recorded.answer"
NO_RECS = {f"rec.{n}.{p}": None for n in (1, 2, 3) for p in ("level", "action", "impact",
                                                             "owner", "due")}  # fmt: skip


def city() -> Dialog:
    return build_audit_dialog(preset("city-of-london"), "cin_cp", case_reference="MOS-1")


def to_step(dialog: Dialog, key: str, identity: str) -> DialogState:
    state = dialog.start_state()
    while state.step != key:
        step = dialog.step(state.step)
        values = answer(step)
        if step.key == "checklist":
            values[ITEM] = identity
        outcome = submit(dialog, state, values)
        assert isinstance(outcome, Advanced), outcome
        state = outcome.state
    return state


def test_city_of_london_ethnicity_not_ascertained_needs_a_recommendation() -> None:
    dialog = city()
    state = to_step(dialog, "recommendations", "No")
    outcome = submit(dialog, state, {**answer(dialog.step("recommendations")), **NO_RECS})
    assert isinstance(outcome, Invalid)
    [(where, said)] = outcome.errors.items()
    assert where == "rec.1.action"
    assert said.startswith("You answered “No” to “The ethnic and religious backgrounds")
    assert "add a recommendation for it here" in said
    # With one, the review moves on and is submitted, the recommendation with it.
    outcome = submit(dialog, state, answer(dialog.step("recommendations")))
    assert isinstance(outcome, Advanced) and outcome.state.step == "review"
    done = submit(dialog, outcome.state, {})
    assert isinstance(done, Advanced) and done.state.step == END
    assert result(done.state, preset("city-of-london")).recommendations


@pytest.mark.parametrize("identity", ["Yes", "Partly", "Not applicable"])
def test_city_of_london_other_answers_need_no_recommendation(identity: str) -> None:
    dialog = city()
    state = to_step(dialog, "recommendations", identity)
    outcome = submit(dialog, state, {**answer(dialog.step("recommendations")), **NO_RECS})
    assert isinstance(outcome, Advanced) and outcome.state.step == "review"


def test_going_on_to_another_page_of_recommendations_is_not_refused() -> None:
    dialog = city()
    state = to_step(dialog, "recommendations", "No")
    values = {**answer(dialog.step("recommendations")), **NO_RECS, "recommendations.more.1": "yes"}
    outcome = submit(dialog, state, values)
    assert isinstance(outcome, Advanced) and outcome.state.step == "recommendations_2"
    # ... but leaving that page blank too is.
    page = dialog.step("recommendations_2")
    blank = {f.key: None for f in page.fields if f.key.startswith("rec.")}
    outcome = submit(dialog, outcome.state, {**answer(page), **blank})
    assert isinstance(outcome, Invalid) and list(outcome.errors) == ["rec.4.action"]


def test_the_review_step_refuses_to_submit_without_one_and_names_the_question() -> None:
    """Whatever the way there, the submission itself is refused."""
    dialog = city()
    state = to_step(dialog, "review", "No")
    # An answer changed behind the dialog's back (a saved draft from before the rule).
    answers = {**state.answers, "recommendations": {}}
    stale = DialogState(state.dialog, state.step, state.trail, answers)
    outcome = submit(dialog, stale, {})
    assert isinstance(outcome, Invalid)
    assert list(outcome.errors) == [ITEM]
    assert "Go back to Recommendations" in outcome.errors[ITEM]


def test_a_framework_without_the_key_needs_no_recommendation() -> None:
    dialog = build_audit_dialog(preset("camden"), preset("camden").area_keys[0])
    assert all(not s.checks for s in dialog.steps.values() if s.key.startswith("recommend"))


def test_needs_recommendation_must_name_a_checklist_option() -> None:
    data: dict[str, Any] = preset("city-of-london").model_dump(mode="json")
    data["audit_form"]["checklist"][-1]["needs_recommendation"] = ["Never"]
    with pytest.raises(FrameworkError) as caught:
        parse_framework(json.dumps(data), filename="city.yml")  # JSON is YAML
    assert "'Never', which is not in checklist_options" in str(caught.value)
