"""A small authority on any preset, reached in Slack or in Teams through the real endpoints.

For the follow-through tests (issue 13: Wandsworth's follow-through audits, Lambeth's
weekly PRIMs, City of London's progress packs): jobs run at frozen times through the
`Ticker`, the outbox is drained to the in-project fakes, buttons found in what the
platform received are pressed as signed Slack requests or Teams activities.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from sqlalchemy import Engine

from bot.app import build_app
from bot.deps import Deps
from bot.sender import OutboxSender, SenderPolicy
from bot.settings import Settings
from qa.framework import Framework
from reminders.jobs import Job
from reminders.schedule import Ticker
from storage.db import session_scope
from storage.models import Case, Person, Service, Team
from tests.bot.test_teams_adapter import make_settings
from tests.chat import SECRET, all_text, settle, signed_headers
from tests.fakes import connector as teams
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack, new_trigger_id
from tests.reminders.tracking_world import LONDON

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

Platform = Literal["slack", "teams"]
PLATFORMS: list[Platform] = ["slack", "teams"]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def person(
    engine: Engine, name: str, roles: list[str], *, team: int | None, manager: int | None = None
) -> int:
    """A person with chat ids on both platforms (`U<id>`, an AAD id made from it)."""
    with session_scope(engine) as s:
        now = datetime(2026, 1, 1, tzinfo=LONDON)
        row = Person(
            email=f"{name.lower().replace(' ', '.')}@example.gov.uk",
            name=name,
            roles=roles,
            team_id=team,
            line_manager_id=manager,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        pid = row.id or 0
        row.slack_user_id, row.teams_user_id = f"U{pid:04d}", aad(pid)
        s.add(row)
        return pid


def aad(pid: int) -> str:
    return f"bbbbbbbb-0000-0000-0000-{pid:012d}"


def teams_and_services(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.add_all([Service(id=1, name="Children in Need"), Service(id=2, name="Quality")])
        s.flush()
        s.add_all(
            [
                Team(id=1, name="CIN 1", service_id=1),
                Team(id=2, name="CIN 2", service_id=1),
                Team(id=3, name="CIN managers", service_id=1),
                Team(id=4, name="Quality", service_id=2),
            ]
        )


def case(engine: Engine, ref: str, *, worker: int, team: int = 1, area: str = "cin_cp") -> int:
    with session_scope(engine) as s:
        row = Case(
            reference=ref,
            service_id=1,
            team_id=team,
            worker_id=worker,
            area=area,
            opened_on=date(2026, 1, 5),
        )
        s.add(row)
        s.flush()
        return row.id or 0


def actions_in(node: Any) -> dict[str, Any]:
    """Every button by its action id: a Slack button's value, a Teams Action.Execute's data."""
    found: dict[str, Any] = {}

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            if n.get("type") == "button" and "action_id" in n:
                found[n["action_id"]] = n.get("value")
            if n.get("type") == "Action.Execute":
                found[n["data"]["action"]] = n["data"]
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(node)
    return found


@dataclass
class Chat:
    """One platform's endpoint and fake, with the framework's jobs at a frozen clock."""

    platform: Platform
    engine: Engine
    framework: Framework
    client: TestClient
    clock: Clock
    slack: FakeSlack | None = None
    connector: FakeConnector | None = None
    greeted: set[int] = field(default_factory=set)

    def run(self, job: Job, at: datetime) -> None:
        self.clock.now = at
        Ticker(
            engine=self.engine, framework=self.framework, tz=LONDON, jobs={job.name: job}
        ).run_job(job, now=at)

    def greet(self, *people: int) -> None:
        """On Teams a person must have written to the bot before it can write to them."""
        if self.connector is None:
            return
        for pid in people:
            if pid in self.greeted:
                continue
            hello = teams.message(
                "help",
                service_url=self.connector.url,
                aad_object_id=aad(pid),
                conversation_id=f"a:{pid}",
            )
            assert self.client.post("/api/messages", json=hello).status_code == 200
            self.greeted.add(pid)
        self.connector.state.calls.clear()

    def deliver(self) -> None:
        state = self.client.app.state  # type: ignore[attr-defined]
        sender = OutboxSender(
            state.deps,
            state.messengers,
            renderer=state.renderer,
            policy=SenderPolicy(windows={}, idle_poll=0.05),
        )
        report = asyncio.run(sender.drain(timeout=20))
        assert report.failed == 0 and report.remaining == 0, report

    def sent(self, pid: int) -> list[dict[str, Any]]:
        """What `pid` was sent (new messages and edits), as payloads, oldest first."""
        if self.slack is not None:
            return [
                dict(c.params)
                for c in self.slack.state.calls
                if c.method in ("chat.postMessage", "chat.update")
                and c.params.get("channel") in (f"U{pid:04d}", f"D{pid:04d}")
            ]
        assert self.connector is not None
        return [
            {"text": c.all_text, "cards": c.cards}
            for c in self.connector.calls_to()
            if c.operation in ("send", "reply", "update") and c.conversation_id == f"a:{pid}"
        ]

    def texts(self, pid: int) -> list[str]:
        if self.slack is not None:
            return [all_text(p) for p in self.sent(pid)]
        return [str(p["text"]) for p in self.sent(pid)]

    def buttons(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.slack is not None:
            blocks = payload.get("blocks")
            return actions_in(json.loads(blocks) if isinstance(blocks, str) else blocks)
        return actions_in(payload["cards"])

    # -- acting -------------------------------------------------------------------
    def press(self, pid: int, action: str, value: Any) -> Any:
        """Press a button; on Slack, the modal opened (if any); on Teams, the card back."""
        if self.slack is not None:
            opened = len(self.slack.calls_to("views.open"))
            user = f"U{pid:04d}"
            payload = {
                "type": "block_actions",
                "user": {"id": user},
                "team": {"id": "T0TEAM"},
                "api_app_id": "A0APP",
                "trigger_id": new_trigger_id(),
                "channel": {"id": f"D{pid:04d}"},
                "container": {"type": "message", "channel_id": f"D{pid:04d}", "message_ts": "1.1"},
                "message": {"ts": "1.1", "text": "", "blocks": []},
                "actions": [
                    {"action_id": action, "block_id": "b", "type": "button", "value": value}
                ],
            }
            assert self._slack_post(payload).status_code == 200
            settle(self.client)
            calls = self.slack.calls_to("views.open")
            if len(calls) > opened:
                view = calls[-1].params["view"]
                return json.loads(view) if isinstance(view, str) else dict(view)
            return None
        return self._teams_execute(pid, value)

    def submit(self, pid: int, form: Any, values: dict[str, str]) -> Any:
        """Submit a form (a Slack modal, a Teams card) with these field values."""
        if self.slack is not None:
            state = {
                "values": {
                    k: {
                        k: (
                            {"type": "static_select", "selected_option": {"value": v}}
                            if k == "grade"
                            else {"type": "plain_text_input", "value": v}
                        )
                    }
                    for k, v in values.items()
                }
            }
            payload = {
                "type": "view_submission",
                "user": {"id": f"U{pid:04d}"},
                "team": {"id": "T0TEAM"},
                "api_app_id": "A0APP",
                "trigger_id": new_trigger_id(),
                "view": {
                    "id": "V0VIEW",
                    "type": "modal",
                    "callback_id": form["callback_id"],
                    "private_metadata": form["private_metadata"],
                    "state": state,
                },
            }
            response = self._slack_post(payload)
            assert response.status_code == 200
            settle(self.client)
            return response.json() if response.content else None
        submit = next(
            v
            for v in actions_in(form).values()
            if isinstance(v, dict) and v.get("kind") == "submission"
        )
        return self._teams_execute(pid, {**submit, **values})

    def _slack_post(self, payload: dict[str, Any]) -> Any:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
        return self.client.post("/slack/events", content=body, headers=headers)

    def _teams_execute(self, pid: int, data: dict[str, Any]) -> Any:
        assert self.connector is not None
        activity = teams.execute(
            data,
            verb=data["action"],
            service_url=self.connector.url,
            aad_object_id=aad(pid),
            conversation_id=f"a:{pid}",
        )
        response = self.client.post("/api/messages", json=activity)
        assert response.status_code == 200
        return response.json().get("value")


@contextmanager
def chat(
    platform: Platform, *, db_url: str, engine: Engine, framework: Framework, now: datetime
) -> Iterator[Chat]:
    clock = Clock(now)
    if platform == "slack":
        with FakeSlack() as slack:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                slack_bot_token="xoxb-test-token",
                slack_signing_secret=SECRET,
                slack_api_url=slack.url,
                database_url=db_url,
            )
            deps = Deps(settings=settings, framework=framework, engine=engine, clock=clock)
            with TestClient(build_app(deps, background=False)) as client:
                yield Chat(platform, engine, framework, client, clock, slack=slack)
        return
    with FakeConnector() as connector:
        deps = Deps(make_settings(db_url), framework, engine, clock=clock)
        with TestClient(build_app(deps, background=False)) as client:
            yield Chat(platform, engine, framework, client, clock, connector=connector)
