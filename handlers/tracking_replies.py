"""What the tracking buttons share: reading the routing key, dates, in-place edits.

A reminder's buttons carry `kind:id|message key`: the record, and the message the
button sits in. Acting edits that message in place through the outbox (`update_of`),
showing who did what and when. Where the platform shows the first reply in place of
the pressed message (`Interaction.replaces_pressed`), the updated message is also
returned first, then the receipt; elsewhere the receipt is the only reply and the
outbox edits the message.
"""

from __future__ import annotations

from typing import Any

from handlers.interaction import Reply
from handlers.turn import Turn
from messages.tracking import parse_route
from storage.tracking_messages import edit_in_place, latest_shown


def route(turn: Turn, kind: str) -> tuple[int, str] | None:
    """(record id, message key) when the verified routing key names a `kind` record."""
    parsed = parse_route(turn.interaction.routing_key)
    if parsed is None or parsed[0] != kind:
        return None
    return parsed[1], parsed[2]


def gone(template: str) -> list[Reply]:
    """A button whose record or key no longer resolves (or was forged)."""
    return [Reply(template, {"what": "gone", "reference": None})]


def state(turn: Turn, what: str, *, open_: bool = False, **extra: Any) -> dict[str, Any]:
    """What an edited message shows on the item: what happened, by whom, on which day."""
    return {
        "what": what,
        "by": turn.person.name,
        "on": turn.today.isoformat(),
        "open": open_,
        **{k: v for k, v in extra.items() if v is not None},
    }


def edit(
    turn: Turn,
    *,
    message_key: str,
    item_type: str,
    item_id: int,
    shown: dict[str, Any],
    suffix: str,
    trusted: bool = False,
) -> list[Reply]:
    """Edit the message in place; also return it where it replaces the pressed one.

    A key that came from the pressed button is only honoured when that message was
    sent to the person pressing: nobody edits or reads another's message that way.
    Callers pass `trusted=True` for keys they built from database rows themselves
    (the other owners of an escalation just answered, the QA leads' requests).
    """
    if not trusted and not _is_theirs(turn, message_key):
        return []
    edited = edit_in_place(
        turn.session, message_key, item_type, item_id, state=shown, suffix=suffix, now=turn.now
    )
    if edited is None or not turn.interaction.replaces_pressed:
        return []
    template, context = edited
    return [Reply(template, context)]


def current(turn: Turn, message_key: str) -> list[Reply]:
    """The message as last shown, unchanged (Cancel on a form shown in its place)."""
    shown = latest_shown(turn.session, message_key)
    if shown is None or not turn.interaction.replaces_pressed or shown.person_id != turn.person.id:
        return []
    return [Reply(shown.template, dict(shown.context or {}))]


def _is_theirs(turn: Turn, message_key: str) -> bool:
    shown = latest_shown(turn.session, message_key)
    return shown is not None and shown.person_id == turn.person.id
