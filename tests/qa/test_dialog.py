"""The guided audit dialog: a state table built from each framework's audit form."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.dialog import (
    END,
    Advanced,
    Dialog,
    DialogClosed,
    DialogError,
    DialogState,
    Invalid,
    NeedsConfirmation,
    Outcome,
    Step,
    apply,
    goto,
    raise_flag,
    view,
)
from qa.forms import MAX_INPUTS, build_audit_dialog, result
from qa.framework import Framework, load_framework, parse_framework, preset, preset_names

SMALL = Path(__file__).parents[1] / "data" / "framework-small.yml"
TODAY = date(2026, 12, 1)  # a Tuesday
PEOPLE = {1: "Sam Auditor", 2: "Alex Manager"}
FRAMEWORKS = ["small", *preset_names()]


def framework(name: str) -> Framework:
    return load_framework(str(SMALL)) if name == "small" else preset(name)


def answer(step: Step, **overrides: Any) -> dict[str, Any]:
    """Valid answers for every field of a step; `more` pages are declined."""
    values: dict[str, Any] = {}
    for f in step.fields:
        if ".more." in f.key:
            values[f.key] = "no"
        elif f.kind == "text":
            values[f.key] = f"A short note about {f.label.lower()[:40]}"
        elif f.kind in ("choice", "grade"):
            values[f.key] = f.options[0].value
        elif f.kind == "multi":
            values[f.key] = [f.options[0].value]
        elif f.kind == "person":
            values[f.key] = "2"
        elif f.dates == "future_working_day":
            values[f.key] = "2026-12-14"
        else:
            values[f.key] = "2026-11-20"
    values.update({k.replace("__", "."): v for k, v in overrides.items()})
    return values


def submit(dialog: Dialog, state: DialogState, values: Mapping[str, Any], **kw: Any) -> Outcome:
    return apply(dialog, state, state.step, values, today=TODAY, known_people=PEOPLE, **kw)


def walk(
    dialog: Dialog, state: DialogState | None = None, /, **by_step: dict[str, Any]
) -> DialogState:
    """Answer every step validly (with per-step overrides) until END."""
    state = state or dialog.start_state()
    while not state.finished:
        step = dialog.steps[state.step]
        outcome = submit(dialog, state, {**answer(step), **by_step.get(step.key, {})})
        assert isinstance(outcome, Advanced), (step.key, outcome)
        state = outcome.state
    return state


def advance_to(dialog: Dialog, key: str) -> DialogState:
    state = dialog.start_state()
    while state.step != key:
        outcome = submit(dialog, state, answer(dialog.steps[state.step]))
        assert isinstance(outcome, Advanced), outcome
        state = outcome.state
    return state


# -- the whole walk, every framework ------------------------------------------------


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_every_area_of_every_framework_can_be_audited_to_the_end(name: str) -> None:
    fw = framework(name)
    for area in fw.area_keys:
        dialog = build_audit_dialog(fw, area, case_reference="CASE-1", team="Team A")
        state = walk(dialog)
        assert state.step == END
        done = result(state, fw)
        assert list(done.domain_grades) == [d.key for d in fw.domains_for(area)]
        assert done.overall_grade == fw.grade_keys[0]
        # each area's own audit tool (Lambeth QAF 4: "a bespoke audit tool")
        assert set(done.checklist) == {i.key for i in fw.checklist_for(area)}
        assert set(done.narrative) == {p.key for p in fw.narrative_for(area)}
        assert set(done.feedback) == {p.key for p in fw.feedback_for(area)}
        assert len(done.recommendations) == 3
        rec = done.recommendations[0]
        assert (rec.owner_id, rec.due_on) == (2, date(2026, 12, 14))
        assert rec.level == fw.audit_form.recommendation_levels[0]


def test_the_steps_follow_the_issue_in_order() -> None:
    dialog = build_audit_dialog(preset("city-of-london"), "cin_cp")
    state = walk(dialog)
    assert state.trail == (
        "context", "checklist", "domains", "feedback", "narrative", "overall",
        "recommendations", "review",
    )  # fmt: skip
    assert [m.action for m in state.history] == ["next"] * 8


def test_lambeth_early_help_grades_referrals_and_other_areas_do_not() -> None:
    lambeth = preset("lambeth")
    early = build_audit_dialog(lambeth, "early_help").steps["domains"]
    cin = build_audit_dialog(lambeth, "cin_cp").steps["domains"]
    key = "domain.referrals_decision_making.grade"
    assert key in {f.key for f in early.fields}
    assert key not in {f.key for f in cin.fields}
    assert len(early.fields) == 14


def test_the_context_step_shows_the_case_and_the_review_period() -> None:
    fw = preset("city-of-london")
    dialog = build_audit_dialog(fw, "cin_cp", case_reference="MOS-123", team="Children's Team")
    shown = view(dialog, dialog.start_state(), today=TODAY, known_people=PEOPLE)
    facts = {f.label: f.value for f in shown.facts}
    assert facts["Case"] == "MOS-123"
    assert facts["Team"] == "Children's Team"
    assert facts["Review period"] == "1 June 2026 to 1 December 2026"
    assert "Journey of the Child" in facts["What to look at"]
    assert shown.fields == () and shown.submit_label == "Start" and not shown.can_go_back
    assert {o.value for o in shown.flags} == {"racism_discrimination", "safeguarding"}


def test_grades_carry_their_descriptors_as_help() -> None:
    fw = preset("lambeth")
    step = build_audit_dialog(fw, "cin_cp").steps["domains"]
    grade = next(f for f in step.fields if f.key == "domain.planning.grade")
    assert [o.help for o in grade.options] == [g.descriptor for g in fw.grades]
    assert step.groups[0].help  # the domain's own help text heads its group


def test_the_overall_step_shows_the_domain_grades_beside_it() -> None:
    dialog = build_audit_dialog(load_framework(str(SMALL)), "cin_cp")
    state = advance_to(dialog, "overall")
    shown = view(dialog, state, today=TODAY, known_people=PEOPLE)
    assert [(f.label, f.value) for f in shown.facts] == [
        ("Assessment", "Outstanding"),
        ("Planning", "Outstanding"),
    ]


# -- validation through the dialog --------------------------------------------------


def test_missing_answers_get_errors_for_exactly_the_missing_required_fields() -> None:
    dialog = build_audit_dialog(load_framework(str(SMALL)), "cin_cp")
    state = advance_to(dialog, "domains")
    outcome = submit(dialog, state, {"domain.assessment.grade": "good"})
    assert isinstance(outcome, Invalid)
    assert outcome.errors == {
        "domain.assessment.evidence": "Add a short evidence note for Assessment",
        "domain.planning.grade": "Choose a grade for Planning",
        "domain.planning.evidence": "Add a short evidence note for Planning",
    }
    # what was typed is kept, on the same step
    assert outcome.state.step == "domains"
    assert outcome.state.answers["domains"] == {"domain.assessment.grade": "good"}


@pytest.mark.parametrize("name", preset_names())
def test_each_step_asks_for_exactly_its_required_fields(name: str) -> None:
    fw = preset(name)
    dialog = build_audit_dialog(fw, fw.area_keys[0])
    for key, step in dialog.steps.items():
        if key not in ("context", "review"):
            state = DialogState(dialog="audit", step=key)
            outcome = submit(dialog, state, {})
            required = {f.key for f in step.fields if f.required and not f.group}
            required |= {f.key for f in step.fields if f.required and f.required_if is None
                         and f.group and f.group not in step.optional_groups}  # fmt: skip
            if required:
                assert isinstance(outcome, Invalid)
                assert set(outcome.errors) == required
            else:
                assert isinstance(outcome, Advanced)


@pytest.mark.parametrize(
    ("due", "message"),
    [
        ("2026-11-20", "Pick a due date after today (1 December 2026)"),
        ("2026-12-12", "Pick a due date on a working day (12 December is a Saturday)"),
        ("2026-12-25", "Pick a due date on a working day (25 December is a bank holiday)"),
    ],
)
def test_a_recommendation_due_date_must_be_a_future_working_day(due: str, message: str) -> None:
    dialog = build_audit_dialog(preset("city-of-london"), "cin_cp")
    state = advance_to(dialog, "recommendations")
    outcome = submit(dialog, state, answer(dialog.steps["recommendations"], rec__2__due=due))
    assert isinstance(outcome, Invalid)
    assert outcome.errors == {"rec.2.due": message}


def test_a_recommendation_owner_must_be_someone_known() -> None:
    dialog = build_audit_dialog(preset("city-of-london"), "cin_cp")
    state = advance_to(dialog, "recommendations")
    outcome = submit(dialog, state, answer(dialog.steps["recommendations"], rec__1__owner="99"))
    assert isinstance(outcome, Invalid)
    assert outcome.errors == {"rec.1.owner": "Choose someone from the list"}


def test_no_recommendations_at_all_is_fine() -> None:
    fw = preset("lambeth")
    dialog = build_audit_dialog(fw, "cin_cp")
    state = walk(
        dialog, recommendations={f.key: None for f in dialog.steps["recommendations"].fields}
    )
    assert result(state, fw).recommendations == ()


def test_a_feedback_date_cannot_be_in_the_future() -> None:
    dialog = build_audit_dialog(preset("camden"), "cin_cp")
    state = advance_to(dialog, "feedback")
    outcome = submit(
        dialog, state, answer(dialog.steps["feedback"], feedback__family__date="2026-12-02")
    )
    assert isinstance(outcome, Invalid)
    assert list(outcome.errors) == ["feedback.family.date"]


def test_a_conversation_that_did_not_happen_needs_no_date() -> None:
    dialog = build_audit_dialog(preset("camden"), "cin_cp")
    state = advance_to(dialog, "feedback")
    values = answer(dialog.steps["feedback"], feedback__practitioner__spoken="no")
    values.update({"feedback.practitioner.date": None, "feedback.practitioner.method": None})
    assert isinstance(submit(dialog, state, values), Advanced)


# -- moving about, and never losing an answer ---------------------------------------


def test_going_back_keeps_the_answers_of_the_step_left() -> None:
    fw = load_framework(str(SMALL))
    dialog = build_audit_dialog(fw, "cin_cp")
    state = advance_to(dialog, "domains")
    half = {"domain.assessment.grade": "good", "domain.planning.evidence": "Plan is clear"}
    back = submit(dialog, state, half, action="back")
    assert isinstance(back, Advanced) and back.next_step == "checklist"
    again = submit(dialog, back.state, answer(dialog.steps["checklist"]))
    assert isinstance(again, Advanced) and again.next_step == "domains"
    shown = view(dialog, again.state, today=TODAY, known_people=PEOPLE)
    assert shown.values == half
    assert [m.action for m in again.state.history][-2:] == ["back", "next"]


def test_going_back_from_the_first_step_stays_there() -> None:
    dialog = build_audit_dialog(load_framework(str(SMALL)), "cin_cp")
    outcome = submit(dialog, dialog.start_state(), {}, action="back")
    assert isinstance(outcome, Advanced) and outcome.next_step == "context"


def test_declining_a_second_page_of_recommendations_leaves_it_out() -> None:
    fw = preset("city-of-london")
    dialog = build_audit_dialog(fw, "cin_cp")
    state = advance_to(dialog, "recommendations")
    page1 = answer(dialog.steps["recommendations"], recommendations__more__1="yes")
    to_page2 = submit(dialog, state, page1)
    assert isinstance(to_page2, Advanced) and to_page2.next_step == "recommendations_2"
    back = submit(dialog, to_page2.state, answer(dialog.steps["recommendations_2"]), action="back")
    assert isinstance(back, Advanced)
    state = walk(dialog, back.state)
    assert [r.number for r in result(state, fw).recommendations] == [1, 2, 3]
    assert "recommendations_2" in state.answers  # kept, though not part of the audit


def test_a_second_page_of_recommendations_is_numbered_on() -> None:
    fw = preset("city-of-london")
    dialog = build_audit_dialog(fw, "cin_cp")
    state = walk(dialog, recommendations={"recommendations.more.1": "yes"})
    assert [r.number for r in result(state, fw).recommendations] == [1, 2, 3, 4, 5, 6]


def test_an_earlier_step_can_be_changed_from_the_review() -> None:
    fw = load_framework(str(SMALL))
    dialog = build_audit_dialog(fw, "cin_cp")
    state = advance_to(dialog, "review")
    state = goto(dialog, state, "overall")
    assert state.step == "overall" and state.trail[-1] == "narrative"
    state = walk(dialog, state, overall={"overall.grade": "inadequate"})
    assert result(state, fw).overall_grade == "inadequate"


def test_a_stale_screen_of_a_visited_step_counts_as_an_edit() -> None:
    dialog = build_audit_dialog(load_framework(str(SMALL)), "cin_cp")
    state = advance_to(dialog, "narrative")
    values = answer(dialog.steps["domains"], domain__planning__grade="good")
    outcome = apply(dialog, state, "domains", values, today=TODAY, known_people=PEOPLE)
    assert isinstance(outcome, Advanced) and outcome.next_step == "narrative"
    assert outcome.state.answers["domains"]["domain.planning.grade"] == "good"
    assert [m.action for m in outcome.state.history][-2:] == ["goto", "next"]


def test_a_step_not_yet_reached_cannot_be_submitted() -> None:
    dialog = build_audit_dialog(load_framework(str(SMALL)), "cin_cp")
    with pytest.raises(DialogError, match="no longer open: this audit is at 'About this case'"):
        apply(dialog, dialog.start_state(), "overall", {}, today=TODAY, known_people=PEOPLE)
    with pytest.raises(DialogError, match="no step 'nowhere'"):
        apply(dialog, dialog.start_state(), "nowhere", {}, today=TODAY, known_people=PEOPLE)


def test_nothing_can_be_submitted_after_the_end() -> None:
    dialog = build_audit_dialog(load_framework(str(SMALL)), "cin_cp")
    state = walk(dialog)
    with pytest.raises(DialogClosed, match="already been submitted"):
        apply(dialog, state, "review", {}, today=TODAY, known_people=PEOPLE)


def test_the_result_is_only_given_at_the_end() -> None:
    fw = load_framework(str(SMALL))
    dialog = build_audit_dialog(fw, "cin_cp")
    with pytest.raises(DialogError, match="not finished"):
        result(dialog.start_state(), fw)


# -- state as JSON ------------------------------------------------------------------


def test_a_state_round_trips_through_json() -> None:
    fw = preset("city-of-london")
    dialog = build_audit_dialog(fw, "cin_cp")
    state = advance_to(dialog, "overall")
    state = raise_flag(dialog, state, "safeguarding", "Call the duty team", by=1)
    back = submit(dialog, state, {"overall.grade": "good"}, action="back")
    assert isinstance(back, Advanced)
    text = json.dumps(back.state.to_json())
    restored = DialogState.from_json(json.loads(text))
    assert restored == back.state
    assert walk(dialog, restored).finished


def test_a_damaged_state_is_a_clear_error() -> None:
    with pytest.raises(DialogError, match="cannot be read"):
        DialogState.from_json({"dialog": "audit"})
    with pytest.raises(DialogError, match="answers must be a mapping"):
        DialogState.from_json({"dialog": "audit", "step": "context", "answers": []})


# -- privacy ------------------------------------------------------------------------


def test_personal_details_in_free_text_need_confirmation_and_then_pass() -> None:
    fw = load_framework(str(SMALL))
    dialog = build_audit_dialog(fw, "cin_cp")
    state = advance_to(dialog, "narrative")
    values = {"narrative.working_well": "Mum (07700 900123) engages well"}
    first = submit(dialog, state, values)
    assert isinstance(first, NeedsConfirmation)
    assert first.warnings == {
        "narrative.working_well": "This looks like a phone number: please leave personal "
        "details in the case record."
    }
    assert first.state.answers["narrative"] == values  # kept while they decide
    second = submit(dialog, first.state, values, confirm_sensitive=True)
    assert isinstance(second, Advanced) and second.next_step == "overall"
    assert second.state.history[-1].confirmed == ("narrative.working_well",)


def test_date_fields_are_not_checked_as_free_text() -> None:
    dialog = build_audit_dialog(preset("city-of-london"), "cin_cp")
    state = advance_to(dialog, "recommendations")
    assert isinstance(submit(dialog, state, answer(dialog.steps["recommendations"])), Advanced)


# -- urgent flags -------------------------------------------------------------------


def test_an_urgent_flag_is_recorded_once_on_any_step() -> None:
    fw = preset("city-of-london")
    dialog = build_audit_dialog(fw, "cin_cp")
    state = advance_to(dialog, "domains")
    flagged = raise_flag(dialog, state, "racism_discrimination", " Unchallenged remark ", by=1)
    assert [(f.key, f.note, f.by, f.step) for f in flagged.flags] == [
        ("racism_discrimination", "Unchallenged remark", 1, "domains")
    ]
    assert raise_flag(dialog, flagged, "racism_discrimination", "again", by=2) is flagged
    assert view(dialog, flagged, today=TODAY, known_people=PEOPLE).raised == (
        "racism_discrimination",
    )
    done = walk(dialog, flagged)
    assert [f.key for f in result(done, fw).urgent_flags] == ["racism_discrimination"]


def test_an_unknown_flag_is_refused_by_name() -> None:
    dialog = build_audit_dialog(load_framework(str(SMALL)), "cin_cp")
    with pytest.raises(DialogError, match="no urgent flag 'fire'"):
        raise_flag(dialog, dialog.start_state(), "fire", "", by=1)


# -- shape: Slack's limits ----------------------------------------------------------


def _budgets(dialog: Dialog, **by_step: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(blocks upper bound, inputs) for every step, each viewed with everything filled."""
    state = dialog.start_state()
    out = {}
    while not state.finished:
        step = dialog.steps[state.step]
        values = {**answer(step), **by_step.get(step.key, {})}
        state = state.with_answers(step.key, values)
        shown = view(dialog, state, today=TODAY, known_people=PEOPLE)
        out[step.key] = (shown.block_budget(), len(shown.fields))
        outcome = submit(dialog, state, values)
        assert isinstance(outcome, Advanced)
        state = outcome.state
    return out


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_every_step_fits_a_slack_modal_with_every_recommendation_page(name: str) -> None:
    fw = framework(name)
    more = {f"recommendations{s}": {f"recommendations.more.{p}": "yes"}
            for p, s in enumerate(["", "_2", "_3", "_4"], start=1)}  # fmt: skip
    for area in fw.area_keys:
        dialog = build_audit_dialog(fw, area, case_reference="C-1", team="T")
        budgets = _budgets(dialog, **more)
        assert "recommendations_5" in budgets
        for key, (blocks, inputs) in budgets.items():
            assert blocks <= 100, (name, area, key, blocks)
            assert inputs <= MAX_INPUTS, (name, area, key, inputs)
        for step in dialog.steps.values():
            assert len(step.title) <= 24


