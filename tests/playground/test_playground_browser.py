"""The Agents Playground's own web page in headless Chromium: every card we send renders.

Issue 17: `status` blanked the Playground's page (its Adaptive Cards renderer threw
"Cannot add property type, object is not extensible" on untyped columns), and no
test saw it, because the other Playground test reads the JSON stream, not the page.
Here the bot runs as in `test_playground.py`, the Playground's page is opened in the
system Chromium (Debian `chromium`, driven by Playwright over the DevTools protocol,
no browser download), and the Playground's user, a Camden Head of Service who is
also the QA lead, walks `help`, `my`, `status`, a drill-down and back; an audit
(Start on the month's prompt, Start on the first step, Carry on, Submit on the check
page); a moderation (Moderate on the request, Moderate again, Submit); and an
action's Done form to its receipt. Answers between the first and the last step of a
dialog are given through the handlers, as the card tests do step by step. After
each step the page must still show the chat box and the card we expect, show no
card-render error, and the JavaScript console must have no `TypeError`.
The cards that came with the City of London closing block, the framework's
moderation questions, Lambeth's weekly PRIM reviews, City of London's progress packs
and the framework reports are walked the same way, their buttons pressed, in two
more tests (the world: `tests/playground/new_cards.py`); the variants no button
reaches with a real row are queued as their sample contexts and each must show.
Screenshots go to pytest's tmp_path (never committed); `QA_BOT_PLAYGROUND_SHOTS=DIR`
keeps them somewhere to look at.

Skipped, with the reason, without Node, Chromium or Playwright.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.app import build_app
from bot.deps import Deps
from bot.sender import OutboxSender, SenderPolicy
from bot.settings import Settings
from handlers.allocation_messages import queue_new_prompt
from handlers.audit_session import dialog_for as audit_dialog_for
from handlers.interaction import Interaction, Reply
from handlers.moderation_session import dialog_for as moderation_dialog_for
from qa.dialog import Dialog
from qa.framework import Framework, preset
from reminders.case_reviews import WEEKLY_REVIEWS
from reminders.progress_packs import PROGRESS_PACKS
from reminders.summary import FRAMEWORK_REPORTS
from reminders.tracking import REMINDERS
from storage.audits import audit_for_allocation
from storage.models import Allocation, Audit, Case, Person
from tests.dispatching import dispatch
from tests.handlers.audit_world import SLACK_AUDITOR, answers_for
from tests.handlers.moderation_world import (
    ModerationWorld,
    moderation_answers,
    moderations,
    seed_moderation_world,
)
from tests.playground.new_cards import (
    CITY,
    LAMBETH,
    LAMBETH_CASE,
    add_pack_recommendations,
    give_an_audit,
    identity_unknown,
    lambeth_prim,
    make_chair_the_user,
    make_the_user,
    queue_samples,
)
from tests.playground.test_playground import START_TIMEOUT, BotServer, Playground
from tests.reminders.tracking_world import add_recommendation, at, ticker

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # skipped below, with the reason
    PlaywrightTimeout = TimeoutError  # type: ignore[misc,assignment]

pytestmark = pytest.mark.playground

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PLAYGROUND_SLACK = "U0PLAYGROUND"
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


@dataclass(frozen=True)
class Mine:
    """The Playground user's own allocation."""

    allocation_id: int
    reference: str


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
def world(engine: Engine, now: datetime, monkeypatch: pytest.MonkeyPatch) -> ModerationWorld:
    """Camden with one audit submitted and picked for moderation (see moderation_world)."""
    w = seed_moderation_world(engine, now, "camden")
    key = f"allocation:{w.audit.allocation_id}"
    reply = _act(engine, w.framework, now, SLACK_AUDITOR, "audit.start", key)
    # Inadequate: always moderated (a Good one is in Camden's sample only by chance).
    _answer_until(engine, w.framework, now, SLACK_AUDITOR, reply, "audit", grade="inadequate")
    assert moderations(engine), "the submitted audit was not picked for moderation"
    return w


def _act(
    engine: Engine,
    framework: Framework,
    now: datetime,
    user: str,
    name: str,
    key: str,
    values: dict[str, Any] | None = None,
) -> Reply:
    """One press or form, through the handlers (as Slack would send it)."""
    interaction = Interaction(
        platform="slack",
        user_id=user,
        kind="submission" if values is not None else "action",
        name=name,
        routing_key=key,
        values=values or {},
    )
    with Session(engine) as session:
        replies = dispatch(interaction, session=session, framework=framework, now=now)
        session.commit()
    return replies[0]


