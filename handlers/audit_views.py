"""What one audit step shows, as a template context every platform's templates can render.

`qa.dialog.view` says what a step holds (facts, groups, fields, saved answers); this
module turns that into plain dicts the `audit_step` templates walk without logic:
which input each field becomes (its kind in `qa.field_kinds` says), what it is
pre-filled with (only values the platform will accept: a date picker rejects a
malformed date, a select an unknown option),
its error or privacy warning, and the facts cut into pieces that fit the smallest
section and, all together, the smallest card (`qa.chat_platforms`). Pure: no database,
no clock, so the template tests build contexts for the largest preset form from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from handlers.dialog_session import CONFIRM_KEY
from qa.chat_platforms import OPTION_CHARS as OPTION_LIMIT
from qa.chat_platforms import TEXT_INPUT_CHARS
from qa.dialog import Dialog, Fact, StepView
from qa.field_kinds import kind_of
from qa.validation import JSON, Field, Option

OPTION_CHARS = OPTION_LIMIT  # an option's text and description
FACT_LINES = 10  # lines in one section
FACT_CHARS = 2400  # characters in one section (within qa.chat_platforms.SECTION_CHARS)
VALUE_CHARS = 280  # one answer on the review screen
FACTS_CHARS = 12000  # every fact on one screen: keeps a card well under CARD_BYTES there
TEXT_MAX = TEXT_INPUT_CHARS  # a free-text input's maximum length


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _option(o: Option) -> dict[str, str]:
    return {"value": o.value, "label": _clip(o.label, OPTION_CHARS), "help": o.help}


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def field_context(
    f: Field,
    value: JSON | None,
    *,
    people: Mapping[int, str],
    optional: bool,
    error: str = "",
    warning: str = "",
) -> dict[str, Any]:
    """One input: its kind, options, pre-filled value (in every form a template needs)."""
    kind = kind_of(f.kind)
    options = [_option(o) for o in f.options]
    if kind.people:
        options = [
            {"value": str(i), "label": _clip(n, OPTION_CHARS), "help": ""}
            for i, n in people.items()
        ]
    selected = None
    selected_many: list[dict[str, str]] = []
    text = ""
    if kind.prefill == "option" and value is not None:
        selected = next((o for o in options if o["value"] == str(value)), None)
        text = selected["value"] if selected else ""
    elif kind.prefill == "options" and isinstance(value, list):
        selected_many = [o for o in options if o["value"] in value]
        text = ",".join(o["value"] for o in selected_many)
    elif kind.prefill == "date":
        text = str(value) if _is_date(value) else ""
    elif kind.prefill == "text" and value is not None:
        text = _clip(str(value), TEXT_MAX)
    limit = min(TEXT_MAX, max(f.max_length or TEXT_MAX, len(text)))
    return {
        "key": f.key,
        "label": f.label,
        "help": f.help,
        "input": kind.input_for(f),
        "multiline": f.multiline,
        "max_length": limit,
        "optional": optional,
        "options": options,
        "selected": selected,
        "selected_many": selected_many,
        "value": text,
        "error": error,
        "warning": warning,
    }


def fact_sections(facts: tuple[Fact, ...]) -> tuple[list[dict[str, Any]], int]:
    """Facts grouped by section and cut into pieces that fit one section each;
    and how many were left out to keep the screen within its limits."""
    pieces: list[dict[str, Any]] = []
    used = 0
    left_out = 0
    for fact in facts:
        line = {"label": _clip(fact.label, 150), "value": _clip(fact.value, VALUE_CHARS)}
        size = len(line["label"]) + len(line["value"]) + 4
        if used + size > FACTS_CHARS:
            left_out += 1
            continue
        used += size
        last = pieces[-1] if pieces else None
        if (
            last is None
            or last["section"] != fact.section
            or len(last["lines"]) >= FACT_LINES
            or last["chars"] + size > FACT_CHARS
        ):
            first = last is None or last["section"] != fact.section
            last = {
                "section": fact.section,
                "title": fact.section if first else "",
                "lines": [],
                "chars": 0,
            }
            pieces.append(last)
        last["lines"].append(line)
        last["chars"] += size
    return pieces, left_out


def step_context(
    dialog: Dialog,
    sv: StepView,
    *,
    audit_id: int,
    reference: str,
    errors: Mapping[str, str] | None = None,
    warnings: Mapping[str, str] | None = None,
    notice: str = "",
    editing: bool = False,
) -> dict[str, Any]:
    """The `audit_step` template's context for the step `sv` shows."""
    errors = dict(errors or {})
    warnings = dict(warnings or {})
    step = dialog.step(sv.key)
    fields = {f.key: f for f in sv.fields}
    items: list[dict[str, Any]] = []
    groups = {g.key: g for g in sv.groups}
    shown_groups: set[str] = set()
    for f in sv.fields:
        if f.group and f.group not in shown_groups and f.group in groups:
            shown_groups.add(f.group)
            g = groups[f.group]
            items.append({"type": "group", "label": g.label, "help": g.help})
        optional = not f.required or f.required_if is not None or f.group in step.optional_groups
        items.append(
            {
                "type": "field",
                **field_context(
                    f,
                    sv.values.get(f.key),
                    people=sv.people,
                    optional=optional,
                    error=errors.get(f.key, ""),
                    warning=warnings.get(f.key, ""),
                ),
            }
        )
    grade_help = []
    if any(f.kind == "grade" for f in sv.fields):
        grade = next(f for f in sv.fields if f.kind == "grade")
        grade_help = [{"label": o.label, "help": o.help} for o in grade.options if o.help]
    pieces, left_out = fact_sections(sv.facts)
    stray = [message for key, message in errors.items() if key not in fields]
    labels = {o.value: o.label for o in sv.flags}
    return {
        "title": sv.title,
        "step": sv.key,
        "number": sv.number,
        "reference": reference,
        "intro": sv.intro,
        "notice": notice,
        "problems": stray,
        "facts": pieces,
        "facts_left_out": left_out,
        "grade_help": grade_help,
        "items": items,
        "has_inputs": bool(sv.fields),
        "confirm": bool(warnings),
        "confirm_key": CONFIRM_KEY,
        "can_go_back": sv.can_go_back,
        "submit_label": sv.submit_label,
        "is_review": sv.key == "review",
        "editing": editing,
        "flags": [{"value": o.value, "label": o.label} for o in sv.flags],
        "raised": [labels.get(k, k) for k in sv.raised],
        "audit_key": f"audit:{audit_id}",
        "step_key": f"audit:{audit_id}:{sv.key}",
        "errors": {},
    }
