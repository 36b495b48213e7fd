"""Sample contexts for the audit dialog's templates, built from the largest preset forms.

Every step of every preset's largest audit form (the area with the most graded
domains), filled to the brim: each text answer at its longest, every option chosen,
50 people in each picker, an error and a privacy warning under every field. If these
render within Slack's and Teams' limits (tests/bot/test_render.py checks), every real
step does. Built through `handlers.audit_views`, the same code the handlers use.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.audit_views import step_context
from qa.dialog import END, Dialog, DialogState, RaisedFlag, view
from qa.forms import build_audit_dialog
from qa.framework import load_framework, preset_names
from qa.validation import JSON, Field

TODAY = date(2026, 12, 1)
DUE = "2027-01-12"  # a Tuesday, a working day
PEOPLE = {i: f"Firstname Longsurname-{i:02d} (Head of Safeguarding and QA)" for i in range(1, 51)}
ERROR = "Pick a due date on a working day (25 December is a bank holiday)"
WARNING = "This looks like a phone number: please leave personal details in the case record."
EVIL = 'Sam <!channel> @here *bold* `code` "}]} ${x} [link](http://evil.example) <at>Boss</at>'


def _answer(f: Field) -> JSON:
    if f.kind == "text":
        return ("Plenty to say. " * 300)[: f.max_length or 3000]
    if f.kind in ("choice", "grade"):
        return f.options[-1].value
    if f.kind == "multi":
        return [o.value for o in f.options]
    if f.kind == "date":
        return DUE if f.dates == "future_working_day" else "2026-11-20"
    return 1


def _full(dialog: Dialog) -> dict[str, dict[str, JSON]]:
    return {k: {f.key: _answer(f) for f in s.fields} for k, s in dialog.steps.items()}


def _largest(preset: str) -> Dialog:
    fw = load_framework(preset)
    area = max(fw.area_keys, key=lambda a: len(fw.domains_for(a)))
    return build_audit_dialog(fw, area, case_reference="CASE-0000001", team="Children in Care 12")


def _contexts(dialog: Dialog) -> list[dict[str, Any]]:
    answers = _full(dialog)
    order = [k for k in dialog.steps if k != END]
    flags = tuple(o.value for o in dialog.flags)
    out = []
    for i, key in enumerate(order):
        state = DialogState(
            dialog="audit",
            step=key,
            trail=tuple(order[:i]),
            answers=answers,
            flags=tuple(RaisedFlag(k, "note", 1, key) for k in flags),
        )
        sv = view(dialog, state, today=TODAY, known_people=PEOPLE)
        keys = [f.key for f in sv.fields]
        out.append(
            step_context(
                dialog,
                sv,
                audit_id=123456,
                reference="CASE-0000001",
                errors=dict.fromkeys(keys, ERROR),
                warnings=dict.fromkeys(keys, WARNING),
                notice="That step was already saved, so here is where your audit is now.",
                editing=True,
            )
        )
    return out


def _all_steps() -> list[dict[str, Any]]:
    return [c for preset in preset_names() for c in _contexts(_largest(preset))]


_STEPS = _all_steps()
_FLAGS = [
    {
        "value": "safeguarding",
        "label": "Urgent safeguarding concern for this child",
        "told": "Head of Safeguarding and QA",
        "raised": False,
    },
    {
        "value": "racism_discrimination",
        "label": "Racism or discrimination that has not been addressed",
        "told": "Head of Safeguarding and QA",
        "raised": True,
    },
]
_FLAG_FORM: dict[str, Any] = {
    "reference": "CASE-0000001",
    "routing_key": "audit:123456:domains",
    "audit_key": "audit:123456",
    "flags": _FLAGS,
    "single": False,
    "choice": "safeguarding",
    "note": "x" * 1000,
    "warning": "This looks like a date of birth: please leave personal details in the case record.",
    "confirm": True,
    "confirm_key": "audit.confirm",
    "errors": {
        "flag.kind": "Choose what the concern is about",
        "flag.note": "Keep this under 1000 characters",
    },
    "modal": "push",
}
_SUBMITTED: dict[str, Any] = {
    "reference": "CASE-0000001",
    "overall": "Requires Improvement",
    "domains": [
        {"label": f"Domain number {i} with a long name", "grade": "Inadequate"} for i in range(8)
    ],
    "recommendations": 15,
    "flags": [f["label"] for f in _FLAGS],
    "edited": True,
    "just_now": True,
    "can_edit": True,
    "audit_key": "audit:123456",
}
_URGENT: dict[str, Any] = {
    "first_name": "Sam",
    "flag": "Urgent safeguarding concern for this child",
    "reference": "CASE-0000001",
    "raised_by": "Firstname Longsurname",
    "hours": 24,
    "deadline": "2026-12-02",
    "response_from": ["Service manager", "Head of service"],
    "note": "n" * 1000,
    "note_withheld": False,
    "routing_key": "escalation:99",
}
_RESPOND: dict[str, Any] = {
    "reference": "CASE-0000001",
    "flag": "Urgent safeguarding concern for this child",
    "deadline": "2026-12-02",
    "responded": True,
    "routing_key": "escalation:99",
    "errors": {"urgent.response": "Say what has been done, or will be, about this concern"},
}

SAMPLES: dict[str, dict[str, Any]] = {
    "audit_step": _STEPS[0],
    "audit_flag": _FLAG_FORM,
    "audit_submitted": _SUBMITTED,
    "audit_refused": {"reason": "not_yours"},
    "audit_saved": {
        "reference": "CASE-0000001",
        "step": "Recommendations 2",
        "audit_key": "audit:1",
    },
    "urgent_flag": _URGENT,
    "urgent_flag_receipt": {
        "reference": "CASE-0000001",
        "flag": "Urgent safeguarding concern for this child",
        "told": ["Sam Jones", "Kim Lee"],
        "already": False,
        "line": "Sent now to Sam Jones, Kim Lee: urgent safeguarding concern for this child, "
        "case CASE-0000001.",
    },
    "urgent_respond": _RESPOND,
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "audit_step": [
        *_STEPS[1:],
        {**_STEPS[0], "reference": EVIL, "intro": EVIL, "notice": EVIL, "raised": [EVIL]},
    ],
    "audit_flag": [
        {
            **_FLAG_FORM,
            "flags": _FLAGS[:1],
            "single": True,
            "warning": "",
            "confirm": False,
            "errors": {},
            "note": "",
        },
        {**_FLAG_FORM, "reference": EVIL, "note": EVIL, "choice": ""},
    ],
    "audit_submitted": [
        {
            **_SUBMITTED,
            "can_edit": False,
            "just_now": False,
            "flags": [],
            "domains": [],
            "overall": "",
        },
        {**_SUBMITTED, "reference": EVIL},
    ],
    "audit_refused": [{"reason": r} for r in ("invalid", "closed", "moderated", "not_an_audit")],
    "audit_saved": [{"reference": EVIL, "step": "", "audit_key": "audit:1"}],
    "urgent_flag": [
        {**_URGENT, "note": "", "note_withheld": True, "response_from": [], "first_name": ""},
        {**_URGENT, "note": EVIL, "raised_by": EVIL, "reference": EVIL},
    ],
    "urgent_respond": [{**_RESPOND, "responded": False, "errors": {}}],
}