def _owner(reply: Reply) -> str:
    for item in reply.context.get("items", []):
        if item["type"] == "field" and item["input"] == "person":
            return str(item["options"][0]["value"])
    return "0"


def _answer_until(
    engine: Engine,
    framework: Framework,
    now: datetime,
    user: str,
    reply: Reply,
    kind: str,
    *,
    stop: str | None = None,
    dialog: Dialog | None = None,
    grade: str = "good",
) -> Reply:
    """Answer each step of an audit or moderation dialog until step `stop` (or the end)."""
    template = f"{kind}_step"
    while reply.template == template and reply.context["step"] != stop:
        if kind == "audit":
            with Session(engine) as session:
                audit = session.exec(
                    select(Audit).where(Audit.id == int(reply.context["audit_key"].split(":")[1]))
                ).one()
                case = session.get(Case, audit.case_id)
                assert case is not None
                step = audit_dialog_for(session=session, case=case, framework=framework)[0].step(
                    reply.context["step"]
                )
            values = answers_for(step, owner=_owner(reply), grade=grade)
        else:
            assert dialog is not None
            values = moderation_answers(dialog.step(reply.context["step"]), owner=_owner(reply))
        key = reply.context["step_key"]
        reply = _act(engine, framework, now, user, f"{kind}.step", key, values)
        assert not reply.errors, reply.errors
    return reply


@pytest.fixture
def city(engine: Engine, now: datetime) -> ModerationWorld:
    """City of London with one review submitted and every one moderated (the panel)."""
    w = seed_moderation_world(engine, now, CITY)
    key = f"allocation:{w.audit.allocation_id}"
    reply = _act(engine, w.framework, now, SLACK_AUDITOR, "audit.start", key)
    _answer_until(engine, w.framework, now, SLACK_AUDITOR, reply, "audit")
    assert [m for m in moderations(engine) if m.is_chair], "no chair asked to moderate"
    return w


def _serve(db_url: str, engine: Engine, now: datetime, framework: Framework, preset: str) -> Any:
    values: dict[str, Any] = {
        "QA_BOT_DATABASE_URL": db_url,
        "QA_BOT_FRAMEWORK": preset,
        "QA_BOT_HOST": "127.0.0.1",
        "QA_BOT_TEAMS_PLAYGROUND": True,
        "SLACK_BOT_TOKEN": None,
        "SLACK_APP_TOKEN": None,
        "TEAMS_CLIENT_ID": None,
    }
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    return build_app(Deps(settings, framework, engine, clock=lambda: now), background=False)


@pytest.fixture
def city_bot(
    db_url: str, engine: Engine, now: datetime, city: ModerationWorld
) -> Iterator[BotServer]:
    app = _serve(db_url, engine, now, city.framework, CITY)
    with BotServer(app) as server:
        server.app = app  # type: ignore[attr-defined]
        yield server


MONDAY = at(2026, 12, 7, 10)  # Lambeth's first weekly review prompt goes out


@pytest.fixture
def lambeth_bot(db_url: str, engine: Engine) -> Iterator[BotServer]:
    app = _serve(db_url, engine, MONDAY, preset(LAMBETH), LAMBETH)
    with BotServer(app) as server:
        server.app = app  # type: ignore[attr-defined]
        yield server


@pytest.fixture
def bot(db_url: str, engine: Engine, now: datetime, world: ModerationWorld) -> Iterator[BotServer]:
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
    # Messages to everyone else fail (no chat account): only this person is in the
    # Playground. What reached them is checked on the page.
    assert report.delivered >= 1, report


