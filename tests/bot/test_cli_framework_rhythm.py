"""`qa-bot framework check|show` on the calendar's and the reports' new forms (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from qa.framework import parse_framework

SMALL = Path(__file__).parent.parent / "data" / "framework-small.yml"
runner = CliRunner()


def test_check_counts_the_reports_of_a_file_that_has_them() -> None:
    result = runner.invoke(app, ["framework", "check", "lambeth"])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("calendar entries, 2 reports)")
    result = runner.invoke(app, ["framework", "check", "lambeth", "--json"])
    assert json.loads(result.stdout)["counts"]["reports"] == 2


def test_check_names_the_line_of_a_fortnightly_entry_with_no_first_date(tmp_path: Path) -> None:
    text = SMALL.read_text(encoding="utf-8")
    text += "calendar:\n  - {every: fortnight, activity: Panel, owner_role: qa_lead}\n"
    path = tmp_path / "ours.yml"
    path.write_text(text, encoding="utf-8")
    line = len(text.splitlines())
    result = runner.invoke(app, ["framework", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}, line {line}: calendar[0]: an entry every fortnight needs 'starts_on'" in (
        result.stdout
    )


def test_show_prints_the_new_forms_and_they_load_back() -> None:
    for name, words in (
        ("camden", "every: fortnight"),
        ("lambeth", "after: {entry: practice_week, months: 1}"),
        ("city-of-london", "every: review_window"),
    ):
        result = runner.invoke(app, ["framework", "show", name])
        assert result.exit_code == 0, result.output
        assert words in result.stdout
        fw = parse_framework(result.stdout, filename=f"{name}.yml")
        assert fw.calendar
