"""The summary's chart: the grade mix per domain, and "Good or better" over a year.

One PNG from one figure, drawn with matplotlib's Agg canvas directly (no pyplot: no
global state, safe in a server thread). Colour is never the only signal (docs/ux.md):
every grade has its own hatching, its name is written in the bar where there is
room, and the legend repeats both. The alt text says in words what the chart shows;
the report's tables give the same figures.

Only figures the summary shows are drawn: a grade whose count is hidden is not drawn
at its size but folded into a grey "not shown" part, whose size the table's total
already gives away, so the chart tells nothing the tables do not.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from qa.reporting import GradeRow, Summary

__all__ = ["Chart", "Segment", "draw_bar", "legend_handles", "render_chart"]

# Colour-blind-safe blues for good grades, oranges for poor; hatching tells them apart
# in print and for anyone who cannot tell the colours.
_FILLS = ["#08519c", "#6baed6", "#fdae6b", "#d94801", "#7f2704", "#3f007d"]
_HATCHES = ["", "..", "//", "xx", "--", "++"]
_DARK = {"#08519c", "#d94801", "#7f2704", "#3f007d"}
_HIDDEN_FILL = "#d9d9d9"
_PERCENT_MIN = 4.0  # percent of the bar wide enough to write a percentage in


def _fits(name: str, width: float) -> bool:
    """Room in a bar `width` per cent wide for the grade's name (about 1% a letter)."""
    return width >= len(name) + 2


@dataclass(frozen=True)
class Chart:
    png: bytes
    alt_text: str


def _short(label: str) -> str:
    """The grade's name as it fits in a bar: "Requires Improvement" -> "RI"."""
    return label if len(label) <= 11 else "".join(w[0] for w in label.split()).upper()


def _segments(row: GradeRow) -> list[tuple[int | None, float, str]]:
    """(grade index or None for "not shown", width in percent, text) for one bar."""
    total = row.total.value
    out: list[tuple[int | None, float, str]] = []
    shown = 0
    for i, cell in enumerate(row.cells):
        if cell.share.shown and cell.count.value:
            shown += cell.count.value
            out.append((i, 100 * cell.count.value / total, f"{cell.share.percent}%"))
    if shown < total:
        out.append((None, 100 * (total - shown) / total, "not shown"))
    return out


@dataclass(frozen=True)
class Segment:
    """One drawn part of a bar, for its caller to write a label in."""

    index: int | None  # the grade's index; None for the grey "not shown" part
    left: float
    width: float
    text: str
    fill: str


def draw_bar(ax: Axes, y: float, row: GradeRow) -> list[Segment]:
    """Draw `row`'s grade mix as one stacked, hatched bar at `y`; its parts, left to right.

    Shared by the summary's chart and the inspection pack's, so both use the same
    colours, hatching and "not shown" folding; each labels the parts in its own way.
    """
    drawn = []
    left = 0.0
    for index, width, text in _segments(row):
        fill = _HIDDEN_FILL if index is None else _FILLS[index % len(_FILLS)]
        hatch = "" if index is None else _HATCHES[index % len(_HATCHES)]
        ax.barh(y, width, left=left, color=fill, hatch=hatch, edgecolor="white", height=0.7)
        drawn.append(Segment(index, left, width, text, fill))
        left += width
    return drawn


def legend_handles(
    grades: Sequence[str], *, any_hidden: bool, edgecolor: str | None = None
) -> list[Patch]:
    """A legend entry per grade (its fill and hatching), and one for "not shown" if drawn."""
    handles = [
        Patch(
            facecolor=_FILLS[i % len(_FILLS)],
            hatch=_HATCHES[i % len(_HATCHES)],
            edgecolor=edgecolor,
            label=g,
        )
        for i, g in enumerate(grades)
    ]
    if any_hidden:
        handles.append(Patch(facecolor=_HIDDEN_FILL, label="Not shown (small numbers)"))
    return handles


