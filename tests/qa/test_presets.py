"""The four shipped presets: each loads, and each carries its seed framework's rules."""

from __future__ import annotations

import re

import pytest

from qa.framework import (
    PRESETS_DIR,
    Framework,
    FrameworkError,
    load_framework,
    parse_framework,
    preset,
    preset_names,
)

PRESETS = ["camden", "city-of-london", "lambeth", "wandsworth"]
GRADES = ["outstanding", "good", "requires_improvement", "inadequate"]
EVERY_MONTH = list(range(1, 13))


def text_of(name: str) -> str:
    return (PRESETS_DIR / f"{name}.yml").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def cadence(fw: Framework, role: str, activity: str) -> tuple[int, int]:
    (found,) = [c for c in fw.cadences if c.role == role and c.activity == activity]
    return found.count, found.every_months


# -- all presets -----------------------------------------------------------------------


def test_the_four_presets_are_shipped() -> None:
    assert preset_names() == PRESETS


@pytest.mark.parametrize("name", PRESETS)
def test_preset_loads_and_passes_check(name: str) -> None:
    fw = load_framework(name)
    assert fw.name == name
    assert fw.qa_lead_role in fw.role_keys


@pytest.mark.parametrize("name", PRESETS)
def test_preset_uses_the_shared_grade_keys(name: str) -> None:
    fw = preset(name)
    assert fw.grade_keys == GRADES
    assert [g.key for g in fw.grades if g.good_or_better] == ["outstanding", "good"]


@pytest.mark.parametrize("name", PRESETS)
def test_preset_uses_the_shared_keys_for_shared_concepts(name: str) -> None:
    fw = preset(name)
    assert {"practitioner", "team_manager"} <= set(fw.role_keys)
    assert {"early_help", "cin_cp", "cla_permanency", "care_leavers"} <= set(fw.area_keys)
    assert len(fw.governance) == 1


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _commented_above(lines: list[str], i: int) -> bool:
    """A comment on line i, or earlier among its siblings (or just above its parent)."""
    if "#" in lines[i]:
        return True
    own = _indent(lines[i])
    for j in range(i - 1, -1, -1):
        line = lines[j]
        if not line.strip():
            if own == 0:
                return False  # a top-level section's comment sits right above it
            continue
        if _is_comment(line):
            return True
        if _indent(line) < own:  # the parent: covered if its own comment is right there
            return "#" in line or (j > 0 and _is_comment(lines[j - 1]))
    return False


@pytest.mark.parametrize("name", PRESETS)
def test_every_setting_in_a_preset_names_its_source(name: str) -> None:
    """Each section, and each setting directly inside one, has a comment beside or above
    it (or, for a section, inside it) naming where in the framework it comes from."""
    lines = text_of(name).splitlines()
    uncovered = []
    for i, line in enumerate(lines):
        key = re.match(r"^( {0,2})([a-z_]+):", line)
        if not key or key.group(2) in {"name", "authority", "source"}:
            continue
        block = []
        for later in lines[i + 1 :]:
            if later.strip() and not _is_comment(later) and _indent(later) <= _indent(line):
                break
            block.append(later)
        inside = _indent(line) == 0 and any(_is_comment(b) or "#" in b for b in block)
        if not (_commented_above(lines, i) or inside):
            uncovered.append(f"{name}.yml, line {i + 1}: {line.strip()}")
    assert uncovered == []


@pytest.mark.parametrize("name", PRESETS)
def test_defaults_are_marked_as_not_in_the_framework(name: str) -> None:
    """Issue 13: a value the framework does not state carries the one visible marker."""
    for line in text_of(name).splitlines():
        comment = line.partition("#")[2]
        if re.search(r"\bdefault\b", comment):
            assert "not in the framework: a default" in comment, line


