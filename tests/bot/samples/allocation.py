"""Sample contexts for the allocation templates (prompt, summary, "Can't do this one")."""

from __future__ import annotations

from typing import Any


def item(i: int, **extra: Any) -> dict[str, Any]:
    """One allocation as the monthly job's `prompt_items` gives it."""
    return {
        "allocation_id": i,
        "activity": "audit",
        "reference": f"CASE-{i:06d}",
        "area": "Early Help",
        "team": "Early Help 1",
        "due": "22 January 2027",
        "due_on": "2027-01-22",
        "reason": "Early Help quota: 10 of 40 this month; never audited",
        "routing_key": f"allocation:{i}",
        **extra,
    }


def slot(i: int) -> dict[str, Any]:
    return item(i, activity="moderation", reference=None, area=None, team=None, reason="4 a month")


PROMPT: dict[str, Any] = {
    "first_name": "Sam",
    "month": "January 2027",
    "audit_word": "audit",
    "audits_word": "audits",
    "items": [item(1), item(2, due_on="2027-01-29", due="29 January 2027")],
}

DECLINE: dict[str, Any] = {
    "reference": "CASE-000001",
    "area": "Early Help",
    "team": "Early Help 1",
    "activity": "audit",
    "due_on": "2027-01-22",
    "routing_key": "allocation:1",
    "reason": None,
    "details": "",
    "warning": None,
}

_DECLINED = {
    "person": "Sam Jones",
    "reference": "CASE-000001",
    "area": "Early Help",
    "team": "Early Help 1",
    "activity": "audit",
    "due_on": "2027-01-22",
}
_OFFERED = {
    "person": "Pat Smith",
    "reference": "CASE-000001",
    "area": "Early Help",
    "team": "Early Help 1",
    "activity": "audit",
    "due_on": "2027-01-22",
    "reason": "Early Help quota; reallocated because a colleague could not take it",
    "same_person": False,
    "routing_key": "allocation:9",
}
PROPOSAL: dict[str, Any] = {
    "month": "January 2027",
    "declined": _DECLINED,
    "category": "conflict",
    "details": "",
    "proposal": _OFFERED,
    "resolved": None,
}
RESOLVED = {"outcome": "confirmed", "by": "Lee Lead", "on": "2027-01-05"}

SAMPLES: dict[str, dict[str, Any]] = {
    "allocation_prompt": PROMPT,
    "allocation_summary": {
        "month": "January 2027",
        "audits_word": "audits",
        "allocations": 42,
        "people": 30,
        "by_activity": {"audit": 30, "moderation": 12},
        "shortfalls": ["Early Help quota short by 2: no eligible auditor has capacity left"],
        "note": "",
    },
    "allocation_decline": DECLINE,
    "allocation_released": {"reference": "CASE-000001", "told": True},
    "allocation_replacement": PROPOSAL,
    "allocation_confirmed": {**PROPOSAL, "resolved": RESOLVED, "person": "Pat Smith"},
    "allocation_pick": {
        **PROPOSAL,
        "routing_key": "allocation:9",
        "people": [{"value": f"person:{i}", "label": f"Person {i} (Team {i})"} for i in range(5)],
        "cases": [
            {"value": f"case:{i}", "label": f"CASE-{i:06d}, Early Help, Early Help 2"}
            for i in range(5)
        ],
    },
    "allocation_refused": {"why": "not_yours", "reference": None},
}

EXTRA: dict[str, list[dict[str, Any]]] = {
    "allocation_prompt": [
        # Many cases and four moderation slots: capped, still within 50 blocks.
        {**PROMPT, "items": [item(i) for i in range(1, 31)] + [slot(i) for i in range(40, 44)]},
        # Moderation only: no buttons.
        {**PROMPT, "items": [slot(1), slot(2)]},
        # A replacement for one case; the job's older shape without status or due_on.
        {
            **PROMPT,
            "replacement": True,
            "items": [{k: v for k, v in item(7).items() if k != "due_on"}],
        },
        # Edited in place after a decline: one released, one in progress, one done.
        {
            **PROMPT,
            "first_name": "",
            "items": [
                item(1, status="released"),
                item(2, status="in_progress"),
                item(3, status="completed"),
            ],
        },
        # Started, still a draft: Carry on, and Can't do this one stays (issue 17).
        {
            **PROMPT,
            "items": [
                item(1, status="in_progress", declinable=True),
                item(2, status="in_progress", declinable=False),
                item(3, declinable=True),
            ],
        },
        # Everything released.
        {**PROMPT, "items": [item(1, status="released")], "update_of": "allocation-prompt:1:x"},
    ],
    "allocation_summary": [
        {
            **SAMPLES["allocation_summary"],
            "allocations": 0,
            "people": 0,
            "by_activity": {},
            "shortfalls": [],
            "note": "August 2027: no allocations (not one of the framework's active months)",
        },
        {
            **SAMPLES["allocation_summary"],
            "shortfalls": [f"Quota {i} short by 1: " + "x" * 300 for i in range(30)],
            "undelivered": [f"Person {i}" for i in range(30)],
        },
    ],
    "allocation_decline": [
        {**DECLINE, "reason": "other", "details": "Call me on 07700 900123"}
        | {"warning": "This looks like a phone number: please leave personal details out."},
        {**DECLINE, "reason": "other", "details": "", "errors": {"details": "Say why."}},
        {**DECLINE, "reason": "absence", "details": "x" * 500, "errors": {"reason": "Choose."}},
        {**DECLINE, "started": True},  # a started case: its draft is withdrawn with it
    ],
    "allocation_released": [{"reference": "CASE-000001", "told": False}],
    "allocation_replacement": [
        {**PROPOSAL, "category": "other", "details": "I supervised this worker last year"},
        {**PROPOSAL, "category": "case_closed", "proposal": {**_OFFERED, "same_person": True}},
        {**PROPOSAL, "category": "absence", "proposal": None},
        {**PROPOSAL, "resolved": RESOLVED, "update_of": "allocation-proposal:1:2"},
        {**PROPOSAL, "resolved": {**RESOLVED, "outcome": "picked"}},
    ],
    "allocation_confirmed": [
        {**PROPOSAL, "resolved": {**RESOLVED, "outcome": "picked"}, "person": "Pat Smith"}
    ],
    "allocation_pick": [
        {**SAMPLES["allocation_pick"], "people": [], "cases": []},
        {**SAMPLES["allocation_pick"], "cases": [], "errors": {"choice": "Choose one."}},
    ],
    "allocation_refused": [
        {
            "why": w,
            "reference": "CASE-000001",
            "status": "completed",
            "by": "Lee",
            "on": "2027-01-05",
        }
        for w in ("invalid", "not_lead", "not_open", "settled", "not_yours")
    ]
    + [{"why": "settled", "reference": None, "by": None, "on": None}],
}
