"""The inspection self-evaluation pack on a year of demo history, on SQLite.

Issue 15's target: `qa-bot inspection pack` in under 10 seconds for a year of demo
history (`make bench`). Seeds a SQLite file as `qa-bot demo` does (Lambeth's preset,
its four areas of planning mapped to the ILACS judgement areas; the demo's default
authority of 120 staff and 3,000 cases, and its year of history), then times the
whole pack, queries included: `storage.inspection_pack.load_pack`, the chart and the
HTML (`bot.reports.pack`). Printing to PDF is Chromium's time, not ours, and is
timed apart when Chromium is installed.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bench.common import BenchResult, measure
from bot.reports.pack import chromium, render_pack_html, write_pack
from demo.authority import generate
from demo.history import generate_history
from qa.framework import preset
from qa.working_days import Month
from storage.db import make_engine, session_scope, upgrade
from storage.inspection_pack import load_pack
from storage.seed import seed_demo
from storage.seed_history import seed_history

TARGET_S = 10.0
NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


def run() -> list[BenchResult]:
    framework = preset("lambeth")
    today = NOW.astimezone(LONDON).date()
    authority = generate(framework, today=today)
    history = generate_history(framework, authority, today=today, tz=LONDON)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as s:
            seed_demo(session=s, framework=framework, authority=authority, now=NOW)
            report = seed_history(session=s, history=history, now=NOW)
        with measure(memory=False) as m:
            with Session(engine) as session:
                pack = load_pack(
                    session=session, framework=framework, last=Month.of(today), tz=LONDON,
                    today=today, threshold=5,
                )  # fmt: skip
            html = render_pack_html(pack)
        results.append(
            BenchResult(
                f"inspection pack, HTML ({report.audits:,} audits over {report.months} months)",
                m.seconds,
                "s",
                f"< {TARGET_S:g} s",
                m.seconds < TARGET_S,
                f"{len(html) // 1024} KiB, query + figures + chart",
            )
        )
        if chromium() is not None:
            with measure(memory=False) as m:
                write_pack(pack, Path(folder) / "pack.pdf")
            results.append(
                BenchResult("inspection pack, printed to PDF by Chromium", m.seconds, "s", "", None)
            )
        engine.dispose()
    return results
