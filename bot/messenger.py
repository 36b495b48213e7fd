"""The seam between the outbox sender and a chat platform.

The sender (bot/sender.py) knows nothing of Slack or Teams: it claims a message,
asks each configured `Messenger` whether it can reach the recipient, renders the
template for that platform and calls `send`. A messenger turns the platform's
answers into three outcomes: a reference to the sent message (for editing it in
place later), `RetryLater` (429 with Retry-After, 5xx, network errors) or
`PermanentFailure` (no such user, channel not found, the user blocked the bot).

Two flags let the sender do better than retry or give up: `RetryLater.maybe_sent`
(the answer was lost, so the platform may have the message: look before sending it
again) and `PermanentFailure.unreachable` (this person cannot be reached on this
platform at all: the message may go by email instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from storage.models import OutboxMessage, Person


class RetryLater(Exception):
    """Try again later; `after` is the platform's Retry-After in seconds, if it gave one."""

    def __init__(
        self, reason: str, *, after: float | None = None, maybe_sent: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after
        self.maybe_sent = maybe_sent


class PermanentFailure(Exception):
    """Sending again will not help; a person must fix something (recorded for them)."""

    def __init__(self, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unreachable = unreachable


@dataclass(frozen=True)
class Recipient:
    """Who a message is for: a person (direct message) or a governance channel."""

    person: Person | None = None
    channel_key: str | None = None
    channel_id: str | None = None  # the platform's channel/conversation id


class Messenger(Protocol):
    platform: str  # "slack" or "teams"

    def can_reach(self, recipient: Recipient) -> bool:
        """Whether this platform is how `recipient` gets messages."""
        ...

    def pace_key(self, recipient: Recipient) -> str:
        """The unit the platform rate-limits on (a channel, a conversation)."""
        ...

    async def send(
        self, message: OutboxMessage, recipient: Recipient, rendered: dict[str, Any]
    ) -> dict[str, Any]:
        """Deliver `rendered`; return a reference (e.g. channel and ts) or raise."""
        ...
