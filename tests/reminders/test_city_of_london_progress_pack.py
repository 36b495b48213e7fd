"""City of London QAF 2023, Review Cycle: "June/July: evidence of recommendations being
progressed ... Reviewed and signed off in 'Achieving Excellence' meeting chaired by AD
People" (and the same in December/January; `follow_up_windows`, `progress_pack: true`).

The progress pack job at frozen times sends the QA lead, when each window opens, the
recommendations due by its end (counts, and each case's reference with its
recommendations); the QA lead signs them off in Slack or in Teams, one by one or the
whole pack, and the next window's pack holds only what is not yet signed off.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from qa.framework import preset
from reminders.progress_packs import PROGRESS_PACKS
from storage.db import session_scope
from storage.models import OutboxMessage, ProgressPack, ProgressPackItem, Recommendation
from tests.reminders.followthrough_chat import (
    PLATFORMS,
    Chat,
    Platform,
    case,
    chat,
    person,
    teams_and_services,
)
from tests.reminders.tracking_world import add_recommendation, at

CITY = preset("city-of-london")


def _world(engine: Engine) -> dict[str, int]:
    teams_and_services(engine)
    lead = person(engine, "Hana Lead", ["head_of_safeguarding"], team=4)
    ad = person(engine, "Ada People", ["assistant_director"], team=3)
    worker = person(engine, "Sam Worker", ["practitioner"], team=1)
    c1 = case(engine, "CITY-0001", worker=worker)
    c2 = case(engine, "CITY-0002", worker=worker)
    made = at(2027, 3, 1)
    ids = {
        "due_june": add_recommendation(
            engine, owner=worker, due=date(2027, 6, 15), created=made, case=c1
        ),
        "done": add_recommendation(
            engine, owner=worker, due=date(2027, 5, 20), created=made, case=c2
        ),
        "september": add_recommendation(
            engine, owner=worker, due=date(2027, 9, 1), created=made, case=c1
        ),
        "due_july": add_recommendation(
            engine, owner=worker, due=date(2027, 7, 20), created=made, case=c2
        ),
        "overdue": add_recommendation(
            engine, owner=worker, due=date(2027, 4, 1), created=made, case=c2
        ),
    }
    with session_scope(engine) as s:
        row = s.get(Recommendation, ids["done"])
        assert row is not None
        row.status, row.completed_at = "done", at(2027, 5, 18)
        s.add(row)
    return {"lead": lead, "ad": ad, "worker": worker, **ids}


def _packs(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.template == "progress_pack")
                .order_by(col(OutboxMessage.id))
            )
        )


def _sign_item_buttons(c: Chat, payload: dict[str, Any]) -> list[Any]:
    """Every *Sign off* button on the pack, in the order the items are listed."""
    found: list[Any] = []

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            if n.get("action_id") == "pack.sign_item":
                found.append(n["value"])
            if n.get("type") == "Action.Execute" and n["data"]["action"] == "pack.sign_item":
                found.append(n["data"])
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    if c.platform == "slack":
        blocks = payload.get("blocks")
        walk(json.loads(blocks) if isinstance(blocks, str) else blocks)
    else:
        walk(payload["cards"])
    return found


def _said(c: Chat, pid: int, result: Any) -> str:
    """What the person saw after a press: the card back in place (Teams) and messages."""
    c.deliver()
    return str(result) + "\n".join(c.texts(pid))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_city_of_london_2023_progress_pack(platform: Platform, db_url: str, engine: Engine) -> None:
    w = _world(engine)
    with chat(platform, db_url=db_url, engine=engine, framework=CITY, now=at(2027, 5, 28)) as c:
        c.greet(w["lead"], w["ad"], w["worker"])
        # Friday 28 May: the June/July window has not opened; nothing yet.
        c.run(PROGRESS_PACKS, at(2027, 5, 28, 10))
        assert _packs(engine) == []

        # Tuesday 1 June (Monday 31 May is a bank holiday): the window opens.
        c.run(PROGRESS_PACKS, at(2027, 6, 1, 10))
        c.run(PROGRESS_PACKS, at(2027, 6, 2, 10))  # run again: nothing new, nothing twice
        assert [m.person_id for m in _packs(engine)] == [w["lead"]]
        c.deliver()
        [pack] = c.sent(w["lead"])
        text = c.texts(w["lead"])[0]
        assert "Recommendations follow-up, June and July: the progress pack" in text
        assert (
            "4 recommendations on 2 cases are due by Saturday 31 July: 1 done, 2 open, 1 overdue"
            in text
        )
        assert "CITY-0001" in text and "CITY-0002" in text
        assert "Wednesday 1 September" not in text  # due after the window: not in this pack
        assert c.texts(w["ad"]) == [] and c.texts(w["worker"]) == []

        # In the order due: overdue (1 April), done (20 May), 15 June, 20 July.
        buttons = _sign_item_buttons(c, pack)
        assert len(buttons) == 4

        # The worker cannot sign off; the QA lead signs off one recommendation.
        refused = c.press(w["worker"], "pack.sign_item", buttons[2])
        assert "Only the QA lead or the meeting's chair signs off" in _said(c, w["worker"], refused)
        one = c.press(w["lead"], "pack.sign_item", buttons[2])
        assert "Signed off: case CITY-0001" in _said(c, w["lead"], one)
        # The pack is edited where it was sent: that one signed off, its button gone.
        edited = c.sent(w["lead"])[-1] if c.platform == "slack" else {"cards": [one]}
        assert "Signed off so far: 1 of 4" in str(edited)
        assert len(_sign_item_buttons(c, edited)) == 3
        with Session(engine) as s:
            signed = s.exec(
                select(ProgressPackItem.recommendation_id).where(
                    col(ProgressPackItem.signed_off_at).is_not(None)
                )
            ).all()
        assert signed == [w["due_june"]]

        # Then the whole pack: the other three are signed off with it.
        whole = c.press(w["lead"], "pack.sign_off", c.buttons(pack)["pack.sign_off"])
        said = _said(c, w["lead"], whole)
        assert "Recommendations follow-up, June and July is signed off" in said
        assert "3 recommendations signed off now" in said
        with Session(engine) as s:
            [june] = s.exec(select(ProgressPack)).all()
            assert june.signed_off_at is not None and june.signed_off_by_id == w["lead"]

        # Wednesday 1 December: the next window's pack holds only what was not signed off.
        c.run(PROGRESS_PACKS, at(2027, 12, 1, 10))
        with Session(engine) as s:
            december = s.exec(select(ProgressPack).where(ProgressPack.month == "2027-12")).one()
            items = s.exec(
                select(ProgressPackItem.recommendation_id).where(
                    ProgressPackItem.pack_id == december.id
                )
            ).all()
        assert items == [w["september"]]
        c.deliver()
        assert "1 recommendation on 1 case is due by Monday 31 January" in c.texts(w["lead"])[-1]
