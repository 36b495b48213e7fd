"""A closed-loop HTTP load generator in a process of its own, cheap enough not to be
the bottleneck.

`bench/floor.py` starts it once per measurement (`python -m bench.loadgen`), writes a
JSON job to its standard input and reads the timings from its standard output. It
keeps `concurrency` requests in flight over keep-alive connections, each a few lines
of HTTP/1.1 over asyncio streams: no HTTP library on the client side, so at a thousand
requests a second it uses a fraction of a core and the server under test is what is
measured. Whether that holds is checked, not assumed: the bench runs the bare app
against itself (an A/A run) and prints that ratio as the noise floor.

Each request is built just before it is sent: `__N__` in the body becomes a number
unique to the request (Teams activity ids and Slack `action_ts` differ, as they do in
life, so no request is a duplicate the bot would skip), and Slack requests are signed
with the current timestamp.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class LoadJob:
    url: str  # http://127.0.0.1:PORT/path
    body: str  # with __N__ where a unique number goes
    content_type: str
    total: int
    concurrency: int
    warmup: int = 0
    slack_secret: str | None = None  # sign as Slack does when set


def _headers(job: LoadJob, host: str, path: str, body: bytes) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        f"Content-Type: {job.content_type}",
        f"Content-Length: {len(body)}",
        "Connection: keep-alive",
    ]
    if job.slack_secret:
        ts = str(int(time.time()))
        base = f"v0:{ts}:".encode() + body
        signature = hmac.new(job.slack_secret.encode(), base, hashlib.sha256).hexdigest()
        lines += [f"X-Slack-Request-Timestamp: {ts}", f"X-Slack-Signature: v0={signature}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _read_response(reader: asyncio.StreamReader) -> int:
    """The status code, after reading the whole response (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    headers = {
        k.strip().lower(): v.strip()
        for k, _, v in (line.partition(":") for line in header_lines if line)
    }
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).strip() or b"0", 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def run(job: LoadJob) -> dict[str, Any]:
    parts = urlsplit(job.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path or "/"
    numbers = itertools.count(int(time.time() * 1000))
    template = job.body.encode()
    timings: list[float] = []
    failures = 0

    async def worker(count: int, record: bool) -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for _ in range(count):
                body = template.replace(b"__N__", str(next(numbers)).encode())
                request = _headers(job, f"{host}:{port}", path, body) + body
                start = time.perf_counter()
                try:
                    writer.write(request)
                    await writer.drain()
                    status = await _read_response(reader)
                    ok = 200 <= status < 300
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                if record:
                    timings.append((time.perf_counter() - start) * 1000)
                    failures += 0 if ok else 1
        finally:
            writer.close()

    def shares(total: int) -> list[int]:
        base, extra = divmod(total, job.concurrency)
        return [base + (1 if i < extra else 0) for i in range(job.concurrency)]

    if job.warmup:
        await asyncio.gather(*(worker(n, False) for n in shares(job.warmup)))
    started = time.perf_counter()
    await asyncio.gather(*(worker(n, True) for n in shares(job.total)))
    elapsed = time.perf_counter() - started
    return {"ms": timings, "failures": failures, "elapsed": elapsed}


def main() -> int:
    spec = json.loads(sys.stdin.read())
    result = asyncio.run(run(LoadJob(**spec)))
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