@pytest.mark.parametrize("name", PRESETS)
def test_a_broken_copy_reports_every_problem_with_its_line_and_fix(name: str) -> None:
    """A misspelt role, an unknown key, a wrong type and a missing key: all at once."""
    text = text_of(name)
    lead = preset(name).qa_lead_role
    broken = text.replace(f"qa_lead_role: {lead}", f"qa_lead_role: {lead[:-1]}x", 1)
    broken = broken.replace("  snooze_days: 1", "  snoze_days: 1", 1)
    broken = re.sub(r"(?m)^  capacity_per_month: \d+", "  capacity_per_month: four", broken)
    broken = re.sub(r"(?m)^authority: .*\n", "", broken)
    with pytest.raises(FrameworkError) as caught:
        parse_framework(broken, filename=f"{name}.yml")
    problems = caught.value.problems
    found = {(p.line, p.message) for p in problems}
    assert (
        line_of(broken, "qa_lead_role:"),
        f"role '{lead[:-1]}x' is not defined; did you mean '{lead}'?",
    ) in found
    assert (
        line_of(broken, "snoze_days"),
        "'snoze_days' is not a known setting in reminders; did you mean 'snooze_days'?",
    ) in found
    assert (
        line_of(broken, "capacity_per_month: four"),
        "moderation.capacity_per_month should be a whole number, not 'four'",
    ) in found
    assert any(
        p.message == "'authority' is required at the top level but missing; add it"
        for p in problems
    )
    assert len(problems) == 4
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)
    assert all(str(p).startswith(f"{name}.yml, line ") for p in problems)


# -- Camden: learning conversations ----------------------------------------------------


def test_camden_has_no_allocations_in_august_or_december() -> None:
    months = preset("camden").allocation.active_months
    assert 8 not in months and 12 not in months
    assert len(months) == 10


def test_camden_calls_audits_learning_conversations() -> None:
    vocabulary = preset("camden").vocabulary
    assert (vocabulary.audit, vocabulary.audits) == (
        "learning conversation",
        "learning conversations",
    )


def test_camden_service_and_qa_managers_hold_one_learning_conversation_a_month() -> None:
    fw = preset("camden")
    assert cadence(fw, "service_manager", "audit") == (1, 1)
    assert cadence(fw, "qa_manager", "audit") == (1, 1)


def test_camden_team_managers_hold_one_every_second_month() -> None:
    assert cadence(preset("camden"), "team_manager", "audit") == (1, 2)


def test_camden_heads_of_qa_and_practice_learning_do_one_conversation_and_one_moderation() -> None:
    fw = preset("camden")
    for role in ("head_of_qa", "head_of_practice_learning"):
        assert cadence(fw, role, "audit") == (1, 1)
        assert cadence(fw, role, "moderation") == (1, 1)


def test_camden_heads_of_service_do_four_moderations_a_month() -> None:
    fw = preset("camden")
    assert cadence(fw, "head_of_service", "moderation") == (4, 1)
    assert not [c for c in fw.cadences if c.role == "head_of_service" and c.activity == "audit"]


def test_camden_moderates_all_outstanding_and_inadequate_and_a_sample_of_the_rest() -> None:
    """5.2.2: "a selection" of Good and RI fills the moderators' slots; no fixed share."""
    moderation = preset("camden").moderation
    assert moderation.always_grades == ["outstanding", "inadequate"]
    assert moderation.sample_grades == ["good", "requires_improvement"]
    assert moderation.fill_slots is True
    assert not re.search(r"^\s*sample_share:", text_of("camden"), re.MULTILINE), "unused"
    assert "head_of_service" in moderation.moderator_roles


def test_camden_reports_to_the_monthly_qa_board() -> None:
    fw = preset("camden")
    assert fw.governance[0].name == "Quality Assurance Board"
    assert fw.summary.post_to == [fw.governance[0].key]


def test_camden_youth_justice_is_not_an_area_it_has_its_own_framework() -> None:
    assert not [a for a in preset("camden").area_keys if "youth" in a]


# -- Lambeth: audits on a four-month cycle ---------------------------------------------


def test_lambeth_cycle_targets_are_40_70_60_70_over_four_months() -> None:
    fw = preset("lambeth")
    assert fw.cycle is not None and fw.cycle.months == 4
    targets = {a.key: a.cycle_target for a in fw.areas}
    assert targets == {"early_help": 40, "cin_cp": 70, "cla_permanency": 60, "care_leavers": 70}


def test_lambeth_early_help_has_referrals_domain_others_do_not() -> None:
    fw = preset("lambeth")
    assert "referrals_decision_making" in [d.key for d in fw.domains_for("early_help")]
    for area in ("cin_cp", "cla_permanency", "care_leavers"):
        keys = [d.key for d in fw.domains_for(area)]
        assert "referrals_decision_making" not in keys
        assert len(keys) == 6


def test_lambeth_has_seven_graded_domains() -> None:
    assert [d.key for d in preset("lambeth").audit_form.domains] == [
        "referrals_decision_making",
        "assessment",
        "planning",
        "review",
        "intervention",
        "participation_direct_work",
        "management_oversight",
    ]


