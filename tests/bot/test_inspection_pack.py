"""`qa-bot inspection pack --out pack.html|pack.pdf`, and the pack in headless Chromium.

Through the command line on the hand-worked report database (tests/storage/report_seed):
the pack is written as HTML with its ILACS headings and no case reference or name;
as a PDF by Chromium; and a clear error for a suffix it cannot write or a missing
Chromium. Then the HTML as a browser shows it: a screenshot that is not blank and
carries the chart's grade colours, and the rendered headings in order. The browser
tests are skipped, with the reason, where no Chromium is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner, Result

from bot.commands import inspection
from qa.inspection_pack import HELP_AND_PROTECTION, IN_CARE, LEADERS, LEAVERS
from tests.storage.report_seed import Seeded, seed

Invoke = Callable[..., Result]
FRAMEWORK = str(Path(__file__).parents[1] / "data" / "framework-small.yml")
AFTER_MARCH = "2026-04-07T10:00"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium or chromium-browser on PATH (Debian: apt-get install chromium)",
)
HEADINGS = [
    "At a glance",
    LEADERS,
    HELP_AND_PROTECTION,
    IN_CARE,
    LEAVERS,
    "About these figures",
]
GRADE_FILLS = [(0x08, 0x51, 0x9C), (0x6B, 0xAE, 0xD6), (0xFD, 0xAE, 0x6B), (0xD9, 0x48, 0x01)]


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(tmp_path)
    env = {"QA_BOT_DATABASE_URL": db_url, "QA_BOT_FRAMEWORK": FRAMEWORK}
    root = typer.Typer()
    root.add_typer(inspection.app, name="inspection")

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(root, list(args), env=env)

    return invoke


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    with Session(engine) as session:
        out = seed(session)
        session.commit()
    return out


def write(cli: Invoke, name: str) -> Path:
    result = cli("inspection", "pack", "--month", "2026-03", "--out", name, "--at", AFTER_MARCH)
    assert result.exit_code == 0, result.output
    assert "Wrote the self-evaluation pack for April 2025 to March 2026" in result.output
    return Path(name).resolve()


def test_the_pack_is_written_as_html_with_the_ilacs_headings_and_no_reference(
    cli: Invoke, seeded: Seeded
) -> None:
    html = write(cli, "pack.html").read_text(encoding="utf-8")
    for heading in HEADINGS:
        assert f">{heading}</h2>" in html
    assert html.count(">What we know about the quality of practice</h3>") == 4
    assert ">How we know</h3>" in html and ">What we are doing</h3>" in html
    assert "Children in Need and Protection" in html  # an area of planning, mapped
    assert "data:image/png;base64," in html
    for secret in seeded.references + seeded.names:
        assert secret not in html


def test_a_suffix_the_pack_cannot_have_is_refused_before_any_work(cli: Invoke) -> None:
    result = cli("inspection", "pack", "--out", "pack.docx")
    assert result.exit_code != 0
    assert "name the file .html or .pdf" in result.output
    assert not Path("pack.docx").exists()


def test_a_pdf_without_chromium_says_how_to_get_it(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("QA_BOT_CHROMIUM", str(tmp_path / "no-such-chromium"))
    result = cli("inspection", "pack", "--out", "pack.pdf", "--at", AFTER_MARCH)
    assert result.exit_code != 0
    assert "Chromium is not installed" in result.output
    assert "apt-get install chromium" in result.output


@needs_chromium
def test_the_pack_is_printed_as_a_pdf(cli: Invoke, seeded: Seeded) -> None:
    pdf = write(cli, "pack.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) > 20_000  # text, tables and the chart


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", *args,
        ],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip


def near(colour: tuple[int, int, int], target: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 6 for a, b in zip(colour, target, strict=True))


@needs_chromium
def test_the_pack_shows_its_chart_in_headless_chromium(
    cli: Invoke, seeded: Seeded, tmp_path: Path
) -> None:
    pack = write(cli, "pack.html")
    shot = tmp_path / "shot.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1800", pack.as_uri())
    assert shot.exists(), f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    image = Image.open(shot).convert("RGB")
    counts: list[tuple[int, tuple[int, int, int]]] = image.getcolors(1 << 24) or []  # type: ignore[assignment]
    white = sum(n for n, colour in counts if colour == (255, 255, 255))
    assert len(counts) > 50, "the page is blank or flat"
    assert white < 0.95 * 1200 * 1800, "almost nothing was drawn"
    fills = [sum(n for n, c in counts if near(c, fill)) for fill in GRADE_FILLS]
    assert all(f > 300 for f in fills), f"a grade is missing from the chart: {fills}"


@needs_chromium
def test_the_rendered_pack_has_the_ilacs_headings_in_order(
    cli: Invoke, seeded: Seeded, tmp_path: Path
) -> None:
    pack = write(cli, "pack.html")
    done = chromium(tmp_path, "--dump-dom", pack.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    at = [done.stdout.find(f">{h}</h2>") for h in HEADINGS]
    assert all(i >= 0 for i in at), dict(zip(HEADINGS, at, strict=True))
    assert at == sorted(at), "the headings are out of order"
