"""`handlers.leavers.hand_on` for work the chat tests do not cover: moderations.

A moderation slot is an allocation with no case; it goes through the same release
and proposal as an audit (the engine offers another moderator), and every message
queued for the QA lead renders on Slack, Teams and as text. A moderation already
assigned goes to the moderator the moderation engine picks, who is asked as usual.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.render import Renderer
from handlers.leavers import hand_on
from qa.framework import load_framework
from storage.imports.staff_leavers import open_work
from storage.models import Allocation, Audit, Moderation, OutboxMessage, Person
from tests.dispatching import LONDON
from tests.handlers.allocation_world import NOW, _person, allocate, seed_world

FRAMEWORK = load_framework(str(Path(__file__).parents[1] / "data" / "framework-small.yml"))


def test_a_leavers_moderation_slot_is_released_and_offered_to_another_moderator(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        world = seed_world(session)
        sam = session.get(Person, world.sam)
        assert sam is not None
        hana = _person(session, NOW, "Hana Head", ["head_of_service"], team_id=sam.team_id)
        _person(session, NOW, "Hal Head", ["head_of_service"], team_id=sam.team_id)
        slot = allocate(session, NOW, hana, None, activity="moderation", reason="4 a month")
        leaver = session.get(Person, hana)
        assert leaver is not None
        leaver.active = False
        session.add(leaver)
        session.flush()
        work = open_work(session, [hana])
        assert [(i.kind, i.id, i.reference) for i in work[0].items] == [("allocation", slot, None)]

        queued = hand_on(session, work, NOW, framework=FRAMEWORK, tz=LONDON)
        session.commit()

    with Session(engine) as session:
        released = session.get(Allocation, slot)
        assert released is not None and released.status == "released"
        proposals = session.exec(
            select(Allocation).where(col(Allocation.status) == "proposed")
        ).all()
        messages = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    assert [(p.activity, p.case_id) for p in proposals] == [("moderation", None)]
    assert [m.template for m in messages] == ["allocation_replacement", "leaver_handover"]
    assert queued == 2 and all(m.person_id == world.lead for m in messages)
    renderer = Renderer(FRAMEWORK)
    for message in messages:
        for platform in ("slack", "teams", "text"):
            assert renderer.render(message.template, message.context, platform=platform)
    assert (
        "Hana Head has left"
        in renderer.render("leaver_handover", messages[1].context, platform="text")["text"]
    )


def test_a_leavers_moderation_goes_to_another_moderator_who_is_asked(engine: Engine) -> None:
    with Session(engine) as session:
        world = seed_world(session)
        lee = session.get(Person, world.lead)
        assert lee is not None
        hana = _person(session, NOW, "Hana Head", ["head_of_service"], team_id=lee.team_id)
        hal = _person(session, NOW, "Hal Head", ["head_of_service"], team_id=lee.team_id)
        audit = Audit(
            case_id=world.cases["CASE-2"],
            auditor_id=world.pat,
            status="submitted",
            overall_grade="good",
            submitted_at=NOW,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(audit)
        session.flush()
        assert audit.id is not None
        row = Moderation(
            audit_id=audit.id,
            moderator_id=hana,
            month="2027-01",
            due_on=NOW.date(),
            status="in_progress",
            step="comments",
            answers={"grades": {"overall": "good"}},
            created_at=NOW,
        )
        session.add(row)
        leaver = session.get(Person, hana)
        assert leaver is not None
        leaver.active = False
        session.add(leaver)
        session.flush()
        moderation_id = row.id

        hand_on(session, open_work(session, [hana]), NOW, framework=FRAMEWORK, tz=LONDON)
        session.commit()

    with Session(engine) as session:
        moved = session.get(Moderation, moderation_id)
        assert moved is not None
        assert (moved.moderator_id, moved.status, moved.answers) == (hal, "assigned", {})
        asked = session.exec(
            select(OutboxMessage).where(OutboxMessage.template == "moderation_request")
        ).one()
        told = session.exec(
            select(OutboxMessage).where(OutboxMessage.template == "leaver_handover")
        ).one()
    assert asked.person_id == hal and told.person_id == world.lead
    assert "now Hal Head's (asked to moderate it)" in str(told.context)
