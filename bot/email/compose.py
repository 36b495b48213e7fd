"""A fallback email from a message's plain-text rendering (`bot/templates/text/`).

The text rendering says what the chat message says, with case references only; the
email adds a link that opens the chat with the bot (where the buttons are) and why it
came by email. The Message-ID is derived from the outbox idempotency key, so even a
mail system that saw it twice could tell it is one message.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

SUBJECT_LIMIT = 120
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MARKDOWN = re.compile(r"[*_`]")


@dataclass(frozen=True)
class Mail:
    """One email, ready for `SmtpMailer.send`."""

    to: str
    subject: str
    body: str
    message_id: str


def message_id_for(key: str, sender: str) -> str:
    """`<hash@domain>`: stable for one outbox message, revealing nothing of its key."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    domain = sender.rsplit("@", 1)[-1].strip(" >") or "qa-bot.invalid"
    return f"<qa-bot.{digest}@{domain}>"


def subject_from(text: str, fallback: str) -> str:
    """The message's first line (its headline, ux.md), one line, no formatting, clipped."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = _CONTROL.sub(" ", _MARKDOWN.sub("", first)).strip(" -")
    if not first:
        return fallback
    return first if len(first) <= SUBJECT_LIMIT else first[: SUBJECT_LIMIT - 1].rstrip() + "…"


def compose(*, text: str, to: str, sender: str, key: str, authority: str, link: str | None) -> Mail:
    """The email for one outbox message; `text` is its plain-text rendering."""
    opener = (
        f"Open the chat with the QA bot to reply or act on this: {link}"
        if link
        else "Open Slack or Teams and find the QA bot to reply or act on this."
    )
    body = "\n".join(
        [
            text.strip(),
            "",
            opener,
            "",
            "--",
            f"You are getting this by email because the {authority} QA bot could not "
            "reach you in chat. Your QA lead can see why and put it right.",
        ]
    )
    return Mail(
        to=to,
        subject=subject_from(text, f"{authority} QA: a message for you"),
        body=body + "\n",
        message_id=message_id_for(key, sender),
    )
