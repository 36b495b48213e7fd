"""What the routes share: running the turn of an activity, finding a newcomer's email,
sending replies."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from bot.body_limits import without_lone_surrogates
from bot.teams import activities
from bot.teams.turn import message_json
from bot.turns import AsyncEmailLookup, Rendered, TurnRunner
from handlers.interaction import Interaction
from storage.db import with_retries

log = logging.getLogger(__name__)


async def run_activity(
    ctx: Any,
    turns: TurnRunner,
    interaction_of: Callable[[Any, dict[str, Any] | None], Interaction | None],
) -> list[Rendered] | None:
    """The rendered replies to the activity in `ctx`; None when there is nothing to send.

    Every route answers the same way: remember the conversation if it is a personal
    chat, build the `Interaction`, and run it through the shared turn runner. None: a
    copy of an activity already answered, or (from `interaction_of`) nothing to act on.
    """
    activity = ctx.activity
    conversation = activities.personal_reference(activity, ctx.conversation_ref)
    interaction = interaction_of(activity, conversation)
    if interaction is None:
        log.info("teams: activity %s has nothing to act on", activity.id)
        return None
    return await turns.run(interaction, email=roster_email(ctx))


def roster_email(ctx: Any) -> AsyncEmailLookup:
    """How to find the person's email when we do not know their Teams id yet.

    People are imported by email; the first time someone writes, only the roster
    (`GET /v3/conversations/{id}/members/{member}`) can tell us which person they are.
    The turn runner calls this only when the account is not linked (later turns find
    them by the Teams id the handlers stored), so known people cost no roster call.
    """

    async def lookup() -> str | None:
        activity = ctx.activity
        try:
            member = await ctx.api.conversations.get_member_by_id(
                activity.conversation.id, activity.from_.id
            )
        except Exception as exc:  # noqa: BLE001 - the roster is a convenience; handlers cope
            log.info("teams: roster lookup failed: %s", type(exc).__name__)
            return None
        email = getattr(member, "email", None) or getattr(member, "user_principal_name", None)
        if not email or "@" not in str(email):
            return None
        return str(email).strip().lower()

    return lookup


async def reply_all(ctx: Any, rendered: list[Rendered], turns: TurnRunner | None = None) -> None:
    """Send each rendered reply into the conversation the activity came from.

    The handler's work is already committed when replies go out, so the request
    succeeds whatever happens here: answering 5xx would make Teams deliver the
    activity again and the handler run twice. A reply Teams will not take is not
    dropped: it (and any after it) goes to the outbox as a direct message to the
    person, under a key made from the activity id, so the sender retries it (or
    records it as failed, with the reason, for `qa-bot outbox failed`).
    """
    from microsoft_teams.api.activities.message import MessageActivityInput

    for index, item in enumerate(rendered):
        try:
            activity = without_lone_surrogates(message_json(item))
            await ctx.send(MessageActivityInput.model_validate(activity))
        except Exception as exc:  # noqa: BLE001 - handed to the outbox; see the docstring
            status = getattr(getattr(exc, "response", None), "status_code", "-")
            queued = await _to_outbox(ctx, turns, rendered[index:], start=index)
            log.warning(
                "teams: reply to activity %s not delivered: %s (status %s); %d queued",
                ctx.activity.id,
                type(exc).__name__,
                status,
                queued,
            )
            return


async def _to_outbox(
    ctx: Any, turns: TurnRunner | None, rendered: list[Rendered], *, start: int
) -> int:
    """Queue `rendered` for the person as plain notices; how many went in (0 if unknown)."""
    if turns is None or not rendered:
        return 0
    from handlers.identity import known_person_id
    from storage.outbox import Message, enqueue

    activity = ctx.activity
    user_id = str(getattr(activity.from_, "aad_object_id", None) or activity.from_.id)
    digest = hashlib.sha256(str(activity.id).encode("utf-8", "surrogatepass")).hexdigest()[:24]
    deps = turns.deps

    def work(session: Session) -> int:
        person_id = known_person_id(session=session, platform="teams", user_id=user_id)
        if person_id is None:
            return 0  # nobody to deliver to: an unknown account is only ever told so
        queued = 0
        for offset, item in enumerate(rendered):
            text = without_lone_surrogates(str(item.get("text") or ""))
            message = Message(
                "notice",
                f"teams-reply:{digest}:{start + offset}",
                {"text": text},
                person_id=person_id,
            )
            queued += enqueue(session=session, message=message, now=deps.clock())
        return queued

    try:
        return await asyncio.to_thread(with_retries, deps.engine, work)
    except Exception as exc:  # noqa: BLE001 - the request must still succeed
        log.warning("teams: could not queue an undelivered reply: %s", type(exc).__name__)
        return 0
