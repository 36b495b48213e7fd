"""Editing a message about tracked items in place: what it last showed, and its edit.

Storage only keeps the messages; their words are built in `messages/tracking.py`. An
action on one item of a reminder or digest finds that message as last shown and queues
an edit of it (the outbox's `update_of`) with the item's new state.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.models import OutboxMessage
from storage.outbox import Message, enqueue

# -- editing a message in place ----------------------------------------------------


def latest_shown(session: Session, message_key: str) -> OutboxMessage | None:
    """The message as last shown: its latest in-place edit, else the original."""
    edits = session.exec(
        select(OutboxMessage)
        .where(
            col(OutboxMessage.idempotency_key).startswith(f"{message_key}:edit:", autoescape=True)
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
    ).first()
    if edits is not None:
        return edits
    return session.exec(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == message_key)
    ).first()


def edit_in_place(
    *,
    session: Session,
    message_key: str,
    item_type: str,
    item_id: int,
    state: dict[str, Any],
    suffix: str,
    now: datetime,
) -> tuple[str, dict[str, Any]] | None:
    """Show `state` on one item of an earlier message, edited where it was sent.

    Returns the message's template and new context (a platform that replaces the
    pressed card shows it at once), or None when the message is unknown (it was pruned).
    """
    shown = latest_shown(session, message_key)
    if shown is None or shown.person_id is None:
        return None
    context = copy.deepcopy(dict(shown.context or {}))
    holders = [context.get("item"), *(context.get("items") or [])]
    for item in holders:
        if isinstance(item, dict) and item.get("type") == item_type and item.get("id") == item_id:
            item["state"] = state
            item["open"] = bool(state.get("open", False))
    context["update_of"] = message_key
    enqueue(
        session=session,
        message=Message(
            shown.template, f"{message_key}:edit:{suffix}", context, person_id=shown.person_id
        ),
        now=now,
    )
    return shown.template, context
