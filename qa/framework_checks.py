"""Finding every problem in a framework file, each with its line and a fix.

The people who edit framework files are QA leads, not programmers, so one run of
`qa-bot framework check` must tell them everything that is wrong at once: YAML
syntax, keys given twice, unknown settings, wrong types, missing settings, and names
(roles, areas, grades, governance channels) used but never defined. The name checks
run on the raw mapping, not on the validated model, so they are found even when other
parts of the file are broken. This module knows nothing about the schema's contents:
the model class is passed in, and the fields that name something carry a `Ref` marker.
"""

from __future__ import annotations

import difflib
import io
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a framework file, located for a person to fix."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class FrameworkError(Exception):
    """A framework file that cannot be used; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Ref:
    """Marks a field whose value must be the key of something defined elsewhere."""

    kind: str


# What each kind of name refers to: where it is defined, and how to say it.
DEFINED_IN: dict[str, str] = {
    "role": "roles",
    "area": "areas",
    "grade": "grades",
    "governance channel": "governance",
}
# Sections a file may leave out: then nothing of that kind is defined, and every use
# is a problem. (A required section left out is reported once, as missing.)
OPTIONAL_SECTIONS = {"governance"}

RoleKey = Annotated[str, Ref("role")]
AreaKey = Annotated[str, Ref("area")]
GradeKey = Annotated[str, Ref("grade")]
ChannelKey = Annotated[str, Ref("governance channel")]

# Fields holding month numbers, for a plainer message than pydantic's bounds.
MONTH_FIELDS = {"active_months", "months", "start_month", "quarterly_analysis_months"}

REF_PREFIX = "names used but not defined in the file"


# -- reading YAML ------------------------------------------------------------------


def decode(raw: bytes, filename: str) -> str:
    """The file's text; a file that is not UTF-8 is refused with the line it breaks on."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start]
        raise FrameworkError(
            [
                Problem(
                    filename,
                    line,
                    f"the file is not UTF-8 text (byte 0x{byte:02x} cannot be read); "
                    "save it as UTF-8 and check this line",
                )
            ]
        ) from None
    return text.removeprefix("\ufeff")


def read_yaml(text: str, filename: str) -> tuple[Any, list[Problem]]:
    """The round-trip tree (with line numbers) and the keys given twice.

    Syntax errors stop here, since nothing after them can be read reliably.
    """
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = True  # reported below, all of them, not just the first
    try:
        tree = yaml.load(io.StringIO(text))
        root = YAML(typ="rt").compose(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(s for s in (exc.context, exc.problem) if s) or str(exc)
        raise FrameworkError(
            [Problem(filename, line, f"not valid YAML: {what}; check the indentation and quotes")]
        ) from None
    except YAMLError as exc:
        position = getattr(exc, "position", None)
        line = text[:position].count("\n") + 1 if isinstance(position, int) else None
        reason = getattr(exc, "reason", None) or str(exc)
        raise FrameworkError([Problem(filename, line, f"not valid YAML: {reason}")]) from None
    return tree, list(_duplicate_keys(root, (), filename))


# Plain scalars that YAML 1.2 (this product) reads as strings but YAML 1.1 tools (PyYAML,
# many editors' plug-ins) read as booleans or base-60 numbers: `Yes`, `No`, `on`, `1:30`.
_YAML11_SURPRISES = re.compile(
    r"(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False|FALSE"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)"
)


def quote_for_yaml11(text: str) -> str:
    """`text` with every plain string value YAML 1.1 would misread put in double quotes.

    Only those scalars change, found by position in the parsed file, so comments,
    layout and every other value stay exactly as written; the result reads the same
    in YAML 1.2 and survives tools that still speak YAML 1.1.
    """
    root = YAML(typ="rt").compose(io.StringIO(text))
    spans: list[tuple[int, int]] = []

    def walk(node: Node | None) -> None:
        if isinstance(node, MappingNode):
            for _key, value in node.value:
                walk(value)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                walk(item)
        elif (
            isinstance(node, ScalarNode)
            and node.style is None
            and node.tag == "tag:yaml.org,2002:str"
            and _YAML11_SURPRISES.fullmatch(node.value)
        ):
            spans.append((node.start_mark.index, node.end_mark.index))

    walk(root)
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + '"' + text[start:end] + '"' + text[end:]
    return text


def _duplicate_keys(node: Node | None, loc: Loc, filename: str) -> Iterator[Problem]:
    if isinstance(node, MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in first and key != "<<":
                yield Problem(
                    filename,
                    line,
                    f"'{key}' is given twice {within(loc)} (first on line "
                    f"{first[key]}); only the first is used, so remove one",
                )
            else:
                first.setdefault(key, line)
            yield from _duplicate_keys(value_node, (*loc, key), filename)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*loc, i), filename)


