"""Sending outbox messages to Slack: direct messages, channel posts, edits in place.

The sender (bot/sender.py) paces and retries; this module turns Slack's answers into
the three outcomes the sender understands (bot/messenger.py):

- a reference `{"channel", "ts"}` for editing the message later;
- `RetryLater`: HTTP 429 (with its Retry-After), 5xx, timeouts and connection errors,
  and the transient `ok=false` codes;
- `PermanentFailure`: codes a person has to fix (no such user, channel not found,
  deactivated account, the bot not in the channel, a template Slack rejects).

Slack limits posting per channel (the sender paces that) and every other method per
workspace. A 429 on such a method (`users.lookupByEmail`) holds that method here, for
every recipient, until its Retry-After expires; those calls are made one at a time,
so none is already on its way when the 429 arrives.

A person without `slack_user_id` is looked up by email once; the id is written onto
their Person row (when an engine is given) and remembered here.

Files (the summary's chart, `rendered["files"]` from the sender) go the
`files_upload_v2` way: upload URL and bytes first, then the message, then the files
shared into the channel right under it. If sharing fails after the post, the retry
shares again without posting the message twice (remembered per outbox message).

Nothing twice after a crash: every post carries its outbox idempotency key in Slack
message metadata (`event_type` "qa_bot_message", `event_payload: {"key": ...}`). A
message marked `unconfirmed` (an earlier attempt's worker died, or its answer was lost)
is first looked for in the conversation's recent history (`conversations.history` with
`include_all_metadata`, from shortly before it was queued, at most a few pages); if it
is there, its `ts` is returned and nothing is posted.

A person Slack says cannot be reached (no such user, deactivated, no DM channel) gets
a `PermanentFailure` marked `unreachable`: the sender may email them instead.
"""

from __future__ import annotations

import asyncio
import http.client
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import Engine, update
from sqlmodel import Session, col

from bot.messenger import PermanentFailure, Recipient, RetryLater
from bot.settings import Settings
from storage.db import with_retries
from storage.models import OutboxMessage, Person

log = logging.getLogger(__name__)

# Posting is limited per channel (paced by the sender); everything else per method.
POSTING = frozenset({"chat.postMessage", "chat.update"})
# Called through the SDK's own method of the same name (what the tests' fakes answer);
# any other method through `api_call`.
SDK_METHODS = POSTING | {
    "users.lookupByEmail",
    "conversations.history",
    "conversations.open",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
}

PERMANENT: dict[str, str] = {
    "users_not_found": (
        "Slack has no user with their email address: add their Slack user id "
        "(slack_user_id in the staff file) or check their email"
    ),
    "user_not_found": "Slack does not know their Slack user id: check slack_user_id",
    "channel_not_found": (
        "Slack channel not found: check the channel's addresses: {slack: ...} "
        "in the framework file and that the bot has been added to it"
    ),
    "not_in_channel": "the bot is not in this Slack channel: invite it with /invite",
    "is_archived": "the Slack channel is archived",
    "channel_is_archived": "the Slack channel is archived",
    "account_inactive": "their Slack account is deactivated",
    "user_disabled": "their Slack account is deactivated",
    "cannot_dm_bot": "that Slack user is a bot",
    "messages_tab_disabled": "the bot's Messages tab is turned off in the Slack app settings",
    "restricted_action": "a Slack workspace setting stops the bot posting there",
    "msg_too_long": "the message is too long for Slack (a template problem)",
    "no_text": "the message has no text (a template problem)",
    "invalid_blocks": "Slack rejected the message layout (a template problem)",
    "invalid_blocks_format": "Slack rejected the message layout (a template problem)",
    "too_many_attachments": "too many attachments (a template problem)",
    "missing_scope": "the Slack app lacks a permission: reinstall it from app_manifest.yml",
}
# Configuration problems that affect every message: wait a while, do not give up at once.
AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired"})
AUTH_WAIT = 60.0
# Edits that cannot be made: the sender posts a new message instead.
CANNOT_EDIT = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
# For a direct message these mean the person cannot be reached in Slack at all.
UNREACHABLE = frozenset(
    {
        "users_not_found",
        "user_not_found",
        "account_inactive",
        "user_disabled",
        "channel_not_found",
        "cannot_dm_bot",
    }
)
UNKNOWN_FOR = 3600.0  # seconds an email Slack did not know is not tried again
EVENT_TYPE = "qa_bot_message"  # the metadata every post carries: its idempotency key
LOOK_BACK = 120.0  # seconds before a message was queued that its history check starts
HISTORY_PAGE = 200  # messages per conversations.history page (Slack's recommended most)
HISTORY_PAGES = 3  # pages read at most: a bounded look-back
NETWORK_ERRORS = (URLError, TimeoutError, ConnectionError, http.client.HTTPException, OSError)


