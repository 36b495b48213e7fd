"""Turning Teams activities into channel-neutral `Interaction`s.

Pure functions of the SDK's activity models: no I/O, so the rules (who the person
is, which word is the command, what a card submitted) are easy to test and to read.

Card buttons carry their routing in `data`: `action` (what was pressed),
`routing_key` (the signed key naming the record) and, for forms, the input values
under their own ids. `Action.Submit` arrives as a message whose `value` is that
data; `Action.Execute` arrives as an `adaptiveCard/action` invoke with it under
`value.action.data` and the action's `verb`.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

from handlers.interaction import Interaction

_MENTION = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
# Keys Teams or our cards put in `data` that are not form values.
_CONTROL_KEYS = {"action", "routing_key", "msteams", "verb", "kind"}


def user_id_of(activity: Any) -> str:
    """The Entra object id when Teams sends one (it always does for real users), else the id."""
    account = activity.from_
    return str(account.aad_object_id or account.id)


def email_of(activity: Any) -> str | None:
    email = getattr(activity.from_, "email", None)
    return str(email).strip().lower() if email else None


def personal_reference(activity: Any, reference: Any) -> dict[str, Any] | None:
    """The conversation reference to remember for direct messages, personal chats only.

    A command typed in a channel or group chat must never make that conversation the
    person's "direct" line: their reminders would be posted for everyone to read.
    """
    conversation = getattr(activity, "conversation", None)
    if conversation is None or getattr(conversation, "conversation_type", None) != "personal":
        return None
    ref: dict[str, Any] = reference.model_dump(mode="json", by_alias=True, exclude_none=True)
    return ref


def command_text(text: str) -> str:
    """The typed words without the bot @mention, HTML tags or extra spaces."""
    text = _MENTION.sub(" ", text or "")
    text = _TAGS.sub(" ", text).replace("&nbsp;", " ")
    return " ".join(text.split())


def split_command(text: str) -> tuple[str, str]:
    """("status", "Early Help") from "status Early Help"; the first word is the command."""
    cleaned = command_text(text)
    if not cleaned:
        return "", ""
    word, _, rest = cleaned.partition(" ")
    return word.lower().lstrip("/"), rest.strip()


def activity_key(activity: Any) -> str | None:
    """The once-only key of an activity: the Bot Connector resends the same activity
    (same `id`, same conversation) when the bot is slow, and each copy must have one
    effect. Hashed, since both ids are long and only their identity matters."""
    activity_id = getattr(activity, "id", None)
    if not activity_id:
        return None
    conversation_id = getattr(getattr(activity, "conversation", None), "id", "") or ""
    raw = f"{conversation_id}\0{activity_id}".encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(raw).hexdigest()
    return f"teams:{digest[:32]}"


def _card_interaction(
    activity: Any,
    data: dict[str, Any],
    *,
    name: str,
    conversation: dict[str, Any] | None,
) -> Interaction:
    values = {k: v for k, v in data.items() if k not in _CONTROL_KEYS}
    kind: Literal["action", "submission"] = "submission" if values else "action"
    if data.get("kind") == "action":
        kind = "action"
    elif data.get("kind") == "submission":
        kind = "submission"
    routing_key = data.get("routing_key")
    return Interaction(
        platform="teams",
        user_id=user_id_of(activity),
        kind=kind,
        name=name,
        email=email_of(activity),
        values=values,
        routing_key=str(routing_key) if routing_key else None,
        dedup_key=activity_key(activity),
        conversation=conversation,
        private=conversation is not None,
        replaces_pressed=True,
    )


def from_message(activity: Any, conversation: dict[str, Any] | None) -> Interaction | None:
    """A typed command, or an `Action.Submit` press (a message with a `value`).

    None when there is nothing to act on (an empty message, a bare attachment).
    """
    value = getattr(activity, "value", None)
    if isinstance(value, dict) and value:
        name = str(value.get("action") or "")
        return _card_interaction(activity, value, name=name, conversation=conversation)
    name, rest = split_command(activity.text or "")
    if not name:
        return None
    return Interaction(
        platform="teams",
        user_id=user_id_of(activity),
        kind="command",
        name=name,
        text=rest,
        email=email_of(activity),
        dedup_key=activity_key(activity),
        conversation=conversation,
        private=conversation is not None,
        replaces_pressed=True,
    )


def from_execute(activity: Any, conversation: dict[str, Any] | None) -> Interaction:
    """An `Action.Execute` press: the verb (or `data.action`) names what was pressed."""
    action = activity.value.action
    data = dict(action.data or {})
    name = str(data.get("action") or action.verb or "")
    return _card_interaction(activity, data, name=name, conversation=conversation)


def installed(activity: Any, conversation: dict[str, Any] | None) -> Interaction:
    """The app was added for this person (or to a team they are in)."""
    return Interaction(
        platform="teams",
        user_id=user_id_of(activity),
        kind="install",
        name="install",
        email=email_of(activity),
        dedup_key=activity_key(activity),
        conversation=conversation,
        private=conversation is not None,
        replaces_pressed=True,
    )


def bot_was_added(activity: Any) -> bool:
    """True for a conversationUpdate that adds this bot (Teams' other install signal)."""
    members = getattr(activity, "members_added", None) or []
    bot_id = getattr(activity.recipient, "id", None)
    return any(m.id == bot_id for m in members)
