"""The kinds of question a dialog can ask: one registry, so a new kind is one entry.

Everything that differs between kinds of field lives here and nowhere else: whether
it needs options, what to say when it is left empty, how a submitted value is cleaned
(or why it is refused), how a stored answer reads on the review screen, and which
input the templates draw for it. Adding a kind (a 1-5 scale, say) is one `Kind` in
`KINDS` plus, when it needs an input the templates do not draw yet, that input in
`bot/templates/<platform>/_audit_input.json.j2`; `tests/bot/test_field_kinds.py`
renders every kind's inputs on both platforms, so a kind the templates cannot draw
fails there rather than as a blank form in production.

Pure: `today` comes in through the validation context, never from a clock.
"""

from __future__ import annotations

import calendar as _stdcal
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from qa.working_days import add_months, is_bank_holiday, long_date

if TYPE_CHECKING:
    from qa.validation import Context, Field

__all__ = ["INPUTS", "JSON", "KINDS", "RADIO_MAX", "Kind", "Prefill", "kind_of"]

JSON = str | int | list[str]
Cleaned = tuple[JSON | None, str | None]
Prefill = Literal["option", "options", "date", "text"]

RADIO_MAX = 5  # up to this many options show as radio buttons, more as a list
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class Kind:
    """One kind of field.

    `missing` is worded with the field's label; `inputs` are every input name the
    templates may be asked to draw for it, `input_for` picks one for a field; `prefill`
    says how a saved answer is put back into that input; `people` kinds take their
    options from the people the person may pick, not from the field.
    """

    key: str
    missing: str
    clean: Callable[[Field, object, Context], Cleaned]
    describe: Callable[[Field, JSON, Mapping[int, str]], str]
    inputs: tuple[str, ...]
    input_for: Callable[[Field], str]
    prefill: Prefill
    with_options: bool = False
    people: bool = False


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _as_text(_: Field, value: JSON, __: Mapping[int, str]) -> str:
    return _clip(str(value))


# -- cleaning -----------------------------------------------------------------------


def _clean_text(f: Field, raw: object, _: Context) -> Cleaned:
    if not isinstance(raw, str):
        return None, f"Write {f.label} as text"
    text = raw.strip()
    if f.max_length is not None and len(text) > f.max_length:
        return None, f"Keep this under {f.max_length} characters (it has {len(text)})"
    return text, None


def _clean_one(f: Field, raw: object, _: Context) -> Cleaned:
    if isinstance(raw, str) and raw.strip() in {o.value for o in f.options}:
        return raw.strip(), None
    return None, "Choose one of the options given"


def _clean_many(f: Field, raw: object, _: Context) -> Cleaned:
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple) or not all(isinstance(x, str) for x in items):
        return None, "Choose from the options given"
    picked = {x.strip() for x in items if x.strip()}
    if not picked <= {o.value for o in f.options}:
        return None, "Choose from the options given"
    return [o.value for o in f.options if o.value in picked], None


