"""One preset's audit and moderation, in Slack or in Teams, through the real endpoints.

The per-preset rule tests (`test_preset_<preset>.py`) check a rule's effect where it
reaches people: an auditor submits through the Slack modal or the Teams cards, the
outbox is drained to the in-project fakes, and the test reads what each person was
sent. Built on the moderation tests' worlds (`tests.handlers.moderation_world`) and
their platform drivers, so the same seams are exercised.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

import handlers.audit  # registers the audit dialog
import handlers.escalation  # noqa: F401 - registers its hook at import, before any test copies the list
from bot.composition import router
from bot.routing_keys import keys_for
from qa.framework import Framework
from storage.models import Audit, Escalation, Moderation, OutboxMessage, Person
from tests.bot.test_audit_slack import app_for
from tests.bot.test_moderation_slack import SlackModeration
from tests.bot.test_moderation_teams import TeamsModeration
from tests.chat import all_text, app_client, teams_settings
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.handlers import audit_world
from tests.handlers.moderation_world import (
    ModerationWorld,
    aad_id,
    connect_auditor,
    connect_teams,
    seed_moderation_world,
    slack_id,
)

Platform = Literal["slack", "teams"]
PLATFORMS: list[Platform] = ["slack", "teams"]


@dataclass
class PresetChat:
    """A seeded authority on one preset, its auditor and moderators in one platform."""

    platform: Platform
    engine: Engine
    world: ModerationWorld
    driver: SlackModeration | TeamsModeration

    def submit_audit(self, grade: str) -> None:
        self.driver.submit_audit(grade)

    def deliver(self) -> None:
        self.driver.deliver()

    def moderate(self, row: Moderation, **answers: Any) -> None:
        """The moderator of `row` presses *Moderate* and answers every step."""
        self.driver.moderate(row, **answers)

    def texts_to(self, person_id: int) -> list[str]:
        """What `person_id` was sent in this platform, one string per message."""
        with Session(self.engine) as session:
            person = session.get(Person, person_id)
            assert person is not None
        if isinstance(self.driver, SlackModeration):
            user = person.slack_user_id or slack_id(person_id)
            return [all_text(m) for m in self.driver.sent_to(user)]
        aad = person.teams_user_id or aad_id(person_id)
        return [str(c.body) for c in self.driver.sent_to(aad)]

    def the_audit(self) -> Audit:
        with Session(self.engine) as session:
            return session.exec(
                select(Audit).where(Audit.allocation_id == self.world.audit.allocation_id)
            ).one()

    def escalations(self, kind: str = "grade") -> list[Escalation]:
        with Session(self.engine) as session:
            return list(session.exec(select(Escalation).where(Escalation.kind == kind)))

    def queued(self, template: str) -> list[OutboxMessage]:
        with Session(self.engine) as session:
            return list(
                session.exec(select(OutboxMessage).where(OutboxMessage.template == template))
            )

    def holders(self, role: str) -> list[int]:
        with Session(self.engine) as session:
            people = session.exec(select(Person).order_by(col(Person.id)))
            return [p.id or 0 for p in people if role in (p.roles or [])]


def _reach(engine: Engine, person_ids: Iterable[int]) -> None:
    """Give these people chat ids, as the moderators have, so messages reach them."""
    with Session(engine) as session:
        for pid in person_ids:
            person = session.get(Person, pid)
            if person is not None and person.slack_user_id is None:
                person.slack_user_id, person.teams_user_id = slack_id(pid), aad_id(pid)
                session.add(person)
        session.commit()


@contextmanager
def preset_chat(
    platform: Platform,
    preset: str,
    *,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
    reach: Iterable[str] = (),
    framework: Framework | None = None,
) -> Iterator[PresetChat]:
    """`preset`'s world in `platform`; holders of the `reach` roles can be messaged too.

    `framework` replaces the preset as loaded (a test may need, say, Wandsworth's dip
    sample to include the one audit it submits)."""
    if framework is not None:
        monkeypatch.setattr(audit_world, "load_framework", lambda _name: framework)
    world = seed_moderation_world(engine, now, preset)
    with Session(engine) as session:
        people = list(session.exec(select(Person)))
        wanted = [p.id or 0 for p in people if set(reach) & set(p.roles or [])]
    _reach(engine, wanted)
    if platform == "slack":
        with FakeSlack() as slack:
            client, keys = app_for(db_url, engine, slack, now, world.audit, routes=router())
            with client:
                driver = SlackModeration(client, slack, keys, world, engine)
                yield PresetChat(platform, engine, world, driver)
        return
    with FakeConnector() as connector:
        connect_teams(engine, connector.url)
        connect_auditor(engine, world, connector.url)
        settings = teams_settings(db_url, QA_BOT_FRAMEWORK=preset)
        with app_client(settings, engine, now, framework=world.framework) as client:
            driver_t = TeamsModeration(client, connector, keys_for(settings), world, engine)
            yield PresetChat(platform, engine, world, driver_t)
