"""The summary as CSV: one row per figure (figure, scope, value), for a spreadsheet.

A count shown with its percentage becomes two rows, "(number)" and "(%)", so each
cell holds one figure. Values are the figures as shown ("fewer than 5" included),
never the hidden numbers; counts without thousands separators. Every cell is escaped
against formula injection (`storage.imports.escape_for_export`): a label starting
with "=" stays text.
"""

from __future__ import annotations

import csv
import io
import re

from bot.reports.tables import sections
from qa.reporting import Summary
from storage.imports.csvfile import escape_for_export

__all__ = ["COLUMNS", "render_csv"]

COLUMNS = ("figure", "scope", "value")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+")


def _value(text: str) -> str:
    """A number as a spreadsheet reads it ("1,000" -> "1000"); words as they are."""
    return text.replace(",", "") if _GROUPED.fullmatch(text) else text


def rows(summary: Summary) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for sec in sections(summary):
        for t in sec.tables:
            for heading, cells in t.rows:
                for column, cell in zip(t.columns, cells, strict=True):
                    scope = heading if t.rows_are_scopes else t.scope
                    if t.rows_are_scopes:
                        figure = column
                    elif t.corner == "Theme":
                        figure = f"{t.caption.removeprefix('Themes: ')}: {heading}"
                    else:
                        figure = f"{heading}: {column}" if len(t.columns) > 1 else heading
                    if cell.percent is None:
                        out.append((figure, scope, _value(cell.text)))
                    else:
                        out.append((f"{figure} (number)", scope, _value(cell.text)))
                        out.append((f"{figure} (%)", scope, cell.percent))
    return out


def render_csv(summary: Summary) -> str:
    """The figures as CSV text with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows(summary):
        writer.writerow([escape_for_export(v) for v in row])
    return buffer.getvalue()
