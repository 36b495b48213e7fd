"""`dispatch`: who is asking, and which conversation answers them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.composition import router
from handlers.conversation import Conversation
from handlers.interaction import Interaction, Kind, Reply
from handlers.menu import didnt_catch
from handlers.router import Router, parse_command
from handlers.turn import Turn
from storage.models import (
    Allocation,
    Audit,
    AuditLogEntry,
    Moderation,
    OutboxMessage,
    Person,
    Recommendation,
)
from tests.dispatching import LONDON, act
from tests.handlers.helpers import case, person, small_framework

FRAMEWORK = small_framework()


def ask(
    session: Session,
    now: datetime,
    *,
    kind: Kind = "command",
    name: str = "",
    text: str = "",
    user_id: str = "U1",
    email: str | None = None,
    platform: Any = "slack",
    conversation: dict[str, Any] | None = None,
) -> list[Reply]:
    return act(
        session, user_id, name, framework=FRAMEWORK, now=now, kind=kind, platform=platform,
        text=text, email=email, conversation=conversation,
    )  # fmt: skip


def test_unknown_user_gets_exactly_one_polite_reply_and_nothing_is_written(
    engine: Engine, now: datetime
) -> None:
    with Session(engine) as session:
        person(session, now, "lead@council.gov.uk", ["qa_lead"])
        session.commit()
        replies = ask(session, now, name="my", email="stranger@council.gov.uk")
        assert replies == [Reply("unknown_user", {"email": "stranger@council.gov.uk"})]
        assert ask(session, now, kind="home", name="home") == [
            Reply("unknown_user", {"email": None})
        ]
        assert ask(session, now, kind="install", platform="teams") == [
            Reply("unknown_user", {"email": None})
        ]
        assert not session.new and not session.dirty
        for model in (AuditLogEntry, OutboxMessage):
            assert session.exec(select(func.count()).select_from(model)).one() == 0


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("help", "", ("help", "")),
        ("", "help", ("help", "")),
        ("", "<@U0BOT> My please", ("my", "please")),
        ("", "  /qa status Early Help 1", ("status", "Early Help 1")),
        ("", "Help?", ("help", "")),
        ("", "", ("", "")),
        ("STATUS", "team", ("status", "team")),
        ("florb", "the widgets", ("florb", "the widgets")),
        ("", "<at>qa-bot</at> my", ("my", "")),
    ],
)
def test_command_words_are_read_the_way_people_type_them(
    name: str, text: str, expected: tuple[str, str]
) -> None:
    interaction = Interaction(platform="slack", user_id="U1", kind="message", name=name, text=text)
    assert parse_command(interaction, router().commands) == expected


def test_help_for_a_known_person_and_a_gentle_note_for_unknown_words(
    engine: Engine, now: datetime
) -> None:
    with Session(engine) as session:
        person(session, now, "lead@council.gov.uk", ["qa_lead"], slack_user_id="U1")
        [reply] = ask(session, now, name="help")
        assert reply.template == "help" and reply.context["lead"] is True
        assert reply.context["didnt_catch"] is None
        [reply] = ask(session, now, kind="message", text="hello")
        assert reply.template == "help" and reply.context["didnt_catch"] is None
        [reply] = ask(session, now, kind="message", text="frobnicate everything " * 20)
        assert reply.template == "help" and reply.context["didnt_catch"] == "frobnicate"


def _seed_work(session: Session, now: datetime, me: Person, other: Person) -> None:
    assert me.id is not None and other.id is not None
    c1, c2, c3 = case(session, "CASE-001"), case(session, "CASE-002"), case(session, "CASE-003")
    stamp: dict[str, Any] = {"created_at": now, "updated_at": now}
    session.add(
        Allocation(
            month="2026-12", person_id=me.id, case_id=c1.id, due_on=date(2026, 12, 21), **stamp
        )
    )
    session.add(
        Allocation(
            month="2026-11", person_id=me.id, case_id=c2.id, due_on=date(2026, 11, 20), **stamp
        )
    )
    session.add(
        Allocation(
            month="2026-10",
            person_id=me.id,
            case_id=c3.id,
            due_on=date(2026, 10, 20),
            status="completed",
            **stamp,
        )
    )
    session.add(
        Allocation(
            month="2026-12", person_id=other.id, case_id=c3.id, due_on=date(2026, 12, 21), **stamp
        )
    )
    draft = Audit(case_id=c2.id, auditor_id=me.id, status="returned", **stamp)
    session.add(draft)
    session.add(Audit(case_id=c1.id, auditor_id=me.id, status="final", **stamp))
    session.flush()
    session.add(
        Moderation(
            audit_id=draft.id,
            moderator_id=me.id,
            month="2026-12",
            due_on=date(2026, 12, 10),
            created_at=now,
        )
    )
    session.add(
        Recommendation(
            case_id=c1.id,
            action="Visit within 10 days",
            owner_id=me.id,
            due_on=date(2026, 11, 30),
            created_at=now,
        )
    )
    session.add(
        Recommendation(
            action="Service-wide training", owner_id=me.id, due_on=date(2027, 1, 30), created_at=now
        )
    )
    session.add(
        Recommendation(
            case_id=c1.id,
            action="Done already",
            owner_id=me.id,
            due_on=date(2026, 11, 1),
            status="done",
            created_at=now,
        )
    )
    session.flush()


def test_my_lists_open_work_by_case_reference_only(engine: Engine, now: datetime) -> None:
    with Session(engine) as session:
        me = person(
            session,
            now,
            "sam@council.gov.uk",
            ["team_manager"],
            slack_user_id="U1",
            name="Sam Jones",
        )
        other = person(session, now, "kim@council.gov.uk", ["team_manager"])
        _seed_work(session, now, me, other)
        [reply] = ask(session, now, kind="message", text="my")
    assert reply.template == "my_work"
    context = reply.context
    # The returned draft of CASE-002 is its allocation, counted once; soonest due first
    # across kinds: the overdue action, the draft, the moderation, then the rest.
    assert context["name"] == "Sam" and context["total"] == 5
    assert context["counts"] == {"audits": 2, "moderations": 1, "actions": 2, "escalations": 0}
    assert [(i["kind"], i["reference"], i["due_on"]) for i in context["items"]] == [
        ("audit", "CASE-002", "2026-11-20"),
        ("action", "CASE-001", "2026-11-30"),
        ("moderation", "CASE-002", "2026-12-10"),
        ("audit", "CASE-001", "2026-12-21"),
        ("action", None, "2027-01-30"),
    ]
    assert [i["overdue"] for i in context["items"]] == [True, True, False, False, False]
    draft, _, moderation, start, _ = context["items"]
    assert draft["what"] == "returned" and draft["button"]["action"] == "audit.continue"
    assert moderation["button"]["action"] == "moderation.open"
    assert moderation["button"]["routing_key"].startswith("moderation:")
    assert start["button"]["action"] == "audit.start"
    # Free text someone typed (a recommendation's wording) never reaches chat.
    assert "Visit" not in repr(context) and "training" not in repr(context)


def test_my_list_is_capped_and_the_rest_counted(engine: Engine, now: datetime) -> None:
    with Session(engine) as session:
        me = person(session, now, "sam@council.gov.uk", ["team_manager"], slack_user_id="U1")
        for i in range(13):
            c = case(session, f"CASE-{i:03d}")
            session.add(
                Allocation(
                    month="2026-12",
                    person_id=me.id,
                    case_id=c.id,
                    due_on=date(2026, 12, 21),
                    created_at=now,
                    updated_at=now,
                )
            )
        session.flush()
        [reply] = ask(session, now, name="my")
    assert len(reply.context["items"]) == 10 and reply.context["more"] == 3


def test_status_goes_to_the_status_conversation(engine: Engine, now: datetime) -> None:
    # The scope rules and figures are tested in tests/handlers/test_status.py.
    with Session(engine) as session:
        person(session, now, "pat@council.gov.uk", ["practitioner"], slack_user_id="U1")
        person(session, now, "lead@council.gov.uk", ["qa_lead"], slack_user_id="U2")
        [refused] = ask(session, now, name="status")
        assert refused.template == "status_refused" and refused.context["reason"] == "own"
        [status] = ask(session, now, text="status", user_id="U2")
        assert status.template == "status" and status.context["level"] == "all"


def test_home_shows_counts_and_options(engine: Engine, now: datetime) -> None:
    with Session(engine) as session:
        me = person(session, now, "sam@council.gov.uk", ["head_of_service"], slack_user_id="U1")
        other = person(session, now, "kim@council.gov.uk", ["team_manager"])
        _seed_work(session, now, me, other)
        [reply] = ask(session, now, kind="home", name="home")
    assert reply.template == "home"
    assert reply.context["counts"] == {
        "audits": 2,
        "moderations": 1,
        "actions": 2,
        "escalations": 0,
    }
    assert reply.context["overdue"] == 2 and reply.context["moderates"] is True
    # The soonest due things one tap away, whatever their kind (a moderation too).
    assert [(b["reference"], b["button"]["action"]) for b in reply.context["buttons"]] == [
        ("CASE-002", "audit.continue"),
        ("CASE-002", "moderation.open"),
        ("CASE-001", "audit.start"),
    ]


def test_teams_install_stores_the_conversation_and_welcomes(engine: Engine, now: datetime) -> None:
    conversation = {"conversation": {"id": "a:1"}, "serviceUrl": "https://smba.example/"}
    with Session(engine) as session:
        sam = person(session, now, "sam@council.gov.uk", ["qa_lead"])
        [reply] = ask(
            session,
            now,
            kind="install",
            platform="teams",
            user_id="aad-1",
            email="sam@council.gov.uk",
            conversation=conversation,
        )
        assert reply.template == "welcome" and reply.context["name"] == "Sam"
        assert sam.teams_user_id == "aad-1" and sam.teams_conversation == conversation


def test_command_buttons_act_like_commands_and_unknown_buttons_explain(
    engine: Engine, now: datetime
) -> None:
    with Session(engine) as session:
        person(session, now, "sam@council.gov.uk", ["qa_lead"], slack_user_id="U1")
        [reply] = ask(session, now, kind="action", name="my")
        assert reply.template == "my_work"
        [reply] = ask(session, now, kind="action", name="no_such_button")
        assert reply.template == "error"
        [reply] = ask(session, now, kind="submission", name="no_such_dialog")
        assert reply.template == "error"


def test_registered_action_handlers_receive_the_turn(engine: Engine, now: datetime) -> None:
    seen: list[Turn] = []

    def handler(turn: Turn) -> list[Reply]:
        seen.append(turn)
        return [Reply("notice", {"text": "done"})]

    extra = Conversation(name="test", actions={"test_button": handler})
    routes = Router([*router().conversations, extra], fallback=didnt_catch)
    with Session(engine) as session:
        sam = person(session, now, "sam@council.gov.uk", ["qa_lead"], slack_user_id="U1")
        interaction = Interaction("slack", "U1", "action", "test_button")
        replies = routes.dispatch(
            interaction, session=session, framework=FRAMEWORK, now=now, tz=LONDON
        )
        assert replies == [Reply("notice", {"text": "done"})]
    assert seen[0].person is sam and seen[0].now == now


def test_two_conversations_cannot_claim_the_same_button() -> None:
    first = Conversation(name="first", actions={"same": lambda _t: []})
    second = Conversation(name="second", actions={"same": lambda _t: []})
    with pytest.raises(ValueError, match="'same' is claimed by both 'first' and 'second'"):
        Router([first, second], fallback=didnt_catch)
