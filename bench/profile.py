"""Where the request path spends its CPU under the floor bench's load (issue 18).

`python -m bench.profile [kind ...]` starts `qa-bot serve` on the seeded authority, sends
each kind of request from `bench/floor.py` at the same concurrency, and records the
server with py-spy (the `dev` extra), sampling only threads that hold the GIL, so
time waiting on a lock or a socket is not mistaken for work. It prints, per kind, the
share of samples under each of our own functions and of the libraries' heaviest, and
leaves the raw folded stacks in a temporary folder for a flame graph.

Kinds are matched by a word of their name: `python -m bench.profile click teams`.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import floor
from bench.servers import fake_connector, seeded_database, serve_ours, signed_allocation_key
from tests.fakes.slack_api import FakeSlackProcess

ROUNDS = 2
TOP = 25
_FRAME = re.compile(r"(?P<name>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def _frame(text: str) -> str:
    match = _FRAME.match(text)
    if match is None:
        return text
    where = match["file"].split("site-packages/")[-1].replace(str(floor.ROOT) + "/", "")
    return f"{match['name']} ({where})"


def summary(folded: Path, top: int = TOP) -> list[tuple[float, str]]:
    """(share of samples, function) for the functions under which most samples fell."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for name in {_frame(f) for f in stack.split(";")}:
            inclusive[name] += int(count)
    return [(n / total, name) for name, n in inclusive.most_common(top)] if total else []


def main(argv: list[str]) -> int:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        sys.stderr.write("py-spy is not installed: pip install -e '.[dev]'\n")
        return 1
    out = Path(tempfile.mkdtemp(prefix="qa-bench-profile-"))
    seeded = seeded_database()
    with (
        FakeSlackProcess() as slack,
        fake_connector() as connector_url,
        serve_ours(seeded, slack.url) as ours,
    ):
        for kind in floor.kinds(slack.url, signed_allocation_key(seeded), connector_url):
            if argv and not any(word.lower() in kind.name.lower() for word in argv):
                continue
            folded = out / (kind.name.replace(" ", "_").lower() + ".txt")
            argv_spy = [spy, "record", "-p", str(ours.pid), "-f", "raw", "-o", str(folded)]
            recorder = subprocess.Popen(
                [*argv_spy, "-r", "200", "--gil", "--nonblocking"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)  # let py-spy attach before the load starts
            for _ in range(ROUNDS):
                floor.load(ours, kind.path, kind.body, kind.content_type, kind.slack)
            recorder.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            recorder.wait(timeout=30)
            print(f"\n{kind.name} (folded stacks: {folded})")
            for share, name in summary(folded):
                print(f"  {share:6.1%}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
