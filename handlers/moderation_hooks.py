"""What happens after a moderation decides an audit, registered by the features that care.

The moderation dialog stores the outcome and tells the author; anything else a
decision sets off registers a hook here, so the dialog needs no change for it. The
first is the grade escalation: a regrade to Inadequate or Requires Improvement asks
for the new grade's remedial action (`handlers.moderation` registers it, through
`handlers.escalation`). Hooks run in the deciding turn's transaction, only when a
submission decides (a panel member's view does not), and must be idempotent: the
reconciling jobs may do the same work again. They return nothing; messages go
through the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from storage.models import Audit, Moderation

if TYPE_CHECKING:
    from handlers.router import Turn

AfterOutcome = Callable[["Turn", Audit, Moderation], None]

AFTER_OUTCOME: list[AfterOutcome] = []


def after_outcome(turn: Turn, audit: Audit, moderation: Moderation) -> None:
    """Run every registered hook, in registration order."""
    for hook in AFTER_OUTCOME:
        hook(turn, audit, moderation)
