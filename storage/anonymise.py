"""Removing free text from stored records while keeping what statistics need.

An old audit is still useful as a number (a grade in a trend, a checklist answer in a
count) long after what its author wrote about the family should be gone. So
anonymising keeps coded values (an option of the framework's forms, a grade, a flag
key, a date, an id) and the structure that holds them, and blanks every other
string. The test is by value, not by field name, so answers stored under any shape,
or under a form that has changed since, lose their text all the same: when in doubt,
a string is blanked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from qa.dialog import DialogError
from qa.forms import build_audit_dialog
from qa.framework import Framework
from qa.moderation_dialog import build_moderation_dialog

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_IDENTIFIER = re.compile(r"[A-Za-z0-9_.:\-]{0,64}")
# Keys of a saved dialog state whose values are step and field keys, not people's words.
_STRUCTURAL = frozenset(
    {"version", "dialog", "step", "trail", "from_step", "to_step", "action", "confirmed", "key"}
)

# Per record type, the fields that hold free text (also scrubbed in audit-log snapshots).
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "audit": ("answers", "narrative", "history"),
    "moderation": ("answers", "comments"),
    "recommendation": ("action", "impact", "impact_note"),
    "recommendation_update": ("note",),
    "escalation": ("response",),
    "allocation": ("decline_reason",),
    "qa_alert": ("note", "action_note"),
}


def coded_values(framework: Framework) -> frozenset[str]:
    """Every value a form field can hold that is a code, not words: options, grades, flags."""
    values: set[str] = set(framework.grade_keys)
    values.update(f.key for f in framework.audit_form.urgent_flags)
    dialogs = []
    for area in framework.area_keys:
        try:
            dialogs.append(build_audit_dialog(framework, area))
        except (DialogError, ValueError):
            continue
    domains = {d.key for area in framework.area_keys for d in framework.domains_for(area)}
    try:
        top = framework.grade_keys[0]
        dialogs.append(
            build_moderation_dialog(
                framework, domain_grades=dict.fromkeys(domains, top), overall_grade=top
            )
        )
    except (DialogError, ValueError):
        pass
    for dialog in dialogs:
        values.update(o.value for o in dialog.flags)
        for step in dialog.steps.values():
            for field in step.fields:
                if field.kind != "text":
                    values.update(o.value for o in field.options)
    return frozenset(values)


def _structural(value: Any) -> bool:
    if isinstance(value, str):
        return _IDENTIFIER.fullmatch(value) is not None
    if isinstance(value, list):
        return all(_structural(v) for v in value)
    return isinstance(value, int | bool) or value is None


def scrub(value: Any, coded: frozenset[str]) -> Any:
    """`value` with every string that is not a code, a date or a step key blanked."""
    if isinstance(value, Mapping):
        return {
            k: v if k in _STRUCTURAL and _structural(v) else scrub(v, coded)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub(v, coded) for v in value]
    if isinstance(value, str):
        return value if value in coded or _ISO_DATE.fullmatch(value) else ""
    return value  # numbers, booleans, None: ids and counts, not words


def blank(value: Any) -> Any:
    """Free text gone entirely: strings emptied, mappings keep their keys, None stays None."""
    if isinstance(value, Mapping):
        return {k: blank(v) for k, v in value.items()}
    if isinstance(value, list):
        return [blank(v) for v in value]
    if isinstance(value, str):
        return ""
    return value


def anonymised_fields(
    record_type: str, data: Mapping[str, Any], coded: frozenset[str]
) -> dict[str, Any]:
    """The new values of the free-text fields of one record (a row or a log snapshot)."""
    out: dict[str, Any] = {}
    for name in FREE_TEXT.get(record_type, ()):
        if name not in data:
            continue
        value = data[name]
        if name in {"answers", "history"}:
            out[name] = scrub(value, coded)
        elif name == "decline_reason":
            out[name] = None if value is None else ""
        else:
            out[name] = blank(value)
    return out
