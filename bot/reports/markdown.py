"""The summary as Markdown: the same sections and tables as the HTML report.

For pasting into a wiki or a document. Markdown cannot carry the chart itself, so
the chart's alt text stands in its place (the tables hold the same figures). Text is
escaped so that a label or an excerpt can neither format nor break a table.
"""

from __future__ import annotations

import re

from bot.reports.chart import Chart, alt_text
from bot.reports.tables import Section, Table, lede, sections
from qa.reporting import Summary

__all__ = ["escape", "render_markdown"]

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_LEADING = re.compile(r"^([#>+=-]|\d+[.)])")


def escape(text: str) -> str:
    """Inert Markdown on one line: characters that could format, link, or end a table
    cell are backslashed, and so is anything that would start a heading or a list."""
    text = _SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return _LEADING.sub(r"\\\1", text)


def _table(t: Table) -> list[str]:
    head = [t.corner, *t.columns]
    lines = [
        f"*{escape(t.caption)}*",
        "",
        "| " + " | ".join(escape(h) for h in head) + " |",
        "| --- |" + " ---: |" * len(t.columns),
    ]
    for heading, cells in t.rows:
        lines.append(
            "| " + " | ".join([escape(heading), *(escape(c.display) for c in cells)]) + " |"
        )
    return [*lines, ""]


def _section(sec: Section) -> list[str]:
    lines = ["#" * sec.level + " " + escape(sec.heading), ""]
    bullet = sec.id in ("at-a-glance", "about")
    for p in sec.paragraphs:
        lines.append(("- " if bullet else "") + escape(p))
        if not bullet:
            lines.append("")
    if bullet:
        lines.append("")
    for t in sec.tables:
        lines.extend(_table(t))
    for q in sec.quotes:
        lines.extend([f"**{escape(q.theme)}: in their own words**", ""])
        lines.extend(f"> {escape(e)}\n" for e in q.excerpts)
    return lines


def render_markdown(summary: Summary, chart: Chart | None = None) -> str:
    """The report as Markdown text."""
    lines = [
        f"# {escape(summary.title)}",
        "",
        escape(lede(summary)),
        "",
    ]
    for sec in sections(summary):
        lines.extend(_section(sec))
        if sec.id == "at-a-glance":
            words = chart.alt_text if chart else alt_text(summary)
            lines.extend(["## Charts", "", f"*Chart:* {escape(words)}", ""])
    return "\n".join(lines).rstrip() + "\n"
