"""Strict checks of rendered messages against the platforms' own typed models.

Teams: the Teams SDK's Adaptive Card models (`microsoft_teams.cards`) are lenient on
purpose (extra keys allowed, every `type` defaulted, `body` a list of untyped
elements), so a card that Teams' web client refuses still validates. The Agents
Playground crashed on status cards whose columns had no `"type": "Column"` (its
renderer writes the default into the frozen JSON: "Cannot add property type, object
is not extensible"). `check_card` walks a card the way a client does: every element,
column, action, row, cell and run must name its `type`, the type must exist in
Adaptive Cards 1.5, every property must be one the model knows, and every enum value
must be one the model allows (compared without case, as clients do). House rule on
top: no `warning` text colour, which is yellow on Teams' white background.

Slack: each block goes through `slack_sdk.models.blocks.Block.parse`, whose models
know every block and element type and raise on the documented length limits; a
block type slack_sdk does not know parses to None and fails here. Modals and the App
Home also go through slack_sdk's `View`.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import microsoft_teams.cards as cards
from pydantic import BaseModel
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

# Element and action types Teams supports in Adaptive Cards 1.5.
CARD_TYPES_1_5 = {
    "AdaptiveCard",
    "TextBlock",
    "RichTextBlock",
    "TextRun",
    "FactSet",
    "ColumnSet",
    "Column",
    "Container",
    "Image",
    "ImageSet",
    "ActionSet",
    "Table",
    "TableRow",
    "TableCell",
    "Input.Text",
    "Input.ChoiceSet",
    "Input.Date",
    "Input.Time",
    "Input.Toggle",
    "Input.Number",
    "Action.Execute",
    "Action.Submit",
    "Action.OpenUrl",
    "Action.ShowCard",
    "Action.ToggleVisibility",
}
# Keys that hold typed card objects (lists or one object).
_TYPED_CHILDREN = {"body", "items", "columns", "actions", "rows", "cells", "card", "selectAction"}
# Keys whose objects have no `type` in the schema.
_UNTYPED_CHILDREN: dict[str, type[BaseModel]] = {"facts": cards.Fact, "choices": cards.Choice}
# Keys Teams reads that the SDK models leave out (some are 1.5 names the SDK renamed).
_ALSO_ALLOWED = {"$schema", "fallback"}
_ALSO_ALLOWED_BY_TYPE = {"Table": {"firstRowAsHeader"}}


def _models() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for name in dir(cards):
        model = getattr(cards, name)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        if "type" in model.model_fields:
            default = model.model_fields["type"].default
            if isinstance(default, str) and default in CARD_TYPES_1_5:
                found.setdefault(default, model)
    return found


MODELS = _models()


def _aliases(model: type[BaseModel]) -> dict[str, str]:
    """JSON key -> field name."""
    out: dict[str, str] = {}
    for name, field in model.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else name
        out[alias] = name
    return out


def _literals(annotation: Any) -> list[str]:
    """Every string a field's Literal (possibly inside Optional/Union) allows."""
    if typing.get_origin(annotation) is typing.Literal:
        return [v for v in typing.get_args(annotation) if isinstance(v, str)]
    return [v for arg in typing.get_args(annotation) for v in _literals(arg)]


def _scalars(node: dict[str, Any], model: type[BaseModel], where: str) -> Iterator[str]:
    """Problems with the node's own keys and enum values (children are checked separately)."""
    aliases = _aliases(model)
    also = _ALSO_ALLOWED | _ALSO_ALLOWED_BY_TYPE.get(str(node.get("type")), set())
    for key, value in node.items():
        if key in also:
            continue
        if key not in aliases:
            yield f"{where}: {node.get('type', model.__name__)} has no property {key!r}"
            continue
        if not isinstance(value, str):
            continue
        allowed = _literals(model.model_fields[aliases[key]].annotation)
        if allowed and value.lower() not in {a.lower() for a in allowed}:
            yield f"{where}: {key}={value!r} is not one of {allowed}"
    if str(node.get("color", "")).lower() == "warning":
        yield f"{where}: colour 'warning' is yellow on white; use attention or default"


def _untyped(node: Any, model: type[BaseModel], where: str) -> Iterator[str]:
    if not isinstance(node, dict):
        yield f"{where}: expected an object, got {node!r:.60}"
        return
    yield from _scalars(node, model, where)


def _typed(node: Any, where: str) -> Iterator[str]:
    if not isinstance(node, dict):
        yield f"{where}: expected a typed object, got {node!r:.60}"
        return
    kind = node.get("type")
    if not isinstance(kind, str):
        yield f'{where}: an object without "type" (keys {sorted(node)[:6]})'
        return
    model = MODELS.get(kind)
    if model is None:
        yield f"{where}: {kind!r} is not an Adaptive Cards 1.5 type Teams renders"
        return
    here = f"{where}/{kind}"
    yield from _scalars(node, model, here)
    for key, value in node.items():
        if kind == "Table" and key == "columns" and isinstance(value, list):
            for i, item in enumerate(value):  # column definitions, not Columns
                yield from _untyped(item, cards.ColumnDefinition, f"{here}.columns[{i}]")
        elif key in _UNTYPED_CHILDREN and isinstance(value, list):
            for i, item in enumerate(value):
                yield from _untyped(item, _UNTYPED_CHILDREN[key], f"{here}.{key}[{i}]")
        elif key == "inlines" and isinstance(value, list):
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    yield from _typed(item, f"{here}.inlines[{i}]")
        elif key == "fallback" and isinstance(value, dict):
            yield from _typed(value, f"{here}.fallback")
        elif key in _TYPED_CHILDREN:
            for i, item in enumerate(value if isinstance(value, list) else [value]):
                yield from _typed(item, f"{here}.{key}[{i}]")


def card_problems(card: dict[str, Any]) -> list[str]:
    """Everything a strict Adaptive Cards 1.5 client would object to; empty when fine."""
    problems = list(_typed(card, "card"))
    if card.get("type") != "AdaptiveCard":
        problems.append("card: the root must be an AdaptiveCard")
    return problems


def blocks_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """Each Slack block parsed with slack_sdk's models, which enforce Block Kit's limits."""
    problems: list[str] = []
    for i, raw in enumerate(blocks):
        try:
            block = Block.parse(raw)
            if block is None:
                problems.append(f"block {i}: slack_sdk does not know {raw.get('type')!r}")
                continue
            block.validate_json()
            roundtrip = block.to_dict()
        except (SlackObjectFormationError, KeyError, TypeError, ValueError) as exc:
            problems.append(f"block {i} ({raw.get('type')}): {exc}")
            continue
        if roundtrip.get("type") != raw.get("type"):
            problems.append(f"block {i}: parsed as {roundtrip.get('type')!r}")
    return problems


def view_problems(view: dict[str, Any]) -> list[str]:
    """A Slack modal or App Home as slack_sdk's View model checks it (title, submit and
    close lengths, block count, private_metadata size), then each of its blocks."""
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, KeyError, TypeError, ValueError) as exc:
        return [f"view: {exc}"]
    return blocks_problems(view.get("blocks", []))
