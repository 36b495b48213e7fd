"""One turn of any chat platform: claim it once, run the handlers, render the replies.

Both adapters (bot/slack, bot/teams) translate a request into an `Interaction` and
hand it here; what happens next is the same for every platform:

1. **Once only.** An interaction that carries a `dedup_key` (Slack's `event_id`, a
   click's `action_ts`, a form's view hash, a Teams activity `id`) claims that key in
   the same transaction as its effects, so a platform's retry, a double click or three
   concurrent copies of one activity have one effect and one reply. A claim with a
   `dedup_window` (repeated clicks on one button) only holds for that long.
2. **One transaction.** Routing keys are verified, the router answers, and the writes
   commit together; transient database errors retry the whole unit.
3. **Always an answer.** A handler that raises becomes a polite "try again" reply (the
   error type is logged, never the content); a template that fails to render becomes
   the error message, and if even that fails, a plain sentence.
4. **One log line** per turn: platform, kind, a known command or action word (else
   "-"), the number of replies. Never what someone typed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.deps import Deps
from bot.routing_keys import keys_for, verified
from handlers.interaction import Interaction, Reply
from storage.db import session_scope, with_retries
from storage.processed_events import claim, release, seen

log = logging.getLogger(__name__)

Rendered = dict[str, Any]

ERROR_REPLY = Reply("error", {"message": "Please try again in a minute."})
PLAIN_ERROR = "Sorry, that didn't work. Please try again in a minute."


class TurnRunner:
    """Runs interactions for one platform; `plain` makes a bare-text message for it."""

    def __init__(
        self,
        deps: Deps,
        *,
        platform: str,
        renderer: Any,
        plain: Callable[[str], Rendered],
    ) -> None:
        self.deps = deps
        self.platform = platform
        self.renderer = renderer
        self.plain = plain
        self.router = deps.router
        self._keys = keys_for(deps.settings)

    def now(self) -> datetime:
        """Now, in the authority's zone, so `now.date()` is the local date."""
        return self.deps.clock().astimezone(self.deps.settings.tz)

    def handle(self, interaction: Interaction) -> list[Reply] | None:
        """The replies, or None when this interaction was already handled."""
        now = self.now()
        key, window = interaction.dedup_key, interaction.dedup_window

        def work(session: Session) -> list[Reply] | None:
            if key and not claim(session=session, key=key, now=now, window=window):
                return None
            checked = verified(interaction, self._keys)
            return self.router.dispatch(
                checked,
                session=session,
                framework=self.deps.framework,
                now=now,
                tz=self.deps.settings.tz,
            )

        try:
            return with_retries(self.deps.engine, work)
        except IntegrityError:
            if key and self._seen(key):
                return None  # a concurrent copy of the same request won the race
            raise

    def safe_handle(self, interaction: Interaction) -> list[Reply] | None:
        """`handle`, but a failure becomes a polite error reply, logged without content."""
        word = self.router.known_word(interaction.name)
        try:
            replies = self.handle(interaction)
        except Exception as exc:  # noqa: BLE001 - the person gets a polite error
            log.error(
                "turn failed platform=%s kind=%s name=%s error=%s",
                self.platform,
                interaction.kind,
                word,
                type(exc).__name__,
            )
            return [ERROR_REPLY]
        if replies is None:
            log.info(
                "turn duplicate platform=%s kind=%s name=%s",
                self.platform,
                interaction.kind,
                word,
            )
        else:
            log.info(
                "turn platform=%s kind=%s name=%s replies=%d",
                self.platform,
                interaction.kind,
                word,
                len(replies),
            )
        return replies

    def render(self, reply: Reply) -> Rendered:
        """`reply` for this platform; a template fault becomes the error message."""
        context = dict(reply.context)
        if reply.errors:
            context.setdefault("errors", dict(reply.errors))
        try:
            rendered: Rendered = self.renderer.render(reply.template, context, self.platform)
            return rendered
        except Exception as exc:  # noqa: BLE001 - logged; the person still gets an answer
            log.error(
                "render failed platform=%s template=%s error=%s",
                self.platform,
                reply.template,
                type(exc).__name__,
            )
        try:
            fallback: Rendered = self.renderer.render(
                ERROR_REPLY.template, ERROR_REPLY.context, self.platform
            )
            return fallback
        except Exception:  # noqa: BLE001 - the error template itself is broken
            return self.plain(PLAIN_ERROR)

    async def run(self, interaction: Interaction) -> list[Rendered] | None:
        """`safe_handle` off the event loop, then render; None for a duplicate."""
        replies = await asyncio.to_thread(self.safe_handle, interaction)
        if replies is None:
            return None
        return [self.render(reply) for reply in replies]

    def claim_once(self, key: str, *, window: timedelta | None = None) -> bool:
        """Claim `key` on its own (for an effect outside a turn's transaction, such as
        opening a modal); False when it is already held."""
        now = self.now()
        try:
            return with_retries(
                self.deps.engine, lambda s: claim(session=s, key=key, now=now, window=window)
            )
        except IntegrityError:
            return False  # a concurrent click claimed it first

    def release(self, prefix: str) -> None:
        """Give up every claim whose key starts with `prefix` (a modal was closed)."""
        with_retries(self.deps.engine, lambda s: release(session=s, prefix=prefix))

    def known(self, user_id: str) -> bool:
        """Whether an active person already holds this account id on this platform."""
        from handlers.identity import known_person_id

        with session_scope(self.deps.engine) as session:
            found = known_person_id(session=session, platform=self.platform, user_id=user_id)
        return found is not None

    async def is_known(self, user_id: str) -> bool:
        return await asyncio.to_thread(self.known, user_id)

    def _seen(self, key: str) -> bool:
        with session_scope(self.deps.engine) as session:
            return seen(session=session, key=key)
