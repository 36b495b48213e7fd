"""Run every benchmark module listed in BENCHES, print a table, write bench/results.json."""

from __future__ import annotations

import importlib
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.common import BenchResult

# Each module has `run() -> list[BenchResult]`.
BENCHES: list[str] = [
    "imports",
    "allocation",
    "fanout",
    "summary",
    "inspection_pack",
    "status",
    "floor",
    "latency",
    "memory",
    "crash",
]


def main(argv: list[str]) -> int:
    strict = "--strict" in argv  # exit 1 when a target is missed (for gating)
    only = {a for a in argv if not a.startswith("--")}
    results: list[BenchResult] = []
    console = Console()
    for name in BENCHES:
        if only and name not in only:
            continue
        console.print(f"[dim]running {name}...[/]")
        module = importlib.import_module(f"bench.{name}")
        results.extend(module.run())
    table = Table(title="qa-bot benchmarks")
    for col in ("figure", "value", "target", "met", "note"):
        table.add_column(col)
    for r in results:
        met = "n/a" if r.met is None else ("yes" if r.met else "NO")
        table.add_row(r.name, f"{r.value:,.3g} {r.unit}", r.target, met, r.note)
    console.print(table)
    out = Path(__file__).parent / "results.json"
    out.write_text(
        json.dumps(
            {
                "at": datetime.now(UTC).isoformat(),
                "python": platform.python_version(),
                "machine": platform.machine(),
                "results": [r.as_dict() for r in results],
            },
            indent=2,
        )
    )
    console.print(f"written to {out}")
    missed = [r.name for r in results if r.met is False]
    if missed:
        console.print(f"[yellow]{len(missed)} target(s) missed:[/] " + "; ".join(missed))
    else:
        console.print("Every target met.")
    return 1 if strict and missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
