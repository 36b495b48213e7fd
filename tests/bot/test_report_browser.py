"""The HTML report as a browser shows it: headless Chromium takes a screenshot.

Skipped, with the reason, where no Chromium is installed (`apt-get install chromium`).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from bot.reports import render_chart, write_report
from qa.framework import load_framework
from qa.reporting import summary
from tests.qa import report_dataset as data

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium or chromium-browser on PATH (Debian: apt-get install chromium)",
)
def test_the_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    fw = load_framework("tests/data/framework-small.yml")
    s = summary(
        fw,
        data.MARCH,
        data.audits(),
        data.allocations(),
        data.recommendations(),
        data.escalations(),
        threshold=1,
        today=data.TODAY,
    )
    report = write_report(s, tmp_path / "report.html", render_chart(s))
    shot = tmp_path / "shot.png"
    assert CHROMIUM is not None
    done = subprocess.run(
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
            f"--screenshot={shot}",
            "--window-size=1200,1600",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert shot.exists(), f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 1600)
    counts: list[tuple[int, tuple[int, int, int]]] = image.getcolors(1 << 24) or []  # type: ignore[assignment]
    white = sum(n for n, colour in counts if colour == (255, 255, 255))
    assert len(counts) > 50, "the page is blank or flat"
    assert white < 0.95 * 1200 * 1600, "almost nothing was drawn"
    # the chart's dark blue (Outstanding) is on the first screen
    assert any(b > 120 and r < 60 for _, (r, _, b) in counts), "the chart did not render"