@pytest.mark.timeout(START_TIMEOUT + 240)
def test_the_playground_page_renders_every_step_of_a_walk(
    bot: BotServer, engine: Engine, now: datetime, world: ModerationWorld, tmp_path: Path
) -> None:
    reason = _requirements()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    framework = world.framework
    shots = Path(os.environ.get("QA_BOT_PLAYGROUND_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with Playground(f"http://127.0.0.1:{bot.port}/api/messages") as playground:
        config = httpx.get(f"{playground.url}/_internal/v1/config", timeout=10).json()["config"]
        mine = _make_playground_user(engine, framework, now, world, config["currentUser"])
        moderation = moderations(engine)[0]
        me = PLAYGROUND_SLACK
        vocab = framework.vocabulary

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

                # What the jobs sent meanwhile: the month's prompt and the moderation request.
                deliver(bot.app)  # type: ignore[attr-defined]
                walk.check("prompt", mine.reference)
                walk.check("moderation-request", f"Please moderate the {vocab.audit} of case")

                # An audit: Start on the prompt, Start on the first step, answered to the
                # check page elsewhere, Carry on, Submit.
                start = f"Start {vocab.audit}"
                walk.press(start[:40], "About this case", within=mine.reference)
                assert walk.cards().filter(has_text="Carry on").count() >= 1
                walk.press("Start", "step 2", within="About this case")
                with Session(engine) as session:
                    audit = audit_for_allocation(session=session, allocation_id=mine.allocation_id)
                    assert audit is not None
                key = f"audit:{audit.id}"
                reply = _act(engine, framework, now, PLAYGROUND_SLACK, "audit.continue", key)
                _answer_until(engine, framework, now, me, reply, "audit", stop="review")
                walk.press("Carry on", "Check and submit", within="Please take on")
                walk.press("Submit", "is submitted", within="Check and submit")

                # A moderation: Moderate on the request (which stays), answered to the
                # check page elsewhere, Moderate again, Submit.
                walk.press("Moderate", f"{vocab.moderation} · step", within="Please moderate")
                with Session(engine) as session:
                    moderated = session.get(Audit, moderation.audit_id)
                    case = session.get(Case, moderated.case_id) if moderated else None
                    assert moderated is not None and case is not None
                    dialog = moderation_dialog_for(framework, moderated, case)
                key = f"moderation:{moderation.id}"
                reply = _act(engine, framework, now, me, "moderation.open", key)
                _answer_until(
                    engine, framework, now, me, reply, "moderation", stop="review", dialog=dialog
                )
                walk.press("Moderate", "Check and submit", within="Please moderate")
                walk.press("Submit", "Thank you: the grade for case", within="Check and submit")

                # An action: the reminder, Done, the form, the receipt.
                ticker(engine, framework).run_job(REMINDERS, now=now)
                deliver(bot.app)  # type: ignore[attr-defined]
                walk.check("reminder", "A new action is yours")
                walk.press("Done", ACTION, within="A new action is yours")
                form = walk.cards().filter(has_text="Mark as done").last
                impact = "The family and the school now meet monthly."
                form.get_by_role("textbox").first.fill(impact)
                walk.press("Mark as done", "Marked done", within="Mark as done")
            finally:
                browser.close()


def _make_playground_user(
    engine: Engine,
    framework: Framework,
    now: datetime,
    world: ModerationWorld,
    user: dict[str, Any],
) -> Mine:
    """The Playground's user becomes the moderator of the submitted audit, a QA lead
    too, with a case of their own to audit and an action to do."""
    moderation = moderations(engine)[0]
    with Session(engine) as session:
        person = session.get(Person, moderation.moderator_id)
        assert person is not None and person.id is not None
        person.teams_user_id = user["aadObjectId"]
        person.slack_user_id = PLAYGROUND_SLACK  # for the steps answered through the handlers
        person.roles = [*(person.roles or []), framework.qa_lead_role]
        case = session.exec(
            select(Case)
            .where(Case.id != world.audit.case_id)
            .where(Case.team_id != person.team_id)
            .order_by(col(Case.id))
        ).first()
        assert case is not None
        allocation = Allocation(
            month=f"{now:%Y-%m}",
            person_id=person.id,
            case_id=case.id,
            activity="audit",
            due_on=date(now.year, now.month, 18),
            reason="peer audit",
            created_at=now,
            updated_at=now,
        )
        session.add_all([person, allocation])
        for other in session.exec(select(Person).where(Person.id != person.id)):
            other.teams_user_id, other.teams_conversation = None, None
            session.add(other)
        session.commit()
        queue_new_prompt(session, framework, allocation, now)
        session.commit()
        mine = Mine(allocation.id or 0, case.reference)
        person_id, case_id = person.id, case.id
    add_recommendation(
        engine,
        owner=person_id,
        due=date(now.year, now.month, 28),
        created=now,
        case=case_id,
        action=ACTION,
    )
    return mine


@pytest.mark.timeout(START_TIMEOUT + 300)
def test_the_playground_page_renders_the_new_cards(
    city_bot: BotServer, engine: Engine, now: datetime, city: ModerationWorld, tmp_path: Path
) -> None:
    """City of London's chair moderates with the framework's questions (15, the panel's
    date, 17 and 18), gets the findings and the closing block (Complete closing, the
    form, Record, the receipt), and the December/January progress pack (Sign off one,
    Sign off the pack, the receipts); a review of their own is refused where identity
    is not known and no recommendation is made; then every sample of the other new
    cards is shown."""
    reason = _requirements()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    framework = city.framework
    app = city_bot.app  # type: ignore[attr-defined]
    shots = Path(os.environ.get("QA_BOT_PLAYGROUND_SHOTS") or tmp_path) / "new-cards"
    shots.mkdir(parents=True, exist_ok=True)
    with Playground(f"http://127.0.0.1:{city_bot.port}/api/messages") as playground:
        config = httpx.get(f"{playground.url}/_internal/v1/config", timeout=10).json()["config"]
        me_id = make_chair_the_user(engine, city, config["currentUser"])
        [chair] = [m for m in moderations(engine) if m.is_chair]
        me = PLAYGROUND_SLACK
        with Session(engine) as session:
            moderated = session.get(Audit, chair.audit_id)
            case = session.get(Case, moderated.case_id) if moderated else None
            assert moderated is not None and case is not None
            dialog = moderation_dialog_for(framework, moderated, case)
            reference = case.reference
        panel_step, recs_step = (
            next(k for k, s in dialog.steps.items() if any(f.key == q for f in s.fields))
            for q in ("mod.q.panel_date", "mod.q.child_recommendations")
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

                walk.say("help", "Type one of these words")  # the bot learns the chat
                # The moderation request; Moderate: the first step, with question 15.
                deliver(app)
                walk.check("moderation-request", "Please moderate")
                walk.press("Moderate", "15. Feedback", within="Please moderate")
                # Answered elsewhere to the panel's date, then to 17 and 18, each shown.
                key = f"moderation:{chair.id}"
                for stop, expect in (
                    (panel_step, "Date of Moderation Panel"),
                    (recs_step, "17. Child Specific Recommendations"),
                    ("review", "Check and submit"),
                ):
                    reply = _act(engine, framework, now, me, "moderation.open", key)
                    _answer_until(
                        engine, framework, now, me, reply, "moderation", stop=stop, dialog=dialog
                    )
                    walk.press("Moderate", expect, within="Please moderate")
                walk.press("Submit", reference, within="Check and submit")

                # Final: the findings (to the worker) and the closing block's request.
                deliver(app)
                walk.check("closing-request", "Complete closing")
                walk.check("findings", reference)
                walk.press("Complete closing", "Date uploaded to Mosaic", within="Complete closing")
                form = walk.cards().filter(has_text="Date uploaded to Mosaic").last
                for field in form.locator("input[type=date]").all():
                    if not field.input_value():
                        field.fill(f"{now:%Y-%m-%d}")
                walk.press("Record", "recorded", within="Date uploaded to Mosaic")
                walk.check("closing-request-closed", "Change the closing block")

                # The December/January progress pack: Sign off one, then the whole pack.
                # (The December/January window opens today: what the bot sends is due.)
                add_pack_recommendations(engine, me_id, now)
                ticker(engine, framework, (PROGRESS_PACKS,)).run_job(PROGRESS_PACKS, now=now)
                deliver(app)
                walk.check("progress-pack", "progress pack")
                walk.press("Sign off", "Signed off", within="progress pack")
                walk.press("Sign off the pack", "is signed off", within="progress pack")

                # A review of their own: identity not ascertained and no recommendation
                # (answered elsewhere up to the recommendations), Carry on, Next: refused,
                # the error under the first recommendation.
                allocation_id, own = give_an_audit(
                    engine, framework, now, me_id, not_case=city.audit.case_id
                )
                deliver(app)
                start = f"Start {framework.vocabulary.audit}"
                walk.press(start[:40], "About this case", within=own)
                with Session(engine) as session:
                    audit = audit_for_allocation(session=session, allocation_id=allocation_id)
                    own_case = session.get(Case, audit.case_id) if audit else None
                    assert audit is not None and own_case is not None
                    steps = audit_dialog_for(session=session, case=own_case, framework=framework)
                reply = _act(engine, framework, now, me, "audit.continue", f"audit:{audit.id}")
                while reply.context["step"] != "recommendations":
                    values = identity_unknown(steps[0].step(reply.context["step"]), _owner(reply))
                    reply = _act(
                        engine, framework, now, me, "audit.step", reply.context["step_key"], values
                    )
                    assert not reply.errors, reply.errors
                walk.press("Carry on", "Recommendation", within="Please take on")
                walk.press("Next", "You answered “No” to “", within=own)
                error = walk.cards().last.get_by_text("add a recommendation")
                assert error.count() == 1, "the error is under the first recommendation"
                error.scroll_into_view_if_needed()
                page.screenshot(path=str(shots / f"{walk.count:02d}-needs-a-recommendation.png"))

                # Every sample of the cards no button here reaches with a real row.
                names = queue_samples(engine, me_id, now)
                before = walk.cards().count()
                deliver(app)
                cards = walk.cards()
                shown = (
                    f"document.querySelectorAll('.ac-adaptiveCard').length >= {before + len(names)}"
                )
                page.wait_for_function(shown, timeout=STEP_TIMEOUT_MS)
                walk.check("samples", "")
                page.set_viewport_size({"width": 1280, "height": 3400})  # a tall card whole
                for n, name in enumerate(names):
                    card = cards.nth(before + n)
                    card.scroll_into_view_if_needed()
                    card.screenshot(path=str(shots / f"sample-{name}.png"))
                    box = card.bounding_box()
                    text = card.inner_text().strip()
                    assert box is not None and box["height"] > 20, f"{name}: a blank card"
                    assert text, f"{name}: a card with no words"
            finally:
                browser.close()


@pytest.mark.timeout(START_TIMEOUT + 120)
def test_the_playground_page_renders_a_weekly_review(
    lambeth_bot: BotServer, engine: Engine, tmp_path: Path
) -> None:
    """Lambeth's practice assurance lead gets November's monthly audit report (as the
    Principal Social Worker) and the week's PRIM prompt, presses Record the outcome,
    gives the grade and a note on the form, Records: the receipt, and the prompt shows
    the outcome where it was sent."""
    reason = _requirements()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    framework = preset(LAMBETH)
    app = lambeth_bot.app  # type: ignore[attr-defined]
    w = lambeth_prim(engine)
    shots = Path(os.environ.get("QA_BOT_PLAYGROUND_SHOTS") or tmp_path) / "weekly-review"
    shots.mkdir(parents=True, exist_ok=True)
    with Playground(f"http://127.0.0.1:{lambeth_bot.port}/api/messages") as playground:
        config = httpx.get(f"{playground.url}/_internal/v1/config", timeout=10).json()["config"]
        make_the_user(engine, w["pal"], config["currentUser"])
        jobs = ticker(engine, framework, (WEEKLY_REVIEWS,))
        jobs.run_job(WEEKLY_REVIEWS, now=at(2026, 12, 3, 10))  # the review starts
        jobs.run_job(WEEKLY_REVIEWS, now=MONDAY)  # this week's prompt
        # Thursday 3 December, the summary day: November's monthly audit report.
        summary_day = datetime(2026, 12, 3, 9, 1, tzinfo=UTC)
        ticker(engine, framework, (FRAMEWORK_REPORTS,)).run_job(FRAMEWORK_REPORTS, now=summary_day)

        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                walk = Walk(page, shots)
                page.goto(playground.url, wait_until="domcontentloaded")
                page.locator(COMPOSE).wait_for(timeout=STEP_TIMEOUT_MS)
                walk.say("help", "Type one of these words")  # the bot learns the chat

                deliver(app)
                prompt = f"Weekly review of case {LAMBETH_CASE}"
                walk.check("review-prompt", "Record the outcome")
                walk.check("framework-report", "Monthly audit report: November 2026")
                # A month with nothing graded says so (it said "n/a of 0").
                report = walk.cards().filter(has_text="Monthly audit report").last
                assert "no audits graded" in report.inner_text()
                walk.press("Record the outcome", "Outcome (no names", within=prompt)
                form = walk.cards().filter(has_text="Outcome (no names").last
                form.get_by_role("radio", name="Requires Improvement").check()
                form.get_by_role("textbox").last.fill("Plan reviewed, visits on track")
                walk.press(
                    "Record", f"Recorded for case {LAMBETH_CASE}", within="Outcome (no names"
                )
                walk.check("review-prompt-recorded", "Recorded: Requires Improvement")
                recorded = walk.cards().filter(has_text="Recorded: Requires Improvement").last
                assert recorded.get_by_role("button", name="Record the outcome").count() == 0
            finally:
                browser.close()
