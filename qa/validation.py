"""Fields of a dialog step and the checks on what a person submits in them.

A field is channel-neutral data: the modal dialog and the card are both rendered
from it, and both send back plain values (strings, lists of strings, numbers), which
are cleaned here into the JSON-friendly form the database keeps (dates as ISO text,
people as ids); what differs by kind of field is in `qa.field_kinds`. Every error is
a sentence for the person filling the form, shown under the field it is about: "Pick
a due date on a working day (25 December is a bank holiday)", never "invalid value".
Pure: `today` is passed in, never read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from qa.field_kinds import JSON, kind_of

__all__ = [
    "JSON",
    "Context",
    "DateRule",
    "Field",
    "FieldKind",
    "Group",
    "Option",
    "clean",
    "draft_value",
    "is_blank",
    "validate",
]

FieldKind = str  # a key of `qa.field_kinds.KINDS`; the registry is the one list
DateRule = Literal["any", "not_future", "future_working_day"]


@dataclass(frozen=True)
class Option:
    """One answer to pick; `help` is shown beside it (a grade's descriptor)."""

    value: str
    label: str
    help: str = ""


@dataclass(frozen=True)
class Group:
    """Fields shown together under a heading (a domain, a recommendation)."""

    key: str
    label: str
    help: str = ""


@dataclass(frozen=True)
class Field:
    """One input. `required_if=(other_key, values)` makes it required only when the
    other field of the same step holds one of `values` (otherwise it is optional).
    Person fields take their choices from the `known_people` the caller supplies.
    Renderers must not preselect an answer: an untouched field stays empty."""

    key: str
    label: str
    kind: FieldKind
    options: tuple[Option, ...] = ()
    required: bool = True
    help: str = ""
    max_length: int | None = None
    multiline: bool = False
    group: str = ""
    required_if: tuple[str, tuple[str, ...]] | None = None
    dates: DateRule = "any"
    bank_holidays: bool = True
    max_months_ahead: int | None = None
    missing: str = ""
    summary_label: str = ""

    def __post_init__(self) -> None:
        kind = kind_of(self.kind)  # an unknown kind fails where the form is built
        if kind.with_options and not self.options:
            raise ValueError(f"field {self.key!r} is a {self.kind} field with no options")
        if self.max_length is not None and self.max_length < 1:
            raise ValueError(f"field {self.key!r}: max_length must be 1 or more")

    @property
    def missing_message(self) -> str:
        """What to say when a required answer is left empty."""
        if self.missing:
            return self.missing
        return kind_of(self.kind).missing.format(label=self.label)

    def option_label(self, value: str) -> str:
        return next((o.label for o in self.options if o.value == value), value)


@dataclass(frozen=True)
class Context:
    """What validation needs from outside: the date, and the people one may pick."""

    today: date
    known_people: Mapping[int, str] = field(default_factory=dict)


def is_blank(raw: object) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple):
        return all(is_blank(x) for x in raw)
    return False


def clean(f: Field, raw: object, ctx: Context) -> tuple[JSON | None, str | None]:
    """The stored form of a non-blank answer, or a message saying what is wrong."""
    return kind_of(f.kind).clean(f, raw, ctx)


def draft_value(f: Field, raw: object, ctx: Context) -> JSON | None:
    """What to keep of an answer that is not checked (moving back): never lose it."""
    if is_blank(raw):
        return None
    value, error = clean(f, raw, ctx)
    if error is None:
        return value
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, list | tuple) and all(isinstance(x, str) for x in raw):
        return [str(x) for x in raw]
    return None


def _required(f: Field, cleaned: Mapping[str, JSON], filled_groups: set[str]) -> bool:
    if f.required_if is not None:
        other, wanted = f.required_if
        return cleaned.get(other) in wanted
    return f.required and (not f.group or f.group in filled_groups)


def validate(
    fields: Iterable[Field],
    values: Mapping[str, Any],
    ctx: Context,
    *,
    optional_groups: Iterable[str] = (),
) -> tuple[dict[str, JSON], dict[str, str]]:
    """Cleaned answers and field-level errors (field key -> message), in field order.

    A field in one of `optional_groups` is only required once something in its group
    is filled in: a recommendation left wholly blank is skipped, a half-written one
    is not.
    """
    fields = list(fields)
    optional = set(optional_groups)
    grouped = {f.group for f in fields if f.group}
    filled_groups = {
        g
        for g in grouped
        if g not in optional or any(not is_blank(values.get(f.key)) for f in fields if f.group == g)
    }
    cleaned: dict[str, JSON] = {}
    errors: dict[str, str] = {}
    for f in fields:
        raw = values.get(f.key)
        if is_blank(raw):
            continue
        value, error = clean(f, raw, ctx)
        if error is not None:
            errors[f.key] = error
        elif value is not None:
            cleaned[f.key] = value
    for f in fields:
        if f.key not in cleaned and f.key not in errors and _required(f, cleaned, filled_groups):
            errors[f.key] = f.missing_message
    order = {f.key: i for i, f in enumerate(fields)}
    return cleaned, dict(sorted(errors.items(), key=lambda kv: order[kv[0]]))