class SlackMessenger:
    platform = "slack"

    def __init__(
        self,
        client: WebClient,
        settings: Settings,
        *,
        engine: Engine | None = None,
        threads: int = 32,
    ) -> None:
        self.client = client
        self.settings = settings
        self.engine = engine  # where looked-up Slack ids are cached; optional
        # Called with the person's id after a direct message reaches them.
        self.after_dm: Callable[[int], None] | None = None
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="slack-send")
        self._ids: dict[str, str] = {}  # email -> Slack user id
        self._unknown: dict[str, float] = {}  # email Slack did not know -> when it said so
        self._held: dict[str, float] = {}  # method -> monotonic time its Retry-After ends
        self._held_lock = threading.Lock()
        self._method_locks: dict[str, threading.Lock] = {}
        # outbox message id -> its post, while the files that go with it are not yet shared
        self._posted: dict[int, dict[str, Any]] = {}
        self._link: str | None = None  # what opens the bot's chat, for fallback emails

    @classmethod
    def from_settings(cls, settings: Settings, *, engine: Engine | None = None) -> SlackMessenger:
        """The messenger `serve` and `qa-bot outbox send` use: SLACK_BOT_TOKEN, SLACK_API_URL."""
        if settings.slack_bot_token is None:
            raise ValueError("SLACK_BOT_TOKEN is not set")
        client = WebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            timeout=15,
        )
        return cls(client, settings, engine=engine)

    # -- the Messenger protocol -----------------------------------------------------------
    def can_reach(self, recipient: Recipient) -> bool:
        person = recipient.person
        if person is not None:
            if person.slack_user_id:
                return True
            email = (person.email or "").strip().lower()
            return bool(email) and not self._known_unknown(email)
        return bool(recipient.channel_id)

    def _known_unknown(self, email: str) -> bool:
        """Slack said recently it has nobody with this email (they may join later)."""
        said = self._unknown.get(email)
        return said is not None and time.monotonic() - said < UNKNOWN_FOR

    def pace_key(self, recipient: Recipient) -> str:
        # A person's key does not change when their Slack id is first looked up.
        if recipient.person is not None:
            return f"person:{recipient.person.id}"
        return f"channel:{recipient.channel_id}"

    async def send(
        self, message: OutboxMessage, recipient: Recipient, rendered: dict[str, Any]
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        ref = await loop.run_in_executor(self._pool, self._send, recipient, rendered, message)
        if self.after_dm is not None and message.person_id is not None:
            self.after_dm(message.person_id)  # e.g. refresh their App Home (never blocks)
        return ref

    async def update(self, ref: dict[str, Any], rendered: dict[str, Any]) -> dict[str, Any]:
        """Edit a message sent earlier in place (`ref` is what `send` returned).

        PermanentFailure when it cannot be edited (gone, too old): the sender then posts.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._update, ref, rendered)

    async def chat_link(self) -> str | None:
        """A link that opens the bot's Messages tab (for fallback emails), or None."""
        if self._link is None:
            loop = asyncio.get_running_loop()
            self._link = await loop.run_in_executor(self._pool, self._find_link) or ""
        return self._link or None

    def _find_link(self) -> str | None:
        try:
            auth = self._call("auth.test")
            team, bot = auth.get("team_id"), auth.get("bot_id")
            app = None
            if bot:
                app = (self._call("bots.info", bot=bot).get("bot") or {}).get("app_id")
        except (RetryLater, PermanentFailure):
            return None
        if app and team:
            return f"https://slack.com/app_redirect?app={app}&team={team}"
        url = auth.get("url")
        return str(url) if url else None

    # -- sending (in a worker thread) ------------------------------------------------------
    def _send(
        self,
        recipient: Recipient,
        rendered: dict[str, Any],
        message: OutboxMessage | None = None,
    ) -> dict[str, Any]:
        message_id = message.id if message is not None else None
        key = getattr(message, "idempotency_key", None)
        try:
            channel = self._channel_for(recipient)
        except PermanentFailure as exc:
            raise _for_person(exc, recipient) from None
        files = rendered.get("files") or []
        ref = self._posted.get(message_id) if message_id is not None else None
        if ref is None and key and getattr(message, "unconfirmed", False):
            found = self._already_posted(channel, key, getattr(message, "created_at", None))
            if found is not None:
                # Its files may not have been shared before the crash; a second chart
                # would be worse than a missing one, which `qa-bot summary --post` redoes.
                log.info("slack: outbox message %s was already delivered; not sent again",
                         message_id)  # fmt: skip
                return found
        # Upload first (nothing shows yet), so a failed upload never leaves a post behind.
        uploaded = [self._upload(f) for f in _checked(files)]
        if ref is None:
            content = _content(rendered)
            if key:
                content["metadata"] = {"event_type": EVENT_TYPE, "event_payload": {"key": key}}
            try:
                resp = self._call("chat.postMessage", channel=channel, **content)
            except PermanentFailure as exc:
                raise _for_person(exc, recipient) from None
            ref = {"channel": resp.get("channel"), "ts": resp.get("ts")}
        if uploaded:
            if message_id is not None:  # a retry shares the files without posting again
                self._posted[message_id] = ref
            try:
                self._send_files(channel, uploaded)
            except PermanentFailure:  # no retry will come: forget the post
                self._posted.pop(message_id or 0, None)
                raise
            self._posted.pop(message_id or 0, None)
        return ref

    def _already_posted(
        self, channel: str, key: str, queued_at: datetime | None
    ) -> dict[str, Any] | None:
        """The post carrying `key` in the conversation's recent history, if it is there.

        A direct message is addressed to a user id; its history is read from the DM
        channel (`conversations.open` finds it). If the history cannot be read at all
        (a missing scope), the message is sent: a duplicate is better than nothing.
        """
        try:
            conversation = channel
            if channel[:1] in {"U", "W"}:
                opened = self._call("conversations.open", users=channel)
                conversation = str((opened.get("channel") or {}).get("id") or channel)
            oldest = "0"
            if queued_at is not None:
                oldest = f"{max(0.0, queued_at.timestamp() - LOOK_BACK):.6f}"
            cursor: str | None = None
            for _ in range(HISTORY_PAGES):
                params: dict[str, Any] = {
                    "channel": conversation,
                    "oldest": oldest,
                    "limit": HISTORY_PAGE,
                    "include_all_metadata": True,
                }
                if cursor:
                    params["cursor"] = cursor
                page = self._call("conversations.history", **params)
                for item in page.get("messages") or []:
                    metadata = item.get("metadata") or {}
                    payload = metadata.get("event_payload") or {}
                    if metadata.get("event_type") == EVENT_TYPE and payload.get("key") == key:
                        return {"channel": conversation, "ts": item.get("ts"), "recovered": True}
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    break
        except PermanentFailure as exc:
            log.warning("slack: could not read the conversation to check a message (%s); "
                        "sending it", exc.reason[:80])  # fmt: skip
        return None

    def _update(self, ref: dict[str, Any], rendered: dict[str, Any]) -> dict[str, Any]:
        if not ref.get("channel") or not ref.get("ts"):
            raise PermanentFailure("the earlier message has no Slack reference to edit")
        resp = self._call("chat.update", channel=ref["channel"], ts=ref["ts"], **_content(rendered))
        return {"channel": resp.get("channel"), "ts": resp.get("ts"), "edited": True}

    def _upload(self, file: dict[str, Any]) -> dict[str, str]:
        """Steps 1 and 2 of `files_upload_v2` (docs/platform-notes.md): an upload URL, then the
        bytes. The file is Slack's but shared nowhere yet; returns its id and title."""
        content: bytes = file["content"]
        resp = self._call(
            "files.getUploadURLExternal",
            filename=str(file.get("filename") or "chart.png"),
            length=len(content),
            alt_txt=str(file.get("alt_text") or "")[:1000],
        )
        url, file_id = resp.get("upload_url"), resp.get("file_id")
        if not url or not file_id:
            raise RetryLater("slack files.getUploadURLExternal: no upload URL in the answer")
        request = urllib.request.Request(url, data=content, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status = int(answer.status)
        except urllib.error.HTTPError as exc:
            status = int(exc.code)
        except NETWORK_ERRORS as exc:
            raise RetryLater(f"slack file upload: network error ({type(exc).__name__})") from None
        if status >= 300:
            raise RetryLater(f"slack file upload: HTTP {status}")
        return {"id": str(file_id), "title": str(file.get("title") or file.get("filename") or "")}

    def _send_files(self, channel: str, files: list[dict[str, str]]) -> None:
        """Step 3 of `files_upload_v2`: share the uploaded files into the channel, where
        they show right under the message just posted (the summary's chart)."""
        self._call(
            "files.completeUploadExternal",
            files=[{"id": f["id"], "title": f["title"]} for f in files],
            channel_id=channel,
        )

    def _channel_for(self, recipient: Recipient) -> str:
        person = recipient.person
        if person is None:
            if not recipient.channel_id:
                raise PermanentFailure("no Slack channel id for this channel")
            return recipient.channel_id
        if person.slack_user_id:
            return person.slack_user_id
        email = (person.email or "").strip().lower()
        if email in self._ids:
            return self._ids[email]
        try:
            resp = self._call("users.lookupByEmail", email=email)
        except PermanentFailure:
            self._unknown[email] = time.monotonic()
            raise
        user_id = str((resp.get("user") or {}).get("id") or "")
        if not user_id:
            raise RetryLater("slack users.lookupByEmail: no user id in the answer")
        self._ids[email] = user_id
        self._remember(person, user_id)
        return user_id

    def _remember(self, person: Person, user_id: str) -> None:
        """Write a looked-up id onto the Person row, unless someone set one meanwhile."""
        if self.engine is None or person.id is None:
            return
        stmt = (
            update(Person)
            .where(col(Person.id) == person.id)
            .where(col(Person.slack_user_id).is_(None))
            .values(slack_user_id=user_id, updated_at=datetime.now(UTC))
        )

        def work(session: Session) -> None:
            session.execute(stmt)

        try:
            with_retries(self.engine, work)
        except Exception:  # noqa: BLE001 - the message still goes; looked up again next time
            log.warning("slack: could not store the Slack id of person %s", person.id)

    def _call(self, method: str, **params: Any) -> Any:
        """One Web API call, with Slack's answers mapped to RetryLater / PermanentFailure."""
        with self._held_lock:
            until = max(self._held.get(method, 0.0), self._held.get("*", 0.0))
        wait = until - time.monotonic()
        if wait > 0:
            raise RetryLater(f"slack {method}: rate limited", after=wait)
        if method in POSTING:
            return self._call_now(method, params)
        lock = self._method_locks.setdefault(method, threading.Lock())
        with lock:  # one at a time, so a 429 finds nothing else already on its way
            with self._held_lock:
                wait = self._held.get(method, 0.0) - time.monotonic()
            if wait > 0:
                raise RetryLater(f"slack {method}: rate limited", after=wait)
            return self._call_now(method, params)

    def _call_now(self, method: str, params: dict[str, Any]) -> Any:
        try:
            if method in SDK_METHODS:  # "chat.update" is the client's `chat_update`
                return getattr(self.client, method.replace(".", "_"))(**params)
            return self.client.api_call(method, params=params)
        except SlackApiError as exc:
            raise self._map_error(method, exc) from None
        except SlackClientError as exc:
            raise RetryLater(
                f"slack {method}: {type(exc).__name__}", maybe_sent=method in POSTING
            ) from None
        except NETWORK_ERRORS as exc:
            # The request may have arrived even though its answer did not.
            raise RetryLater(
                f"slack {method}: network error ({type(exc).__name__})",
                maybe_sent=method in POSTING,
            ) from None

    def _map_error(self, method: str, exc: SlackApiError) -> Exception:
        status = int(getattr(exc.response, "status_code", 200) or 200)
        error = str(exc.response.get("error") or "") if exc.response is not None else ""
        if status == 429 or error in {"ratelimited", "rate_limited"}:
            after = _retry_after(exc.response.headers if exc.response is not None else {})
            if method not in POSTING and after is not None:
                self._hold(method, after)
            return RetryLater(f"slack {method}: rate limited", after=after)
        if status >= 500:
            return RetryLater(f"slack {method}: HTTP {status}", maybe_sent=method in POSTING)
        if error in CANNOT_EDIT and method == "chat.update":
            return PermanentFailure(f"the earlier Slack message cannot be edited ({error})")
        if error in PERMANENT:
            return PermanentFailure(PERMANENT[error], unreachable=error in UNREACHABLE)
        if error in AUTH_ERRORS:
            log.error("slack: the bot token is not accepted (%s): check SLACK_BOT_TOKEN", error)
            self._hold("*", AUTH_WAIT)
            return RetryLater(f"slack {method}: {error}", after=AUTH_WAIT)
        return RetryLater(f"slack {method}: {error or f'HTTP {status}'}")

    def _hold(self, method: str, seconds: float) -> None:
        with self._held_lock:
            until = time.monotonic() + seconds
            self._held[method] = max(self._held.get(method, 0.0), until)


def _for_person(exc: PermanentFailure, recipient: Recipient) -> PermanentFailure:
    """`unreachable` only means something for a person: a channel is not emailed."""
    if exc.unreachable and recipient.person is None:
        return PermanentFailure(exc.reason)
    return exc


def _checked(files: list[Any]) -> list[dict[str, Any]]:
    """Files as `bot.reports.attachments.OutFile`; anything else is a bug, shown as such."""
    for f in files:
        if not isinstance(f, dict) or not isinstance(f.get("content"), bytes | bytearray):
            raise PermanentFailure("cannot send the message's files: a file has no content")
    return files


def _content(rendered: dict[str, Any]) -> dict[str, Any]:
    """The text (notifications, screen readers) and blocks of a rendered message."""
    content: dict[str, Any] = {"text": rendered.get("text") or ""}
    if rendered.get("blocks"):
        content["blocks"] = rendered["blocks"]
    return content


def _retry_after(headers: Any) -> float | None:
    """Retry-After in seconds from a header mapping (values may be lists)."""
    value: Any = None
    for name in ("Retry-After", "retry-after"):
        if headers and name in headers:
            value = headers[name]
            break
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None
