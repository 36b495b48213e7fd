"""How long `import cases` takes for a large authority: 50,000 cases on SQLite.

Generates a staff file (2,000 people in 60 teams) and a 50,000-case file in a temporary
directory, imports them into a fresh SQLite database, and times the case import (the
target), a no-op re-import of the same file, and the peak Python memory of an import
(measured in a separate run, since tracing memory slows the code it traces).
"""

from __future__ import annotations

import csv
import random
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import BenchResult, measure
from qa.framework import Framework, load_framework
from storage.db import make_engine, upgrade
from storage.imports import import_cases, import_staff

CASES = 50_000
SERVICES = 6
TEAMS_PER_SERVICE = 10
PEOPLE_PER_TEAM = 33
TARGET_S = 10.0
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def write_files(folder: Path, framework: Framework, *, seed: int = 7) -> tuple[Path, Path]:
    """A plausible staff.csv and cases.csv: every case in a team, most with a worker."""
    rng = random.Random(seed)
    roles = framework.role_keys
    worker_role = "practitioner" if "practitioner" in roles else roles[0]
    manager_role = "team_manager" if "team_manager" in roles else roles[-1]
    staff_path, cases_path = folder / "staff.csv", folder / "cases.csv"
    workers: dict[str, list[str]] = {}
    teams: list[tuple[str, str]] = []
    with staff_path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(
            [
                "email",
                "name",
                "roles",
                "team",
                "service",
                "line_manager_email",
                "capacity",
                "slack_user_id",
                "teams_user_id",
            ]
        )
        for s in range(SERVICES):
            service = f"Service {s + 1}"
            for t in range(TEAMS_PER_SERVICE):
                team = f"Team {s + 1}.{t + 1}"
                teams.append((team, service))
                manager = f"tm.{s}.{t}@council.gov.uk"
                out.writerow(
                    [manager, f"Manager {s}.{t}", manager_role, team, service, "", 2, "", ""]
                )
                workers[team] = []
                for p in range(PEOPLE_PER_TEAM - 1):
                    email = f"sw.{s}.{t}.{p}@council.gov.uk"
                    workers[team].append(email)
                    out.writerow(
                        [
                            email,
                            f"Worker {s}.{t}.{p}",
                            worker_role,
                            team,
                            service,
                            manager,
                            "",
                            "",
                            "",
                        ]
                    )
    start = date(2020, 1, 1)
    with cases_path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(
            ["case_reference", "service", "team", "worker_email", "area", "status", "opened_on"]
        )
        for i in range(CASES):
            team, service = teams[rng.randrange(len(teams))]
            worker = rng.choice(workers[team]) if rng.random() < 0.9 else ""
            opened = start + timedelta(days=rng.randrange(2000))
            status = "open" if rng.random() < 0.8 else "closed"
            area = framework.area_keys[i % len(framework.area_keys)]
            out.writerow([f"C{i:07d}", service, team, worker, area, status, opened.isoformat()])
    return staff_path, cases_path


def _fresh_engine(folder: Path, name: str):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{folder / name}"
    upgrade(url)
    return make_engine(url)


def run() -> list[BenchResult]:
    framework = load_framework("camden")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        staff_path, cases_path = write_files(folder, framework)
        engine = _fresh_engine(folder, "timed.db")
        with measure(memory=False) as staff_m:
            staff = import_staff(engine=engine, source=staff_path, framework=framework, now=NOW)
        with measure(memory=False) as first:
            result = import_cases(engine=engine, source=cases_path, framework=framework, now=NOW)
        with measure(memory=False) as again:
            noop = import_cases(engine=engine, source=cases_path, framework=framework, now=NOW)
        engine.dispose()

        engine = _fresh_engine(folder, "traced.db")
        import_staff(engine=engine, source=staff_path, framework=framework, now=NOW)
        with measure(memory=True) as mem:
            import_cases(engine=engine, source=cases_path, framework=framework, now=NOW)
        engine.dispose()

    assert result.main.created == CASES and not noop.changed
    return [
        BenchResult(
            f"import {CASES:,} cases (SQLite)",
            first.seconds,
            "s",
            f"< {TARGET_S:g} s",
            first.seconds < TARGET_S,
            "file checked whole, one transaction, audit rows",
        ),
        BenchResult(
            f"re-import {CASES:,} unchanged cases (SQLite)",
            again.seconds,
            "s",
            f"< {TARGET_S:g} s",
            again.seconds < TARGET_S,
            "no writes",
        ),
        BenchResult(
            f"peak memory importing {CASES:,} cases",
            mem.peak_mb,
            "MB",
            "",
            None,
            "Python heap (tracemalloc)",
        ),
        BenchResult(
            f"import {staff.main.created:,} staff (SQLite)",
            staff_m.seconds,
            "s",
            "",
            None,
            f"{SERVICES * TEAMS_PER_SERVICE} teams, {SERVICES} services",
        ),
    ]
