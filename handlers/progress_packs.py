"""Signing off a follow-up window's progress pack (City of London QAF 2023), in chat.

"Reviewed and signed off in 'Achieving Excellence' meeting": the QA lead (or the
window's owner, who chairs that meeting) signs off one recommendation at a time or the
whole pack. Where the platform shows the first reply in place of the pressed message,
the pack comes back with what is now signed; then a one-line receipt.
"""

from __future__ import annotations

from typing import Any

from handlers.conversation import Conversation
from handlers.in_place import edit_pressed
from handlers.interaction import Reply
from handlers.tracking_replies import gone, route
from handlers.turn import Turn
from messages.progress_packs import pack_context
from messages.tracking import first_name
from qa.working_days import Month
from storage.models import ProgressPack, ProgressPackItem, Recommendation
from storage.progress_packs import pack_rows, sign_item, sign_pack

PACK = "progress_pack"
RECEIPT = "pack_receipt"


def _may_sign(turn: Turn, pack: ProgressPack) -> bool:
    window = next((w for w in turn.framework.follow_up_windows if w.label == pack.window), None)
    roles = {turn.framework.qa_lead_role, *([window.owner_role] if window else [])}
    return bool(roles & set(turn.person.roles))


def _shown(
    turn: Turn, pack: ProgressPack, message_key: str, suffix: str, receipt: dict[str, Any]
) -> list[Reply]:
    """Edit the pressed pack in place to show what is now signed, then the receipt."""
    start = Month.parse(pack.month)
    window = next((w for w in turn.framework.follow_up_windows if w.label == pack.window), None)
    due_by = start.shift(len(window.months) - 1 if window else 0).last
    context = pack_context(
        pack=pack,
        rows=pack_rows(session=turn.session, pack_id=pack.id or 0),
        message_key=message_key,
        first_name=first_name(turn.person.name),
        due_by=due_by,
        today=turn.today,
    )
    edited = edit_pressed(turn, message_key, suffix, context)
    return [*edited, Reply(RECEIPT, {"window": pack.window, **receipt})]


def sign_one(turn: Turn) -> list[Reply]:
    found = route(turn, "packitem")
    item = turn.session.get(ProgressPackItem, found[0]) if found else None
    pack = turn.session.get(ProgressPack, item.pack_id) if item else None
    if found is None or item is None or pack is None:
        return gone(RECEIPT)
    if not _may_sign(turn, pack):
        return [Reply(RECEIPT, {"what": "not_allowed", "window": pack.window})]
    rec = turn.session.get(Recommendation, item.recommendation_id)
    case_ref = None
    if rec is not None and rec.case_id is not None:
        rows = pack_rows(session=turn.session, pack_id=pack.id or 0)
        case_ref = next((r.reference for r in rows if r.item.id == item.id), None)
    if item.signed_off_at is not None:
        return [
            Reply(RECEIPT, {"what": "item_already", "window": pack.window, "reference": case_ref})
        ]
    whole = sign_item(session=turn.session, item=item, person_id=turn.person.id or 0, now=turn.now)
    what = "item_and_pack" if whole else "item"
    receipt = {"what": what, "reference": case_ref}
    return _shown(turn, pack, found[1], f"i{item.id}", receipt)


def sign_all(turn: Turn) -> list[Reply]:
    found = route(turn, "pack")
    pack = turn.session.get(ProgressPack, found[0]) if found else None
    if found is None or pack is None:
        return gone(RECEIPT)
    if not _may_sign(turn, pack):
        return [Reply(RECEIPT, {"what": "not_allowed", "window": pack.window})]
    if pack.signed_off_at is not None:
        return [Reply(RECEIPT, {"what": "pack_already", "window": pack.window})]
    n = sign_pack(session=turn.session, pack=pack, person_id=turn.person.id or 0, now=turn.now)
    return _shown(turn, pack, found[1], "all", {"what": "pack", "count": n})


CONVERSATION = Conversation(
    name="progress_packs",
    actions={"pack.sign_item": sign_one, "pack.sign_off": sign_all},
)
