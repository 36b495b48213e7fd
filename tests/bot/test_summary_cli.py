"""`qa-bot summary --month YYYY-MM [--post] [--out FILE] [--json]` through the command line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from bot.commands import summary
from storage.models import OutboxMessage
from tests.storage.report_seed import Seeded, seed

Invoke = Callable[..., Result]
FRAMEWORK = str(Path(__file__).parents[1] / "data" / "framework-small.yml")
AFTER_MARCH = "2026-04-07T10:00"  # local time, once March 2026 is over


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(tmp_path)  # no stray .env; relative --out lands here
    env = {"QA_BOT_DATABASE_URL": db_url, "QA_BOT_FRAMEWORK": FRAMEWORK}
    root = typer.Typer()
    summary.register(root)

    @root.callback()
    def _group() -> None:  # keep `summary` a sub-command, as in `qa-bot`
        pass

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(root, list(args), env=env)

    return invoke


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    with Session(engine) as session:
        out = seed(session)
        session.commit()
    return out


def queued(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as s:
        return list(s.exec(select(OutboxMessage)))


@pytest.mark.parametrize("suffix", [".html", ".md", ".csv"])
def test_out_writes_the_report_in_the_format_its_name_says(
    cli: Invoke, seeded: Seeded, tmp_path: Path, suffix: str
) -> None:
    result = cli("summary", "--month", "2026-03", "--out", f"report{suffix}", "--at", AFTER_MARCH)

    assert result.exit_code == 0, result.output
    assert "Wrote the March 2026 summary to report" in result.output
    text = (tmp_path / f"report{suffix}").read_text(encoding="utf-8")
    if suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert ["Overall grade: Good or better (%)", "All services", "67%"] in rows
        # Agreement between auditors and moderators (worked in test_summary_jobs.py).
        assert ["Overall grade: Weighted kappa", "All services", "0.80"] in rows
        assert ["March 2026: Moderated (n)", "All services", "4"] in rows
        assert ["April 2025 to March 2026: AC1", "All services", "0.33"] in rows
    else:
        assert "QA Board: monthly summary for March 2026" in text
        assert "fewer than 5" in text  # the default threshold of 5
        assert "How far can the grades be trusted?" in text
        assert "Agreement on the overall grade, month by month" in text
    for secret in [*seeded.names, *seeded.references, "Tallulah"]:
        assert secret not in text


def test_the_current_month_can_be_written_so_far(cli: Invoke, tmp_path: Path) -> None:
    result = cli("summary", "--month", "2026-11", "--out", "report.html")

    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--month", "2026-13"], "write it as YYYY-MM"),
        (["--month", "March"], "write it as YYYY-MM"),
        (["--month", "2026-03", "--out", "report.pdf"], "name the file .html, .md or .csv"),
        (["--month", "2026-03", "--out", "report"], "cannot write a 'no suffix' report"),
        (["--month", "2026-03", "--out", "missing/report.md"], "does not exist"),
        (["--month", "2026-05", "--at", AFTER_MARCH], "May 2026 has not begun yet"),
        (["--month", "2026-04", "--post", "--at", AFTER_MARCH], "April 2026 is not over yet"),
    ],
)
def test_mistakes_are_explained_with_exit_status_1(
    cli: Invoke, tmp_path: Path, args: list[str], says: str
) -> None:
    result = cli("summary", *args)

    assert result.exit_code == 1
    assert says in " ".join(result.output.split())
    assert list(tmp_path.glob("report*")) == []


def test_post_queues_one_message_per_governance_channel_once(
    cli: Invoke, engine: Engine, seeded: Seeded
) -> None:
    first = cli("summary", "--month", "2026-03", "--post", "--at", AFTER_MARCH)
    again = cli("summary", "--month", "2026-03", "--post", "--at", AFTER_MARCH)

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert "Queued the March 2026 summary for 1 channel(s) (board)" in first.output
    assert "0 channel(s); 1 already had it" in again.output
    (message,) = queued(engine)
    assert (message.template, message.channel) == ("summary_post", "board")
    assert message.idempotency_key == "summary:board:2026-03"


def test_json_gives_the_figures_and_what_was_done(
    cli: Invoke, engine: Engine, seeded: Seeded
) -> None:
    result = cli("summary", "--month", "2026-03", "--json", "--post", "--at", AFTER_MARCH)

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["month"] == "2026-03" and document["as_of"] == "2026-03-31"
    assert document["posted"] == {"channels": ["board"], "queued": 1}
    assert document["written"] is None
    rows = document["figures"]["table"]["rows"]
    assert rows[0]["label"] == "Overall grade"
    assert rows[0]["cells"][-1] == {"name": "Good or better", "value": "8 (67%)"}
    assert "chart" not in document["figures"]


def test_without_out_or_post_it_prints_the_headlines(cli: Invoke, seeded: Seeded) -> None:
    result = cli("summary", "--month", "2026-03", "--at", AFTER_MARCH)

    assert result.exit_code == 0, result.output
    assert "12 audits completed in March 2026." in result.output
    # The authority's grade mix is shown in full; suppression is for team figures.
    assert "- Assessment: Graded 12; Outstanding 3 (25%);" in result.output
