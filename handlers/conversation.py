"""A conversation as a value: the commands, buttons and forms it answers, and its hooks.

Each feature module (allocation, audit, moderation, escalation, tracking, status,
help, home...) exposes one `Conversation`; `bot/composition.py` lists them and builds
one `Router`. Nothing registers itself by being imported, so the list there is the
whole of what the bot answers, and a test can compare it with every button and form
the templates can produce.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from handlers.turn import AfterOutcome, AfterSubmit, CommandHandler, Handler


@dataclass(frozen=True)
class Conversation:
    name: str
    commands: Mapping[str, CommandHandler] = field(default_factory=dict)  # typed words
    actions: Mapping[str, Handler] = field(default_factory=dict)  # button action ids
    submissions: Mapping[str, Handler] = field(default_factory=dict)  # form callback ids
    after_submit: tuple[AfterSubmit, ...] = ()
    after_outcome: tuple[AfterOutcome, ...] = ()
