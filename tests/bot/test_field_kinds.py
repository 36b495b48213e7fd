"""Every field kind in the registry can be drawn on both platforms, saved answer and all.

The registry (`qa.field_kinds.KINDS`) is the one list of question kinds; the two
input templates (`bot/templates/{slack,teams}/_audit_input.json.j2`) draw them. This
walks every kind and every input it may become, renders an `audit_step` holding one
field of each on Slack and on Teams through the real renderer, and finds each field's
input with its saved answer filled in. A kind added to the registry that a template
cannot draw fails here, not as a blank form in production; so does a kind the
registry does not know, as soon as a form names it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.render import Renderer, RenderError
from handlers.audit_views import step_context
from qa.dialog import END, Dialog, DialogState, Step, view
from qa.field_kinds import INPUTS, KINDS, RADIO_MAX, Kind
from qa.framework import load_framework
from qa.validation import JSON, Field, Option

SMALL = Path(__file__).parents[1] / "data" / "framework-small.yml"
TODAY = date(2026, 12, 1)
PEOPLE = {7: "Sam Example (Team manager)", 8: "Alex Morgan (QA lead)"}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(load_framework(str(SMALL)))


def _fields_of(kind: Kind) -> list[Field]:
    """One field per option count that can change the input (few, and many)."""
    if not kind.with_options:
        return [Field(f"{kind.key}.one", f"A {kind.key} question", kind.key, required=False)]
    return [
        Field(
            f"{kind.key}.{n}",
            f"A {kind.key} question with {n} options",
            kind.key,
            tuple(Option(f"v{i}", f"Option {i}") for i in range(1, n + 1)),
            required=False,
        )
        for n in (2, RADIO_MAX + 3)
    ]


def _saved(kind: Kind, f: Field) -> tuple[JSON, str]:
    """A valid saved answer for `f`, and a string its drawn input must hold."""
    if kind.people:
        return 7, "7"
    if kind.prefill == "option":
        return f.options[-1].value, f.options[-1].value
    if kind.prefill == "options":
        return [f.options[-1].value], f.options[-1].value
    if kind.prefill == "date":
        return "2026-11-20", "2026-11-20"
    return "Words typed earlier", "Words typed earlier"


def _every_field() -> list[tuple[Field, str, str]]:
    """(field, its input, what the input must show) for every kind and input."""
    return [
        (f, KINDS[f.kind].input_for(f), _saved(KINDS[f.kind], f)[1])
        for kind in KINDS.values()
        for f in _fields_of(kind)
    ]


def _context(fields: list[Field], *, with_input: dict[str, str] | None = None) -> dict[str, Any]:
    step = Step("ask", "Every kind", (END,), fields=tuple(fields))
    dialog = Dialog("audit", {"ask": step}, start="ask")
    answers = {f.key: _saved(KINDS[f.kind], f)[0] for f in fields}
    state = DialogState(dialog="audit", step="ask", answers={"ask": answers})
    sv = view(dialog, state, today=TODAY, known_people=PEOPLE)
    context = step_context(dialog, sv, audit_id=12, reference="CASE-0000001")
    for item in context["items"]:  # lets a test ask for an input no kind draws yet
        if item["type"] == "field" and with_input and item["key"] in with_input:
            item["input"] = with_input[item["key"]]
    return context


def _walk(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(d for v in node.values() for d in _walk(v))]
    if isinstance(node, list):
        return [d for v in node for d in _walk(v)]
    return []


def _drawn(renderer: Renderer, platform: str, context: dict[str, Any]) -> dict[str, dict]:
    """Each input the rendered step holds, by field key (Slack: the input block's
    element; Teams: the Input.* element)."""
    out = renderer.render("audit_step", context, platform)  # type: ignore[arg-type]
    if platform == "slack":
        return {
            b["block_id"]: b["element"]
            for b in _walk(out)
            if b.get("type") == "input" and b.get("element", {}).get("action_id")
        }
    return {e["id"]: e for e in _walk(out["card"]) if str(e.get("type", "")).startswith("Input.")}


def test_the_registry_says_every_input_its_kinds_become() -> None:
    made = {f.kind: set[str]() for f, _, _ in _every_field()}
    for f, input_name, _ in _every_field():
        made[f.kind].add(input_name)
    assert made == {k.key: set(k.inputs) for k in KINDS.values()}
    assert {i for _, i, _ in _every_field()} == INPUTS


@pytest.mark.parametrize("platform", ["slack", "teams"])
def test_every_kind_renders_with_its_saved_answer(renderer: Renderer, platform: str) -> None:
    fields = _every_field()
    drawn = _drawn(renderer, platform, _context([f for f, _, _ in fields]))
    for f, input_name, shown in fields:
        assert f.key in drawn, f"{platform} draws no input for a {f.kind} field ({input_name})"
        assert shown in json.dumps(drawn[f.key]), (f.key, input_name, drawn[f.key])


@pytest.mark.parametrize("platform", ["slack", "teams"])
def test_an_input_the_templates_cannot_draw_is_caught(renderer: Renderer, platform: str) -> None:
    text = next(f for f, i, _ in _every_field() if i == "text")
    context = _context([text], with_input={text.key: "scale"})
    try:
        drawn = _drawn(renderer, platform, context)
    except RenderError:  # Teams: the card is no longer JSON
        drawn = {}
    assert text.key not in drawn  # Slack: an input block with an empty element


def test_an_unknown_kind_fails_where_the_form_is_built() -> None:
    with pytest.raises(ValueError, match=r"no field kind 'scale'.*choice"):
        Field("mood", "How was it, 1 to 5?", "scale")


def test_empty_answers_are_worded_by_their_kind() -> None:
    for kind in KINDS.values():
        (f, *_) = _fields_of(kind)
        assert f.label in f.missing_message
        assert f.missing_message == kind.missing.format(label=f.label)
