"""What happens to an audit after it is submitted, registered by the features that care.

Submitting an audit hands it on: moderation selection (which audits a moderator
looks at) and grade escalation (Inadequate and Requires Improvement) arrive in later
issues and register a hook here, so the audit dialog needs no change when they do.
Hooks run in the submitting turn's transaction, on every submission (a re-submitted
edit too), so each must be idempotent. They return nothing; anything to tell people
goes through the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from storage.models import Audit

if TYPE_CHECKING:
    from handlers.router import Turn

AfterSubmit = Callable[["Turn", Audit], None]

AFTER_SUBMIT: list[AfterSubmit] = []


def after_submit(turn: Turn, audit: Audit) -> None:
    """Run every registered hook, in registration order."""
    for hook in AFTER_SUBMIT:
        hook(turn, audit)
