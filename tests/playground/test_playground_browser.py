"""The Agents Playground's own web page in headless Chromium: every card we send renders.

Issue 17: `status` blanked the Playground's page (its Adaptive Cards renderer threw
"Cannot add property type, object is not extensible" on untyped columns), and no
test saw it, because the other Playground test reads the JSON stream, not the page.
Here the bot runs as in `test_playground.py`, the Playground's page is opened in the
system Chromium (Debian `chromium`, driven by Playwright over the DevTools protocol,
no browser download), and a person walks `help`, `my`, `status`, a drill-down and
back, an allocation's Start (the prompt and the first step of the audit) and a step
of it, and an action's Done form to its receipt. After each step the page must
still show the chat box and the card we expect, show no card-render error, and the
JavaScript console must have no `TypeError`. Screenshots go to pytest's tmp_path
(never committed): `QA_BOT_PLAYGROUND_SHOTS=DIR` keeps them somewhere to look at.

Skipped, with the reason, without Node, Chromium or Playwright.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.app import build_app
from bot.deps import Deps
from bot.sender import OutboxSender, SenderPolicy
from bot.settings import Settings
from handlers.allocation_messages import queue_new_prompt
from reminders.tracking import REMINDERS
from storage.models import Allocation, Person
from tests.handlers.audit_world import World, seed_world
from tests.playground.test_playground import START_TIMEOUT, BotServer, Playground
from tests.reminders.tracking_world import add_recommendation, ticker

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # skipped below, with the reason
    PlaywrightTimeout = TimeoutError  # type: ignore[misc,assignment]

pytestmark = pytest.mark.playground

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ACTION = "Hold a strategy discussion with the family and the school within ten working days"
STEP_TIMEOUT_MS = 20_000
COMPOSE = '[data-lexical-editor="true"]'  # the Playground's message box


def _requirements() -> str | None:
    if shutil.which("npx") is None or shutil.which("node") is None:
        return "Node.js (node and npx) is not installed"
    if CHROMIUM is None:
        return "no chromium on PATH (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    return None


class Walk:
    """The Playground's page, with the checks made after every step."""

    def __init__(self, page: Any, shots: Path) -> None:
        self.page = page
        self.shots = shots
        self.errors: list[str] = []
        self.count = 0
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console {msg.type}: {msg.text}")
                if "TypeError" in msg.text
                else None
            ),
        )

    def cards(self) -> Any:
        return self.page.locator(".ac-adaptiveCard")

    def check(self, name: str, expect: str) -> None:
        """The page is not blank, shows `expect` in a card, and nothing threw."""
        self.count += 1
        page = self.page
        shown = True
        try:
            self.cards().filter(has_text=expect).last.wait_for(timeout=STEP_TIMEOUT_MS)
        except PlaywrightTimeout:
            shown = False
        page.screenshot(path=str(self.shots / f"{self.count:02d}-{name}.png"))
        typed = [e for e in self.errors if "TypeError" in e]
        assert not typed, f"{name}: the page threw {typed[:3]}"
        assert page.locator(COMPOSE).count() == 1, f"{name}: the page went blank"
        body = page.inner_text("body")
        for word in ("Something went wrong", "Unable to render", "render error"):
            assert word.lower() not in body.lower(), f"{name}: {word!r} on the page"
        assert shown, f"{name}: no card saying {expect!r} within {STEP_TIMEOUT_MS} ms"

    def say(self, text: str, expect: str) -> None:
        box = self.page.locator(COMPOSE)
        box.click()
        box.fill(text)
        self.page.get_by_role("button", name="Send Message").click()
        self.check(text.replace(" ", "-"), expect)

    def press(self, title: str | re.Pattern[str], expect: str, *, within: str = "") -> None:
        """Press the last button called `title` (in the last card saying `within`)."""
        scope = self.cards().filter(has_text=within).last if within else self.page
        scope.get_by_role("button", name=title, exact=isinstance(title, str)).last.click()
        label = title if isinstance(title, str) else title.pattern.strip("^")
        self.check(label.replace(" ", "-")[:30], expect)


