"""What a conversation handler is given, and what it may set off.

A `Turn` is one person's request, already verified and matched to a `Person`, inside
one database transaction. Handlers return `Reply` objects for the person who acted;
anything else they have to say goes through the outbox.

`Hooks` are the follow-ups other conversations ask for when an audit is submitted or a
moderation decides one (moderation selection, grade escalation). They are composed
with the routes in `bot/composition.py` and carried on the turn, so a conversation
calls `turn.hooks.audit_submitted(...)` without knowing who listens. Each hook runs in
the same transaction and must be idempotent: a re-submitted edit runs them again, and
the reconciling jobs may repeat their work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from handlers.interaction import Interaction, Reply
from qa.framework import Framework
from storage.models import Audit, Moderation, Person

AfterSubmit = Callable[["Turn", Audit], None]
AfterOutcome = Callable[["Turn", Audit, Moderation], None]


@dataclass(frozen=True)
class Hooks:
    """The follow-ups of a submitted audit and of a moderation's decision, in order."""

    after_submit: tuple[AfterSubmit, ...] = ()
    after_outcome: tuple[AfterOutcome, ...] = ()

    def audit_submitted(self, turn: Turn, audit: Audit) -> None:
        for hook in self.after_submit:
            hook(turn, audit)

    def moderation_decided(self, turn: Turn, audit: Audit, moderation: Moderation) -> None:
        """Only when a submission decides (a panel member's view does not)."""
        for hook in self.after_outcome:
            hook(turn, audit, moderation)


@dataclass(frozen=True)
class Turn:
    """Everything a conversation handler needs to answer one interaction.

    `now` is aware; `tz` is the authority's zone (from settings), so "today" and
    "overdue" are local dates without any handler guessing a zone.
    """

    interaction: Interaction
    person: Person
    session: Session
    framework: Framework
    now: datetime
    tz: ZoneInfo
    hooks: Hooks = Hooks()

    @property
    def today(self) -> date:
        """The local date of `now` in the authority's zone."""
        return self.now.astimezone(self.tz).date()


Handler = Callable[[Turn], list[Reply]]
CommandHandler = Callable[[Turn, str], list[Reply]]  # (turn, the rest of the line)
