"""Proactive Teams messages for the outbox sender (the `bot.messenger.Messenger` protocol).

A person is reached through the conversation reference stored when they installed
the app or last wrote to the bot (service URL + conversation id). Someone the bot has
never heard from is found through Microsoft Graph (install the app for them, read the
1:1 chat id) when Graph is configured, or else by opening a 1:1 chat with their Teams
id. What was found is stored on the person, so the lookup happens once.

Governance channels are Teams conversation ids (the framework's `addresses: {teams: ...}`).

Files (the summary's chart, `rendered["files"]` from the sender) go in the same
activity: an `Image` with a `data:` URL inside the card, after its element with id
"chart", when the card stays under Teams' ~28 KB card limit (in fewer colours if that
makes it fit); otherwise, as for a month's full chart, as an inline image attachment
beside the card, a base64 `data:` URL, which Teams renders in the message and does
not count against the message size limit (Teams docs: "Format your bot messages",
"Send and receive inline images").

Pacing: Teams allows a bot about 7 messages a second per conversation (8 per 2 s,
60 per 30 s, 1,800 an hour). `pace_key` is the conversation id and the sender paces
per key (`bot.pacing.TEAMS_WINDOWS`); this class never sleeps.

A person Teams will not deliver to (403: they blocked the app; 404: the chat is gone)
is tried once more through Graph (install the app, find the chat again) when Graph is
configured; if that also fails the `PermanentFailure` is marked `unreachable`, and the
sender may email them instead. A bot cannot read its own history in Teams, so unlike
Slack a message sent just before a crash may be sent again (at most those in flight).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
from typing import Any

from PIL import Image
from sqlalchemy import Engine, String, cast
from sqlmodel import Session, select

from bot.messenger import PermanentFailure, Recipient
from bot.settings import Settings
from bot.teams.connector import ConnectorClient
from bot.teams.graph import GraphClient
from bot.teams.sdk import DEFAULT_SERVICE_URL
from bot.teams.tokens import AppTokens
from bot.teams.turn import message_json
from qa.framework import Framework
from storage.db import with_retries
from storage.models import OutboxMessage, Person

log = logging.getLogger(__name__)


def reference_target(reference: Any) -> tuple[str, str] | None:
    """(service URL, conversation id) from a stored conversation reference, if complete."""
    if not isinstance(reference, dict):
        return None
    service_url = reference.get("serviceUrl") or reference.get("service_url")
    conversation = reference.get("conversation") or {}
    conversation_id = conversation.get("id") if isinstance(conversation, dict) else None
    if service_url and conversation_id:
        return str(service_url), str(conversation_id)
    return None


class TeamsMessenger:
    platform = "teams"

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine,
        framework: Framework,
        default_service_url: str = DEFAULT_SERVICE_URL,
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._framework = framework
        self._default_service_url = default_service_url
        secret = settings.teams_client_secret
        tokens = None
        if secret is not None and settings.teams_client_id and not settings.teams_playground:
            tokens = AppTokens(
                login_url=settings.login_url,
                client_id=settings.teams_client_id,
                client_secret=secret.get_secret_value(),
            )
        self.connector = ConnectorClient(
            tokens=tokens, token_tenant=settings.teams_tenant_id or "botframework.com"
        )
        self.graph: GraphClient | None = None
        if tokens is not None and settings.teams_tenant_id and settings.teams_app_catalog_id:
            self.graph = GraphClient(
                graph_url=settings.graph_url,
                tokens=tokens,
                tenant_id=settings.teams_tenant_id,
                catalog_app_id=settings.teams_app_catalog_id,
            )
        self._found: dict[int, tuple[str, str]] = {}  # person id -> (service URL, conversation)
        self._installed: set[int | None] = set()  # reinstalled after a 403/404, this run

    # -- the Messenger protocol -----------------------------------------------------
    def can_reach(self, recipient: Recipient) -> bool:
        person = recipient.person
        if person is not None:
            if reference_target(person.teams_conversation) or person.teams_user_id:
                return True
            return self.graph is not None and bool(person.email)
        return self._channel_id(recipient) is not None

    def pace_key(self, recipient: Recipient) -> str:
        person = recipient.person
        if person is not None:
            target = reference_target(person.teams_conversation) or self._found.get(person.id or -1)
            return target[1] if target else f"person:{person.id}"
        return self._channel_id(recipient) or f"channel:{recipient.channel_key}"

    async def chat_link(self) -> str | None:
        """A deep link that opens a chat with the bot (for fallback emails), or None."""
        client_id = self._settings.teams_client_id
        if not client_id or self._settings.teams_playground:
            return None
        return f"https://teams.microsoft.com/l/chat/0/0?users=28:{client_id}"

    async def send(
        self, message: OutboxMessage, recipient: Recipient, rendered: dict[str, Any]
    ) -> dict[str, Any]:
        activity = message_json(rendered)
        if rendered.get("files"):
            activity = await asyncio.to_thread(with_images, activity, rendered["files"])
        try:
            service_url, conversation_id = await self._target(recipient)
            activity_id = await self.connector.send(service_url, conversation_id, activity)
        except PermanentFailure as exc:
            person = recipient.person
            if person is None or exc.unreachable or not _undeliverable(exc):
                raise
            if self.graph is None or person.id in self._installed:
                raise PermanentFailure(exc.reason, unreachable=True) from None
            # The stored chat is blocked or gone: install the app again and find its chat.
            self._installed.add(person.id)
            try:
                service_url, conversation_id = await self._discover(person, force=True)
                activity_id = await self.connector.send(service_url, conversation_id, activity)
            except PermanentFailure as again:
                raise PermanentFailure(
                    again.reason, unreachable=_undeliverable(again) or again.unreachable
                ) from None
        log.info("teams: outbox message %s sent to conversation", message.id)
        return {
            "platform": "teams",
            "service_url": service_url,
            "conversation_id": conversation_id,
            "activity_id": activity_id,
        }

    async def update(self, ref: dict[str, Any], rendered: dict[str, Any]) -> dict[str, Any]:
        """Edit a message sent earlier in place (`ref` is what `send` returned)."""
        if not all(ref.get(k) for k in ("service_url", "conversation_id", "activity_id")):
            raise PermanentFailure("the earlier message has no Teams reference to edit")
        activity_id = await self.connector.update(
            ref["service_url"], ref["conversation_id"], ref["activity_id"], message_json(rendered)
        )
        return {**ref, "activity_id": activity_id}

    # -- finding the conversation ---------------------------------------------------
    def _channel_id(self, recipient: Recipient) -> str | None:
        if recipient.channel_id:
            return recipient.channel_id
        for channel in self._framework.governance:
            if channel.key == recipient.channel_key and channel.address(self.platform):
                return channel.address(self.platform)
        return None

    async def _target(self, recipient: Recipient) -> tuple[str, str]:
        person = recipient.person
        if person is None:
            channel_id = self._channel_id(recipient)
            if channel_id is None:
                raise PermanentFailure(
                    f"governance channel {recipient.channel_key!r} has no teams address "
                    "in the framework file (addresses: {teams: ...})"
                )
            return await self._service_url_hint(), channel_id
        target = reference_target(person.teams_conversation)
        if target:
            return target
        if person.id is not None and person.id in self._found:
            return self._found[person.id]
        return await self._discover(person)

    async def _discover(self, person: Person, *, force: bool = False) -> tuple[str, str]:
        """Find or open the 1:1 chat for someone who has never written to the bot
        (`force`: again, after their stored chat refused a message)."""
        service_url = await self._service_url_hint()
        user_id = person.teams_user_id
        if self.graph is not None:
            try:
                user_id, conversation_id = await self.graph.conversation_for(
                    user_id=user_id, email=person.email
                )
            except PermanentFailure as exc:
                if "(404 " in exc.reason:  # Entra has no such user: not reachable in Teams
                    raise PermanentFailure(exc.reason, unreachable=True) from None
                raise
        elif user_id:
            conversation_id = await self.connector.create_personal(
                service_url,
                user_id=user_id,
                tenant_id=self._settings.teams_tenant_id,
                bot_id=self._settings.teams_client_id,
            )
        else:
            raise PermanentFailure(
                "this person has no Teams id and Graph is not configured "
                "(TEAMS_TENANT_ID, TEAMS_CLIENT_SECRET, QA_BOT_TEAMS_APP_CATALOG_ID)"
            )
        target = (service_url, conversation_id)
        if person.id is not None:
            self._found[person.id] = target
            await asyncio.to_thread(self._remember, person.id, user_id, target, force)
        log.info("teams: found the 1:1 chat for person %s", person.id)
        return target

    def _remember(
        self, person_id: int, user_id: str | None, target: tuple[str, str], force: bool = False
    ) -> None:
        """Store what was found on the person, unless an install activity got there first
        (`force`: the stored chat refused a message, so the new one replaces it)."""
        reference: dict[str, Any] = {
            "serviceUrl": target[0],
            "channelId": "msteams",
            "conversation": {"id": target[1], "conversationType": "personal"},
        }
        if self._settings.teams_client_id:
            reference["bot"] = {"id": self._settings.teams_client_id}
        if self._settings.teams_tenant_id:
            reference["conversation"]["tenantId"] = self._settings.teams_tenant_id

        def work(session: Session) -> None:
            stored = session.get(Person, person_id)
            if stored is None:
                return
            if force or not reference_target(stored.teams_conversation):
                stored.teams_conversation = reference
            if user_id and not stored.teams_user_id:
                stored.teams_user_id = user_id
            session.add(stored)

        try:
            with_retries(self._engine, work)
        except Exception as exc:  # noqa: BLE001 - the message still goes; found again next time
            log.warning(
                "teams: could not store the chat for person %s: %s", person_id, type(exc).__name__
            )

    async def _service_url_hint(self) -> str:
        """The tenant's Bot Connector URL, from any stored conversation reference."""

        def lookup() -> str | None:
            with Session(self._engine) as session:
                # JSON columns hold None as JSON `null`, so look for the key itself.
                stored = cast(Person.teams_conversation, String)
                rows = session.exec(
                    select(Person.teams_conversation)
                    .where(stored.like('%"serviceUrl"%'))
                    .order_by(Person.updated_at.desc())  # type: ignore[attr-defined]
                    .limit(5)
                ).all()
            for row in rows:
                target = reference_target(row)
                if target:
                    return target[0]
            return None

        return await asyncio.to_thread(lookup) or self._default_service_url


