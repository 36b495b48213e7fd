"""What every Slack listener shares: build the Interaction, run it, render.

Listeners stay small (ack, translate, delegate). The turn itself (once-only claims,
one transaction, the polite error, the render fallback, the log line) is the shared
`bot.turns.TurnRunner`; what is Slack's own lives here: the email is fetched only when
the user is not yet matched, and Web API calls made after the acknowledgement never
escape into Bolt.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.slack.emails import EmailCache
from bot.turns import TurnRunner
from handlers.identity import known_person_id
from handlers.interaction import Interaction, Kind, Reply
from storage.db import with_retries

log = logging.getLogger(__name__)


def digest(*parts: str | None) -> str:
    """Stored once-only keys are hashed: a routing key is long, only identity matters."""
    raw = "\0".join(p or "" for p in parts).encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()[:32]


MODAL_PREFIX = "slack:open:"


def modal_key(user_id: str, action_id: str, value: str | None) -> str:
    """Which modal a click opens: who pressed which button for which record."""
    return f"{MODAL_PREFIX}{user_id}:{digest(action_id, value)}"


def trigger_key(kind: str, user_id: str, body: dict[str, Any]) -> str | None:
    """One effect per delivery of a slash command or a form submission: Slack gives each
    of them its own `trigger_id`, so a resent or replayed payload has the same key while
    a person's next submission (after fixing an error, say) has a new one."""
    trigger = body.get("trigger_id")
    if not isinstance(trigger, str) or not trigger:
        return None
    return f"slack:{kind}:" + digest(user_id, trigger)


def plain_message(text: str) -> dict[str, Any]:
    return {"text": text, "blocks": []}


@dataclass
class SlackRuntime:
    deps: Deps
    renderer: Any
    emails: EmailCache
    turns: TurnRunner = field(init=False)

    def __post_init__(self) -> None:
        self.turns = TurnRunner(
            self.deps, platform="slack", renderer=self.renderer, plain=plain_message
        )

    def now(self) -> datetime:
        return self.turns.now()

    def email_for(self, client: WebClient, user_id: str) -> str | None:
        """The user's email, fetched only when no active person holds this Slack id."""
        known = with_retries(
            self.deps.engine,
            lambda s: known_person_id(session=s, platform="slack", user_id=user_id),
        )
        return None if known is not None else self.emails.get(client, user_id)

    def interaction(
        self,
        client: WebClient,
        *,
        user_id: str,
        kind: Kind,
        name: str,
        text: str = "",
        values: dict[str, Any] | None = None,
        routing_key: str | None = None,
        dedup_key: str | None = None,
        dedup_window: timedelta | None = None,
        private: bool = True,
    ) -> Interaction:
        return Interaction(
            platform="slack",
            user_id=user_id,
            kind=kind,
            name=name,
            text=text,
            email=self.email_for(client, user_id),
            values=values or {},
            routing_key=routing_key,
            dedup_key=dedup_key,
            dedup_window=dedup_window,
            private=private,
        )

    def handle(self, interaction: Interaction) -> list[Reply] | None:
        return self.turns.handle(interaction)

    def safe_handle(self, interaction: Interaction) -> list[Reply] | None:
        return self.turns.safe_handle(interaction)

    def render(self, reply: Reply) -> dict[str, Any]:
        return self.turns.render(reply)

    @contextmanager
    def delivering(self, what: str) -> Iterator[None]:
        """Around Web API calls made after `ack()`: a failure there (a channel gone, a
        trigger id expired, Slack down) is logged without content and never escapes
        into Bolt, which could otherwise turn the already-sent 200 into a 500."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - the acknowledgement already went back
            log.warning("slack: delivering %s failed: %s", what, type(exc).__name__)


def as_home_view(rendered: dict[str, Any]) -> dict[str, Any]:
    """A Home tab view from any rendered reply (a message's blocks become the view)."""
    if rendered.get("type") == "home":
        return rendered
    return {"type": "home", "blocks": rendered.get("blocks", [])}


def message_args(rendered: dict[str, Any]) -> dict[str, Any]:
    """`text` and `blocks` of a rendered message, for chat.postMessage and friends."""
    return {"text": rendered.get("text", ""), "blocks": rendered.get("blocks", [])}
