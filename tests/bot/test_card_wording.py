"""Card wording and layout from issue 17, item 9, on both platforms.

Each test names the complaint it guards: Start wiping out the allocation prompt on
Teams, "Nothing is sent until you press Start" on a step that is not the last, the
check page's "When, and how? When?", command-line flags broken mid-flag in the help
card, and the owner picker showing one of a person's roles.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

import handlers.audit  # noqa: F401 - registers the dialog's buttons and forms
from bot.app import build_app
from bot.composition import router
from bot.deps import Deps
from bot.render import Renderer
from bot.routing_keys import keys_for
from handlers.allocation_messages import queue_new_prompt
from handlers.dialog_session import pick_people
from handlers.turn import Hooks
from qa.dialog import DialogState
from qa.framework import load_framework
from storage.models import Allocation, Case, Person
from tests.bot.card_schema import card_problems
from tests.bot.samples.audit import _contexts, _largest
from tests.bot.test_render import SAMPLE_CONTEXTS
from tests.bot.test_teams_adapter import make_settings
from tests.fakes import connector as teams
from tests.fakes.connector import FakeConnector
from tests.handlers.audit_world import AAD_AUDITOR, World, seed_world

CAMDEN = load_framework("camden")


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(CAMDEN)


def _text(out: dict[str, Any]) -> str:
    return json.dumps(out, ensure_ascii=False)


# -- the footnote under a step ----------------------------------------------------


@pytest.mark.parametrize("platform", ["slack", "teams"])
def test_the_first_step_does_not_say_nothing_is_sent_until_start(
    renderer: Renderer, platform: str
) -> None:
    steps = _contexts(_largest("camden"))
    first, last = steps[0], steps[-1]
    assert first["submit_label"] == "Start" and not first["has_inputs"]
    opening = _text(renderer.render("audit_step", first, platform))  # type: ignore[arg-type]
    assert "Nothing is sent until you press Start" not in opening
    assert "Start takes you to the first question" in opening
    review = _text(renderer.render("audit_step", last, platform))  # type: ignore[arg-type]
    assert "Nothing is sent until you press Submit" in review


# -- the check page ---------------------------------------------------------------


@pytest.mark.parametrize("platform", ["slack", "teams"])
def test_the_check_page_does_not_repeat_when_and_how(renderer: Renderer, platform: str) -> None:
    review = _contexts(_largest("camden"))[-1]
    assert review["is_review"]
    out = _text(renderer.render("audit_step", review, platform))  # type: ignore[arg-type]
    assert "When, and how?" in out  # the prompt itself is on the page
    assert "When, and how? When?" not in out and "When, and how? How?" not in out


# -- help -------------------------------------------------------------------------


def test_help_card_puts_each_command_whole_on_its_own_monospace_line(renderer: Renderer) -> None:
    card = renderer.render("help", SAMPLE_CONTEXTS["help"], "teams")["card"]
    commands = [b for b in card["body"] if b.get("fontType") == "monospace"]
    texts = [b["text"] for b in commands]
    assert "qa-bot allocate --month YYYY-MM" in texts
    assert "qa-bot summary --month YYYY-MM --post" in texts
    # Not in a FactSet title, where the narrow column broke "--month" mid-flag.
    for block in card["body"]:
        for fact in block.get("facts", []):
            assert "--" not in fact["title"], fact
    assert card_problems(card) == []


# -- the owner picker -------------------------------------------------------------


def test_the_owner_picker_shows_every_role_of_a_person(engine: Engine, now: datetime) -> None:
    world = seed_world(engine, now, "camden")
    with Session(engine) as session:
        auditor = session.get(Person, world.auditor_id)
        case = session.get(Case, world.case_id)
        assert auditor is not None and case is not None
        auditor.roles = ["team_manager", "head_of_service"]
        session.add(auditor)
        session.commit()
        labels = {r.key: r.label for r in CAMDEN.roles}
        expected = ", ".join(labels[k] for k in labels if k in auditor.roles)
        people = pick_people(
            session=session,
            framework=CAMDEN,
            case=case,
            always=[auditor.id],
            state=DialogState(dialog="audit", step="context"),
        )
    assert people[world.auditor_id] == f"{auditor.name} ({expected})"


# -- Start on Teams keeps the prompt ----------------------------------------------


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    with FakeConnector() as fake:
        yield fake


@pytest.fixture
def teams_world(
    db_url: str, engine: Engine, now: datetime, connector: FakeConnector, monkeypatch: Any
) -> Iterator[tuple[TestClient, World, Any]]:
    world = seed_world(engine, now, "camden")
    with Session(engine) as session:
        allocation = session.get(Allocation, world.allocation_id)
        assert allocation is not None
        assert queue_new_prompt(session, world.framework, allocation, now) == 1
        session.commit()
    settings = make_settings(db_url, QA_BOT_FRAMEWORK="camden")
    # Other features' hooks (moderation, escalation) are theirs to test.
    deps = Deps(settings, world.framework, engine, clock=lambda: now, router=router(hooks=Hooks()))
    with TestClient(build_app(deps, background=False)) as client:
        yield client, world, keys_for(settings)


def test_start_on_teams_keeps_the_prompt_and_sends_the_step_as_a_new_card(
    teams_world: tuple[TestClient, World, Any], connector: FakeConnector
) -> None:
    client, world, keys = teams_world
    key = keys.sign(f"allocation:{world.allocation_id}")
    data = {"action": "audit.start", "routing_key": key, "kind": "action", "card": "prompt"}
    activity = teams.execute(
        data, verb="audit.start", service_url=connector.url, aad_object_id=AAD_AUDITOR
    )
    answer = client.post("/api/messages", json=activity)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    in_place = json.dumps(body["value"])
    # The pressed card is the prompt again, now offering to carry on with this case.
    assert world.reference in in_place and "Carry on" in in_place
    assert "About this case" not in in_place
    assert card_problems(body["value"]) == []
    # The first step arrives as a card of its own.
    [step] = [m for m in connector.messages() if "About this case" in m.all_text]
    assert world.reference in step.all_text
    assert card_problems(step.cards[0]) == []


def test_the_prompt_marks_its_start_buttons_so_teams_keeps_that_card(renderer: Renderer) -> None:
    from tests.bot.samples.allocation import SAMPLES

    card = renderer.render("allocation_prompt", SAMPLES["allocation_prompt"], "teams")["card"]
    starts = [
        a["data"]
        for a in _actions(card)
        if a.get("type") == "Action.Execute" and a["data"]["action"] == "audit.start"
    ]
    assert starts and all(d["card"] == "prompt" for d in starts)


def _actions(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action."):
            yield node
        for value in node.values():
            yield from _actions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _actions(value)