@pytest.fixture
def world(engine: Engine, now: datetime) -> World:
    return seed_world(engine, now, "camden")


@pytest.fixture
def bot(db_url: str, engine: Engine, now: datetime, world: World) -> Iterator[BotServer]:
    values: dict[str, Any] = {
        "QA_BOT_DATABASE_URL": db_url,
        "QA_BOT_FRAMEWORK": "camden",
        "QA_BOT_HOST": "127.0.0.1",
        "QA_BOT_TEAMS_PLAYGROUND": True,
        "SLACK_BOT_TOKEN": None,
        "SLACK_APP_TOKEN": None,
        "TEAMS_CLIENT_ID": None,
    }
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    deps = Deps(settings, world.framework, engine, clock=lambda: now)
    app = build_app(deps, background=False)
    with BotServer(app) as server:
        server.app = app  # type: ignore[attr-defined]
        yield server


def deliver(app: Any) -> None:
    """Send what the outbox holds, as `qa-bot serve` would, now."""
    state = app.state
    sender = OutboxSender(
        state.deps, state.messengers, renderer=state.renderer, policy=SenderPolicy(windows={})
    )
    # In a thread of its own: Playwright's sync API keeps an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        report = pool.submit(asyncio.run, sender.drain(timeout=20)).result()
    assert report.failed == 0, report


@pytest.mark.timeout(START_TIMEOUT + 240)
def test_the_playground_page_renders_every_step_of_a_walk(
    bot: BotServer, engine: Engine, now: datetime, world: World, tmp_path: Path
) -> None:
    reason = _requirements()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("QA_BOT_PLAYGROUND_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with Playground(f"http://127.0.0.1:{bot.port}/api/messages") as playground:
        config = httpx.get(f"{playground.url}/_internal/v1/config", timeout=10).json()["config"]
        user = config["currentUser"]
        with Session(engine) as session:  # the Playground's user is our auditor, a QA lead too
            person = session.get(Person, world.auditor_id)
            assert person is not None
            person.teams_user_id = user["aadObjectId"]
            person.roles = [*(person.roles or []), world.framework.qa_lead_role]
            session.add(person)
            session.commit()
        add_recommendation(
            engine,
            owner=world.auditor_id,
            due=date(now.year, now.month, 28),
            created=now,
            case=world.case_id,
            action=ACTION,
        )

        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                walk = Walk(page, shots)
                page.goto(playground.url, wait_until="domcontentloaded")
                page.locator(COMPOSE).wait_for(timeout=STEP_TIMEOUT_MS)

                walk.say("help", "Type one of these words")
                walk.say("my", "waiting")
                walk.say("status", "Status for")
                walk.press("Teams", "By team", within="By service")
                walk.press(re.compile("^Back to"), "By service")

                # The month's prompt, sent as the monthly job sends it, then Start.
                with Session(engine) as session:
                    allocation = session.get(Allocation, world.allocation_id)
                    assert allocation is not None
                    queue_new_prompt(session, world.framework, allocation, now)
                    session.commit()
                deliver(bot.app)  # type: ignore[attr-defined]
                walk.check("prompt", world.reference)
                start = f"Start {world.framework.vocabulary.audit}"
                walk.press(start[:40], "About this case", within=world.reference)
                assert walk.cards().filter(has_text="Carry on").count() >= 1
                walk.press("Start", "step 2", within="About this case")

                # An action: the reminder, Done, the form, the receipt.
                ticker(engine, world.framework).run_job(REMINDERS, now=now)
                deliver(bot.app)  # type: ignore[attr-defined]
                walk.check("reminder", "A new action is yours")
                walk.press("Done", ACTION, within="A new action is yours")
                form = walk.cards().filter(has_text="Mark as done").last
                impact = "The family and the school now meet monthly."
                form.get_by_role("textbox").first.fill(impact)
                walk.press("Mark as done", "Marked done", within="Mark as done")
            finally:
                browser.close()
