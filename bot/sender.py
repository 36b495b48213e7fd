"""The outbox sender: claim due messages, render, send, mark sent. Never twice.

Every outbound message is already a row in the outbox (storage/outbox.py). The
sender claims due rows (oldest first, one at a time per recipient so people read
them in order), renders each for the recipient's platform, paces it (Slack: about
one a second per channel; Teams: 7 a second per conversation), sends it through a
`Messenger` and marks it sent at once, in its own short transaction, before that
send slot is used again. A crash between a send and its mark is the only way a
message can go twice, so a crash repeats at most `concurrency` messages; their claims
go stale and are taken again (or are handed back at once to a worker restarted under
the same `worker_id`).

Outcomes: RetryLater (429 with Retry-After: the recipient's pace key is held until
it expires; 5xx and network errors: exponential backoff with jitter, capped) puts
the message back in the queue; PermanentFailure is recorded for a person to see
(`qa-bot outbox failed`). Different channels are sent concurrently, bounded by a
semaphore. Database work runs in a small thread pool, off the event loop.

Nothing twice after a crash: a claim its worker never reported back (it died, or the
answer was lost) is marked `unconfirmed`; the Slack messenger then looks for the
message in the conversation (every post carries its key in metadata) before sending
it again. Teams cannot be asked, so there a crash repeats at most what was in flight.

When chat cannot deliver (the platforms say the person cannot be reached, or they
have no chat account at all) and SMTP is configured (QA_BOT_SMTP_*), the message goes
by email instead, in the same attempt: the template's plain-text rendering with a
link to the chat (bot/email/). The outbox row is the unit: it is recorded as started
just before the mail server gets it and never handed over twice, even after a crash.
Without SMTP settings it is recorded failed with the reason, as before.

A message whose context names a chart (`chart`: the monthly summary) has it drawn
when it is sent (`bot.reports.attachments`) and handed to the messenger with the
rendered message as `rendered["files"]`: PNG bytes never sit in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal, Protocol, TypeVar, cast

from bot.deps import Deps
from bot.email.compose import Mail, compose
from bot.email.mailer import EmailRefusedHere, EmailUncertain, SmtpMailer
from bot.messenger import Messenger, PermanentFailure, Recipient, RetryLater
from bot.pacing import SLACK_WINDOWS, TEAMS_WINDOWS, Pacer, Window
from bot.routing_keys import keys_for
from bot.sender_store import ClaimedMessage, Outcome, SenderStore
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
T = TypeVar("T")

NO_ACCOUNT = "no chat account: add their Slack id or Teams id, or check their email"
EMAIL_UNCERTAIN = (
    "an email was being handed to the mail server when the bot stopped; it may have "
    "arrived, so it was not sent again: check with the person"
)


class RendererLike(Protocol):
    """What the sender needs of `bot.render.Renderer`."""

    def render(self, template: str, context: Any, platform: Any) -> dict[str, Any]: ...


class Mailer(Protocol):
    """What the sender needs of `bot.email.mailer.SmtpMailer`."""

    sender: str

    async def send(self, mail: Mail, before_data: Callable[[], bool]) -> None: ...


class Editor(Protocol):
    """A messenger that can edit a message it sent (optional, beside `Messenger`).

    When a message's context has `update_of` (the idempotency key of an earlier message
    to the same recipient) and that one was sent on this platform, the sender calls
    `update(ref, rendered)` with the stored reference instead of `send`: the message is
    edited in place (docs/ux.md). A `PermanentFailure` from `update` (the original is gone)
    falls back to posting it afresh.
    """

    async def update(self, ref: dict[str, Any], rendered: dict[str, Any]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SenderPolicy:
    """How hard to push. The defaults suit production; tests shorten the waits."""

    concurrency: int = 20  # sends on the wire at once
    max_in_flight: int = 500  # claimed and not yet recorded (incl. waiting for a pace slot)
    batch: int = 100  # claimed per database round trip
    idle_poll: float = 1.0  # seconds between looks at the queue when there is nothing to do
    max_wait_in_memory: float = 2.0  # longer pace waits go back to the queue
    retry_base: float = 1.0  # first backoff for 5xx and network errors, doubled each time
    retry_cap: float = 300.0
    max_attempts: int = 12  # give up after this many attempts ...
    give_up_after: timedelta = timedelta(hours=24)  # ... spread over at least this long
    stale_after: timedelta = timedelta(minutes=5)  # a claim this old belongs to a dead worker
    windows: Mapping[str, Sequence[Window]] = field(
        default_factory=lambda: {"slack": SLACK_WINDOWS, "teams": TEAMS_WINDOWS}
    )


@dataclass
class DrainReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    remaining: int = 0  # still pending or being sent when the drain ended
    seconds: float = 0.0


class OutboxSender:
    def __init__(
        self,
        deps: Deps,
        messengers: list[Messenger],
        *,
        renderer: RendererLike | None = None,
        worker_id: str | None = None,
        policy: SenderPolicy | None = None,
        mailer: Mailer | None = None,
    ) -> None:
        self.deps = deps
        self.messengers = list(messengers)
        # Email for people chat cannot reach: from QA_BOT_SMTP_* unless one is given.
        self.mailer: Mailer | None = mailer or SmtpMailer.from_settings(deps.settings)
        self.policy = policy or SenderPolicy()
        self._renderer = renderer
        self._files: Any = None  # bot.reports.attachments.ChartFiles, made when first needed
        # An explicit id is stable across restarts: its leftover claims are handed back.
        self._recover = worker_id is not None
        self.worker_id = worker_id or (
            f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        )
        self.pacer = Pacer()
        self.store = SenderStore(
            deps.engine,
            self.worker_id,
            deps.clock,
            self.policy.stale_after,
            self.policy.max_attempts,
            self.policy.give_up_after,
            self.backoff,
        )
        # One thread: SQLite has one writer, and threads queueing on its lock sleep in steps.
        threads = 1 if deps.engine.dialect.name == "sqlite" else 4
        self._db = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="outbox-db")
        self._rng = random.Random()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- entry points -----------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Send whatever comes due until `stop` is set (the app's background loop)."""
        await self._pump(stop=stop, deadline=None, mode="forever")

    async def drain(self, *, until_empty: bool = True, timeout: float | None = None) -> DrainReport:
        """Send everything due, then return. With `until_empty`, also wait for messages
        put back for a retry, as long as they come due before `timeout` runs out."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        return await self._pump(
            stop=None, deadline=deadline, mode="until_empty" if until_empty else "once"
        )

    def nudge(self) -> None:
        """Look at the queue now (thread-safe): something was just enqueued."""
        if self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                self._loop.call_soon_threadsafe(self._wake.set)

    # -- the loop ---------------------------------------------------------------------
    async def _pump(
        self,
        *,
        stop: asyncio.Event | None,
        deadline: float | None,
        mode: Literal["forever", "until_empty", "once"],
    ) -> DrainReport:
        loop = asyncio.get_running_loop()
        started = loop.time()
        report = DrainReport()
        sem = asyncio.Semaphore(self.policy.concurrency)
        wake = self._wake = asyncio.Event()
        self._loop = loop
        tasks: set[asyncio.Task[None]] = set()

        def done(task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            wake.set()

        if not self.messengers:
            # Neither Slack nor Teams configured: keep the queue as it is, for later.
            log.warning("outbox: no chat platform is configured; nothing will be sent")
            if stop is not None:
                await stop.wait()
            report.remaining = await self._db_call(self.store.backlog)
            return report
        if self._recover:
            try:
                n = await self._db_call(self.store.release_own_claims)
                self._recover = False
                if n:
                    log.warning("outbox: took back %d claim(s) left by %s", n, self.worker_id)
            except Exception:  # tried again on the next run; claims go stale anyway
                log.exception("outbox: could not take back the claims of %s", self.worker_id)
        while not (stop is not None and stop.is_set()):
            if deadline is not None and loop.time() >= deadline:
                break
            room = min(self.policy.batch, self.policy.max_in_flight - len(tasks))
            jobs: list[ClaimedMessage] = []
            wake.clear()  # before claiming: a send finishing meanwhile wakes the wait below
            if room > 0:
                try:
                    jobs = await self._db_call(self.store.claim, room)
                except Exception:
                    log.exception("outbox: claiming failed; trying again shortly")
                    await self._wait(wake, stop, 2.0, deadline)
                    continue
            for job in jobs:
                task = asyncio.create_task(self._deliver(job, sem, report))
                tasks.add(task)
                task.add_done_callback(done)
            if room > 0 and len(jobs) == room:
                continue  # there may be more due right now
            timeout = self.policy.idle_poll
            if not tasks and mode == "once":
                break
            if not tasks and mode == "until_empty":
                due = await self._db_call(self.store.next_due)
                if due is None:
                    break
                wait = (due - self.deps.clock()).total_seconds()
                if deadline is not None and loop.time() + wait > deadline:
                    break
                # Due already but not claimable (behind another worker's claim): poll gently.
                timeout = min(wait, self.policy.idle_poll) if wait > 0 else self.policy.idle_poll
            await self._wait(wake, stop, timeout, deadline)
            await asyncio.sleep(0.02)  # let a few completions gather: one claim serves them
        if tasks:
            await asyncio.gather(*list(tasks), return_exceptions=True)
        try:
            report.remaining = await self._db_call(self.store.backlog)
        except Exception:  # noqa: BLE001 - only a figure for the report
            log.warning("outbox: could not count the backlog")
        report.seconds = loop.time() - started
        return report

    async def _wait(
        self,
        wake: asyncio.Event,
        stop: asyncio.Event | None,
        timeout: float,
        deadline: float | None,
    ) -> None:
        """Sleep until woken, stopped, `timeout` passes or the deadline comes."""
        if deadline is not None:
            timeout = min(timeout, max(0.0, deadline - asyncio.get_running_loop().time()))
        waiters = [asyncio.ensure_future(wake.wait())]
        if stop is not None:
            waiters.append(asyncio.ensure_future(stop.wait()))
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    # -- one message --------------------------------------------------------------------
    async def _deliver(
        self, job: ClaimedMessage, sem: asyncio.Semaphore, report: DrainReport
    ) -> None:
        try:
            outcome = await self._attempt(job, sem)
        except Exception as exc:  # a bug in a messenger or renderer must not stop the loop
            log.exception("outbox: message %s: unexpected error", job.message.id)
            outcome = Outcome("retry", error=f"unexpected {type(exc).__name__}", maybe_sent=True)
        if not outcome.recorded and not await self._save(job.message, outcome):
            return
        if outcome.kind == "sent":
            report.delivered += 1
        elif outcome.kind == "retry":
            report.retried += 1
        elif outcome.kind == "failed":
            report.failed += 1

    async def _save(self, msg: OutboxMessage, outcome: Outcome) -> bool:
        """Record the outcome in its own short transaction; False if the database failed."""
        try:
            await self._db_call(self.store.record, msg, outcome)
        except Exception:
            # The claim stays; it goes stale and is retried (a duplicate if it was sent).
            log.exception("outbox: message %s: could not record %s", msg.id, outcome.kind)
            return False
        outcome.recorded = True
        return True

    def _targets(self, job: ClaimedMessage) -> list[tuple[Messenger, Recipient]] | str:
        """The messengers that can reach the recipient, in order; or why none can."""
        msg = job.message
        if msg.person_id is not None:
            if job.person is None:
                return f"person {msg.person_id} is not in the staff list"
            recipient = Recipient(person=job.person)
            found = [(m, recipient) for m in self.messengers if m.can_reach(recipient)]
            return found or NO_ACCOUNT
        channels = {g.key: g for g in self.deps.framework.governance}
        channel = channels.get(msg.channel or "")
        if channel is None:
            return f"channel {msg.channel!r} is not in the framework file's governance list"
        targets: list[tuple[Messenger, Recipient]] = []
        for m in self.messengers:
            r = Recipient(channel_key=channel.key, channel_id=channel.address(m.platform))
            if r.channel_id and m.can_reach(r):
                targets.append((m, r))
        platforms = ", ".join(m.platform for m in self.messengers) or "the chat platform"
        return targets or (
            f"no chat channel for {channel.key!r}: set its addresses ({platforms}) "
            "in the framework file"
        )

    async def _attempt(self, job: ClaimedMessage, sem: asyncio.Semaphore) -> Outcome:
        msg = job.message
        if msg.email_started_at is not None:  # handed to the mail server before a crash
            return Outcome("failed", platform="email", error=EMAIL_UNCERTAIN)
        targets = self._targets(job)
        if isinstance(targets, str):
            if targets == NO_ACCOUNT:
                return await self._by_email(job, sem, targets, None)
            return Outcome("failed", error=targets)
        renderer = self._get_renderer()  # a missing renderer is our fault: retried, not failed
        files: list[Any] | None = None
        if _wants_files(msg):
            try:  # the summary's chart, drawn now (bot/reports/attachments.py)
                files = await asyncio.to_thread(self._get_files().files_for, msg.context)
            except Exception as exc:
                log.exception("outbox: message %s: the chart could not be drawn", msg.id)
                return Outcome("retry", error=f"the chart could not be drawn: {type(exc).__name__}")
        reasons: list[str] = []
        unreachable = True  # every platform said this person cannot be reached there
        for messenger, recipient in targets:
            platform = messenger.platform
            try:
                rendered = renderer.render(msg.template, dict(msg.context or {}), platform)
            except Exception as exc:  # noqa: BLE001 - any template fault is shown to a person
                return Outcome(
                    "failed",
                    platform=platform,
                    error=f"template {msg.template!r} cannot be rendered for {platform}: {exc}",
                )
            if files:
                rendered["files"] = files
            edit_ref = None
            if job.update_ref and job.update_ref[0] == platform and hasattr(messenger, "update"):
                edit_ref = job.update_ref[1]
            key = f"{platform}:{messenger.pace_key(recipient)}"
            held = self.pacer.held_for(key)
            if held > self.policy.max_wait_in_memory:
                return Outcome("paced", platform=platform, delay=held)
            wait = self.pacer.reserve(key, self.policy.windows.get(platform, ()))
            if wait > self.policy.max_wait_in_memory:
                return Outcome("paced", platform=platform, delay=wait)
            if wait > 0:
                await asyncio.sleep(wait)
            async with sem:
                if self._claim_aging(msg) and not await self._db_call(
                    self.store.still_ours, msg.id or 0
                ):
                    log.info("outbox: message %s: claim taken by another worker", msg.id)
                    return Outcome("lost", platform=platform)
                try:
                    ref = None
                    if edit_ref is not None:
                        with contextlib.suppress(PermanentFailure):
                            ref = await cast(Editor, messenger).update(edit_ref, rendered)
                    if ref is None:
                        ref = await messenger.send(msg, recipient, rendered)
                except RetryLater as exc:
                    if exc.after is not None:
                        self.pacer.hold(key, exc.after + 0.01)
                    error = exc.reason
                    if not error.lower().startswith(platform):
                        error = f"{platform}: {error}"
                    return Outcome(
                        "retry",
                        platform=platform,
                        error=error,
                        delay=exc.after,
                        maybe_sent=exc.maybe_sent,
                    )
                except PermanentFailure as exc:
                    reasons.append(f"{platform}: {exc.reason}" if len(targets) > 1 else exc.reason)
                    unreachable = unreachable and exc.unreachable
                    continue
                # Marked sent before this slot sends anything else: sends never run ahead
                # of their marks, so a crash repeats at most `concurrency` messages.
                sent = Outcome("sent", platform=platform, ref=ref)
                await self._save(msg, sent)
                return sent
        last = targets[-1][0].platform
        if unreachable and job.person is not None:
            return await self._by_email(job, sem, "; ".join(reasons), last)
        return Outcome("failed", platform=last, error="; ".join(reasons))

    async def _by_email(
        self, job: ClaimedMessage, sem: asyncio.Semaphore, reason: str, platform: str | None
    ) -> Outcome:
        """Chat cannot reach this person: email them the plain-text rendering, once."""
        msg, person, mailer = job.message, job.person, self.mailer
        if mailer is None or person is None or not (person.email or "").strip():
            return Outcome("failed", platform=platform, error=reason)  # as without email
        try:
            text = self._get_renderer().render(msg.template, dict(msg.context or {}), "text")
        except Exception as exc:  # noqa: BLE001 - any template fault is shown to a person
            return Outcome(
                "failed",
                platform=platform,
                error=f"{reason}; template {msg.template!r} cannot be rendered as text: {exc}",
            )
        mail = compose(
            text=str(text.get("text") or ""),
            to=person.email.strip(),
            sender=mailer.sender,
            key=msg.idempotency_key,
            authority=self.deps.framework.authority,
            link=await self._chat_link(),
        )
        mid = msg.id or 0

        def before_data() -> bool:
            return self.store.email_started(mid, reason)

        async with sem:
            try:
                await mailer.send(mail, before_data)
            except EmailRefusedHere:
                log.info("outbox: message %s: claim taken by another worker", msg.id)
                return Outcome("lost", platform="email")
            except RetryLater as exc:
                return Outcome(
                    "retry",
                    platform="email",
                    error=f"{reason}; {exc.reason}",
                    delay=exc.after,
                    email_not_sent=True,
                )
            except PermanentFailure as exc:
                return Outcome(
                    "failed", platform="email", error=f"{reason}; {exc.reason}", email_not_sent=True
                )
            except EmailUncertain as exc:
                return Outcome("failed", platform="email", error=f"{reason}; {exc.reason}")
            log.info("outbox: message %s went by email: chat cannot reach person %s",
                     msg.id, person.id)  # fmt: skip
            sent = Outcome("sent", platform="email", ref={"email": mail.message_id})
            await self._save(msg, sent)
            return sent

    async def _chat_link(self) -> str | None:
        """The link in an email that opens the chat: the setting, else the first platform's."""
        if self.deps.settings.email_chat_link:
            return self.deps.settings.email_chat_link
        for messenger in self.messengers:
            finder = getattr(messenger, "chat_link", None)
            if finder is None:
                continue
            try:
                link = await finder()
            except Exception:  # noqa: BLE001 - an email without a link still helps
                log.warning("outbox: could not work out the chat link for %s", messenger.platform)
                continue
            if link:
                return str(link)
        return None

    def _get_renderer(self) -> RendererLike:
        if self._renderer is None:
            from bot.render import Renderer  # imported when first needed

            self._renderer = Renderer(self.deps.framework, keys=keys_for(self.deps.settings))
        return self._renderer

    def _get_files(self) -> Any:
        if self._files is None:
            from bot.reports.attachments import ChartFiles  # matplotlib only when needed

            deps = self.deps
            self._files = ChartFiles(deps.engine, deps.framework, deps.settings.tz)
        return self._files

    def backoff(self, attempts: int) -> float:
        """Exponential backoff with jitter: half to all of base * 2^(n-1), capped."""
        raw = min(self.policy.retry_cap, self.policy.retry_base * 2 ** max(0, attempts - 1))
        return raw * self._rng.uniform(0.5, 1.0)

    def _claim_aging(self, msg: OutboxMessage) -> bool:
        """A claim past half the stale window may be taken over soon: check it first.
        Fresher claims cannot have been, so they skip the extra read."""
        claimed = msg.claimed_at
        return claimed is None or (self.deps.clock() - claimed > self.policy.stale_after / 2)

    async def _db_call(self, fn: Callable[..., T], *args: Any) -> T:
        """Database work in the sender's own thread, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)


def _wants_files(msg: OutboxMessage) -> bool:
    """A message whose context names files to send with it (the summary's `chart`)."""
    return isinstance((msg.context or {}).get("chart"), dict)
