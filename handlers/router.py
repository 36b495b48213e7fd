"""From an `Interaction` to the replies: the one door every chat request comes through.

The adapters (bot/slack, bot/teams) build an `Interaction` and call `dispatch` inside
a database transaction; it works out who the person is, refuses politely if we do
not know them (saying nothing else: an unknown account must learn nothing), and
hands the request to the conversation it belongs to. It returns `Reply` objects;
the adapter renders them for its platform.

Adapters set `name` to the command word and `text` to the rest of the line; for a
free-text message they may leave `name` empty and the router reads the first word
of `text`. Buttons whose action id is a command word ("my", "help") behave like
the command. Later conversations (audit, moderation...) register their button and
dialog handlers in `ACTIONS` and `SUBMISSIONS`.

Logs carry the platform, the kind, the command word and the person's database id,
never a name, an email or what someone typed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from handlers.help import help_context
from handlers.home import home_context, my_work_context
from handlers.identity import resolve_person
from handlers.interaction import Interaction, Reply
from handlers.status import STATUS_ACTIONS, status_command
from qa.framework import Framework
from storage.models import Person

log = logging.getLogger(__name__)

COMMANDS = ("help", "my", "status")
GREETINGS = {"hi", "hello", "hey", "hiya", "morning", "afternoon", "start", "menu", "?"}
_MENTION = re.compile(r"<@[A-Z0-9]+>|<at>.*?</at>", re.IGNORECASE)
_WORD = re.compile(r"[\w?]+")


@dataclass(frozen=True)
class Turn:
    """Everything a conversation handler needs to answer one interaction."""

    interaction: Interaction
    person: Person
    session: Session
    framework: Framework
    now: datetime


Handler = Callable[[Turn], list[Reply]]

# Button action ids and dialog callback ids -> handler; later conversations add theirs.
ACTIONS: dict[str, Handler] = {**STATUS_ACTIONS}
SUBMISSIONS: dict[str, Handler] = {}
_conversations_loaded = False


def load_conversations() -> None:
    """Import every module in `handlers/` once, so each registers its buttons and forms.

    Conversation modules import this one (for `Turn`, `ACTIONS`...), so they cannot be
    imported at the top of it; the first dispatch does it instead.
    """
    global _conversations_loaded
    if _conversations_loaded:
        return
    import importlib
    import pkgutil

    import handlers

    for info in pkgutil.iter_modules(handlers.__path__):
        importlib.import_module(f"handlers.{info.name}")
    _conversations_loaded = True


def unknown_user(interaction: Interaction) -> list[Reply]:
    """The only answer an unmatched or inactive account ever gets."""
    return [Reply("unknown_user", {"email": interaction.email})]


def parse_command(interaction: Interaction) -> tuple[str, str]:
    """(command word, rest of the line), lower-cased word, mentions and "/qa" removed."""
    name = interaction.name.strip().lower().lstrip("/")
    text = _MENTION.sub(" ", interaction.text or "").strip()
    if name in COMMANDS:
        return name, text
    if name and name != "qa":
        # The adapter's word was not a command: treat it as the start of the line.
        text = f"{name} {text}".strip()
    words = text.split(maxsplit=1)
    if words and words[0].lower() in {"/qa", "qa"}:
        words = words[1].split(maxsplit=1) if len(words) > 1 else []
    if not words:
        return "", ""
    match = _WORD.match(words[0].lower())
    word = match.group(0).rstrip("?") if match else words[0].lower()
    return word or words[0].lower(), words[1] if len(words) > 1 else ""


def _help(turn: Turn, didnt_catch: str | None = None) -> list[Reply]:
    context = help_context(person=turn.person, framework=turn.framework, didnt_catch=didnt_catch)
    return [Reply("help", context)]


def _command(turn: Turn, word: str, rest: str) -> list[Reply]:
    if word == "my":
        context = my_work_context(session=turn.session, person=turn.person, now=turn.now)
        return [Reply("my_work", context)]
    if word == "status":
        return status_command(turn, rest)
    if word in {"help", ""} or word in GREETINGS:
        return _help(turn)
    # Echo at most a few characters back: enough to recognise, never a paragraph.
    return _help(turn, didnt_catch=word[:30])


def dispatch(
    interaction: Interaction, *, session: Session, framework: Framework, now: datetime
) -> list[Reply]:
    """Answer `interaction`. Runs inside the caller's transaction; writes are committed there."""
    load_conversations()
    person = resolve_person(session=session, interaction=interaction, now=now)
    if person is None:
        log.info("unknown user platform=%s kind=%s", interaction.platform, interaction.kind)
        return unknown_user(interaction)
    turn = Turn(interaction, person, session, framework, now)
    kind = interaction.kind
    label = interaction.name if interaction.name in COMMANDS else "-"
    log.info(
        "dispatch platform=%s kind=%s name=%s person=%s",
        interaction.platform,
        kind,
        label,
        person.id,
    )
    if kind == "install":
        # resolve_person has stored the Teams conversation reference for proactive messages.
        return [Reply("welcome", help_context(person=person, framework=framework))]
    if kind == "home":
        return [
            Reply(
                "home", home_context(session=session, person=person, framework=framework, now=now)
            )
        ]
    if kind in {"command", "message"}:
        word, rest = parse_command(interaction)
        return _command(turn, word, rest)
    if kind == "action":
        if interaction.name in COMMANDS:
            return _command(turn, interaction.name, interaction.text)
        action = ACTIONS.get(interaction.name)
        if action is not None:
            return action(turn)
    if kind == "submission":
        submission = SUBMISSIONS.get(interaction.name)
        if submission is not None:
            return submission(turn)
    log.warning("no handler platform=%s kind=%s", interaction.platform, kind)
    return [Reply("error", {"message": "That button or form is no longer in use."})]
