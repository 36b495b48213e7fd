"""What every person can ask for, whatever their role: help, their own work, the Home.

`help` (and any greeting) lists what this person can do; `my` lists what is waiting
for them; a word the bot does not know gets the help card with the word echoed back
(a few characters only, never a paragraph of what someone typed). Installing the app
gets a welcome; opening the app's home page (where the platform has one) gets the
Home view.
"""

from __future__ import annotations

from handlers.conversation import Conversation
from handlers.help import help_context
from handlers.home import home_context, my_work_context
from handlers.interaction import Reply
from handlers.turn import Turn

GREETINGS = frozenset(
    {"hi", "hello", "hey", "hiya", "morning", "afternoon", "start", "menu", "?", "help", ""}
)
ECHO_LIMIT = 30


def help_command(turn: Turn, _rest: str = "") -> list[Reply]:
    return [Reply("help", help_context(person=turn.person, framework=turn.framework))]


def my_command(turn: Turn, _rest: str = "") -> list[Reply]:
    context = my_work_context(session=turn.session, person=turn.person, now=turn.now)
    return [Reply("my_work", context)]


def didnt_catch(turn: Turn, word: str) -> list[Reply]:
    """A greeting gets help; anything else gets help with the word shown back, capped."""
    if word in GREETINGS:
        return help_command(turn)
    context = help_context(
        person=turn.person, framework=turn.framework, didnt_catch=word[:ECHO_LIMIT]
    )
    return [Reply("help", context)]


def welcome(turn: Turn) -> list[Reply]:
    """First contact after the app is installed for this person."""
    return [Reply("welcome", help_context(person=turn.person, framework=turn.framework))]


def home(turn: Turn) -> list[Reply]:
    context = home_context(
        session=turn.session, person=turn.person, framework=turn.framework, now=turn.now
    )
    return [Reply("home", context)]


CONVERSATION = Conversation(
    name="menu",
    commands={"help": help_command, "my": my_command},
    actions={"app.install": welcome, "app.home": home},
)
