"""The summary as one self-contained HTML file, fit for board papers.

Self-contained: the CSS is inline and the chart is a `data:` URI, so the file can be
emailed or attached to board papers and opens anywhere, offline. Accessible (docs/ux.md):
headings in order, every table with a caption and `<th scope>` headers, the chart
with alt text and the same figures in tables, colour never the only signal. The
wording is in `templates/summary.html.j2`; Jinja2 escapes every value.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.reports.chart import Chart
from bot.reports.tables import lede, sections
from qa.reporting import Summary

__all__ = ["environment", "render_html", "render_page"]

TEMPLATES = Path(__file__).parent / "templates"


def environment() -> Environment:
    """The Jinja2 environment for this folder's templates: HTML autoescaped, strict."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "html.j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(template: str, chart: Chart, **context: Any) -> str:
    """Fill `template` with `context` and the chart inline as a `data:` URI, with its alt text.

    The one way a report page carries its chart, so every page stays self-contained.
    """
    png = base64.b64encode(chart.png).decode("ascii")
    return (
        environment()
        .get_template(template)
        .render(chart_src=f"data:image/png;base64,{png}", chart_alt=chart.alt_text, **context)
    )


def render_html(summary: Summary, chart: Chart) -> str:
    """The report as an HTML document (a string, UTF-8 when written)."""
    return render_page(
        "summary.html.j2",
        chart,
        s=summary,
        sections=sections(summary),
        lede=lede(summary),
    )