def _grade_mix(ax: Axes, s: Summary) -> None:
    table = s.how_well[0] if s.how_well else None
    rows = list(table.rows) if table else []
    labels = [textwrap.fill(r.label, 28) for r in rows]
    any_hidden = False
    for y, row in enumerate(rows):
        if not row.total.shown or row.total.value == 0:
            why = f"no {s.audits_word}" if row.total.value == 0 else "numbers too small to show"
            ax.text(1, y, why, va="center", fontsize=9, style="italic")
            continue
        for part in draw_bar(ax, y, row):
            any_hidden = any_hidden or part.index is None
            if part.width >= _PERCENT_MIN and part.index is not None:
                short = _short(s.grades[part.index])
                name = short + "\n" if _fits(short, part.width) else ""
                colour = "white" if part.fill in _DARK else "black"
                ax.text(
                    part.left + part.width / 2,
                    y,
                    f"{name}{part.text}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=colour,
                    fontweight="bold",
                    # a plain patch behind the words, so the hatching never crosses them
                    bbox={
                        "boxstyle": "round,pad=0.15",
                        "facecolor": part.fill,
                        "edgecolor": "none",
                    },
                )
    ax.set_yticks(range(len(rows)), labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"Per cent of graded {s.audits_word}")
    ax.set_title(
        textwrap.shorten(f"Grade mix, {s.authority}, {s.month.name}", 90, placeholder="…"),
        loc="left",
        fontsize=11,
    )
    handles = legend_handles(s.grades, any_hidden=any_hidden, edgecolor="white")
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 - 0.3 / max(len(rows), 1)),
        ncol=min(len(handles), 5),
        fontsize=8,
        frameon=False,
    )
    if not rows:
        ax.text(50, 0, f"No {s.audits_word} completed in {s.month.name}", ha="center")


def _trend(ax: Axes, s: Summary) -> None:
    points = s.good_or_better_by_month
    xs = list(range(len(points)))
    ys = [
        math.nan if p.good_or_better.percent is None else p.good_or_better.percent for p in points
    ]
    ax.plot(xs, ys, marker="o", color="#08519c", linewidth=2)
    for x, y, p in zip(xs, ys, points, strict=True):
        if not math.isnan(y):
            ax.annotate(
                f"{y:.0f}%",
                (x, y),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=8,
            )
        else:
            why = "none" if p.good_or_better.base.value == 0 else "not\nshown"
            ax.text(x, 3, why, ha="center", fontsize=7, color="#555555", style="italic")
    ax.set_xticks(xs, [f"{p.month.name[:3]}\n{p.month.year}" for p in points], fontsize=8)
    ax.set_ylim(0, 108)
    ax.set_ylabel("Per cent Good or better")
    ax.grid(axis="y", color="#e0e0e0")
    ax.set_title("Good or better (overall grade), the last 12 months", loc="left", fontsize=11)


def alt_text(s: Summary) -> str:
    """The chart in words: what it shows, the figures, and where the tables are."""
    parts = [f"Two charts for {s.month.name}, {s.authority}, all services."]
    table = s.how_well[0] if s.how_well else None
    if table:
        mix = []
        for row in table.rows:
            cells = ", ".join(
                f"{c.grade} {c.share.text if c.share.shown else c.count.text}" for c in row.cells
            )
            mix.append(f"{row.label}: {cells}")
        parts.append("First, the grade mix per domain. " + "; ".join(mix) + ".")
    else:
        parts.append(f"First, the grade mix per domain: no {s.audits_word} this month.")
    shown = [p for p in s.good_or_better_by_month if p.good_or_better.percent is not None]
    months = len(s.good_or_better_by_month)
    line = f"Second, the share rated Good or better in each of the last {months} months"
    if shown:
        first, last = shown[0], shown[-1]
        high = max(shown, key=lambda p: p.good_or_better.percent or 0)
        low = min(shown, key=lambda p: p.good_or_better.percent or 0)
        line += (
            f": {first.good_or_better.text} in {first.label}, {last.good_or_better.text} in "
            f"{last.label}; highest {high.good_or_better.text} ({high.label}), lowest "
            f"{low.good_or_better.text} ({low.label})"
        )
        missing = months - len(shown)
        if missing:
            line += f"; {missing} month{'s' if missing != 1 else ''} with no figure to show"
    else:
        line += ": no figures to show"
    parts.append(line + ".")
    parts.append("The tables in this report give the same figures.")
    return " ".join(parts)


def render_chart(s: Summary, *, dpi: int = 100) -> Chart:
    """The chart as PNG bytes, with its alt text."""
    rows = len(s.how_well[0].rows) if s.how_well else 1
    height = 4.2 + 0.45 * rows + 3.6
    fig = Figure(figsize=(10, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, height_ratios=[0.45 * rows + 1.6, 3.6])
    _grade_mix(top, s)
    _trend(bottom, s)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return Chart(buffer.getvalue(), alt_text(s))