def test_lambeth_every_listed_role_audits_one_case_a_month() -> None:
    fw = preset("lambeth")
    roles = {"team_manager", "cin_reviewing_officer", "cp_chair", "iro"}
    roles |= {"service_manager", "assistant_director"}
    assert {c.role for c in fw.cadences} == roles
    assert all((c.activity, c.count, c.every_months) == ("audit", 1, 1) for c in fw.cadences)
    assert fw.allocation.active_months == EVERY_MONTH


def test_lambeth_grade_descriptors_are_its_professional_judgement_table() -> None:
    fw = preset("lambeth")
    assert fw.grade("outstanding").descriptor.startswith("Child is safe and practice standards")
    assert fw.grade("good").descriptor.startswith("Child is safe but all practice standards")
    assert "good plan in place" in fw.grade("requires_improvement").descriptor
    assert "drift and delay" in fw.grade("inadequate").descriptor


def test_lambeth_inadequate_escalates_to_director_and_assistant_director_within_7_days() -> None:
    (inadequate,) = [e for e in preset("lambeth").escalation.grades if e.grade == "inadequate"]
    assert set(inadequate.roles) == {"director", "assistant_director"}
    assert inadequate.deadline_days == 7


def test_lambeth_requires_improvement_escalates_within_14_days() -> None:
    grades = preset("lambeth").escalation.grades
    (ri,) = [e for e in grades if e.grade == "requires_improvement"]
    assert set(ri.roles) == {"director", "assistant_director"}
    assert ri.deadline_days == 14


def test_lambeth_reaudits_inadequate_within_8_months_and_ri_within_12() -> None:
    reaudit = {r.grade: r.within_months for r in preset("lambeth").reaudit}
    assert reaudit == {"inadequate": 8, "requires_improvement": 12}


def test_lambeth_escalates_overdue_actions_weekly_to_the_assistant_director() -> None:
    escalation = preset("lambeth").escalation
    assert escalation.overdue_actions_roles == ["assistant_director"]
    assert escalation.case_review_weekly_until_good is True


def test_lambeth_moderator_can_regrade_or_return_and_must_add_actions_on_downgrade() -> None:
    moderation = preset("lambeth").moderation
    assert set(moderation.outcomes) == {"confirm", "regrade", "return"}
    assert moderation.downgrade_requires_actions is True
    assert moderation.always_grades == GRADES
    assert moderation.moderator_roles == ["practice_assurance_lead"]


def test_lambeth_reports_grades_by_domain_to_sam() -> None:
    fw = preset("lambeth")
    assert fw.governance[0].key == "sam"
    assert fw.summary.post_to == ["sam"]
    assert "domain" in fw.summary.group_by and "area" in fw.summary.group_by
    assert fw.vocabulary.audit == "audit"


# -- City of London: practice and impact reviews ----------------------------------------


def test_city_of_london_calls_audits_practice_and_impact_reviews() -> None:
    assert preset("city-of-london").vocabulary.audit == "practice and impact review"


def test_city_of_london_checklist_is_the_seven_practice_standards_and_the_identity_check() -> None:
    """Issue 13: the template's seven standards as written, then the ethnicity, religion
    and additional-needs check of "Evidencing Anti-Racist Practice"."""
    checklist = preset("city-of-london").audit_form.checklist
    assert len(checklist) == 8
    assert checklist[6].label == (
        "There is an up to date (within the last 3 months) Chronology on file"
    )
    assert checklist[7].key == "identity_recorded"


def test_city_of_london_grades_five_sections() -> None:
    labels = [d.label for d in preset("city-of-london").audit_form.domains]
    assert labels[0] == "Journey of the Child"
    assert len(labels) == 5
    assert labels[3] == "Understanding of Identity and impact on practice"


def test_city_of_london_asks_for_feedback_and_two_levels_of_recommendation() -> None:
    form = preset("city-of-london").audit_form
    assert [p.key for p in form.feedback] == ["child_family", "practitioner", "line_manager"]
    assert form.recommendation_levels == ["child", "service"]
    assert form.review_period_months == 6


def test_city_of_london_flags_unaddressed_racism_to_the_head_of_safeguarding() -> None:
    flags = {f.key: f for f in preset("city-of-london").audit_form.urgent_flags}
    assert flags["racism_discrimination"].roles == ["head_of_safeguarding"]


