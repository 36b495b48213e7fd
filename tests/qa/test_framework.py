"""The framework loader: every problem in one run, each with its line and a fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from qa.framework import (
    Framework,
    FrameworkError,
    Problem,
    ReviewWindow,
    load_framework,
    parse_framework,
    preset,
    preset_names,
    resolve,
)
from qa.framework_checks import model_in, reference_paths

SMALL = Path(__file__).parent.parent / "data" / "framework-small.yml"


def small_text() -> str:
    return SMALL.read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing `needle`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def problems_of(text: str, filename: str = "test.yml") -> list[Problem]:
    with pytest.raises(FrameworkError) as caught:
        parse_framework(text, filename=filename)
    return caught.value.problems


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


# -- a good file --------------------------------------------------------------------


def test_small_framework_loads_with_its_lookups() -> None:
    fw = load_framework(str(SMALL))
    assert fw.grade_keys == ["outstanding", "good", "requires_improvement", "inadequate"]
    assert "qa_lead" in fw.role_keys
    assert fw.area_keys == ["early_help", "cin_cp"]
    assert fw.channel_keys == ["board"]
    assert [d.key for d in fw.domains_for("early_help")] == ["assessment", "planning"]


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yml"
    path.write_bytes(b"\xef\xbb\xbf" + SMALL.read_bytes())
    assert load_framework(str(path)).name == "small"


# -- every problem, together, sorted by line ----------------------------------------


def test_every_kind_of_problem_is_reported_in_one_run_sorted_by_line() -> None:
    text = small_text()
    text = replace_once(text, "qa_lead_role: qa_lead", "qa_lead_role: qa_leed")
    text = replace_once(
        text,
        "{role: head_of_service, activity: moderation, count: 4}",
        "{role: head_of_servce, activity: moderation, count: 4}",
    )
    text = replace_once(text, "  sample_share: 0.25", "  sample_shares: 0.25")
    text = replace_once(text, "{key: planning, label: Planning}", "{key: planning}")
    text = replace_once(
        text,
        "{key: director, label: Director, sees: all}",
        "{key: director, label: Director, sees: everyone}",
    )
    text = replace_once(text, "deadline_days: 7", "deadline_days: a week")
    problems = problems_of(text)
    by_line = {p.line: p.message for p in problems}

    assert by_line[line_of(text, "qa_lead_role:")] == (
        "role 'qa_leed' is not defined; did you mean 'qa_lead'?"
    )
    assert by_line[line_of(text, "head_of_servce")] == (
        "role 'head_of_servce' is not defined; did you mean 'head_of_service'?"
    )
    assert by_line[line_of(text, "sample_shares")] == (
        "'sample_shares' is not a known setting in moderation; did you mean 'sample_share'?"
    )
    assert by_line[line_of(text, "{key: planning}")] == (
        "'label' is required in audit_form.domains[1] but missing; add it"
    )
    assert "use one of 'all', 'service', 'team' or 'own'" in by_line[line_of(text, "everyone")]
    assert by_line[line_of(text, "a week")] == (
        "escalation.grades[0].deadline_days should be a whole number, not 'a week'"
    )
    assert len(problems) == 6
    assert [p.line for p in problems] == sorted(p.line or 0 for p in problems)


def test_references_are_checked_even_when_other_fields_are_wrong() -> None:
    text = replace_once(small_text(), "name: small", "name: [not, text]")
    text = replace_once(text, "moderator_roles: [head_of_service]", "moderator_roles: [hos]")
    problems = problems_of(text)
    assert [p.message for p in problems] == [
        "name should be text",
        "role 'hos' is not defined; define it under roles or use one of: director, "
        "head_of_service, practitioner, qa_lead, service_manager, team_manager",
    ]
    assert [p.line for p in problems] == [line_of(text, "name:"), line_of(text, "[hos]")]


def test_problem_reads_file_line_and_message() -> None:
    problem = Problem("lambeth.yml", 42, "role 'head_of_servce' is not defined")
    assert str(problem) == "lambeth.yml, line 42: role 'head_of_servce' is not defined"
    assert str(Problem("lambeth.yml", None, "cannot read")) == "lambeth.yml: cannot read"


def test_error_lists_every_problem_in_its_message() -> None:
    text = replace_once(small_text(), "qa_lead_role: qa_lead", "qa_lead_role: nobody")
    text = replace_once(
        text, "always_grades: [outstanding, inadequate]", "always_grades: [outstanding, inadeqate]"
    )
    with pytest.raises(FrameworkError) as caught:
        parse_framework(text, filename="mine.yml")
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"mine.yml, line {line_of(text, 'qa_lead_role')}: role 'nobody'")
    assert "grade 'inadeqate' is not defined; did you mean 'inadequate'?" in lines[1]


# -- names: roles, areas, grades, channels ------------------------------------------


def test_unknown_area_in_a_domain_is_reported_with_a_hint() -> None:
    text = replace_once(
        small_text(),
        "{key: planning, label: Planning}",
        "{key: planning, label: Planning, areas: [early_hlp]}",
    )
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "early_hlp")
    assert problem.message == "area 'early_hlp' is not defined; did you mean 'early_help'?"


def test_unknown_governance_channel_is_reported() -> None:
    text = small_text() + "summary:\n  post_to: [bord]\n"
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "post_to")
    assert problem.message == "governance channel 'bord' is not defined; did you mean 'board'?"


def test_a_role_defined_twice_is_reported() -> None:
    text = replace_once(
        small_text(),
        "{key: director, label: Director, sees: all}",
        "{key: qa_lead, label: Director, sees: all}",
    )
    messages = [p.message for p in problems_of(text)]
    assert "role 'qa_lead' is defined twice; give each its own key" in messages


def test_two_domains_with_one_key_are_reported() -> None:
    text = replace_once(
        small_text(), "{key: planning, label: Planning}", "{key: assessment, label: Planning}"
    )
    (problem,) = problems_of(text)
    assert (
        problem.message == "'assessment' is used twice in audit_form.domains; give each its own key"
    )


def test_every_field_that_names_a_role_grade_area_or_channel_is_reference_checked() -> None:
    """A new field like `foo_roles: list[str]` must use RoleKey, or typos pass silently."""
    checked = {tuple(p for p in path if p != -1) for path, _ in reference_paths(Framework)}
    naming = re.compile(r"(^|_)(role|roles|grade|grades|areas|post_to|approver)$|^channel$")

    def leaf_fields(model: type[BaseModel], prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
        found: list[tuple[str, ...]] = []
        for name, field in model.model_fields.items():
            inner = model_in(field.annotation)
            if inner is not None:
                found += leaf_fields(inner, (*prefix, name))
            elif naming.search(name):
                found.append((*prefix, name))
        return found

    fields = leaf_fields(Framework, ())
    assert ("dip_sample", "whole_caseload_approver") in fields
    assert [f for f in fields if f not in checked] == []


def test_a_framework_built_in_code_also_refuses_unknown_names() -> None:
    data = parse_framework(small_text()).model_dump()
    data["qa_lead_role"] = "nobody"
    with pytest.raises(ValidationError, match="role 'nobody' is not defined"):
        Framework.model_validate(data)


# -- YAML itself ---------------------------------------------------------------------


def test_invalid_yaml_gives_its_line() -> None:
    text = "name: broken\nauthority: Testshire\nroles: [a, b\ngrades: []\n"
    (problem,) = problems_of(text)
    assert problem.line in {3, 4}
    assert problem.message.startswith("not valid YAML")


def test_a_colon_in_a_label_gives_the_line_and_says_to_quote() -> None:
    text = replace_once(
        small_text(), "label: What is working well?", "label: Working well: what is it?"
    )
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "Working well: what")
    assert "quotes" in problem.message


def test_duplicate_keys_are_all_reported_with_the_first_line() -> None:
    text = small_text() + "name: again\nmoderation:\n  sample_share: 0.5\n"
    problems = problems_of(text)
    messages = {p.line: p.message for p in problems}
    first_name, second_name = line_of(text, "name: small"), line_of(text, "name: again")
    assert messages[second_name] == (
        f"'name' is given twice at the top level (first on line {first_name}); "
        "only the first is used, so remove one"
    )
    assert any("'moderation' is given twice" in m for m in messages.values())


def test_a_nested_duplicate_key_names_its_section() -> None:
    text = replace_once(
        small_text(), "  sample_share: 0.25\n", "  sample_share: 0.25\n  sample_share: 0.5\n"
    )
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "sample_share: 0.5")
    assert "'sample_share' is given twice in moderation" in problem.message


def test_non_utf8_file_gives_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yml"
    path.write_bytes(b"name: x\nauthority: x\n# caf\xe9 notes\nroles: []\n")
    with pytest.raises(FrameworkError) as caught:
        load_framework(str(path))
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == (str(path), 3)
    assert "not UTF-8" in problem.message and "0xe9" in problem.message


def test_a_control_character_gives_its_line() -> None:
    (problem,) = problems_of("name: x\nauthority: \x07bell\n")
    assert problem.line == 2
    assert problem.message.startswith("not valid YAML")


def test_an_empty_file_says_where_to_start() -> None:
    (problem,) = problems_of("# nothing yet\n")
    assert "empty" in problem.message and "framework show" in problem.message


def test_a_list_at_the_top_is_refused() -> None:
    (problem,) = problems_of("- a\n- b\n")
    assert problem.message == "the file must be a YAML mapping (key: value lines)"


def test_a_month_out_of_range_says_what_a_month_is() -> None:
    text = small_text() + "allocation:\n  active_months: [1, 13]\n"
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "active_months")
    assert problem.message == (
        "allocation.active_months[1]: 13 is not a month; use 1 (January) to 12 (December)"
    )


def test_review_window_shares_must_cover_every_case() -> None:
    text = small_text() + "review_windows:\n  - {months: [10], share: 0.5}\n"
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "review_windows")
    assert "add up to 0.5; they must add up to 1" in problem.message


def test_only_one_review_window_takes_the_rest() -> None:
    text = small_text() + (
        "review_windows:\n"
        "  - {months: [10], share: 0.5, remainder: true, cases: 4}\n"
        "  - {months: [4], share: 0.5, remainder: true}\n"
    )
    messages = [p.message for p in problems_of(text)]
    assert messages == [
        "a window that takes the remaining cases cannot also set 'cases'; remove one of them",
        "only one review window can take the remaining cases",
    ]


def test_a_hyphen_instead_of_an_underscore_is_spotted() -> None:
    text = replace_once(small_text(), "sample_share: 0.25", "sample-share: 0.25")
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "sample-share")
    assert problem.message == (
        "'sample-share' is not a known setting in moderation; did you mean 'sample_share'?"
    )


def test_a_misspelt_choice_suggests_the_nearest_one() -> None:
    text = replace_once(
        small_text(),
        "  moderator_roles: [head_of_service]",
        "  moderator_roles: [head_of_service]\n  exclusions: [autor]",
    )
    (problem,) = problems_of(text)
    assert problem.line == line_of(text, "[autor]")
    assert problem.message == (
        "moderation.exclusions[0]: 'autor' is not allowed here; did you mean 'author'?"
    )


def test_a_number_out_of_bounds_says_the_bound() -> None:
    text = small_text().replace("sample_share: 0.25", "sample_share: 1.5")
    (problem,) = problems_of(text)
    assert problem.message == "moderation.sample_share should be at most 1, not 1.5"


def test_a_channel_used_without_any_governance_section_is_reported() -> None:
    text = re.sub(r"(?ms)^governance:\n.*", "", small_text()) + "summary:\n  post_to: [board]\n"
    (problem,) = problems_of(text)
    assert (
        problem.message == "governance channel 'board' is not defined; define it under governance"
    )


def test_no_good_or_better_grade_is_reported() -> None:
    text = small_text().replace(", good_or_better: true", "")
    (problem,) = problems_of(text)
    assert "good_or_better" in problem.message


def test_missing_required_top_level_setting() -> None:
    text = re.sub(r"(?m)^authority: .*\n", "", small_text())
    (problem,) = problems_of(text)
    assert problem.message == "'authority' is required at the top level but missing; add it"
    assert problem.line is not None


# -- finding files and presets --------------------------------------------------------


def test_preset_names_are_the_four_seed_frameworks() -> None:
    assert preset_names() == ["camden", "city-of-london", "lambeth", "wandsworth"]


def test_an_unknown_preset_suggests_the_nearest_one() -> None:
    with pytest.raises(FrameworkError, match="did you mean 'lambeth'"):
        resolve("lambth")


def test_a_missing_file_says_it_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match="cannot read the file"):
        load_framework(str(tmp_path / "nope.yml"))


def test_presets_are_named_by_file_name_in_problems() -> None:
    assert resolve("camden").name == "camden.yml"


def test_preset_is_cached() -> None:
    assert preset("camden") is preset("camden")


# -- review windows ------------------------------------------------------------------


def test_review_window_counts_a_share_a_fixed_number_or_the_rest() -> None:
    half = ReviewWindow(months=[10], share=0.5)
    fifteen = ReviewWindow(months=[10, 11], share=0.5, cases=15)
    rest = ReviewWindow(months=[4, 5], share=0.5, remainder=True)
    assert half.cases_for(open_cases=31, reviewed_this_cycle=0) == 16
    assert fifteen.cases_for(open_cases=31, reviewed_this_cycle=0) == 15
    assert fifteen.cases_for(open_cases=9, reviewed_this_cycle=0) == 9
    assert rest.cases_for(open_cases=31, reviewed_this_cycle=15) == 16
    assert rest.cases_for(open_cases=10, reviewed_this_cycle=15) == 0
