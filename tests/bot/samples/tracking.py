"""Sample contexts for the tracking templates: reminders, digests, escalations, forms."""

from __future__ import annotations

from typing import Any

_STATE = {"what": "done", "by": "Sam Jones", "on": "2026-12-01", "open": False}


def rec(i: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "type": "recommendation",
        "id": i,
        "reference": f"CASE-{i:06d}",
        "level": "child",
        "due_on": "2026-12-17",
        "overdue": False,
        "summary": "Update the chronology and share it with the IRO before…",
        "routing_key": f"rec:{i}|overdue-digest:5:2026-12-01",
        "open": True,
        "state": None,
        **extra,
    }


def esc(i: int = 1, kind: str = "grade", **extra: Any) -> dict[str, Any]:
    return {
        "type": "escalation",
        "id": i,
        "kind": kind,
        "reference": f"CASE-{i:06d}",
        "grade": "Inadequate",
        "flag": "Urgent safeguarding concern for this child",
        "due_on": "2026-12-08",
        "due_time": "09:00",
        "overdue": False,
        "routing_key": f"escalation:{i}|escalation:grade:{i}:inadequate:7:0",
        "open": True,
        "responds": True,
        "state": None,
        **extra,
    }


def _request(item: dict[str, Any], stage: str = "request") -> dict[str, Any]:
    return {
        "stage": stage,
        "kind": item["kind"],
        "level": 0,
        "first_name": "Dana",
        "asked_as": ["Director"],
        "asked_first": ["Director", "Assistant Director"],
        "audited_on": "2026-12-01",
        "item": item,
    }


_DIGEST_ITEMS = [rec(i, overdue=True) for i in range(1, 8)] + [
    esc(8),
    esc(9, "dip_sample"),
    rec(10, state={**_STATE, "what": "snoozed", "until": "2026-12-02", "open": True}),
]

SAMPLES: dict[str, dict[str, Any]] = {
    "rec_reminder": {"stage": "due_soon", "first_name": "Sam", "days": 3, "item": rec()},
    "rec_digest": {"first_name": "Sam", "items": _DIGEST_ITEMS, "more": 4, "total": 14},
    "rec_weekly_escalation": {
        "first_name": "Ada",
        "items": [rec(i, overdue=True, owner="Sam Jones") for i in range(1, 11)],
        "more": 2,
        "total": 12,
    },
    "rec_form": {
        "form": "done",
        "reference": "CASE-000001",
        "level": "child",
        "summary": "Update the chronology",
        "due_on": "2026-12-17",
        "routing_key": "rec:1|overdue-digest:5:2026-12-01",
        "values": {},
    },
    "rec_time_request": {
        "first_name": "Lee",
        "owner": "Sam Jones",
        "item": {
            **rec(),
            "type": "more_time",
            "new_due_on": "2027-01-14",
            "reason": "Waiting for the health assessment",
            "routing_key": "more-time:3|more-time:3:9",
        },
    },
    "rec_progress": {
        "event": "done",
        "reference": "CASE-000001",
        "level": "child",
        "summary": "Update the chronology",
        "by": "Sam Jones",
        "on": "2026-12-01",
        "due_on": "2026-12-17",
        "note": "The chronology is up to date and the IRO has it.",
    },
    "rec_receipt": {"what": "done", "reference": "CASE-000001"},
    "escalation_request": _request(esc()),
    "escalation_form": {
        "kind": "grade",
        "reference": "CASE-000001",
        "grade": "Inadequate",
        "deadline": "2026-12-08",
        "routing_key": "escalation:1|escalation:grade:1:inadequate:7:0",
        "values": {},
        "by_default": "Dana Director",
    },
    "escalation_receipt": {"what": "recorded", "reference": "CASE-000001"},
    "case_review": {"first_name": "Tom", "reference": "CASE-000001", "grade": "Inadequate"},
    "calendar_reminder": {
        "kind": "calendar",
        "activity": "Landing the Learning meeting",
        "month": "January 2027",
        "starts_on": "2027-01-04",
        "first_name": "Lee",
    },
}

