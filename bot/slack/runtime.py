"""What every Slack listener shares: build the Interaction, run the handler, render.

Listeners stay small (ack, translate, delegate); the common steps live here:
fetch the user's email only when they are not yet matched, run `dispatch` in one
database transaction (retried on transient errors), skip events Slack has already
delivered (`ProcessedEvent`, so a retry never doubles a reply), and render replies
as Block Kit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.deps import Deps
from bot.render import Renderer
from bot.routing import keys_for, verified
from bot.slack.emails import EmailCache
from handlers.identity import known_person_id
from handlers.interaction import Interaction, Kind, Reply
from handlers.router import dispatch
from storage.db import session_scope, with_retries
from storage.models import ProcessedEvent

log = logging.getLogger(__name__)

ERROR_REPLY = Reply("error", {"message": "Please try again in a minute."})


def claim_event(*, session: Session, event_id: str, now: datetime) -> bool:
    """True the first time `event_id` is seen; False for a retry or a duplicate."""
    if session.get(ProcessedEvent, event_id) is not None:
        return False
    session.add(ProcessedEvent(event_id=event_id, received_at=now))
    session.flush()
    return True


@dataclass
class SlackRuntime:
    deps: Deps
    renderer: Renderer
    emails: EmailCache

    def now(self) -> datetime:
        """Now, in the authority's zone, so `now.date()` is the local date."""
        return self.deps.clock().astimezone(self.deps.settings.tz)

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
        event_id: str | None = None,
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
            event_id=event_id,
        )

    def handle(self, interaction: Interaction) -> list[Reply] | None:
        """The replies, or None when this event was already handled (a Slack retry)."""
        now = self.now()
        event_id = interaction.event_id

        def work(session: Session) -> list[Reply] | None:
            if event_id and not claim_event(session=session, event_id=event_id, now=now):
                return None
            checked = verified(interaction, keys_for(self.deps.settings))
            return dispatch(checked, session=session, framework=self.deps.framework, now=now)

        try:
            return with_retries(self.deps.engine, work)
        except IntegrityError:
            if event_id and self._seen(event_id):
                return None  # a concurrent delivery of the same event won the race
            raise

    def safe_handle(self, interaction: Interaction) -> list[Reply] | None:
        """`handle`, but a failure becomes a polite error reply (logged without content)."""
        try:
            return self.handle(interaction)
        except Exception as exc:  # noqa: BLE001 - the person gets a polite error
            log.error("slack: handling kind=%s failed: %s", interaction.kind, type(exc).__name__)
            return [ERROR_REPLY]

    @contextmanager
    def delivering(self, what: str) -> Iterator[None]:
        """Around Web API calls made after `ack()`: a failure there (a channel gone, a
        trigger id expired, Slack down) is logged without content and never escapes
        into Bolt, which could otherwise turn the already-sent 200 into a 500."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - the acknowledgement already went back
            log.warning("slack: delivering %s failed: %s", what, type(exc).__name__)

    def _seen(self, event_id: str) -> bool:
        with session_scope(self.deps.engine) as session:
            return session.get(ProcessedEvent, event_id) is not None

    def render(self, reply: Reply) -> dict[str, Any]:
        """Block Kit for `reply`; a template fault becomes the error message, not a 500."""
        try:
            return self.renderer.render(reply.template, reply.context, "slack")
        except Exception as exc:  # noqa: BLE001 - logged; the person still gets an answer
            log.error("slack: template %r failed: %s", reply.template, type(exc).__name__)
        try:
            return self.renderer.render(ERROR_REPLY.template, ERROR_REPLY.context, "slack")
        except Exception:  # noqa: BLE001 - the error template itself is broken
            return {"text": "Sorry, that didn't work. Please try again in a minute.", "blocks": []}


def as_home_view(rendered: dict[str, Any]) -> dict[str, Any]:
    """A Home tab view from any rendered reply (a message's blocks become the view)."""
    if rendered.get("type") == "home":
        return rendered
    return {"type": "home", "blocks": rendered.get("blocks", [])}


def message_args(rendered: dict[str, Any]) -> dict[str, Any]:
    """`text` and `blocks` of a rendered message, for chat.postMessage and friends."""
    return {"text": rendered.get("text", ""), "blocks": rendered.get("blocks", [])}
