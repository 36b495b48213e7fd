"""The small forms every conversation asks (a note, a reason, an outcome): their fields,
reading what was submitted, refusing a child-identifying note, showing errors again.

One place for them, so a closing block, a QA alert, a weekly review, a calibration
case and the tracking buttons read and refuse their forms the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from handlers.interaction import Reply
from handlers.turn import Turn
from qa.privacy import find_sensitive, warning
from qa.validation import JSON, Context, Field, validate

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


def with_errors(reply: Reply, errors: dict[str, str]) -> list[Reply]:
    values = dict(reply.context.get("values") or {})
    return [Reply(reply.template, {**reply.context, "values": values}, errors)]
