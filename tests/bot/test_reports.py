"""The summary's chart and report files: accessible, self-contained, and safe to share.

Built from the hand-worked month in tests/qa/report_dataset.py.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from bot.reports import (
    Chart,
    ReportError,
    render_chart,
    render_csv,
    render_html,
    render_markdown,
    write_report,
)
from qa.framework import Framework, load_framework
from qa.reporting import Summary, summary
from qa.working_days import Month
from tests.qa import report_dataset as data


@pytest.fixture(scope="module")
def small() -> Framework:
    return load_framework("tests/data/framework-small.yml")


def everywhere(fw: Framework) -> Framework:
    """Small numbers suppressed at every level, the authority's too (the strictest)."""
    dumped = fw.model_dump()
    dumped["summary"]["suppress_from"] = "authority"
    return Framework.model_validate(dumped)


def make(fw: Framework, threshold: int = 5) -> Summary:
    return summary(
        fw,
        data.MARCH,
        data.audits(),
        data.allocations(),
        data.recommendations(),
        data.escalations(),
        threshold=threshold,
        today=data.TODAY,
    )


@pytest.fixture(scope="module")
def open_summary(small: Framework) -> Summary:
    return make(small, threshold=1)


@pytest.fixture(scope="module")
def chart(open_summary: Summary) -> Chart:
    return render_chart(open_summary)


