"""Matching chat accounts to people: by platform id, else by work email (then remembered)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from handlers.identity import known_person_id, resolve_person
from handlers.interaction import Interaction
from storage.models import AuditLogEntry
from tests.handlers.helpers import person

CONVERSATION = {"conversation": {"id": "a:1"}, "serviceUrl": "https://smba.example/uk/"}


def slack(user_id: str, email: str | None = None) -> Interaction:
    return Interaction(platform="slack", user_id=user_id, kind="command", name="help", email=email)


def teams(user_id: str, email: str | None = None, conversation: dict | None = None) -> Interaction:
    return Interaction(
        platform="teams",
        user_id=user_id,
        kind="message",
        name="",
        email=email,
        conversation=conversation,
    )


def test_slack_user_is_found_by_their_stored_id(engine: Engine, now: datetime) -> None:
    with Session(engine) as session:
        sam = person(session, now, "sam@council.gov.uk", ["team_manager"], slack_user_id="U1")
        assert resolve_person(session=session, interaction=slack("U1"), now=now) is sam
        assert known_person_id(session=session, platform="slack", user_id="U1") == sam.id


def test_slack_user_matched_by_email_keeps_their_id_and_the_link_is_logged(
    engine: Engine, now: datetime
) -> None:
    with Session(engine) as session:
        sam = person(session, now, "Sam.Jones@council.gov.uk", ["team_manager"])
        found = resolve_person(
            session=session, interaction=slack("U1", " sam.jones@COUNCIL.gov.uk"), now=now
        )
        assert found is sam and sam.slack_user_id == "U1"
        [entry] = session.exec(select(AuditLogEntry)).all()
        assert entry.action == "link_slack" and entry.record_id == str(sam.id)
        assert entry.after == {"slack_user_id": "U1"}


def test_inactive_people_are_unknown_by_id_and_by_email(engine: Engine, now: datetime) -> None:
    with Session(engine) as session:
        person(session, now, "gone@council.gov.uk", ["qa_lead"], slack_user_id="U1", active=False)
        person(session, now, "left@council.gov.uk", ["qa_lead"], active=False)
        assert resolve_person(session=session, interaction=slack("U1"), now=now) is None
        left = slack("U2", "left@council.gov.uk")
        assert resolve_person(session=session, interaction=left, now=now) is None
        assert known_person_id(session=session, platform="slack", user_id="U1") is None


def test_no_email_and_no_stored_id_means_unknown(engine: Engine, now: datetime) -> None:
    with Session(engine) as session:
        person(session, now, "sam@council.gov.uk", ["qa_lead"])
        assert resolve_person(session=session, interaction=slack("U1"), now=now) is None
        assert resolve_person(session=session, interaction=slack(""), now=now) is None


def test_teams_user_matched_by_email_stores_object_id_and_conversation(
    engine: Engine, now: datetime
) -> None:
    with Session(engine) as session:
        sam = person(session, now, "sam@council.gov.uk", ["qa_lead"])
        interaction = teams("aad-guid-1", "sam@council.gov.uk", CONVERSATION)
        assert resolve_person(session=session, interaction=interaction, now=now) is sam
        assert sam.teams_user_id == "aad-guid-1" and sam.teams_conversation == CONVERSATION
        assert sam.slack_user_id is None


def test_teams_conversation_is_refreshed_when_it_changes(engine: Engine, now: datetime) -> None:
    with Session(engine) as session:
        sam = person(session, now, "sam@council.gov.uk", ["qa_lead"], teams_user_id="aad-1")
        moved = {**CONVERSATION, "serviceUrl": "https://smba.example/emea/"}
        assert resolve_person(session=session, interaction=teams("aad-1", None, moved), now=now)
        assert sam.teams_conversation == moved


def test_a_slack_id_does_not_match_a_teams_id(engine: Engine, now: datetime) -> None:
    with Session(engine) as session:
        person(session, now, "sam@council.gov.uk", ["qa_lead"], teams_user_id="X1")
        assert resolve_person(session=session, interaction=slack("X1"), now=now) is None