_FORM = SAMPLES["rec_form"]
_ERRORS = {"new_due": "Pick a date after the current due date", "reason": "Say why"}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "rec_reminder": [
        {"stage": "assigned", "first_name": "", "days": 0, "item": rec(reference=None)},
        {
            "stage": "due_today",
            "first_name": "Sam",
            "days": 0,
            "item": rec(state=_STATE, open=False),
        },
        {"stage": "due_soon", "first_name": "Sam", "days": 1, "item": rec(summary="")},
    ],
    "rec_digest": [
        {"first_name": "", "items": [rec(overdue=True)], "more": 0, "total": 1},
        # Ten actions written at the full length shown (messages.tracking.ACTION_CHARS).
        {
            "first_name": "Sam",
            "items": [rec(i, summary="Agree a plan " * 76) for i in range(10)],
            "more": 5,
            "total": 15,
        },
    ],
    "rec_weekly_escalation": [
        {"first_name": "", "items": [rec(owner="", summary="")], "more": 0, "total": 1}
    ],
    "rec_form": [
        {**_FORM, "form": "update", "summary": ""},
        {**_FORM, "form": "more_time", "values": {"new_due": "2027-01-14", "reason": "x"}},
        {**_FORM, "form": "more_time", "values": {"new_due": "bad"}, "errors": _ERRORS},
        {**_FORM, "form": "done", "values": {"impact": "Better"}, "errors": {"impact": "Say"}},
    ],
    "rec_time_request": [
        {
            **SAMPLES["rec_time_request"],
            "item": {
                **SAMPLES["rec_time_request"]["item"],
                "reason": "",
                "open": False,
                "state": {**_STATE, "what": "approved"},
            },
        }
    ],
    "rec_progress": [
        {**SAMPLES["rec_progress"], "event": e, "new_due_on": "2027-01-14", "note": ""}
        for e in ("date_changed", "time_approved", "time_refused")
    ],
    "rec_receipt": [
        {
            "what": w,
            "reference": r,
            "by": "Lee",
            "owner": "Sam",
            "until": "2026-12-02",
            "new_due_on": "2027-01-14",
        }
        for w in (
            "updated",
            "more_time",
            "more_time_no_lead",
            "snoozed",
            "approved",
            "refused",
            "already_done",
            "already_decided",
            "not_owner",
            "not_lead",
            "gone",
        )
        for r in ("CASE-000001", None)
    ],
    "escalation_request": [
        _request(esc(kind="urgent"), "request"),
        _request(esc(kind="urgent", responds=False), "request"),
        _request(esc(kind="urgent"), "chase"),
        _request(esc(kind="urgent"), "re_escalated"),
        _request(esc(kind="dip_sample"), "request"),
        _request(esc(kind="dip_sample"), "re_escalated"),
        _request(esc(kind="dip_sample"), "due_today"),
        _request(esc(), "reminder"),
        _request(esc(), "due_today"),
        {**_request(esc(), "re_escalated"), "asked_as": [], "level": 1},
        _request(esc(state={**_STATE, "what": "recorded"}, open=False)),
        {**_request(esc(reference=None)), "audited_on": None, "first_name": ""},
    ],
    "escalation_form": [
        {**SAMPLES["escalation_form"], "kind": "dip_sample", "grade": None},
        {
            **SAMPLES["escalation_form"],
            "values": {"action_taken": "x"},
            "errors": {"by_whom": "Say who"},
        },
    ],
    "escalation_receipt": [
        {"what": w, "reference": "CASE-000001", "by": "Dana", "on": "2026-12-02", "owner": "Dana"}
        for w in ("approved_caseload", "declined", "already", "not_owner", "gone")
    ],
    "case_review": [{"first_name": "", "reference": "CASE-000002", "grade": None}],
    "calendar_reminder": [
        {**SAMPLES["calendar_reminder"], "kind": "follow_up", "first_name": None},
    ],
}
