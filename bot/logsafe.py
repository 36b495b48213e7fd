"""Log records that cannot forge lines or carry what someone sent.

Two promises, on every path (ours, uvicorn's and the chat SDKs' loggers alike):

- **One record, one line.** A newline or other control character inside an
  interpolated argument (an action id pressed from a tampered card, a header, a
  name) would let a sender write a forged `ERROR ...` line into the log. Arguments
  are escaped (`\\n`, `\\x1b`), lone surrogates too (they also crash some handlers),
  and each is capped in length; the formatter escapes whatever is left, tracebacks
  included, so a record is always one line.
- **No payload content from the SDKs.** Bolt's "Unhandled request" warning quotes
  part of the request (a `block_suggestion` value, a typed search). Such records
  keep their first line and lose the payload.

`safe_word` is for call sites that log a word someone chose (a command word, an
action id): it passes the word only when it is one the bot knows.

`install` puts the filter and formatter on every handler of the root logger;
`qa-bot serve` calls it, and the tests' log fixture adds `SafeRecords` to
pytest's capture handler.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping
from typing import Any

MAX_ARG_CHARS = 200
MAX_MESSAGE_CHARS = 2000
UNKNOWN = "-"

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MARK = "_qa_safe"

# Loggers of the Slack SDKs (Bolt logs through `bot.slack.bolt`, see bot/slack/adapter.py).
SDK_LOGGERS = ("slack_bolt", "slack_sdk", "bot.slack.bolt")
# Bolt's own warnings that quote the request: the text before the payload is kept.
_PAYLOAD_WARNINGS = ("Unhandled request",)


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str) -> str:
    """`text` with control characters and lone surrogates written as escapes."""
    return _UNSAFE.sub(_escape, text)


def clip(text: str, limit: int = MAX_ARG_CHARS) -> str:
    """`text` escaped and cut to `limit` characters, saying how much was cut."""
    text = escape(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...(+{len(text) - limit} chars)"


def safe_word(word: object, known: Collection[str]) -> str:
    """`word` when it is one of `known` (a command word, an action id), else "-".

    For logging what someone pressed or typed: a known id says what happened; anything
    else may be a name, an email or a forged line, and is not worth the risk.
    """
    return word if isinstance(word, str) and word in known else UNKNOWN


def _safe_arg(value: Any) -> Any:
    """Numbers and short clean text pass as they are (so `%d` still works)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break logging
        return f"<{type(value).__name__}>"
    if len(text) <= MAX_ARG_CHARS and not _UNSAFE.search(text):
        return value
    return clip(text)


def _payload_free(record: logging.LogRecord) -> bool:
    """Drop the quoted payload from the SDKs' warnings that carry one."""
    if not record.name.startswith(SDK_LOGGERS):
        return False
    try:
        message = str(record.msg).lstrip()
    except Exception:  # noqa: BLE001 - a broken __str__ must not break logging
        return False
    for prefix in _PAYLOAD_WARNINGS:
        if message.startswith(prefix):
            record.msg, record.args = f"{prefix} (payload withheld)", ()
            return True
    return False


def make_safe(record: logging.LogRecord) -> logging.LogRecord:
    """Escape and cap `record`'s message and arguments in place (once)."""
    if getattr(record, _MARK, False):
        return record
    setattr(record, _MARK, True)
    if _payload_free(record):
        return record
    args = record.args
    if not isinstance(record.msg, str):
        record.msg = _safe_arg(record.msg)
    if isinstance(record.msg, str):
        # Escaping adds no "%", so the placeholders still match the arguments.
        record.msg = escape(record.msg)
        if not args and len(record.msg) > MAX_MESSAGE_CHARS:
            record.msg = clip(record.msg, MAX_MESSAGE_CHARS)
    if isinstance(args, Mapping):
        record.args = {k: _safe_arg(v) for k, v in args.items()}
    elif isinstance(args, tuple):
        record.args = tuple(_safe_arg(a) for a in args)
    return record


class SafeRecords(logging.Filter):
    """A handler filter that makes every record safe before it is formatted or kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        make_safe(record)
        return True


class OneLineFormatter(logging.Formatter):
    """Formats as usual, then escapes what is left (a traceback) so a record is one line."""

    def format(self, record: logging.LogRecord) -> str:
        return escape(super().format(record))


def install(fmt: str, *, logger: logging.Logger | None = None) -> None:
    """Make every handler of `logger` (the root by default) safe and one-line."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, SafeRecords) for f in handler.filters):
            handler.addFilter(SafeRecords())
        handler.setFormatter(OneLineFormatter(fmt))