def as_date(raw: object) -> date | None:
    """A date from a date picker (ISO), a typed DD/MM/YYYY, or a date object."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        pass
    m = _UK_DATE.match(text)
    if m:
        try:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            return None
    return None


def _day_month(d: date) -> str:
    return f"{d.day} {_stdcal.month_name[d.month]}"


def _date_error(f: Field, d: date, today: date) -> str | None:
    what = f.label.lower()
    if f.dates == "not_future" and d > today:
        return f"This date is in the future: pick today ({long_date(today)}) or earlier"
    if f.dates != "future_working_day":
        return None
    if d <= today:
        return f"Pick a {what} after today ({long_date(today)})"
    if d.weekday() >= 5:
        return f"Pick a {what} on a working day ({_day_month(d)} is a {d.strftime('%A')})"
    if f.bank_holidays and is_bank_holiday(d):
        return f"Pick a {what} on a working day ({_day_month(d)} is a bank holiday)"
    if f.max_months_ahead is not None and d > add_months(today, f.max_months_ahead):
        return f"Pick a {what} no later than {long_date(add_months(today, f.max_months_ahead))}"
    return None


def _clean_date(f: Field, raw: object, ctx: Context) -> Cleaned:
    d = as_date(raw)
    if d is None:
        return None, "Pick a date from the calendar (or write it as DD/MM/YYYY)"
    error = _date_error(f, d, ctx.today)
    return (None, error) if error else (d.isoformat(), None)


def _person_id(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None


def _clean_person(_: Field, raw: object, ctx: Context) -> Cleaned:
    person = _person_id(raw)
    if person is None or person not in ctx.known_people:
        return None, "Choose someone from the list"
    return person, None


# -- reading back ---------------------------------------------------------------------


def _describe_one(f: Field, value: JSON, people: Mapping[int, str]) -> str:
    return f.option_label(value) if isinstance(value, str) else _as_text(f, value, people)


def _describe_many(f: Field, value: JSON, people: Mapping[int, str]) -> str:
    if isinstance(value, list):
        return ", ".join(f.option_label(v) for v in value)
    return _as_text(f, value, people)


def _describe_date(f: Field, value: JSON, people: Mapping[int, str]) -> str:
    if isinstance(value, str):
        try:
            return long_date(date.fromisoformat(value))
        except ValueError:
            return value
    return _as_text(f, value, people)


def _describe_person(f: Field, value: JSON, people: Mapping[int, str]) -> str:
    if isinstance(value, int):
        return people.get(value, "someone no longer listed")
    return _as_text(f, value, people)


def _radio_or_select(f: Field) -> str:
    return "radio" if len(f.options) <= RADIO_MAX else "select"


def _single(
    key: str,
    missing: str,
    clean: Callable[[Field, object, Context], Cleaned],
    describe: Callable[[Field, JSON, Mapping[int, str]], str],
    *,
    prefill: Prefill,
    input_name: str = "",
    with_options: bool = False,
    people: bool = False,
) -> Kind:
    """A kind always drawn with one input (`input_name`, else one named as the kind)."""
    name = input_name or key
    return Kind(
        key=key,
        missing=missing,
        clean=clean,
        describe=describe,
        inputs=(name,),
        input_for=lambda _: name,
        prefill=prefill,
        with_options=with_options,
        people=people,
    )


def _one_of(key: str, missing: str) -> Kind:
    """A pick of one option: radio buttons when there are few, a list when many."""
    return Kind(
        key=key,
        missing=missing,
        clean=_clean_one,
        describe=_describe_one,
        inputs=("radio", "select"),
        input_for=_radio_or_select,
        prefill="option",
        with_options=True,
    )


_LISTED = (
    _one_of("choice", "Choose an answer for {label}"),
    _one_of("grade", "Choose a grade for {label}"),
    _single(
        "multi",
        "Choose at least one answer for {label}",
        _clean_many,
        _describe_many,
        prefill="options",
        input_name="checkboxes",
        with_options=True,
    ),
    _single("text", "Please fill in {label}", _clean_text, _as_text, prefill="text"),
    _single("date", "Pick a date for {label}", _clean_date, _describe_date, prefill="date"),
    _single(
        "person",
        "Choose a person for {label}",
        _clean_person,
        _describe_person,
        prefill="option",
        people=True,
    ),
)

KINDS: Mapping[str, Kind] = MappingProxyType({k.key: k for k in _LISTED})
INPUTS: frozenset[str] = frozenset(i for k in _LISTED for i in k.inputs)


def kind_of(key: str) -> Kind:
    """The registered kind `key`; an unknown one is a ValueError naming the known ones."""
    try:
        return KINDS[key]
    except KeyError:
        known = ", ".join(KINDS)
        raise ValueError(f"there is no field kind {key!r} (kinds: {known})") from None