def test_city_of_london_moderates_every_review_in_a_chaired_panel() -> None:
    moderation = preset("city-of-london").moderation
    assert moderation.always_grades == GRADES
    assert moderation.panel is True
    assert moderation.chair_role == "independent_chair"
    assert set(moderation.panel_roles) == {
        "independent_chair",
        "director",
        "assistant_director",
        "head_of_safeguarding",
        "head_of_service",
    }
    assert moderation.panel_meeting_minutes == 90


def test_city_of_london_panel_members_are_exempt_from_their_own_reviews() -> None:
    assert "author" in preset("city-of-london").moderation.exclusions


def test_city_of_london_reviews_15_cases_in_october_november_and_the_rest_in_april_may() -> None:
    autumn, spring = preset("city-of-london").review_windows
    assert (autumn.months, autumn.cases, autumn.remainder) == ([10, 11], 15, False)
    assert (spring.months, spring.remainder) == ([4, 5], True)
    assert autumn.cases_for(open_cases=30, reviewed_this_cycle=0) == 15
    assert spring.cases_for(open_cases=30, reviewed_this_cycle=15) == 15
    assert preset("city-of-london").allocation.active_months == [4, 5, 10, 11]


def test_city_of_london_follows_up_recommendations_in_june_july_and_december_january() -> None:
    fw = preset("city-of-london")
    assert [w.months for w in fw.follow_up_windows] == [[6, 7], [12, 1]]
    assert all(w.channel == "achieving_excellence" for w in fw.follow_up_windows)


def test_city_of_london_has_a_calendar_entry_in_every_month() -> None:
    calendar = preset("city-of-london").calendar
    assert {m for entry in calendar for m in entry.months} == set(EVERY_MONTH)
    activities = {e.activity for e in calendar}
    assert "QA Recommendation and Impact Tracker meeting" in activities
    assert "Annual Ofsted meeting and self-assessment update" in activities


def test_city_of_london_reports_to_the_achieving_excellence_board() -> None:
    fw = preset("city-of-london")
    assert fw.governance[0].name == "Achieving Excellence Board"
    assert fw.governance[0].chair_role == "independent_chair"


# -- Wandsworth: peer audits and dip samples -------------------------------------------


def test_wandsworth_dip_samples_three_more_cases_after_ri_or_inadequate() -> None:
    dip = preset("wandsworth").dip_sample
    assert dip is not None
    assert set(dip.after_grades) == {"requires_improvement", "inadequate"}
    assert (dip.cases, dip.by_role) == (3, "team_manager")


def test_wandsworth_whole_caseload_audit_is_allocated_without_approval() -> None:
    """Para 33: "If the same concerns are found the social worker's case load is
    audited": allocated at once; the approver the schema needs is unused."""
    fw = preset("wandsworth")
    assert fw.dip_sample is not None
    assert fw.dip_sample.caseload == "allocate"


def test_wandsworth_moderates_by_dip_sample_and_tells_auditors_when_regraded() -> None:
    moderation = preset("wandsworth").moderation
    assert moderation.always_grades == []
    assert 0 < moderation.sample_share < 1
    assert moderation.moderator_roles == ["head_of_safeguarding"]
    assert moderation.feedback_to_author == "when_regraded"


def test_wandsworth_team_managers_peer_audit_colleagues_cases() -> None:
    fw = preset("wandsworth")
    assert fw.allocation.peer_principle is True
    assert cadence(fw, "team_manager", "audit") == (1, 1)


def test_wandsworth_urgent_concerns_go_to_the_head_of_safeguarding_standards() -> None:
    (flag,) = preset("wandsworth").audit_form.urgent_flags
    assert flag.roles == ["head_of_safeguarding"]
    assert flag.response_from == ["service_manager", "head_of_service"]


def test_wandsworth_tracks_weekly_to_managers_and_quarterly_to_the_director() -> None:
    summary = preset("wandsworth").summary
    assert set(summary.weekly_tracking_roles) == {
        "team_manager",
        "service_manager",
        "head_of_service",
    }
    assert summary.quarterly_analysis_roles == ["director"]
    assert summary.group_by[:2] == ["service", "team"]


def test_wandsworth_reports_to_the_divisional_management_team() -> None:
    fw = preset("wandsworth")
    assert fw.governance[0].name == "Divisional Management Team"
    assert fw.summary.post_to == ["dmt"]
