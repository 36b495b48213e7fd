"""A preset's authority in Slack or in Teams, for the calendar's and the reports' rhythm.

The jobs run at frozen times through the scheduler's `Ticker`; the app's own outbox
sender (`build_app`, as `serve` builds it) delivers what they queued to the in-project
fakes, and the tests read what each person and each governance channel was sent. The
authority is the demo department of `tests.bot.summary_posts` (the demo seed and a
month of audits in November 2026), with every member of staff reachable in chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.sender import SenderPolicy
from qa.framework import Framework, preset
from reminders.jobs import Job
from reminders.schedule import Ticker
from storage.models import OutboxMessage, Person
from tests.bot.summary_posts import Department, department, leaks
from tests.bot.test_sender import running_clock
from tests.chat import all_text, app_client, slack_settings, teams_settings
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack

Platform = Literal["slack", "teams"]
PLATFORMS: list[Platform] = ["slack", "teams"]
LONDON = ZoneInfo("Europe/London")
SLACK_CHANNEL = "C0GOVBOARD"
TEAMS_CHANNEL = "19:governance-board@thread.tacv2"


def slack_user(person_id: int) -> str:
    return f"U0RH{person_id:05d}"


def aad(person_id: int) -> str:
    return f"cccccccc-0000-0000-0000-{person_id:012d}"


def with_board_channels(fw: Framework) -> Framework:
    """The preset with each governance channel given an address on both platforms."""
    boards = [
        c.model_copy(update={"addresses": {"slack": SLACK_CHANNEL, "teams": TEAMS_CHANNEL}})
        for c in fw.governance
    ]
    return fw.model_copy(update={"governance": boards})


@dataclass
class RhythmChat:
    """One preset's authority, reachable in one platform; jobs run, then delivered."""

    platform: Platform
    engine: Engine
    db_url: str
    dept: Department
    slack: FakeSlack | None
    connector: FakeConnector | None

    @property
    def framework(self) -> Framework:
        return self.dept.framework

    def run(self, job: Job, at: datetime) -> None:
        """`job` as the scheduler runs it at `at`."""
        ticker = Ticker(
            engine=self.engine, framework=self.framework, tz=LONDON, jobs={job.name: job}
        )
        ticker.run_job(job, now=at)

    def deliver(self, at: datetime) -> None:
        """Everything queued, sent through the app's own sender at `at`."""
        if self.platform == "slack":
            assert self.slack is not None
            settings = slack_settings(self.db_url, self.slack.url)
        else:
            settings = teams_settings(self.db_url)
        clock = running_clock(at)
        app = app_client(settings, self.engine, clock, framework=self.framework).app
        sender = app.state.sender  # type: ignore[attr-defined]
        sender.policy = SenderPolicy(retry_base=0.05, retry_cap=0.2, idle_poll=0.05)
        report = asyncio.run(sender.drain(timeout=20))
        assert report.failed == 0

    def texts_to(self, person_id: int) -> list[str]:
        """What `person_id` was sent in this platform, one string per message."""
        if self.slack is not None:
            user = slack_user(person_id)
            return [
                all_text(c.params)
                for c in self.slack.calls_to("chat.postMessage")
                if c.params.get("channel") in (user, f"D{user}")
            ]
        assert self.connector is not None
        return [
            c.all_text
            for c in self.connector.messages()
            if c.conversation_id == f"a:chat-{aad(person_id)}"
        ]

    def channel_texts(self) -> list[str]:
        """What the governance board's channel was sent, one string per message."""
        if self.slack is not None:
            return [
                all_text(c.params)
                for c in self.slack.calls_to("chat.postMessage")
                if c.params.get("channel") == SLACK_CHANNEL
            ]
        assert self.connector is not None
        return [c.all_text for c in self.connector.messages() if c.conversation_id == TEAMS_CHANNEL]

    def holders(self, role: str) -> list[int]:
        with Session(self.engine) as session:
            people = session.exec(select(Person).order_by(col(Person.id)))
            return [p.id or 0 for p in people if role in (p.roles or [])]

    def queued(self, template: str) -> list[OutboxMessage]:
        with Session(self.engine) as session:
            rows = session.exec(select(OutboxMessage).where(OutboxMessage.template == template))
            return list(rows)

    def leaks(self, text: str) -> list[str]:
        """Case references and staff names in `text` (reports carry aggregates only)."""
        return leaks(text, self.dept)


def _reach(engine: Engine, platform: Platform, service_url: str | None) -> None:
    """Everyone can be messaged on `platform` (and only there)."""
    with Session(engine) as session:
        for p in session.exec(select(Person)):
            pid = p.id or 0
            if platform == "slack":
                p.slack_user_id, p.teams_user_id, p.teams_conversation = slack_user(pid), None, None
            else:
                p.slack_user_id, p.teams_user_id = None, aad(pid)
                p.teams_conversation = {
                    "serviceUrl": service_url,
                    "conversation": {"id": f"a:chat-{aad(pid)}", "conversationType": "personal"},
                }
            session.add(p)
        session.commit()


@contextmanager
def rhythm_chat(
    platform: Platform,
    name: str,
    *,
    engine: Engine,
    db_url: str,
    framework: Framework | None = None,
) -> Iterator[RhythmChat]:
    """`name`'s preset (or `framework`) as a demo authority reachable on `platform`."""
    fw = with_board_channels(framework or preset(name))
    dept = department(engine, fw)
    if platform == "slack":
        with FakeSlack() as slack:
            _reach(engine, platform, None)
            yield RhythmChat(platform, engine, db_url, dept, slack, None)
        return
    with FakeConnector() as connector:
        _reach(engine, platform, connector.url)
        yield RhythmChat(platform, engine, db_url, dept, None, connector)
