"""What the tracking buttons share: reading the routing key, dates, in-place edits, notes.

A reminder's buttons carry `kind:id|message key`: the record, and the message the
button sits in. Acting edits that message in place through the outbox (`update_of`),
showing who did what and when. Where the platform shows the first reply in place of
the pressed message (`Interaction.replaces_pressed`), the updated message is also
returned first, then the receipt; elsewhere the receipt is the only reply and the
outbox edits the message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from handlers.interaction import Reply
from handlers.turn import Turn
from messages.tracking import parse_route
from qa.privacy import find_sensitive, warning
from qa.validation import JSON, Context, Field, validate
from storage.tracking_messages import edit_in_place, latest_shown

FORM_NOTE_CHARS = 500  # a note typed in a form (a case review's outcome, a QA alert)


def text_field(name: str, label: str, *, max_length: int, missing: str) -> Field:
    """A required free-text answer of several lines (what was done, progress, a reason)."""
    return Field(name, label, "text", multiline=True, max_length=max_length, missing=missing)


def read_form(
    turn: Turn, fields: Iterable[Field]
) -> tuple[dict[str, Any], dict[str, JSON], dict[str, str]]:
    """The submitted form: its values as sent (to show again with the errors), cleaned
    against `fields` as of the turn's day, and the errors."""
    values = dict(turn.interaction.values)
    cleaned, errors = validate(fields, values, Context(today=turn.today))
    return values, cleaned, errors


def note_field(label: str, missing: str) -> Field:
    """A form's free-text note: several lines, at most `FORM_NOTE_CHARS` characters."""
    return text_field("note", label, max_length=FORM_NOTE_CHARS, missing=missing)


def refuse_sensitive(errors: dict[str, str], note: str) -> None:
    """Refuse a note that looks child-identifying, naming the kind found, not the text."""
    found = find_sensitive(note) if note else []
    if found and "note" not in errors:
        errors["note"] = warning(found)


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


def with_errors(reply: Reply, errors: dict[str, str]) -> list[Reply]:
    values = dict(reply.context.get("values") or {})
    return [Reply(reply.template, {**reply.context, "values": values}, errors)]
