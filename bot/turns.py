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
4. **The email only when it is needed.** A platform that can look up a newcomer's
   email (Slack's `users.info`, Teams' roster) passes the look-up, not the email. Only
   when the router answers that it does not know the account (which writes nothing
   but the claim) is the transaction rolled back, the platform called outside any
   transaction, and the turn run again with the email. Known people, who are nearly
   everyone, pay one transaction and no platform call.
5. **One log line** per turn: platform, kind, a known command or action word (else
   "-"), the number of replies. Never what someone typed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.deps import Deps
from bot.routing_keys import keys_for, verified
from handlers.interaction import Interaction, Reply
from handlers.router import is_unknown_user
from storage.db import read_scope, with_retries
from storage.processed_events import claim, held, release, seen

log = logging.getLogger(__name__)

Rendered = dict[str, Any]
EmailLookup = Callable[[], str | None]
AsyncEmailLookup = Callable[[], Awaitable[str | None]]


class _NeedsEmail(Exception):
    """Raised inside a turn's transaction when the router does not know the account and
    no email came with it: the transaction (only a claim so far) rolls back and the
    caller looks the email up outside it, then runs the turn again."""


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

    def handle(
        self, interaction: Interaction, *, email: EmailLookup | None = None
    ) -> list[Reply] | None:
        """The replies, or None when this interaction was already handled. `email` looks
        up the person's email, called only if their account is not linked yet."""
        try:
            return self._handle(interaction, ask=self._asks(interaction, email))
        except _NeedsEmail:
            assert email is not None
            return self._handle(dataclasses.replace(interaction, email=email()), ask=False)

    @staticmethod
    def _asks(interaction: Interaction, lookup: object | None) -> bool:
        return lookup is not None and not interaction.email and bool(interaction.user_id)

    def _handle(self, interaction: Interaction, *, ask: bool) -> list[Reply] | None:
        now = self.now()
        key, window = interaction.dedup_key, interaction.dedup_window

        def work(session: Session) -> list[Reply] | None:
            if key and not claim(session=session, key=key, now=now, window=window):
                return None
            checked = verified(interaction, self._keys)
            replies = self.router.dispatch(
                checked,
                session=session,
                framework=self.deps.framework,
                now=now,
                tz=self.deps.settings.tz,
            )
            if ask and is_unknown_user(replies):
                raise _NeedsEmail  # rolls back the claim, the only write so far
            return replies

        try:
            return with_retries(self.deps.engine, work)
        except IntegrityError:
            if key and self._seen(key):
                return None  # a concurrent copy of the same request won the race
            raise

    def safe_handle(
        self, interaction: Interaction, *, email: EmailLookup | None = None
    ) -> list[Reply] | None:
        """`handle`, but a failure becomes a polite error reply, logged without content."""
        try:
            return self._safe(interaction, ask=self._asks(interaction, email))
        except _NeedsEmail:
            assert email is not None
            found = self._lookup_safely(email)
            return self._safe(dataclasses.replace(interaction, email=found), ask=False)

    def _lookup_safely(self, email: EmailLookup) -> str | None:
        try:
            return email()
        except Exception as exc:  # noqa: BLE001 - no email: the person is told we don't know them
            log.warning("email look-up failed platform=%s: %s", self.platform, type(exc).__name__)
            return None

    def _safe(self, interaction: Interaction, *, ask: bool) -> list[Reply] | None:
        """One try at the turn; `_NeedsEmail` passes through, anything else is polite."""
        word = self.router.known_word(interaction.name)
        try:
            replies = self._handle(interaction, ask=ask)
        except _NeedsEmail:
            raise
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

    async def run(
        self, interaction: Interaction, *, email: AsyncEmailLookup | None = None
    ) -> list[Rendered] | None:
        """`safe_handle` off the event loop, then render; None for a duplicate. `email`
        is awaited on the loop, outside any transaction, only for an unlinked account."""
        try:
            replies = await asyncio.to_thread(
                self._safe, interaction, ask=self._asks(interaction, email)
            )
        except _NeedsEmail:
            assert email is not None
            try:
                found = await email()
            except Exception as exc:  # noqa: BLE001 - no email: the person is told we don't know them
                log.warning(
                    "email look-up failed platform=%s: %s", self.platform, type(exc).__name__
                )
                found = None
            replies = await asyncio.to_thread(
                self._safe, dataclasses.replace(interaction, email=found), ask=False
            )
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
        """Give up every claim whose key starts with `prefix` (a modal was closed).

        Looked for first in a read, which waits for no writer: most submissions have
        no hold to give up (their modal was not opened by a held click)."""
        with read_scope(self.deps.engine) as session:
            if not held(session=session, prefix=prefix):
                return
        with_retries(self.deps.engine, lambda s: release(session=s, prefix=prefix))

    def _seen(self, key: str) -> bool:
        with read_scope(self.deps.engine) as session:
            return seen(session=session, key=key)
