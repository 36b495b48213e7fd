"""`qa-bot framework check|show|list`, through the real typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from qa.framework import PRESETS_DIR, load_framework, parse_framework

PRESETS = ["camden", "city-of-london", "lambeth", "wandsworth"]
SMALL = Path(__file__).parent.parent / "data" / "framework-small.yml"

runner = CliRunner()


def broken_copy(tmp_path: Path) -> Path:
    text = SMALL.read_text(encoding="utf-8")
    text = text.replace("qa_lead_role: qa_lead", "qa_lead_role: qa_leed")
    text = text.replace("  sample_share: 0.25", "  sample_shares: 0.25")
    path = tmp_path / "ours.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", PRESETS)
def test_check_a_preset_says_valid_and_exits_0(name: str) -> None:
    result = runner.invoke(app, ["framework", "check", name])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"✓ {name}.yml: valid (")
    assert " roles, " in result.stdout and " areas, " in result.stdout


def test_check_a_file_names_it_as_given() -> None:
    result = runner.invoke(app, ["framework", "check", str(SMALL)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"✓ {SMALL}: valid (6 roles, 2 areas, 4 grades, 2 domains, 3 cadences, "
        "1 governance channel, 0 calendar entries)\n"
    )


def test_check_warns_about_old_channel_keys_with_the_line_and_the_new_form(
    tmp_path: Path,
) -> None:
    text = SMALL.read_text(encoding="utf-8").replace(
        "addresses: {slack: C0BOARD}", "slack_channel: C0BOARD, teams_conversation: null"
    )
    path = tmp_path / "old.yml"
    path.write_text(text, encoding="utf-8")
    line = 1 + next(i for i, row in enumerate(text.splitlines()) if "slack_channel" in row)
    result = runner.invoke(app, ["framework", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        f"Warning: {path}, line {line}: `slack_channel:` and `teams_conversation:` in "
        "governance[0] is the old form and still works; "
        "write `addresses: {slack: C0BOARD, teams: null}` instead"
    ]
    board = load_framework(str(path)).governance[0]
    assert board.address("slack") == "C0BOARD" and board.address("teams") is None


def test_check_a_broken_file_prints_every_problem_and_exits_1(tmp_path: Path) -> None:
    path = broken_copy(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    lead = 1 + next(i for i, line in enumerate(lines) if line.startswith("qa_lead_role"))
    share = 1 + next(i for i, line in enumerate(lines) if "sample_shares" in line)
    result = runner.invoke(app, ["framework", "check", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}, line {lead}: role 'qa_leed' is not defined; did you mean 'qa_lead'?",
        f"{path}, line {share}: 'sample_shares' is not a known setting in moderation; "
        "did you mean 'sample_share'?",
    ]
    assert f"✗ {path}: 2 problems; fix them and check again" in result.stderr


def test_check_json_on_a_valid_preset() -> None:
    result = runner.invoke(app, ["framework", "check", "lambeth", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["file"] == "lambeth.yml"
    assert report["valid"] is True
    assert report["problems"] == []
    assert report["counts"]["areas"] == 4
    assert report["counts"]["domains"] == 7


def test_check_json_on_a_broken_file_lists_problems_with_lines(tmp_path: Path) -> None:
    path = broken_copy(tmp_path)
    result = runner.invoke(app, ["framework", "check", str(path), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["problems"][0]["message"].startswith("role 'qa_leed'")
    assert all(isinstance(p["line"], int) and p["file"] == str(path) for p in report["problems"])


def test_check_an_unknown_preset_lists_the_presets_and_exits_1() -> None:
    result = runner.invoke(app, ["framework", "check", "lambth"])
    assert result.exit_code == 1
    assert "did you mean 'lambeth'?" in result.output
    assert "camden, city-of-london, lambeth, wandsworth" in result.output


def test_check_a_missing_file_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["framework", "check", str(tmp_path / "nope.yml")])
    assert result.exit_code == 1
    assert "cannot read the file" in result.output


def test_check_invalid_yaml_gives_a_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("name: x\nauthority: y\nroles: [a, b\n", encoding="utf-8")
    result = runner.invoke(app, ["framework", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}, line " in result.stdout and "not valid YAML" in result.stdout


def test_check_a_non_utf8_file_gives_a_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yml"
    path.write_bytes(b"name: x\n\nauthority: Caf\xe9 Council\n")
    result = runner.invoke(app, ["framework", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}, line 3: the file is not UTF-8 text" in result.stdout


def test_check_without_a_file_is_a_usage_error() -> None:
    result = runner.invoke(app, ["framework", "check"])
    assert result.exit_code == 2


def test_check_with_an_unknown_option_is_a_usage_error() -> None:
    result = runner.invoke(app, ["framework", "check", "camden", "--jsn"])
    assert result.exit_code == 2


@pytest.mark.parametrize("name", PRESETS)
def test_show_prints_the_preset_verbatim_with_its_comments(name: str) -> None:
    """As shipped, but for quotes around values YAML 1.1 tools would misread."""
    result = runner.invoke(app, ["framework", "show", name])
    assert result.exit_code == 0, result.output
    shipped = (PRESETS_DIR / f"{name}.yml").read_text(encoding="utf-8").splitlines()
    shown = result.stdout.splitlines()
    assert len(shown) == len(shipped)
    for ours, theirs in zip(shown, shipped, strict=True):
        assert ours == theirs or ours.replace('"', "") == theirs.replace('"', "")
    assert "not in the framework: a default" in result.stdout
    assert load_framework(name) == parse_framework(result.stdout)


@pytest.mark.parametrize("name", PRESETS)
def test_show_quotes_yes_and_no_so_yaml_1_1_tools_read_strings(name: str) -> None:
    """Issue 13: `framework show` output survives YAML 1.1 tools (Yes/No are not booleans)."""
    from ruamel.yaml import YAML

    shown = runner.invoke(app, ["framework", "show", name]).stdout
    old = YAML(typ="safe")
    old.version = (1, 1)
    as_11 = old.load(shown)
    options = as_11["audit_form"]["checklist_options"]
    assert all(isinstance(o, str) for o in options) and "Yes" in options
    assert as_11["allocation"]["time"] == "09:00"
    # Unquoted, YAML 1.1 would read them as booleans: the check above can fail.
    assert old.load("options: [Yes, No]")["options"] == [True, False]


def test_check_refuses_a_cadence_that_cannot_run(tmp_path: Path) -> None:
    """Issue 13: a cadence `activity: dip_sample` was accepted and never allocated."""
    text = SMALL.read_text(encoding="utf-8").replace(
        "  - {role: service_manager, activity: audit, count: 1}",
        "  - {role: service_manager, activity: audit, count: 1}\n"
        "  - {role: team_manager, activity: dip_sample, count: 3}",
    )
    path = tmp_path / "ours.yml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["framework", "check", str(path)])
    assert result.exit_code == 1
    assert "line 20: a cadence cannot carry out dip samples" in result.stdout
    assert "set them in the dip_sample section" in result.stdout


def test_show_output_is_a_valid_file_to_start_from(tmp_path: Path) -> None:
    shown = runner.invoke(app, ["framework", "show", "wandsworth"]).stdout
    path = tmp_path / "our-framework.yml"
    path.write_text(shown, encoding="utf-8")
    result = runner.invoke(app, ["framework", "check", str(path)])
    assert result.exit_code == 0, result.output


def test_show_an_unknown_preset_lists_the_presets_and_exits_1() -> None:
    result = runner.invoke(app, ["framework", "show", "hackney"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "there is no preset called 'hackney'" in result.stderr
    assert "camden, city-of-london, lambeth, wandsworth" in result.stderr


def test_show_without_a_preset_is_a_usage_error() -> None:
    assert runner.invoke(app, ["framework", "show"]).exit_code == 2


def test_list_names_each_preset_and_its_authority() -> None:
    result = runner.invoke(app, ["framework", "list"])
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == PRESETS
    assert "Lambeth" in result.stdout
