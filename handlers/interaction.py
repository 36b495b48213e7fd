"""The platform-neutral shape of "a person did something in chat".

Each chat adapter under `bot/` verifies the request, builds an `Interaction` and hands
it to the turn runner. Handlers never see a platform's payload, and return `Reply`
objects that the adapter renders for its platform. Anything that is not an immediate
answer to the request is enqueued as a `storage.outbox.Message` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

Kind = Literal["command", "message", "action", "submission", "install", "home"]


@dataclass(frozen=True)
class Interaction:
    platform: str  # the adapter's name: the key of the person's chat account
    user_id: str  # the person's account id on that platform
    kind: Kind
    name: str  # command word ("help", "my", "status"), action id, or dialog callback
    text: str = ""  # the rest of the command line
    email: str | None = None
    values: dict[str, Any] = field(default_factory=dict)  # submitted form values
    routing_key: str | None = None  # signed key from button value / private_metadata
    # One effect per key: a platform's event or activity id, a click's timestamp...
    dedup_key: str | None = None
    dedup_window: timedelta | None = None  # the key only holds this long (repeat clicks)
    # Where to reach this person later, when the platform needs a stored address.
    conversation: dict[str, Any] | None = None
    private: bool = True  # a one-to-one conversation (names may be shown)
    # The platform shows the first reply in place of the message whose button was
    # pressed (an Adaptive Card's invoke response); else messages are edited through
    # the outbox and replies are new messages or dialogs.
    replaces_pressed: bool = False


# Where a dialog step goes relative to the dialog on screen; each adapter decides how.
# "auto": in place of what was pressed (or opened, from a message); "stack": on top of
# the dialog, which keeps what was typed (a sub-step); "unstack": back to the dialog
# beneath, showing this reply where the platform cannot keep the one beneath.
Placement = Literal["auto", "stack", "unstack"]


@dataclass(frozen=True)
class Reply:
    """An immediate answer to the person who acted, rendered by the adapter."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # field key -> message
    placement: Placement = "auto"
