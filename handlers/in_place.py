"""Edit the message a person pressed a button on, in place, through the outbox.

Several conversations end a button's life the same way: the weekly review prompt
shows its outcome, a QA alert's request shows who acted on it, a progress pack shows
what is signed. The edit is an outbox message (`update_of` names the original, its key
ends `:edit:<suffix>` so a repeat is one edit) sent only when the original went to the
person pressing: a colleague acting on someone else's copy gets a receipt alone. Where
the platform shows the first reply in place of the pressed card
(`Interaction.replaces_pressed`), the edited message is also returned first.
"""

from __future__ import annotations

from typing import Any

from handlers.interaction import Reply
from handlers.turn import Turn
from storage.outbox import Message, enqueue
from storage.tracking_messages import latest_shown


def edit_pressed(turn: Turn, message_key: str, suffix: str, changes: dict[str, Any]) -> list[Reply]:
    """The replies that show `changes` on the person's own message `message_key`."""
    shown = latest_shown(turn.session, message_key)
    if shown is None or shown.person_id != turn.person.id:
        return []
    context = {**(shown.context or {}), **changes, "update_of": message_key}
    edit = Message(
        shown.template, f"{message_key}:edit:{suffix}", context, person_id=turn.person.id
    )
    enqueue(session=turn.session, message=edit, now=turn.now)
    return [Reply(shown.template, context)] if turn.interaction.replaces_pressed else []
