"""How big and how deep a request body may be, and what text may go back over the wire.

Python's `json` recurses once per level of nesting: a body of a few thousand `[`
ends in a `RecursionError`, which the web framework turns into a 500 (and a
traceback in the log, and a retry from the Bot Connector). Real Slack payloads and
Bot Framework activities are a dozen levels deep at most, so anything deeper than
`MAX_DEPTH` is refused on the raw bytes, by a scan that does not recurse.
"""

from __future__ import annotations

import re
from typing import Any

MAX_BODY_BYTES = 1_000_000  # activities and payloads are a few KB; Teams caps messages near 40 KB
MAX_DEPTH = 64

# A JSON string (its brackets are not structure), or one bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_OPEN = frozenset(b"[{")


def too_deep(raw: bytes | str, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text `raw` nests arrays and objects more than `limit` levels.

    Linear in the size of `raw` and never recursive. Text that is not valid JSON may
    be judged too deep; it would be refused anyway.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # not enough brackets to be too deep: the common case, no scan
    depth = 0
    for match in _TOKENS.finditer(data):
        token = match.group(0)
        if len(token) != 1:
            continue  # a string
        if token[0] in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif depth:
            depth -= 1
    return False


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(value: Any) -> Any:
    """`value` (JSON-like) with every lone surrogate replaced by U+FFFD.

    JSON may carry `"\\ud800"`, and Python decodes it into a string that cannot be
    encoded as UTF-8: a reply quoting it would fail to send (`UnicodeEncodeError`)
    after the work was done. Replacing them keeps the reply and loses nothing real.
    """
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_lone_surrogates(v) for v in value]
    return value
