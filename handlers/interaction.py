"""The channel-neutral shape of "a person did something in chat".

Each adapter (bot/slack, bot/teams) verifies the request, builds an `Interaction`
and hands it to a handler. Handlers never see a Slack or Teams payload, and return
`Reply` objects that the adapter renders for its platform. Anything that is not an
immediate answer to the request is enqueued as a `storage.outbox.Message` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Platform = Literal["slack", "teams"]
Kind = Literal["command", "message", "action", "submission", "install", "home"]


@dataclass(frozen=True)
class Interaction:
    platform: Platform
    user_id: str  # Slack user id, or Teams AAD object id (else the Teams user id)
    kind: Kind
    name: str  # command word ("help", "my", "status"), action id, or dialog callback
    text: str = ""  # the rest of the command line
    email: str | None = None
    values: dict[str, Any] = field(default_factory=dict)  # submitted form values
    routing_key: str | None = None  # signed key from button value / private_metadata
    event_id: str | None = None  # platform event id, for retry de-duplication
    conversation: dict[str, Any] | None = None  # Teams conversation reference to store


@dataclass(frozen=True)
class Reply:
    """An immediate answer to the person who acted, rendered by the adapter."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # field key -> message
