"""Per-area audit tools (Lambeth QAF 4: "Each area of planning has a bespoke audit tool").

Checklist, feedback and narrative items may name the areas whose tool asks them, as
domains already could; the case's area picks the tool. Lambeth's preset: the domain
table's domains per area, and the CP Chair or IRO consulted where a case has one (not
Early Help). An item naming no areas is in every tool, so files without the key are
unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from qa.dialog import view
from qa.forms import build_audit_dialog, result
from qa.framework import Framework, FrameworkError, parse_framework, preset, preset_names
from tests.qa.test_dialog import PEOPLE, TODAY, walk

CONSULT = "feedback.cp_chair_iro.spoken"


def fields(dialog: Any, step: str) -> set[str]:
    return {f.key for f in dialog.step(step).fields} if step in dialog.steps else set()


def test_lambeth_area_audit_tools_consult_the_cp_chair_or_iro_outside_early_help() -> None:
    lambeth = preset("lambeth")
    assert CONSULT not in fields(build_audit_dialog(lambeth, "early_help"), "feedback")
    for area in ("cin_cp", "cla_permanency", "care_leavers"):
        assert CONSULT in fields(build_audit_dialog(lambeth, area), "feedback"), area


def bespoke() -> Framework:
    """Lambeth with an item of each kind bound to one area."""
    data: dict[str, Any] = preset("lambeth").model_dump(mode="json")
    form = data["audit_form"]
    form["checklist"] = [
        {"key": "plan_on_file", "label": "A plan is on file"},
        {"key": "pathway_plan", "label": "The pathway plan is up to date",
         "areas": ["care_leavers"]},
    ]  # fmt: skip
    form["narrative"].append(
        {"key": "family_network", "label": "Was a family network meeting held?",
         "areas": ["early_help"]}
    )  # fmt: skip
    return parse_framework(json.dumps(data), filename="lambeth.yml")  # JSON is YAML


def test_lambeth_area_audit_tools_checklist_and_narrative_follow_the_area() -> None:
    fw = bespoke()
    leavers = build_audit_dialog(fw, "care_leavers")
    early = build_audit_dialog(fw, "early_help")
    assert fields(leavers, "checklist") >= {"checklist.pathway_plan.answer"}
    assert "checklist.pathway_plan.answer" not in fields(early, "checklist")
    assert "checklist.plan_on_file.answer" in fields(early, "checklist")
    assert "narrative.family_network" in fields(early, "narrative")
    assert "narrative.family_network" not in fields(leavers, "narrative")
    # what the auditor is told to look at counts the area's own checks
    shown = view(early, early.start_state(), today=TODAY, known_people=PEOPLE)
    look = {f.label: f.value for f in shown.facts}["What to look at"]
    assert "the practice standards (1 checks)" in look
    done = result(walk(leavers), fw)
    assert set(done.checklist) == {"plan_on_file", "pathway_plan"}
    assert "family_network" not in done.narrative


@pytest.mark.parametrize("name", [n for n in preset_names() if n != "lambeth"])
def test_a_framework_without_the_key_asks_every_item_in_every_area(name: str) -> None:
    fw = preset(name)
    form = fw.audit_form
    for area in fw.area_keys:
        assert fw.checklist_for(area) == form.checklist
        assert fw.feedback_for(area) == form.feedback
        assert fw.narrative_for(area) == form.narrative


def test_an_unknown_area_on_an_item_is_refused_with_the_nearest_name() -> None:
    data: dict[str, Any] = preset("lambeth").model_dump(mode="json")
    data["audit_form"]["feedback"][0]["areas"] = ["early_halp"]
    with pytest.raises(FrameworkError) as caught:
        parse_framework(json.dumps(data), filename="lambeth.yml")
    assert "early_halp" in str(caught.value) and "early_help" in str(caught.value)
