"""Every button and form a template can produce has a route, and every job is scheduled.

Routes are composed explicitly in `bot/composition.py`; a button added to a template
but not to a conversation would answer "That button or form is no longer in use". So
every template is rendered with its sample contexts on both platforms, every button
and form id is collected from the output, and each must be a command, an action or a
submission the composed router knows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.composition import conversations, jobs, router
from bot.render import Renderer
from qa.framework import load_framework
from tests.bot.test_render import SMALL, _cases

# Slack input elements carry action ids too; they are fields of a form, not routes.
_SLACK_BUTTONS = {"button", "overflow", "static_select"}


def _slack_ids(node: Any, in_actions: bool = False) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if node.get("type") == "modal" and isinstance(node.get("callback_id"), str):
            yield "submission", node["callback_id"]
        if node.get("type") in _SLACK_BUTTONS and in_actions and node.get("action_id"):
            yield "action", str(node["action_id"])
        inside = in_actions or node.get("type") in {"actions", "section"}
        for key, value in node.items():
            yield from _slack_ids(value, inside if key in {"elements", "accessory"} else False)
    elif isinstance(node, list):
        for item in node:
            yield from _slack_ids(item, in_actions)


def _teams_ids(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if node.get("type") in {"Action.Execute", "Action.Submit"}:
            data = node.get("data") or {}
            word = data.get("action") if isinstance(data, dict) else None
            word = word or node.get("verb")
            if word:
                yield "either", str(word)
        for value in node.values():
            yield from _teams_ids(value)
    elif isinstance(node, list):
        for item in node:
            yield from _teams_ids(item)


def _produced() -> set[tuple[str, str, str]]:
    renderer = Renderer(load_framework(str(SMALL)))
    found: set[tuple[str, str, str]] = set()
    for platform, name, context in _cases():
        if platform == "text":
            continue
        out = renderer.render(name, context, platform)  # type: ignore[arg-type]
        ids = _slack_ids(out) if platform == "slack" else _teams_ids(out.get("card"))
        found |= {(name, kind, word) for kind, word in ids}
    return found


PRODUCED = sorted(_produced())


def test_templates_produce_buttons_and_forms_at_all() -> None:
    words = {word for _, _, word in PRODUCED}
    assert {"audit.start", "audit.step", "moderation.open", "rec.done", "my"} <= words


@pytest.mark.parametrize(("template", "kind", "word"), PRODUCED)
def test_every_button_and_form_has_a_route(template: str, kind: str, word: str) -> None:
    routes = router()
    if kind == "submission":
        known = set(routes.submissions)
    elif kind == "action":
        known = {*routes.actions, *routes.commands}
    else:  # Teams sends a card's data as an action or, with inputs, a submission
        known = {*routes.actions, *routes.submissions, *routes.commands}
    assert word in known, f"{template}: {kind} {word!r} has no route in bot/composition.py"


def test_every_conversation_and_job_is_composed_once() -> None:
    names = [c.name for c in conversations()]
    assert len(names) == len(set(names))
    assert {"allocate_month", "post_summary", "retention", "qa_calendar"} <= set(jobs())