def _undeliverable(exc: PermanentFailure) -> bool:
    """The Bot Connector said 403 (blocked, not allowed) or 404 (no such chat).

    Graph's 403 is not one: it means the app lacks consent, which no email fixes.
    """
    if exc.reason.startswith("Graph"):
        return False
    return "(403 " in exc.reason or "(404 " in exc.reason


# -- images in the card -------------------------------------------------------------------

CARD_LIMIT = 27 * 1024  # bytes of card JSON: Teams refuses messages over ~28 KB


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _candidates(png: bytes) -> list[bytes]:
    """The PNG as it is, then in fewer colours (never smaller: the words must stay legible)."""
    try:
        image = Image.open(io.BytesIO(png)).convert("RGB")
    except OSError:  # not a PNG we can read: send it as it is
        return [png]
    buffer = io.BytesIO()
    image.quantize(colors=48).save(buffer, format="PNG", optimize=True)
    return [png, buffer.getvalue()]


def _insert(body: list[Any], element: dict[str, Any]) -> list[Any]:
    """`element` after the body element with id "chart", or at the end."""
    for i, item in enumerate(body):
        if isinstance(item, dict) and item.get("id") == "chart":
            return [*body[: i + 1], element, *body[i + 1 :]]
    return [*body, element]


def with_images(activity: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
    """The activity with each image file in its card if it fits, else attached inline."""
    attachments = [dict(a) for a in activity.get("attachments") or []]
    card_at = next((i for i, a in enumerate(attachments) if a.get("content")), None)
    extra: list[dict[str, Any]] = []
    for f in files:
        png = f.get("content")
        if not isinstance(png, bytes | bytearray):
            raise PermanentFailure("cannot send the message's files: a file has no content")
        alt = str(f.get("alt_text") or "")
        placed = False
        if card_at is not None:
            card = attachments[card_at]["content"]
            for candidate in _candidates(bytes(png)):
                image = {"type": "Image", "url": _data_url(candidate), "altText": alt[:1000],
                         "size": "stretch"}  # fmt: skip
                trial = {**card, "body": _insert(list(card.get("body") or []), image)}
                if len(json.dumps(trial).encode()) <= CARD_LIMIT:
                    attachments[card_at] = {**attachments[card_at], "content": trial}
                    placed = True
                    break
        if not placed:
            extra.append(
                {
                    "contentType": str(f.get("mime") or "image/png"),
                    "contentUrl": _data_url(bytes(png)),
                    "name": str(f.get("filename") or "chart.png"),
                }
            )
    return {**activity, "attachments": attachments + extra}