class Page(HTMLParser):
    """What a screen reader and a checker care about: tags, attributes, text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


# -- the chart ------------------------------------------------------------------------------------


def test_the_chart_is_a_png_with_alt_text_in_words(chart: Chart) -> None:
    image = Image.open(io.BytesIO(chart.png))
    assert image.format == "PNG" and image.width >= 800 and image.height >= 600
    assert len(image.convert("RGB").getcolors(1 << 24) or []) > 20  # drawn, not blank
    alt = chart.alt_text
    assert "March 2026" in alt and "grade mix per domain" in alt
    assert "Assessment: Outstanding 25%, Good 42%, Requires Improvement 25%, Inadequate 8%" in alt
    assert "67% in March 2026" in alt and "same figures" in alt


def test_the_chart_never_tells_a_hidden_number(small: Framework) -> None:
    hidden = render_chart(make(everywhere(small)))
    assert "Outstanding fewer than 5" in hidden.alt_text
    assert "17%" not in hidden.alt_text  # 2 of 12 Outstanding, hidden in the table too


def test_a_month_without_audits_still_draws(small: Framework) -> None:
    empty = summary(small, Month(2025, 6), [], [], [], [], today=data.TODAY)
    chart = render_chart(empty)
    assert chart.png.startswith(b"\x89PNG") and "no audits this month" in chart.alt_text


# -- the HTML report ------------------------------------------------------------------------------


def test_the_html_report_is_self_contained(open_summary: Summary, chart: Chart) -> None:
    html = render_html(open_summary, chart)
    page = Page(html)
    (img,) = page.all("img")
    assert (img["src"] or "").startswith("data:image/png;base64,")
    assert img["alt"] == chart.alt_text
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)
    assert "<link" not in html and "<script" not in html


def test_the_html_report_works_with_a_screen_reader(open_summary: Summary, chart: Chart) -> None:
    page = Page(render_html(open_summary, chart))
    assert page.all("html")[0]["lang"] == "en-GB"
    headings = [int(t[1]) for t, _ in page.tags if re.fullmatch(r"h[1-6]", t)]
    assert headings[0] == 1 and headings.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(headings))  # no jumps
    tables = page.all("table")
    assert len(tables) == len(page.all("caption")) >= 8
    assert all(th.get("scope") in ("col", "row") for th in page.all("th"))


def test_the_html_report_holds_every_figure(open_summary: Summary, chart: Chart) -> None:
    text = " ".join(" ".join(Page(render_html(open_summary, chart)).text).split())
    for figure in (
        "How much did we do?",
        "How well did we do it?",
        "Is anyone better off?",
        "How does this compare?",
        "What is working well?",
        "6 (50%)",  # Good, overall, all services
        "up 7 points (was 60%)",
        "Voice of the child",
        "The voice of the child is clear throughout the record.",
        "Good or better (overall grade), month by month",
    ):
        assert figure in text, figure


def test_framework_labels_are_escaped(small: Framework, chart: Chart) -> None:
    dumped = small.model_dump()
    dumped["audit_form"]["domains"][0]["label"] = "<script>alert(1)</script>"
    html = render_html(make(Framework.model_validate(dumped), threshold=1), chart)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- Markdown and CSV -----------------------------------------------------------------------------


def test_markdown_has_the_same_tables(open_summary: Summary, chart: Chart) -> None:
    md = render_markdown(open_summary, chart)
    assert md.startswith("# QA Board: monthly summary for March 2026\n")
    assert "| Domain | Graded | Outstanding | Good | Requires Improvement | Inadequate |" in md
    assert "| Overall grade | 12 | 2 (17%) | 6 (50%) | 3 (25%) | 1 (8%) | 8 (67%) |" in md
    assert f"*Chart:* {chart.alt_text[:40]}" in md


def test_markdown_text_cannot_break_a_table(small: Framework) -> None:
    dumped = small.model_dump()
    dumped["audit_form"]["domains"][0]["label"] = "Risk | *bold* [link](x)"
    md = render_markdown(make(Framework.model_validate(dumped), threshold=1))
    assert r"| Risk \| \*bold\* \[link\](x) | 12 |" in md


def test_csv_has_one_figure_a_row(open_summary: Summary) -> None:
    rows = list(csv.reader(io.StringIO(render_csv(open_summary))))
    assert rows[0] == ["figure", "scope", "value"]
    assert ["Completion rate", "All services", "80%"] in rows
    assert ["Completion rate", "Service: North", "86%"] in rows
    assert ["Overall grade: Good (number)", "All services", "6"] in rows
    assert ["Overall grade: Good (%)", "All services", "50%"] in rows
    assert ["Planning: Good or better (%)", "Service: South", "50%"] in rows
    assert ["Good or better: overall grade: Change on March 2025", "All services",
            "up 17 points (was 50%)"] in rows  # fmt: skip
    assert ["What is working well?: Voice of the child", "March 2026", "6"] in rows
    assert all(len(r) == 3 for r in rows)


def test_csv_shows_suppressed_figures_as_words(small: Framework) -> None:
    rows = list(csv.reader(io.StringIO(render_csv(make(everywhere(small))))))
    assert ["Overall grade: Outstanding (number)", "All services", "fewer than 5"] in rows
    assert ["Overall grade: Good (number)", "All services", "not shown"] in rows
    assert ["Overall grade: Good (%)", "All services", "not shown"] in rows


def test_csv_cells_cannot_run_as_formulas(small: Framework) -> None:
    dumped = small.model_dump()
    dumped["audit_form"]["domains"][0]["label"] = "=HYPERLINK(1)"
    text = render_csv(make(Framework.model_validate(dumped), threshold=1))
    rows = list(csv.reader(io.StringIO(text)))
    assert ["'=HYPERLINK(1): Good (number)", "All services", "5"] in rows
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


# -- aggregates only ------------------------------------------------------------------------------


def test_no_case_reference_id_or_name_in_any_output(small: Framework) -> None:
    for threshold in (1, 5):
        s = make(small, threshold)
        chart = render_chart(s)
        outputs = [render_html(s, chart), render_markdown(s, chart), render_csv(s), chart.alt_text]
        for text in outputs:
            assert data.CASE_REFERENCE not in text and data.CHILD_NAME not in text
            assert "12/03/2015" not in text
            for audit in data.audits():
                assert str(audit.case_id) not in text


# -- writing files --------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".html", ".md", ".csv"])
def test_write_report_picks_the_format_from_the_suffix(
    open_summary: Summary, chart: Chart, tmp_path: Path, suffix: str
) -> None:
    path = write_report(open_summary, tmp_path / f"report{suffix}", chart)
    text = path.read_text(encoding="utf-8")
    assert {".html": "<!DOCTYPE html>", ".md": "# QA Board", ".csv": "figure,scope,value"}[
        suffix
    ] in text
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_write_report_refuses_what_it_cannot_write(open_summary: Summary, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"cannot write a '\.pdf' report; name the file"):
        write_report(open_summary, tmp_path / "report.pdf")
    with pytest.raises(ReportError, match=r"the folder .* does not exist"):
        write_report(open_summary, tmp_path / "missing" / "report.csv")
    assert list(tmp_path.iterdir()) == []