def _with_checklist(items: int) -> Framework:
    text = SMALL.read_text().replace(
        "    - {key: visits, label: Visits within timescales}\n",
        "".join(f"    - {{key: item{i}, label: Standard number {i}}}\n" for i in range(items)),
    )
    return parse_framework(text)


def test_a_long_checklist_is_split_into_pages() -> None:
    fw = _with_checklist(30)
    dialog = build_audit_dialog(fw, "cin_cp")
    assert [k for k in dialog.steps if k.startswith("checklist")] == ["checklist_1", "checklist_2"]
    assert dialog.steps["checklist_1"].title == "Practice standards 1/2"
    assert all(len(s.fields) <= MAX_INPUTS for s in dialog.steps.values())
    done = walk(dialog)
    assert len(result(done, fw).checklist) == 30
    assert max(b for b, _ in _budgets(dialog).values()) <= 100


def test_an_unknown_area_is_refused_by_name() -> None:
    with pytest.raises(DialogError, match="area 'nowhere' is not in the framework"):
        build_audit_dialog(load_framework(str(SMALL)), "nowhere")


def test_the_table_can_be_drawn() -> None:
    diagram = build_audit_dialog(load_framework(str(SMALL)), "cin_cp").mermaid()
    assert "context --> checklist" in diagram and "review --> END((END))" in diagram


