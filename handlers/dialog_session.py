"""What every dialog opened in chat shares: its routing key, its refusals, its picker.

Every dialog button and form names its record with a signed routing key,
`<kind>:<id>` or `<kind>:<id>:<step>` (`audit:12:domains`, `moderation:3:grades`);
the adapters turn a forged or altered key into None before we see it. That is not the
permission check: each flow opens its record only for the person it belongs to, and
anyone else gets a `Refusal`, which says nothing about the case. A refusal is worded
by the `<dialog>_refused` template from its reason key (invalid / not_yours / closed
/ moderated / not_an_audit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from handlers.interaction import Reply
from qa.dialog import Dialog, DialogState
from qa.framework import Framework
from storage.audit_people import owner_candidates
from storage.models import Case

CONFIRM_KEY = "audit.confirm"  # the "keep what I wrote" tick box after a privacy warning
_KEY = re.compile(r"^([a-z]+):(\d+)(?::(\w{1,60}))?$")


@dataclass(frozen=True)
class Refusal:
    """Why a request is turned down, as a reason key the `<dialog>_refused` template
    words (`dialog` is the flow's name: "audit", "moderation")."""

    dialog: str
    reason: str

    def reply(self) -> list[Reply]:
        return [Reply(f"{self.dialog}_refused", {"reason": self.reason})]


@dataclass
class OpenDialog:
    """A record opened for the person who may work on it: what the controller needs
    (each flow's record adds its rows). `state` is replaced as the dialog moves; the
    flow persists it; `people` are whom its pickers offer."""

    case: Case
    dialog: Dialog
    state: DialogState
    people: dict[int, str]


def confirmed(values: Mapping[str, Any]) -> bool:
    """Whether the "keep what I wrote" box was ticked (a list of ticked values, or a "yes")."""
    raw = values.get(CONFIRM_KEY)
    if isinstance(raw, list):
        return "yes" in raw
    return raw in ("yes", "true", True)


def parse_key(key: str | None, kind: str) -> tuple[int, str | None] | None:
    """(record id, step or None) from "audit:12" / "audit:12:domains"; None if not `kind`."""
    match = _KEY.match(key or "")
    if match is None or match.group(1) != kind:
        return None
    return int(match.group(2)), match.group(3)


def pick_people(
    *,
    session: Session,
    framework: Framework,
    case: Case,
    always: Iterable[int | None],
    state: DialogState,
) -> dict[int, str]:
    """Who may own a recommendation or action on this case, for the people picker:
    the case's service (its team first), `always` (the auditor, the moderator) and
    anyone already chosen in the dialog; id -> "name (role)"."""
    chosen = {
        v
        for answers in state.answers.values()
        for k, v in answers.items()
        if k.endswith(".owner") and isinstance(v, int)
    }
    rows = owner_candidates(
        session=session,
        service_id=case.service_id,
        first_team_id=case.team_id,
        always=[*(i for i in always if i is not None), *sorted(chosen)],
    )
    out: dict[int, str] = {}
    for p in rows:
        if p.id is None:
            continue
        # Every role, so the picker tells one Sam from another and shows who also
        # moderates or leads (issue 17: only the first role showed).
        roles = [r.label for r in framework.roles if r.key in (p.roles or [])]
        out[p.id] = f"{p.name} ({', '.join(roles)})" if roles else p.name
    return out
