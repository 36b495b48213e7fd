"""Follow-up windows' progress packs (City of London 2023) and their sign-off.

A pack is made once per window and start month (unique), holding every recommendation
due by the window's end that no earlier pack signed off; its items are fixed when it is
made, so a job run again neither adds nor re-sends. Sign-off is per item or the whole
pack; signing the last item signs the pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from storage.models import Case, ProgressPack, ProgressPackItem, Recommendation

# A recommendation withdrawn or cancelled has no progress to sign off.
LEFT_OUT = ("cancelled", "withdrawn")


@dataclass(frozen=True)
class PackRow:
    """One item as the pack shows it: the recommendation, its case's reference."""

    item: ProgressPackItem
    rec: Recommendation
    reference: str | None


def find_pack(*, session: Session, window: str, month: str) -> ProgressPack | None:
    return session.exec(
        select(ProgressPack).where(ProgressPack.window == window).where(ProgressPack.month == month)
    ).first()


def make_pack(
    *, session: Session, window: str, month: str, due_by: date, now: datetime
) -> ProgressPack:
    """The window's pack for `month`, made with its items on first asking."""
    found = find_pack(session=session, window=window, month=month)
    if found is not None:
        return found
    signed = set(
        session.exec(
            select(ProgressPackItem.recommendation_id).where(
                col(ProgressPackItem.signed_off_at).is_not(None)
            )
        ).all()
    )
    pack = ProgressPack(window=window, month=month, created_at=now)
    session.add(pack)
    session.flush()
    recs = session.exec(
        select(Recommendation)
        .where(col(Recommendation.due_on) <= due_by)
        .where(col(Recommendation.status).not_in(LEFT_OUT))
        .order_by(col(Recommendation.due_on), col(Recommendation.id))
    )
    for rec in recs:
        if rec.id not in signed:
            session.add(ProgressPackItem(pack_id=pack.id or 0, recommendation_id=rec.id or 0))
    session.flush()
    return pack


def pack_rows(*, session: Session, pack_id: int) -> list[PackRow]:
    items = list(
        session.exec(
            select(ProgressPackItem)
            .where(ProgressPackItem.pack_id == pack_id)
            .order_by(col(ProgressPackItem.id))
        )
    )
    recs = {
        r.id: r
        for r in session.exec(
            select(Recommendation).where(
                col(Recommendation.id).in_([i.recommendation_id for i in items])
            )
        )
    }
    refs = {c.id: c.reference for c in session.exec(select(Case))}
    return [
        PackRow(i, recs[i.recommendation_id], refs.get(recs[i.recommendation_id].case_id))
        for i in items
        if i.recommendation_id in recs
    ]


def sign_item(*, session: Session, item: ProgressPackItem, person_id: int, now: datetime) -> bool:
    """Sign one item off; True when that was the pack's last (the pack is signed too)."""
    item.signed_off_at, item.signed_off_by_id = now, person_id
    session.add(item)
    session.flush()
    left = session.exec(
        select(ProgressPackItem)
        .where(ProgressPackItem.pack_id == item.pack_id)
        .where(col(ProgressPackItem.signed_off_at).is_(None))
    ).first()
    if left is not None:
        return False
    pack = session.get(ProgressPack, item.pack_id)
    if pack is not None and pack.signed_off_at is None:
        pack.signed_off_at, pack.signed_off_by_id = now, person_id
        session.add(pack)
    return True


def sign_pack(*, session: Session, pack: ProgressPack, person_id: int, now: datetime) -> int:
    """Sign the whole pack off; the number of items this signed (those not yet signed)."""
    n = 0
    for item in session.exec(
        select(ProgressPackItem)
        .where(ProgressPackItem.pack_id == pack.id)
        .where(col(ProgressPackItem.signed_off_at).is_(None))
    ):
        item.signed_off_at, item.signed_off_by_id = now, person_id
        session.add(item)
        n += 1
    pack.signed_off_at, pack.signed_off_by_id = now, person_id
    session.add(pack)
    return n
