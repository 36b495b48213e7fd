"""Moderation questions set by the framework (City of London QAF 2024, Appendix 2).

City of London's moderation template asks, besides each section's grade: question 15
("Were appropriate attempts made to elicit feedback ...?"), questions 17 and 18 (child
and service recommendations, each "Do you agree with the recommendations made?") and
the "Date of Moderation Panel". A framework declares them in `moderation.questions`;
one that declares none gets the dialog exactly as before.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from qa.dialog import Advanced, Dialog, Invalid, apply
from qa.framework import Framework, FrameworkError, parse_framework, preset, preset_names
from qa.moderation_dialog import build_moderation_dialog, moderation_result
from tests.qa.test_dialog import PEOPLE, TODAY, answer, submit, walk

GOOD = "good"
Q15 = (
    "Were appropriate attempts made to elicit feedback and to discuss the child, young "
    "person or family with the worker and manager?"
)
AGREE = "Do you agree with the recommendations made?"


def dialog_for(fw: Framework) -> Dialog:
    grades = {d.key: GOOD for d in fw.audit_form.domains}
    return build_moderation_dialog(fw, domain_grades=grades, overall_grade=GOOD)


def keys(dialog: Dialog, step: str) -> list[str]:
    return [f.key for f in dialog.step(step).fields]


def test_city_of_london_moderation_question_15_is_asked_after_the_section_grades() -> None:
    dialog = dialog_for(preset("city-of-london"))
    grades = dialog.step("grades")
    [q15] = [f for f in grades.fields if f.key == "mod.q.feedback_attempts"]
    assert q15.label == Q15 and [o.value for o in q15.options] == ["Yes", "No"]
    assert keys(dialog, "grades")[-2:] == ["mod.q.feedback_attempts",
                                           "mod.q.feedback_attempts.comments"]  # fmt: skip
    assert grades.groups[-1].label == "15. Feedback"
    comments = grades.fields[-1]
    assert comments.label == "Comments:" and not comments.required


def test_city_of_london_moderation_question_15_must_be_answered() -> None:
    dialog = dialog_for(preset("city-of-london"))
    state = dialog.start_state()
    values = answer(dialog.step("grades"))
    del values["mod.q.feedback_attempts"]
    outcome = submit(dialog, state, values)
    assert isinstance(outcome, Invalid)
    assert outcome.errors == {"mod.q.feedback_attempts": f"Choose an answer for {Q15}"}


def test_city_of_london_child_and_service_recommendations_are_two_questions() -> None:
    dialog = dialog_for(preset("city-of-london"))
    step = dialog.step("recommendations")
    assert [g.label for g in step.groups] == [
        "17. Child Specific Recommendations",
        "18. Service Specific Recommendations",
    ]
    assert [f.label for f in step.fields] == [AGREE, "Comments:", AGREE, "Comments:"]
    assert "mod.recommendations.agree" not in keys(dialog, "recommendations")


def test_city_of_london_the_panel_date_is_a_date_with_the_overall_grade() -> None:
    dialog = dialog_for(preset("city-of-london"))
    [date_field] = [f for f in dialog.step("overall").fields if f.key == "mod.q.panel_date"]
    assert (date_field.label, date_field.kind, date_field.required) == (
        "Date of Moderation Panel",
        "date",
        True,
    )


def test_city_of_london_the_answers_are_kept_with_the_moderation() -> None:
    fw = preset("city-of-london")
    dialog = dialog_for(fw)
    state = walk(
        dialog,
        grades={"mod.q.feedback_attempts": "No",
                "mod.q.feedback_attempts.comments": "The family were not asked."},
        overall={"mod.q.panel_date": "2026-11-26"},
        recommendations={"mod.q.child_recommendations": "Yes",
                         "mod.q.child_recommendations.comments": None,
                         "mod.q.service_recommendations": "No",
                         "mod.q.service_recommendations.comments": "Too general."},
    )  # fmt: skip
    done = moderation_result(state, fw, overall_grade=GOOD)
    got = {k: (v.answer, v.comments) for k, v in done.questions.items()}
    assert got == {
        "feedback_attempts": ("No", "The family were not asked."),
        "panel_date": ("2026-11-26", ""),
        "child_recommendations": ("Yes", ""),
        "service_recommendations": ("No", "Too general."),
    }


@pytest.mark.parametrize("name", [n for n in preset_names() if n != "city-of-london"])
def test_a_framework_that_declares_no_questions_keeps_todays_dialog(name: str) -> None:
    fw = preset(name)
    assert fw.moderation.questions == []
    dialog = dialog_for(fw)
    assert keys(dialog, "recommendations") == [
        "mod.recommendations.agree",
        "mod.recommendations.comments",
    ]
    assert keys(dialog, "overall") == ["mod.overall.agree", "mod.overall.grade", "mod.overall.why"]
    assert keys(dialog, "outcome") == ["mod.outcome", "mod.outcome.reason"]
    assert not any(k.startswith("mod.q.") for s in dialog.steps for k in keys(dialog, s))
    assert moderation_result(walk(dialog), fw, overall_grade=GOOD).questions == {}


def with_questions(questions: list[dict[str, Any]]) -> Framework:
    """Camden, with `questions` added to its moderation."""
    data = preset("camden").model_dump(mode="json")
    data["moderation"]["questions"] = questions
    return parse_framework(json.dumps(data), filename="test.yml")  # JSON is YAML


def test_a_comments_box_can_be_required_after_an_answer() -> None:
    fw = with_questions(
        [{"key": "feedback", "label": "Feedback sought?", "step": "outcome",
          "comments": "Why not?", "comments_required_for": ["No"]}]
    )  # fmt: skip
    dialog = dialog_for(fw)
    state = dialog.start_state()
    while state.step != "outcome":
        outcome = submit(dialog, state, answer(dialog.step(state.step)))
        assert isinstance(outcome, Advanced)
        state = outcome.state
    values = {"mod.outcome": "confirmed", "mod.q.feedback": "No"}
    outcome = apply(dialog, state, "outcome", values, today=TODAY, known_people=PEOPLE)
    assert isinstance(outcome, Invalid)
    assert outcome.errors == {"mod.q.feedback.comments": "Add your comments on “Feedback sought?”"}
    values["mod.q.feedback.comments"] = "The family moved away."
    outcome = apply(dialog, state, "outcome", values, today=TODAY, known_people=PEOPLE)
    assert isinstance(outcome, Advanced)


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ({"kind": "date", "options": ["Yes"]}, "a date question has no options"),
        ({"comments": "Why?", "comments_required_for": ["Maybe"]}, "'Maybe', which is not one"),
        ({"comments_required_for": ["No"]}, "needs a `comments` label"),
        ({"kind": "choice"}, "a choice question needs `options` (or use `kind: yes_no`)"),
        ({"kind": "grade"}, "kind"),
        ({"step": "actions"}, "step"),
    ],
)
def test_a_question_the_dialog_cannot_ask_is_refused_with_its_line(
    question: dict[str, Any], said: str
) -> None:
    with pytest.raises(FrameworkError) as caught:
        with_questions([{"key": "q", "label": "A question?", **question}])
    assert said in str(caught.value)


def test_two_questions_with_one_key_are_refused() -> None:
    with pytest.raises(FrameworkError) as caught:
        with_questions([{"key": "q", "label": "One?"}, {"key": "q", "label": "Two?"}])
    assert "two moderation questions have the key 'q'" in str(caught.value)