def plain(node: Any) -> Any:
    """The round-trip tree as plain dicts and lists, for pydantic."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def line_of(tree: Any, loc: Loc) -> int | None:
    """The 1-based line of the deepest node along `loc` in a ruamel round-trip tree."""
    line: int | None = None
    node = tree
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    if line is None and hasattr(tree, "lc"):
        line = tree.lc.line + 1
    return line


def within(loc: Loc) -> str:
    """`in cadences[1]`, or `at the top level`, for messages."""
    return f"in {describe_loc(loc)}" if loc else "at the top level"


def describe_loc(loc: Loc) -> str:
    """`('audit_form', 'domains', 2, 'label')` as `audit_form.domains[2].label`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the top level"


# -- pydantic's errors, in words ---------------------------------------------------


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside `X`, `list[X]`, `X | None`, `Annotated[X, ...]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = model_in(arg)
        if found is not None:
            return found
    return None


def known_fields(model: type[BaseModel], loc: Loc) -> list[str]:
    """The settings allowed in the mapping at `loc` (the parent of an unknown key)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if current else None
        if field is None:
            return []
        current = model_in(field.annotation)
    return list(current.model_fields) if current else []


_TYPE_WORDS = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list (lines starting with '- ', or [a, b])",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "time_parsing": "a time such as 09:00",
    "time_type": "a time such as 09:00",
}


_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "less_than_equal": ("at most", "le"),
    "greater_than": ("more than", "gt"),
    "less_than": ("less than", "lt"),
}


def _field_loc(loc: Loc) -> Loc:
    """Drop the parts pydantic adds for unions and validators (`function-after[...]`)."""
    return tuple(p for p in loc if isinstance(p, int) or not re.fullmatch(r"[\w-]+\[.*\]", p))


def describe_error(err: Any, model: type[BaseModel]) -> tuple[Loc, str]:
    """One pydantic error as (where, what to fix)."""
    loc = _field_loc(tuple(err["loc"]))
    path = describe_loc(loc)
    kind = err["type"]
    value = err.get("input")
    shown = repr(value) if isinstance(value, str | int | float | bool) or value is None else ""
    if kind == "extra_forbidden":
        known = known_fields(model, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        fix = (
            f"did you mean '{hint[0]}'?" if hint else "remove it (known: " + ", ".join(known) + ")"
        )
        return loc, f"'{loc[-1]}' is not a known setting {within(loc[:-1])}; {fix}"
    if kind == "missing":
        return loc, f"'{loc[-1]}' is required {within(loc[:-1])} but missing; add it"
    last = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if last in MONTH_FIELDS and kind in {"greater_than_equal", "less_than_equal"}:
        return loc, f"{path}: {shown} is not a month; use 1 (January) to 12 (December)"
    if kind in _TYPE_WORDS:
        got = f", not {shown}" if shown else ""
        return loc, f"{path} should be {_TYPE_WORDS[kind]}{got}"
    if kind == "literal_error":
        expected = str(err.get("ctx", {}).get("expected", ""))
        hint = difflib.get_close_matches(str(value), re.findall(r"'([^']*)'", expected), n=1)
        fix = f"did you mean '{hint[0]}'?" if hint else f"use one of {expected}"
        return loc, f"{path}: {shown} is not allowed here; {fix}"
    if kind in _BOUNDS:
        got = f", not {shown}" if shown else ""
        limit = err.get("ctx", {}).get(_BOUNDS[kind][1])
        limit = f"{limit:g}" if isinstance(limit, int | float) else limit
        return loc, f"{path} should be {_BOUNDS[kind][0]} {limit}{got}"
    if kind == "too_short" and err.get("ctx", {}).get("min_length"):
        need = err["ctx"]["min_length"]
        return loc, f"{path} needs at least {need} entr{'y' if need == 1 else 'ies'}"
    got = f" (it is {shown})" if shown else ""
    return loc, f"{path}: {err['msg'][:1].lower()}{err['msg'][1:]}{got}"


def is_reference_error(err: Any) -> bool:
    """The model's own reference check, which `reference_problems` repeats on raw data."""
    return not err["loc"] and REF_PREFIX in str(err.get("msg", ""))


# -- names used but not defined, on the raw mapping --------------------------------

_ITEM = -1  # a path step meaning "every item of a list"


def _ref_paths(annotation: Any, metadata: list[Any] | tuple[Any, ...], prefix: Loc) -> Iterator:
    for m in metadata:
        if isinstance(m, Ref):
            yield prefix, m.kind
            return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        yield from _ref_paths(args[0], args[1:], prefix)
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            yield from _ref_paths(arg, (), prefix)
    elif origin is list:
        yield from _ref_paths(args[0], (), (*prefix, _ITEM))
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            yield from _ref_paths(field.annotation, field.metadata, (*prefix, name))


def reference_paths(model: type[BaseModel]) -> list[tuple[Loc, str]]:
    """Every (path, kind) in the schema whose value names a role, area, grade, ..."""
    return list(_ref_paths(model, (), ()))


def _values_at(data: Any, path: Loc, loc: Loc = ()) -> Iterator[tuple[Loc, Any]]:
    if not path:
        yield loc, data
        return
    step, rest = path[0], path[1:]
    if step == _ITEM:
        if isinstance(data, list):
            for i, item in enumerate(data):
                yield from _values_at(item, rest, (*loc, i))
    elif isinstance(data, dict) and step in data:
        yield from _values_at(data[step], rest, (*loc, step))


def _defined(data: dict[str, Any], section: str) -> list[tuple[int, str]] | None:
    """(index, key) of each item defined under `section`; None if it is unusable."""
    items = data.get(section)
    if not isinstance(items, list):
        return None
    keys = [(i, it["key"]) for i, it in enumerate(items) if isinstance(it, dict)]
    keys = [(i, k) for i, k in keys if isinstance(k, str)]
    return keys or None


def reference_problems(data: Any, model: type[BaseModel]) -> list[tuple[Loc, str]]:
    """Names used but not defined, and keys defined twice, anywhere in `data`."""
    if not isinstance(data, dict):
        return []
    out: list[tuple[Loc, str]] = []
    known: dict[str, set[str]] = {}
    for kind, section in DEFINED_IN.items():
        defined = _defined(data, section)
        if defined is None:
            if section in OPTIONAL_SECTIONS and data.get(section) in (None, []):
                known[kind] = set()
            continue  # missing or broken: reported as a field error, not once per use
        known[kind] = {k for _, k in defined}
        seen: set[str] = set()
        for i, k in defined:
            if k in seen:
                out.append(
                    ((section, i, "key"), f"{kind} '{k}' is defined twice; give each its own key")
                )
            seen.add(k)
    for path, kind in reference_paths(model):
        if kind not in known:
            continue
        for loc, value in _values_at(data, path):
            if isinstance(value, str) and value not in known[kind]:
                out.append((loc, _not_defined(kind, value, known[kind])))
    out.extend(_repeated_item_keys(data))
    out.extend(_consistency(data))
    return out


def _not_defined(kind: str, value: str, known: set[str]) -> str:
    hint = difflib.get_close_matches(value, sorted(known), n=1)
    if hint:
        return f"{kind} '{value}' is not defined; did you mean '{hint[0]}'?"
    if not known:
        return f"{kind} '{value}' is not defined; define it under {DEFINED_IN[kind]}"
    return (
        f"{kind} '{value}' is not defined; define it under {DEFINED_IN[kind]} "
        "or use one of: " + ", ".join(sorted(known))
    )


def _repeated_item_keys(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    """Two domains, checklist items, prompts or flags with the same key."""
    form = data.get("audit_form")
    if not isinstance(form, dict):
        return
    for section in ("checklist", "domains", "feedback", "narrative", "urgent_flags"):
        seen: set[str] = set()
        for loc, key in _values_at(form, (section, _ITEM, "key"), ("audit_form",)):
            if isinstance(key, str) and key in seen:
                yield loc, f"'{key}' is used twice in audit_form.{section}; give each its own key"
            if isinstance(key, str):
                seen.add(key)


def _consistency(data: dict[str, Any]) -> Iterator[tuple[Loc, str]]:
    """Rules that span several settings."""
    windows = data.get("review_windows")
    if isinstance(windows, list) and windows and all(isinstance(w, dict) for w in windows):
        yield from _review_windows(windows)
    cadences = data.get("cadences")
    if isinstance(cadences, list):
        yield from _cadences(cadences)
    grades = data.get("grades")
    if (
        isinstance(grades, list)
        and grades
        and all(isinstance(g, dict) for g in grades)
        and not any(g.get("good_or_better") is True for g in grades)
    ):
        yield (
            ("grades",),
            "no grade is marked 'good_or_better: true'; mark the grades that count "
            "as good or better (tracking to good depends on it)",
        )


def _review_windows(windows: list[dict[str, Any]]) -> Iterator[tuple[Loc, str]]:
    shares = [w.get("share") for w in windows]
    numbers = [s for s in shares if isinstance(s, int | float) and not isinstance(s, bool)]
    if len(numbers) == len(shares) and abs(sum(numbers) - 1) > 1e-6:
        yield (
            ("review_windows",),
            f"the review windows' shares add up to {sum(numbers):g}; they must add up to 1 "
            "(every open case once in the cycle)",
        )
    remainders = [i for i, w in enumerate(windows) if w.get("remainder") is True]
    for i in remainders[1:]:
        yield (
            ("review_windows", i, "remainder"),
            "only one review window can take the remaining cases",
        )
    for i in remainders:
        if windows[i].get("cases") is not None:
            yield (
                ("review_windows", i, "cases"),
                "a window that takes the remaining cases cannot also set 'cases'; "
                "remove one of them",
            )


def _cadences(cadences: list[Any]) -> Iterator[tuple[Loc, str]]:
    """Cadences the engine could not carry out: refused, not accepted and ignored."""
    for i, c in enumerate(cadences):
        if isinstance(c, dict) and c.get("activity") == "dip_sample":
            yield (
                ("cadences", i, "activity"),
                "a cadence cannot carry out dip samples: they follow a worrying grade, not "
                "the calendar; set them in the dip_sample section (after_grades, cases, "
                "by_role) and remove this cadence",
            )
