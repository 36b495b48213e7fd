"""The HTML report as a browser shows it: headless Chromium takes a screenshot.

The board's complaint (issue 17): 6 of 8 bars in the chart were grey, the overall
grade's included, because small-number suppression hid the authority's own grade
counts. So the screenshot is checked for the grades' colours in the chart, far more
than the grey of "not shown", and the rendered page for its headings in order.

Skipped, with the reason, where no Chromium is installed (`apt-get install chromium`).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from bot.reports import render_chart, write_report
from qa.framework import Framework, load_framework
from qa.reporting import Summary, summary
from tests.qa import report_dataset as data

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium or chromium-browser on PATH (Debian: apt-get install chromium)",
)

# The chart's fills (bot/reports/chart.py): grades best first, then "not shown".
GRADE_FILLS = [(0x08, 0x51, 0x9C), (0x6B, 0xAE, 0xD6), (0xFD, 0xAE, 0x6B), (0xD9, 0x48, 0x01)]
GREY = (0xD9, 0xD9, 0xD9)
HEADINGS = [
    "At a glance",
    "Charts",
    "How much did we do?",
    "How well did we do it?",
    "Moderation",
    "Is anyone better off?",
    "How does this compare?",
    "About these figures",
    "Appendix: team figures",
]


def camden_like() -> Framework:
    """The small framework in Camden's words, grouped by team as Camden's board is."""
    dumped = load_framework("tests/data/framework-small.yml").model_dump()
    dumped["vocabulary"].update(audit="learning conversation", audits="learning conversations")
    dumped["summary"]["group_by"] = ["service", "team", "domain"]
    return Framework.model_validate(dumped)


def board_summary() -> Summary:
    # The default threshold (5), as the board receives it: the one that greyed the bars.
    return summary(
        camden_like(),
        data.MARCH,
        data.audits(),
        data.allocations(),
        data.recommendations(),
        data.escalations(),
        today=data.TODAY,
    )


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def near(colour: tuple[int, int, int], target: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 6 for a, b in zip(colour, target, strict=True))


def test_the_board_report_shows_its_grade_mix_in_headless_chromium(tmp_path: Path) -> None:
    s = board_summary()
    report = write_report(s, tmp_path / "report.html", render_chart(s))
    shot = tmp_path / "shot.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1800", report.as_uri())
    assert shot.exists(), f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 1800)
    counts: list[tuple[int, tuple[int, int, int]]] = image.getcolors(1 << 24) or []  # type: ignore[assignment]
    white = sum(n for n, colour in counts if colour == (255, 255, 255))
    assert len(counts) > 50, "the page is blank or flat"
    assert white < 0.95 * 1200 * 1800, "almost nothing was drawn"
    fills = [sum(n for n, c in counts if near(c, fill)) for fill in GRADE_FILLS]
    grey = sum(n for n, c in counts if near(c, GREY))
    assert all(f > 500 for f in fills), f"a grade is missing from the chart: {fills}"
    assert sum(fills) > 4 * grey, f"the bars are mostly grey: grades {fills}, grey {grey}"


def test_the_rendered_report_has_its_headings_in_order(tmp_path: Path) -> None:
    s = board_summary()
    report = write_report(s, tmp_path / "report.html", render_chart(s))
    done = chromium(tmp_path, "--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    at = [dom.find(f">{h}</h2>") for h in HEADINGS]
    assert all(i >= 0 for i in at), dict(zip(HEADINGS, at, strict=True))
    assert at == sorted(at), "the headings are out of order"
    # The framework's words, not "audits"; team detail only in the appendix.
    assert "learning conversations completed" in dom
    assert dom.find("Team: ") > dom.find(">Appendix: team figures</h2>")
