"""The monthly summary as files: a self-contained HTML report, Markdown and CSV.

`qa.reporting.summary` computes the figures; this package draws the chart and writes
the files. `write_report` picks the format from the file's suffix, as
`qa-bot summary --out FILE.html|.md|.csv` does, and writes all or nothing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bot.reports.chart import Chart, render_chart
from bot.reports.csv import render_csv
from bot.reports.html import render_html
from bot.reports.markdown import render_markdown
from qa.reporting import Summary

__all__ = [
    "FORMATS",
    "Chart",
    "ReportError",
    "render_chart",
    "render_csv",
    "render_html",
    "render_markdown",
    "render_report",
    "write_report",
]

FORMATS = (".html", ".md", ".csv")


class ReportError(Exception):
    """A report that cannot be written, with what to do about it."""


def render_report(summary: Summary, suffix: str, chart: Chart | None = None) -> str:
    """The report in the format `suffix` names (".html", ".md" or ".csv")."""
    suffix = suffix.lower()
    if suffix == ".html":
        return render_html(summary, chart or render_chart(summary))
    if suffix == ".md":
        return render_markdown(summary, chart)
    if suffix == ".csv":
        return render_csv(summary)
    raise ReportError(
        f"cannot write a '{suffix or 'no suffix'}' report; name the file .html, .md or .csv"
    )


def write_report(summary: Summary, path: Path, chart: Chart | None = None) -> Path:
    """Write the report to `path` whole: into a temporary file, then renamed over it."""
    text = render_report(summary, path.suffix, chart)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ReportError(f"cannot write {path}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the report from its readers
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