# -- robustness ---------------------------------------------------------------------

_DIALOG = build_audit_dialog(preset("city-of-london"), "early_help")
_raw = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(),
    st.booleans(),
    st.dates(),
    st.lists(st.text(max_size=10), max_size=3),
    st.sampled_from(["yes", "no", "good", "Yes", "2", "2026-12-14", "2026-12-25", "14/12/2026"]),
)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(step=st.sampled_from(sorted(_DIALOG.steps)), data=st.data())
def test_random_partial_answers_never_crash(step: str, data: st.DataObject) -> None:
    keys = [f.key for f in _DIALOG.steps[step].fields]
    chosen = data.draw(st.lists(st.sampled_from(keys), unique=True) if keys else st.just([]))
    values = {k: data.draw(_raw) for k in chosen}
    state = DialogState(dialog="audit", step=step)
    outcome = apply(_DIALOG, state, step, values, today=TODAY, known_people=PEOPLE)
    if isinstance(outcome, Invalid):
        assert outcome.errors and set(outcome.errors) <= set(keys)
    elif isinstance(outcome, NeedsConfirmation):
        assert set(outcome.warnings) <= set(keys)
    else:
        assert isinstance(outcome, Advanced)
    json.dumps(outcome.state.to_json())  # whatever was typed can be saved
