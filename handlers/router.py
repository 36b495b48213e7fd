"""From an `Interaction` to the replies: the one door every chat request comes through.

The turn runner (`bot/turns.py`) calls `Router.dispatch` inside a database
transaction. It works out who the person is, refuses politely if we do not know them
(saying nothing else: an unknown account must learn nothing), and hands the request
to the conversation that answers it. The router is built from the list of
conversations in `bot/composition.py`; it holds no module-level tables, and two
conversations claiming the same command, button or form is an error at start-up.

Typed words: the adapter sets `name` to the command word and `text` to the rest of
the line, or leaves `name` empty for a free-text message (the first word of `text` is
then the command). Buttons whose action id is a command word ("my", "help") behave
like the command. Install and App Home are the `app.install` and `app.home` actions.

Logs carry the platform, the kind, a known command or action word and the person's
database id, never a name, an email or what someone typed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session

from handlers.conversation import Conversation
from handlers.identity import resolve_person
from handlers.interaction import Interaction, Reply
from handlers.turn import CommandHandler, Handler, Hooks, Turn
from qa.framework import Framework

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@[A-Z0-9]+>|<at>.*?</at>", re.IGNORECASE)
_WORD = re.compile(r"[\w?]+")
_KIND_ACTIONS = {"install": "app.install", "home": "app.home"}

V = TypeVar("V")


def _merge(conversations: Iterable[Conversation], attr: str) -> Mapping[str, V]:
    table: dict[str, V] = {}
    owner: dict[str, str] = {}
    for conversation in conversations:
        for key, value in getattr(conversation, attr).items():
            if key in table:
                raise ValueError(
                    f"{attr[:-1]} {key!r} is claimed by both {owner[key]!r} "
                    f"and {conversation.name!r}"
                )
            table[key], owner[key] = value, conversation.name
    return MappingProxyType(table)


UNKNOWN_USER = "unknown_user"


def unknown_user(interaction: Interaction) -> list[Reply]:
    """The only answer an unmatched or inactive account ever gets (it writes nothing, so
    the turn runner may roll it back, look the email up and ask again)."""
    return [Reply(UNKNOWN_USER, {"email": interaction.email})]


def is_unknown_user(replies: list[Reply] | None) -> bool:
    """Whether `replies` is the unknown-account answer."""
    return replies is not None and len(replies) > 0 and replies[0].template == UNKNOWN_USER


def parse_command(interaction: Interaction, commands: Iterable[str]) -> tuple[str, str]:
    """(command word, rest of the line), lower-cased word, mentions and "/qa" removed."""
    name = interaction.name.strip().lower().lstrip("/")
    text = _MENTION.sub(" ", interaction.text or "").strip()
    if name in commands:
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


class Router:
    """The commands, buttons, forms and hooks of every conversation, and where each goes."""

    def __init__(
        self,
        conversations: Iterable[Conversation],
        *,
        fallback: CommandHandler,
        hooks: Hooks | None = None,
    ) -> None:
        """`fallback` answers a word no conversation knows; `hooks` replaces the composed
        hooks (tests record or silence them this way)."""
        listed = tuple(conversations)
        self.conversations = listed
        self.commands: Mapping[str, CommandHandler] = _merge(listed, "commands")
        self.actions: Mapping[str, Handler] = _merge(listed, "actions")
        self.submissions: Mapping[str, Handler] = _merge(listed, "submissions")
        self.fallback = fallback
        self.hooks = hooks or Hooks(
            after_submit=tuple(h for c in listed for h in c.after_submit),
            after_outcome=tuple(h for c in listed for h in c.after_outcome),
        )

    def with_hooks(self, hooks: Hooks) -> Router:
        """The same routes with other hooks."""
        return Router(self.conversations, fallback=self.fallback, hooks=hooks)

    def known_word(self, word: str) -> str:
        """`word` if it is one of ours (safe to log), else "-"."""
        if word in self.commands or word in self.actions or word in self.submissions:
            return word
        return "-"

    def dispatch(
        self,
        interaction: Interaction,
        *,
        session: Session,
        framework: Framework,
        now: datetime,
        tz: ZoneInfo,
    ) -> list[Reply]:
        """Answer `interaction`. Runs inside the caller's transaction; writes are committed
        there."""
        person = resolve_person(session=session, interaction=interaction, now=now)
        if person is None:
            log.info("unknown user platform=%s kind=%s", interaction.platform, interaction.kind)
            return unknown_user(interaction)
        turn = Turn(interaction, person, session, framework, now, tz, self.hooks)
        kind = interaction.kind
        log.info(
            "dispatch platform=%s kind=%s name=%s person=%s",
            interaction.platform,
            kind,
            self.known_word(interaction.name),
            person.id,
        )
        if kind in _KIND_ACTIONS:
            return self.actions[_KIND_ACTIONS[kind]](turn)
        if kind in {"command", "message"}:
            word, rest = parse_command(interaction, self.commands)
            return self._command(turn, word, rest)
        if kind == "action":
            if interaction.name in self.commands:
                return self.commands[interaction.name](turn, interaction.text)
            action = self.actions.get(interaction.name)
            if action is not None:
                return action(turn)
        if kind == "submission":
            submission = self.submissions.get(interaction.name)
            if submission is not None:
                return submission(turn)
        log.warning("no handler platform=%s kind=%s", interaction.platform, kind)
        return [Reply("error", {"message": "That button or form is no longer in use."})]

    def _command(self, turn: Turn, word: str, rest: str) -> list[Reply]:
        command = self.commands.get(word)
        if command is not None:
            return command(turn, rest)
        return self.fallback(turn, word)
