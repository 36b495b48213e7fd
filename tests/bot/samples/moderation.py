"""Sample contexts for the moderation templates, the dialog's built for every preset.

Every step of every preset's moderation dialog (all its domains), filled to the brim:
each text at its longest, an error and a privacy warning under every field, 50 people
in the owner pickers. Built through `handlers.moderation_views`, as the handlers do,
so if these fit Slack's and Teams' limits (tests/bot/test_render.py checks), every
real step does.
"""

from __future__ import annotations

from typing import Any

from handlers.moderation_views import moderation_step_context
from qa.dialog import END, Dialog, DialogState, view
from qa.framework import load_framework, preset_names
from qa.moderation_dialog import build_moderation_dialog
from tests.bot.samples.audit import ERROR, EVIL, PEOPLE, TODAY, WARNING, _full

NOTICE = (
    "You chair this panel: your decision is final. Views recorded, 3 of 9: "
    "Confirm the grade (2), Regrade (1)."
)


def _dialog(preset: str) -> Dialog:
    fw = load_framework(preset)
    grades = {
        d.key: "good" if "good" in fw.grade_keys else fw.grade_keys[1]
        for d in fw.audit_form.domains
    }
    overall = "good" if "good" in fw.grade_keys else fw.grade_keys[1]
    return build_moderation_dialog(
        fw, domain_grades=grades, overall_grade=overall, case_reference="CASE-0000001"
    )


def _contexts(dialog: Dialog) -> list[dict[str, Any]]:
    answers = _full(dialog)
    order = [k for k in dialog.steps if k != END]
    out = []
    for i, key in enumerate(order):
        state = DialogState(dialog="moderation", step=key, trail=tuple(order[:i]), answers=answers)
        sv = view(dialog, state, today=TODAY, known_people=PEOPLE)
        keys = [f.key for f in sv.fields]
        out.append(
            moderation_step_context(
                dialog,
                sv,
                moderation_id=123456,
                reference="CASE-0000001",
                round_no=2,
                errors=dict.fromkeys(keys, ERROR),
                warnings=dict.fromkeys(keys, WARNING),
                notice=NOTICE,
            )
        )
    return out


_STEPS = [c for preset in preset_names() for c in _contexts(_dialog(preset))]
_DOMAINS = [{"label": f"Domain number {i} with a long name", "grade": "Good"} for i in range(8)]
_REQUEST: dict[str, Any] = {
    "first_name": "Sam",
    "reference": "CASE-0000001",
    "auditor": "Firstname Longsurname-Hyphenated",
    "overall": "Requires Improvement",
    "domains": _DOMAINS,
    "due_on": "2026-12-15",
    "reason": "graded Inadequate: every Inadequate learning conversation is moderated",
    "round": 1,
    "panel": True,
    "is_chair": True,
    "state": "open",
    "outcome": "",
    "routing_key": "moderation:123456",
}
_OUTCOME: dict[str, Any] = {
    "first_name": "Sam",
    "reference": "CASE-0000001",
    "outcome": "regraded",
    "given": "Good",
    "final": "Inadequate",
    "moderator": "Firstname Longsurname-Hyphenated",
    "comments": "c" * 1000,
    "why": "w" * 1000,
    "domains": [
        {"label": f"Domain number {i} with a long name", "given": "Good", "theirs": "Inadequate"}
        for i in range(8)
    ],
    "actions": 12,
    "audit_key": "audit:123456",
}
_RECEIPT: dict[str, Any] = {
    "reference": "CASE-0000001",
    "outcome": "regraded",
    "final": "Inadequate",
    "decided": True,
    "panel": False,
    "is_chair": False,
    "just_now": True,
    "saved": False,
    "moderation_key": "moderation:123456",
}

SAMPLES: dict[str, dict[str, Any]] = {
    "moderation_step": _STEPS[0],
    "moderation_request": _REQUEST,
    "moderation_outcome": _OUTCOME,
    "moderation_receipt": _RECEIPT,
    "moderation_reminder": {
        "first_name": "Sam",
        "reference": "CASE-0000001",
        "due_on": "2026-12-15",
        "days": 3,
        "routing_key": "moderation:123456",
    },
    "moderation_refused": {"reason": "not_yours"},
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "moderation_step": [
        *_STEPS[1:],
        {**_STEPS[0], "reference": EVIL, "intro": EVIL, "notice": EVIL},
    ],
    "moderation_request": [
        {**_REQUEST, "round": 2, "panel": False, "reason": ""},
        {**_REQUEST, "is_chair": False, "domains": [], "first_name": ""},
        {**_REQUEST, "state": "done", "outcome": "returned"},
        {**_REQUEST, "state": "withdrawn"},
        {**_REQUEST, "reference": EVIL, "auditor": EVIL, "reason": EVIL, "first_name": EVIL},
    ],
    "moderation_outcome": [
        {**_OUTCOME, "outcome": "confirmed", "final": "Good", "domains": [], "why": ""},
        {**_OUTCOME, "outcome": "returned", "final": "", "actions": 0, "moderator": ""},
        {**_OUTCOME, "comments": "", "why": "", "actions": 1},
        {**_OUTCOME, "comments": EVIL, "why": EVIL, "moderator": EVIL, "reference": EVIL},
    ],
    "moderation_receipt": [
        {**_RECEIPT, "outcome": "confirmed", "final": "Good"},
        {**_RECEIPT, "outcome": "returned", "final": ""},
        {**_RECEIPT, "decided": False, "panel": True},
        {**_RECEIPT, "just_now": False},
        {**_RECEIPT, "saved": True, "just_now": False, "reference": EVIL},
    ],
    "moderation_reminder": [
        {
            "first_name": "",
            "reference": EVIL,
            "due_on": "2026-12-15",
            "days": 0,
            "routing_key": "moderation:1",
        }
    ],
    "moderation_refused": [{"reason": "closed"}, {"reason": "invalid"}],
}
