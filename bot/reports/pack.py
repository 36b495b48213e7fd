"""The inspection pack as HTML (one self-contained file) and PDF (printed by Chromium).

The figures are `qa.inspection_pack.Pack`'s; this module draws its chart (matplotlib's
Agg canvas, the board summary's colours and hatching, `bot.reports.chart`), fills
`templates/pack.html.j2` (Jinja2 escapes every value) and, for a PDF, prints that HTML
with headless Chromium, the same engine the report's browser test uses. No Chromium:
a `ReportError` that says how to install it, or to write .html instead.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.reports.chart import Chart, draw_bar, legend_handles
from bot.reports.html import render_page
from qa.inspection_pack import (
    HELP_AND_PROTECTION,
    IN_CARE,
    LEADERS,
    LEAVERS,
    JudgementArea,
    Pack,
)
from qa.report_grades import GradeTable

__all__ = ["PACK_FORMATS", "chromium", "render_pack_chart", "render_pack_html", "write_pack"]

PACK_FORMATS = (".html", ".pdf")
_LINES = ["#08519c", "#d94801", "#3f007d", "#238b45", "#737373"]
_MARKERS = ["o", "s", "^", "D", "v"]


def _bars(pack: Pack) -> list[tuple[str, GradeTable | None]]:
    out: list[tuple[str, GradeTable | None]] = [("All services", pack.all_services)]
    out += [(j.short, j.table) for j in pack.judgement_areas]
    if pack.other is not None:
        out.append((pack.other.short, pack.other.table))
    return out


def _lines(pack: Pack) -> list[tuple[str, JudgementArea | None]]:
    out: list[tuple[str, JudgementArea | None]] = [("All services", None)]
    out += [(j.short, j) for j in pack.judgement_areas]
    return out


def alt_text(pack: Pack) -> str:
    """The chart in words; the pack's tables give the same figures."""
    mix = []
    for label, table in _bars(pack):
        if table is None or not table.rows:
            mix.append(f"{label}: no {pack.audits_word}")
            continue
        cells = ", ".join(
            f"{c.grade} {c.share.text if c.share.shown else c.count.text}"
            for c in table.rows[0].cells
        )
        mix.append(f"{label}: {cells}")
    return (
        f"Two charts for {pack.authority}, {pack.period}. First, the overall grade mix for "
        f"all services and each judgement area: {'; '.join(mix)}. Second, the share rated "
        "Good or better month by month for all services and each judgement area. The "
        "tables in this pack give the same figures."
    )


def render_pack_chart(pack: Pack, *, dpi: int = 100) -> Chart:
    """Grade mix per judgement area, and Good or better month by month, as one PNG."""
    bars = _bars(pack)
    fig = Figure(figsize=(10, 4.0 + 0.5 * len(bars) + 3.8), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, height_ratios=[0.5 * len(bars) + 1.8, 3.8])
    any_hidden = False
    for y, (_, table) in enumerate(bars):
        row = table.rows[0] if table and table.rows else None
        if row is None or not row.total.shown or row.total.value == 0:
            why = f"no {pack.audits_word}" if row is None or row.total.value == 0 else "not shown"
            top.text(1, y, why, va="center", fontsize=9, style="italic")
            continue
        for part in draw_bar(top, y, row):
            any_hidden = any_hidden or part.index is None
            if part.width >= 6 and part.index is not None:
                top.text(
                    part.left + part.width / 2, y, part.text, ha="center", va="center", fontsize=8,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
                )  # fmt: skip
    top.set_yticks(range(len(bars)), [textwrap.fill(b[0], 24) for b in bars], fontsize=9)
    top.invert_yaxis()
    top.set_xlim(0, 100)
    top.set_xlabel(f"Per cent of graded {pack.audits_word} (overall grade)")
    top.set_title(f"Grade mix, {pack.period}", loc="left", fontsize=11)
    handles = legend_handles(pack.grades, any_hidden=any_hidden)
    top.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.22),
        fontsize=8,
        ncol=min(len(handles), 5),
        frameon=False,
    )
    xs = list(range(len(pack.trend)))
    for i, (label, area) in enumerate(_lines(pack)):
        points = pack.trend if area is None else area.trend
        ys = [
            math.nan if p.good_or_better.percent is None else p.good_or_better.percent
            for p in points
        ]
        bottom.plot(
            xs, ys, marker=_MARKERS[i % len(_MARKERS)], color=_LINES[i % len(_LINES)],
            linewidth=2.5 if area is None else 1.5, label=label,
        )  # fmt: skip
    bottom.set_xticks(xs, [f"{p.month.name[:3]}\n{p.month.year}" for p in pack.trend], fontsize=8)
    bottom.set_ylim(0, 105)
    bottom.set_ylabel("Per cent Good or better")
    bottom.grid(axis="y", color="#e0e0e0")
    bottom.legend(fontsize=8, loc="lower left")
    bottom.set_title("Good or better (overall grade), month by month", loc="left", fontsize=11)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return Chart(buffer.getvalue(), alt_text(pack))


def render_pack_html(pack: Pack, chart: Chart | None = None) -> str:
    """The pack as one HTML document: CSS inline, the chart a `data:` URI."""
    return render_page(
        "pack.html.j2",
        chart or render_pack_chart(pack),
        p=pack,
        leaders=LEADERS,
        ilacs=(HELP_AND_PROTECTION, IN_CARE, LEAVERS),
    )


def chromium() -> str | None:
    """The Chromium to print with: $QA_BOT_CHROMIUM, else /usr/bin/chromium or on PATH."""
    named = os.environ.get("QA_BOT_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _print_pdf(html: str, path: Path, folder: Path) -> None:
    from bot.reports import ReportError

    browser = chromium()
    if browser is None:
        raise ReportError(
            "cannot write a PDF: Chromium is not installed (Debian: apt-get install "
            "chromium; or set QA_BOT_CHROMIUM to its path). Write the pack as .html instead "
            "and print it from a browser."
        )
    with tempfile.TemporaryDirectory(prefix=".pack.", dir=folder) as work:
        source = Path(work) / "pack.html"
        source.write_text(html, encoding="utf-8")
        target = Path(work) / "pack.pdf"
        try:
            subprocess.run(
                [
                    browser, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
                    f"--user-data-dir={Path(work) / 'profile'}",
                    f"--print-to-pdf={target.resolve()}", source.resolve().as_uri(),
                ],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            raise ReportError(f"Chromium could not print the pack: {exc}") from None
        if not target.is_file() or target.stat().st_size == 0:
            raise ReportError("Chromium printed nothing: write the pack as .html instead")
        os.chmod(target, 0o644)
        os.replace(target, path)


def write_pack(pack: Pack, path: Path) -> Path:
    """Write the pack to `path` (.html or .pdf) whole, or raise `ReportError`."""
    from bot.reports import ReportError

    suffix = path.suffix.lower()
    if suffix not in PACK_FORMATS:
        raise ReportError(
            f"cannot write a '{suffix or 'no suffix'}' pack; name the file .html or .pdf"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ReportError(f"cannot write {path}: the folder {folder} does not exist")
    html = render_pack_html(pack)
    if suffix == ".pdf":
        _print_pdf(html, path, folder)
        return path
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(html)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
