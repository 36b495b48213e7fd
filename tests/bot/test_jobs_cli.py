"""`qa-bot jobs list` says when each job acts, in words that match the framework."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.commands.jobs import app


def jobs_list(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    monkeypatch.chdir(tmp_path)  # no stray .env from the working directory
    env = {"QA_BOT_DATABASE_URL": db_url, "QA_BOT_FRAMEWORK": "camden"}
    result = CliRunner().invoke(app, ["list", "--json"], env=env)
    assert result.exit_code == 0, result.output
    rows: list[dict] = json.loads(result.stdout)
    return rows


def test_weekly_and_quarterly_jobs_are_not_said_to_run_every_minute(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = {r["name"]: r for r in jobs_list(db_url, tmp_path, monkeypatch)}

    assert not [r["name"] for r in rows.values() if "every minute" in r["when"]]
    assert rows["overdue_escalations"]["when"] == "weekly on Monday (checked every tick)"
    assert rows["case_reviews"]["schedule"] == "weekly"
    # Camden names nobody to receive a quarterly analysis: the job never falls due.
    assert rows["quarterly_analysis"]["schedule"] == "unused"
    assert rows["quarterly_analysis"]["next_run"] is None
    assert rows["retention"]["schedule"] == "at"
    assert (
        rows["retention"]["when"].endswith(", 02:00 (GMT)") or "(BST)" in rows["retention"]["when"]
    )
    assert rows["draft_reminders"]["when"].startswith("checked every ")


def test_every_description_is_a_whole_phrase(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dangling = {"a", "an", "and", "or", "of", "to", "the", "did", "not", "for", "with"}
    for row in jobs_list(db_url, tmp_path, monkeypatch):
        last = row["description"].split()[-1].lower()
        assert last not in dangling, f"{row['name']}: {row['description']!r} stops mid-sentence"
