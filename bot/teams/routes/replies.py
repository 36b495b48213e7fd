"""What the routes share: finding a newcomer's email, naming what was asked, sending replies."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from bot.logsafe import UNKNOWN, safe_word
from bot.teams.turn import Rendered, TurnRunner, message_json
from handlers.interaction import Interaction

log = logging.getLogger(__name__)


def known_words() -> frozenset[str]:
    """Every command word, button id and form id the handlers answer to."""
    from handlers import router

    router.load_conversations()
    return frozenset({*router.COMMANDS, *router.ACTIONS, *router.SUBMISSIONS})


def named_safely(interaction: Interaction) -> Interaction:
    """`interaction` with a name the bot knows, or none: the name is logged downstream.

    A typed first word that is not a command goes back into the text (the router reads
    a free-text message's first word itself, so the answer is the same), and a button
    or form id nobody registered becomes "-" (it is refused the same way). What stays
    in `name` is then always a known word, never an email or a forged log line.
    """
    known = known_words()
    if interaction.name == safe_word(interaction.name, known):
        return interaction
    if interaction.kind in {"command", "message"}:
        text = f"{interaction.name} {interaction.text}".strip()
        return dataclasses.replace(interaction, name="", text=text)
    return dataclasses.replace(interaction, name=UNKNOWN)


async def with_email(ctx: Any, turns: TurnRunner, interaction: Interaction) -> Interaction:
    """Add the person's email when Teams did not send it and we do not know their Teams id.

    People are imported by email; the first time someone writes, only the roster
    (`GET /v3/conversations/{id}/members/{member}`) can tell us which person they are.
    Later turns find them by the Teams id the handlers stored.
    """
    if interaction.email or await turns.is_known(interaction.user_id):
        return interaction
    activity = ctx.activity
    try:
        member = await ctx.api.conversations.get_member_by_id(
            activity.conversation.id, activity.from_.id
        )
    except Exception as exc:  # noqa: BLE001 - the roster is a convenience; handlers cope
        log.info(
            "teams: roster lookup failed for user %s: %s", interaction.user_id, type(exc).__name__
        )
        return interaction
    email = getattr(member, "email", None) or getattr(member, "user_principal_name", None)
    if not email or "@" not in str(email):
        return interaction
    return dataclasses.replace(interaction, email=str(email).strip().lower())


async def reply_all(ctx: Any, rendered: list[Rendered]) -> None:
    """Send each rendered reply into the conversation the activity came from.

    The handler's work is already committed when replies go out. If Teams will not
    take a reply, that is logged and the request still succeeds: answering 5xx would
    make Teams deliver the activity again and the handler run twice, for a reply the
    person can get by asking again.
    """
    from microsoft_teams.api.activities.message import MessageActivityInput

    for item in rendered:
        try:
            await ctx.send(MessageActivityInput.model_validate(message_json(item)))
        except Exception as exc:  # noqa: BLE001 - logged; see the docstring
            status = getattr(getattr(exc, "response", None), "status_code", "-")
            log.warning(
                "teams: reply to activity %s not delivered: %s (status %s)",
                ctx.activity.id,
                type(exc).__name__,
                status,
            )
            return
