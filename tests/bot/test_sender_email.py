"""Email when chat cannot deliver: the outbox sender falls back to SMTP, once.

The month's allocation is queued by the real job; Sam cannot be reached in chat (on
Slack: no Slack account with his email; on Teams: he blocked the app, 403). The app's
own sender (built by `build_app`, so the wiring is what `serve` runs) drains the
outbox once: Sam's allocation arrives by email at a local SMTP server that requires
STARTTLS and a login, with his case reference and a link to the chat; draining again
sends nothing more. Without SMTP settings the message is recorded failed, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from bot.deps import Deps
from bot.sender import EMAIL_UNCERTAIN
from bot.settings import Settings
from qa.framework import load_framework
from storage.db import session_scope
from storage.models import OutboxMessage, Person
from storage.outbox import FAILED, SENT, reached_by_email
from tests.chat import (
    SMALL,
    all_text,
    app_client,
    dm,
    message,
    post_activity,
    post_event,
    settle,
    slack_settings,
    teams_settings,
)
from tests.fakes.connector import FakeConnector, blocked_by_user
from tests.fakes.mail_server import MailServer
from tests.fakes.slack_api import FakeSlack, Fault
from tests.handlers.allocation_world import NOW, World, allocated_world, teams_chat

FRAMEWORK = load_framework(str(SMALL))
SAM = "sam@testshire.gov.uk"


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[MailServer]:
    with MailServer(tmp_path) as server:
        yield server


def allocate(engine: Engine, chat: dict[str, dict[str, Any]]) -> World:
    return allocated_world(engine, FRAMEWORK, chat=chat)


def drain(settings: Settings, engine: Engine) -> Any:
    """One outbox cycle of the sender `serve` would run."""
    with app_client(settings, engine, NOW, framework=FRAMEWORK) as client:
        sender = client.app.state.sender  # type: ignore[attr-defined]
        return asyncio.run(sender.drain(until_empty=False, timeout=15))


def prompt_of(engine: Engine, person_id: int) -> OutboxMessage:
    with Session(engine) as s:
        row = s.exec(
            select(OutboxMessage)
            .where(OutboxMessage.person_id == person_id)
            .where(OutboxMessage.template == "allocation_prompt")
        ).one()
        return row


def assert_sams_allocation(mail: MailServer, link: str) -> None:
    [email] = mail.to(SAM)
    body = email.get_content()
    assert email["From"] == "qa-bot@testshire.gov.uk"
    assert "CASE-1" in body and "due by" in body
    assert link in body
    assert email["Subject"].startswith("Your ")
    assert email["Message-ID"].startswith("<qa-bot.")
    assert mail.messages[0].user == MailServer.username  # it logged in (after STARTTLS)


def test_slack_a_person_slack_does_not_know_gets_their_allocation_by_email_once(
    db_url: str, engine: Engine, mail: MailServer
) -> None:
    chat = {"lee": {"slack_user_id": "U0LEE"}, "sam": {}, "pat": {"slack_user_id": "U0PAT"}}
    world = allocate(engine, chat)
    with FakeSlack() as slack:  # it knows no one with Sam's email
        settings = slack_settings(db_url, slack.url, **mail.settings())

        report = drain(settings, engine)

        assert report.failed == 0 and report.remaining == 0, report
        assert slack.calls_to("users.lookupByEmail")  # chat was tried first
        assert_sams_allocation(mail, "https://slack.com/app_redirect?app=A0APP&team=T0TEAM")
        row = prompt_of(engine, world.sam)
        assert (row.status, row.platform) == (SENT, "email")
        assert row.fallback_reason and "Slack has no user" in row.fallback_reason
        with Session(engine) as s:
            assert reached_by_email(session=s) == [(world.sam, row.fallback_reason)]

        again = drain(settings, engine)  # the next cycle, and a restart, send nothing more

        assert again.delivered == 0
        assert len(mail.to(SAM)) == 1
        assert "U0PAT" in {p.channel for p in slack.posts()}  # Pat still got his in Slack


def test_teams_a_person_who_blocked_the_app_gets_their_allocation_by_email_once(
    db_url: str, engine: Engine, mail: MailServer
) -> None:
    with FakeConnector() as connector:
        world = allocate(engine, teams_chat(connector.url))
        connector.fail_conversation("a:chat-sam", blocked_by_user())
        link = "https://teams.microsoft.com/l/app/qa-bot"
        settings = teams_settings(db_url, QA_BOT_EMAIL_CHAT_LINK=link, **mail.settings())

        report = drain(settings, engine)

        assert report.failed == 0 and report.remaining == 0, report
        assert [c.conversation_id for c in connector.calls_to("send")].count("a:chat-sam") == 1
        assert_sams_allocation(mail, link)
        row = prompt_of(engine, world.sam)
        assert (row.status, row.platform) == (SENT, "email")
        assert "403" in (row.fallback_reason or "")

        drain(settings, engine)

        assert len(mail.to(SAM)) == 1


def test_without_smtp_settings_nothing_changes_the_message_is_recorded_failed(
    db_url: str, engine: Engine, mail: MailServer
) -> None:
    world = allocate(engine, {"lee": {"slack_user_id": "U0LEE"}, "sam": {}, "pat": {}})
    with FakeSlack() as slack:
        report = drain(slack_settings(db_url, slack.url), engine)

    assert report.failed >= 1
    row = prompt_of(engine, world.sam)
    assert row.status == FAILED and "Slack has no user" in (row.last_error or "")
    assert row.email_started_at is None
    assert mail.messages == []


def test_a_person_with_no_chat_account_at_all_is_emailed(
    db_url: str, engine: Engine, mail: MailServer
) -> None:
    """Teams only, and Sam has neither a Teams id nor a stored chat (no Graph)."""
    with FakeConnector() as connector:
        reference = {"serviceUrl": connector.url, "conversation": {"id": "a:chat-lee"}}
        world = allocate(engine, {"lee": {"teams_conversation": reference}, "sam": {}, "pat": {}})

        report = drain(teams_settings(db_url, **mail.settings()), engine)

    assert report.remaining == 0
    assert len(mail.to(SAM)) == 1
    assert prompt_of(engine, world.sam).fallback_reason.startswith("no chat account")  # type: ignore[union-attr]


def test_a_mail_server_busy_for_a_moment_is_tried_again_and_sends_once(
    db_url: str, engine: Engine, mail: MailServer
) -> None:
    chat = {"lee": {"slack_user_id": "U0LEE"}, "sam": {}, "pat": {"slack_user_id": "U0PAT"}}
    world = allocate(engine, chat)
    mail.fail_next("DATA", "451 4.3.0 try again later")
    with FakeSlack() as slack:
        settings = slack_settings(db_url, slack.url, **mail.settings())
        first = drain(settings, engine)
        row = prompt_of(engine, world.sam)
        assert first.retried >= 1 and row.email_started_at is None  # it certainly did not go
        with session_scope(engine) as s:  # its retry comes due
            s.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row.id)
                .values(next_attempt_at=NOW)
            )
        drain(settings, engine)

    assert len(mail.to(SAM)) == 1
    assert prompt_of(engine, world.sam).status == SENT


def test_an_email_handed_over_before_a_crash_is_never_sent_again(
    db_url: str, engine: Engine, mail: MailServer, now: datetime
) -> None:
    """The process died while the mail server had the message: it may have arrived."""
    world = allocate(engine, {"lee": {"slack_user_id": "U0LEE"}, "sam": {}, "pat": {}})
    with session_scope(engine) as s:
        s.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.person_id) == world.sam)
            .values(email_started_at=NOW, fallback_reason="Slack has no user")
        )
    with FakeSlack() as slack:
        drain(slack_settings(db_url, slack.url, **mail.settings()), engine)

    assert mail.to(SAM) == []
    row = prompt_of(engine, world.sam)
    assert row.status == FAILED and row.last_error == EMAIL_UNCERTAIN


def test_a_person_without_an_email_address_is_recorded_failed(
    db_url: str, engine: Engine, mail: MailServer
) -> None:
    world = allocate(engine, {"lee": {"slack_user_id": "U0LEE"}, "sam": {}, "pat": {}})
    with session_scope(engine) as s:
        s.execute(update(Person).where(col(Person.id) == world.sam).values(email=""))
    with FakeSlack() as slack:
        drain(slack_settings(db_url, slack.url, **mail.settings()), engine)

    assert mail.to(SAM) == []
    assert prompt_of(engine, world.sam).status == FAILED


# -- the QA lead's status says who is reached by email, and why -------------------------


def test_slack_the_qa_leads_status_lists_who_is_reached_by_email_and_why(
    db_url: str, engine: Engine, mail: MailServer
) -> None:
    chat = {"lee": {"slack_user_id": "U0LEE"}, "sam": {}, "pat": {"slack_user_id": "U0PAT"}}
    allocate(engine, chat)
    with FakeSlack() as slack:
        settings = slack_settings(db_url, slack.url, **mail.settings())
        with app_client(settings, engine, NOW, framework=FRAMEWORK) as client:
            sender = client.app.state.sender  # type: ignore[attr-defined]
            asyncio.run(sender.drain(until_empty=False, timeout=15))
            assert len(mail.to(SAM)) == 1
            before = len(slack.calls_to("chat.postMessage"))

            response = post_event(client, dm("U0LEE", "status"), event_id="EvStatus1")
            settle(client)
            asyncio.run(sender.drain(until_empty=False, timeout=15))  # if it went by outbox

        assert response.status_code == 200
        replies = [all_text(c.params) for c in slack.calls_to("chat.postMessage")[before:]]
        status = next(t for t in replies if "Status for" in t)
        assert "Reached by email" in status and "Sam Jones" in status
        assert "Slack has no user" in status
        assert "Pat Smith" not in status.split("Reached by email")[1]


def test_teams_the_qa_leads_status_lists_who_is_reached_by_email_and_why(
    db_url: str, engine: Engine, mail: MailServer
) -> None:
    with FakeConnector() as connector:
        allocate(engine, teams_chat(connector.url))
        connector.fail_conversation("a:chat-sam", blocked_by_user())
        settings = teams_settings(db_url, **mail.settings())
        with app_client(settings, engine, NOW, framework=FRAMEWORK) as client:
            sender = client.app.state.sender  # type: ignore[attr-defined]
            asyncio.run(sender.drain(until_empty=False, timeout=15))
            assert len(mail.to(SAM)) == 1
            before = len(connector.messages())

            status_please = message(
                "status",
                service_url=connector.url,
                aad_object_id="aad-lee",
                conversation_id="a:chat-lee",
            )
            answer = post_activity(client, status_please)
            asyncio.run(sender.drain(until_empty=False, timeout=15))  # if it went by outbox

        assert answer.status_code in (200, 201, 202)
        texts = [c.all_text for c in connector.messages()[before:]]
        status = next(t for t in texts if "Reached by email" in t)
        assert "Sam Jones" in status and "403" in status


# -- Teams: unreachable only after the install attempt -----------------------------------


def _graph_messenger(engine: Engine, now: datetime, chat: str) -> tuple[Any, Any, Any, Person]:
    """Sam, whose stored chat `chat` is on the fake connector, with Graph configured."""
    from tests.bot.test_teams_graph import USER, FakeGraph, messenger

    graph = FakeGraph(client_secret="s3cret")
    connector = FakeConnector()
    graph.add_user(USER, SAM)
    with session_scope(engine) as s:
        person = Person(
            email=SAM,
            name="Sam",
            teams_user_id=USER,
            teams_conversation={"serviceUrl": connector.url, "conversation": {"id": chat}},
            created_at=now,
            updated_at=now,
        )
        s.add(person)
        s.flush()
        s.expunge(person)
    return graph, connector, messenger(engine, graph, connector), person


def _send(m: Any, person: Person, now: datetime) -> dict[str, Any]:
    from bot.messenger import Recipient

    message = OutboxMessage(
        id=7, idempotency_key="k7", template="notice", next_attempt_at=now, created_at=now
    )
    rendered = {"text": "Hi", "card": {"type": "AdaptiveCard", "version": "1.5", "body": []}}
    result: dict[str, Any] = asyncio.run(m.send(message, Recipient(person=person), rendered))
    return result


def test_teams_a_stored_chat_that_refuses_is_found_again_by_installing_the_app(
    engine: Engine, now: datetime
) -> None:
    graph, connector, m, person = _graph_messenger(engine, now, "a:old-chat")
    with graph, connector:
        connector.fail_conversation("a:old-chat", blocked_by_user())

        ref = _send(m, person, now)

        assert ref["conversation_id"] == graph.chat_id(person.teams_user_id or "")
        assert graph.calls_to("install")
    with Session(engine) as s:
        stored = s.get(Person, person.id)
        assert stored is not None and stored.teams_conversation is not None
        assert stored.teams_conversation["conversation"]["id"] == ref["conversation_id"]


def test_teams_a_person_still_refusing_after_the_install_attempt_is_unreachable(
    engine: Engine, now: datetime
) -> None:
    from bot.messenger import PermanentFailure

    graph, connector, m, person = _graph_messenger(engine, now, "a:old-chat")
    with graph, connector:
        connector.fail_conversation("a:old-chat", blocked_by_user())
        connector.fail_conversation(graph.chat_id(person.teams_user_id or ""), blocked_by_user())

        with pytest.raises(PermanentFailure) as failure:
            _send(m, person, now)
        assert failure.value.unreachable and "403" in failure.value.reason
        with pytest.raises(PermanentFailure):  # the next message does not reinstall again
            _send(m, person, now)
        assert len(graph.calls_to("install")) == 1


def test_teams_graph_refusing_us_is_a_configuration_problem_not_an_unreachable_person(
    engine: Engine, now: datetime
) -> None:
    from bot.messenger import PermanentFailure
    from tests.fakes.graph import GraphFault

    graph, connector, m, person = _graph_messenger(engine, now, "a:old-chat")
    with graph, connector:
        connector.fail_conversation("a:old-chat", blocked_by_user())
        graph.fail_next("install", GraphFault(status=403, retry_after=None, code="Forbidden"))

        with pytest.raises(PermanentFailure) as failure:
            _send(m, person, now)
        assert not failure.value.unreachable


def test_slack_a_governance_channel_slack_cannot_find_is_never_emailed(
    engine: Engine, now: datetime, mail: MailServer
) -> None:
    """Only people are emailed: a channel's failure is recorded for a person to fix."""
    from bot.sender import OutboxSender
    from bot.slack.messenger import SlackMessenger
    from storage.outbox import Message, enqueue

    board = FRAMEWORK.governance[0].key
    with session_scope(engine) as s:
        enqueue(session=s, message=Message("notice", "board-1", {"text": "hi"}, channel=board),
                now=now)  # fmt: skip
    with FakeSlack() as slack:
        slack.fail_next("chat.postMessage", Fault(error="channel_not_found"))
        settings = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-t", SLACK_API_URL=slack.url,  # type: ignore[call-arg]
                            **mail.settings())  # fmt: skip
        deps = Deps(settings=settings, framework=FRAMEWORK, engine=engine, clock=lambda: now)
        sender = OutboxSender(deps, [SlackMessenger.from_settings(settings, engine=engine)])
        report = asyncio.run(sender.drain(until_empty=False, timeout=10))

    assert report.failed == 1 and mail.messages == []


# -- the settings -----------------------------------------------------------------------


def test_email_is_off_without_an_smtp_host_as_in_the_demo() -> None:
    from bot.email.mailer import SmtpMailer

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert not settings.email_enabled and SmtpMailer.from_settings(settings) is None


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"QA_BOT_SMTP_HOST": "mail.council.gov.uk"}, "QA_BOT_SMTP_FROM"),
        (
            {"QA_BOT_SMTP_HOST": "mail.council.gov.uk", "QA_BOT_SMTP_FROM": "qa@c.gov.uk",
             "QA_BOT_SMTP_USERNAME": "qa"},
            "QA_BOT_SMTP_PASSWORD",
        ),
        (
            {"QA_BOT_SMTP_HOST": "mail.council.gov.uk", "QA_BOT_SMTP_FROM": "qa@c.gov.uk",
             "QA_BOT_SMTP_USERNAME": "qa", "QA_BOT_SMTP_PASSWORD": "pw",
             "QA_BOT_SMTP_STARTTLS": False},
            "in clear",
        ),
    ],
)  # fmt: skip
def test_incomplete_or_unsafe_email_settings_are_refused_with_what_to_fix(
    values: dict[str, Any], says: str
) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, **values)  # type: ignore[call-arg]
    assert says in str(refused.value)
    assert "pw" not in str(refused.value).replace("QA_BOT_SMTP_PASSWORD", "")


def test_the_outbox_emailed_command_lists_who_is_reached_by_email(
    db_url: str, engine: Engine, mail: MailServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from bot.commands.outbox import app

    chat = {"lee": {"slack_user_id": "U0LEE"}, "sam": {}, "pat": {"slack_user_id": "U0PAT"}}
    allocate(engine, chat)
    monkeypatch.chdir(tmp_path)  # no stray .env
    env = {"QA_BOT_DATABASE_URL": db_url, "QA_BOT_FRAMEWORK": str(SMALL)}
    nobody = CliRunner().invoke(app, ["emailed"], env=env)
    assert nobody.exit_code == 0 and "Nobody" in nobody.output
    with FakeSlack() as slack:
        drain(slack_settings(db_url, slack.url, **mail.settings()), engine)

    listed = CliRunner().invoke(app, ["emailed", "--json"], env=env)

    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.output)
    assert row["recipient"] == SAM and "Slack has no user" in row["reason"]


@pytest.mark.parametrize("code", ["account_inactive", "channel_not_found", "user_not_found"])
def test_slack_a_dm_slack_refuses_for_the_person_goes_by_email(
    db_url: str, engine: Engine, mail: MailServer, code: str
) -> None:
    """Sam has a Slack id, but Slack says the DM cannot reach him."""
    chat = {"lee": {"slack_user_id": "U0LEE"}, "sam": {"slack_user_id": "U0SAM"}, "pat": {}}
    world = allocate(engine, chat)
    with FakeSlack() as slack:

        def refuse_sam(method: str, params: dict[str, Any]) -> Any:
            if method == "chat.postMessage" and params.get("channel") == "U0SAM":
                return 200, {"ok": False, "error": code}, {}
            return None

        slack.state.interceptor = refuse_sam
        drain(slack_settings(db_url, slack.url, **mail.settings()), engine)

    assert len(mail.to(SAM)) == 1
    assert prompt_of(engine, world.sam).platform == "email"


def test_slack_a_template_problem_is_not_a_reason_to_email(
    db_url: str, engine: Engine, mail: MailServer
) -> None:
    """Slack refusing the message itself (a template fault) is ours to fix, not the person's."""
    chat = {"lee": {"slack_user_id": "U0LEE"}, "sam": {"slack_user_id": "U0SAM"}, "pat": {}}
    world = allocate(engine, chat)
    with FakeSlack() as slack:

        def refuse_blocks(method: str, params: dict[str, Any]) -> Any:
            if method == "chat.postMessage" and params.get("channel") == "U0SAM":
                return 200, {"ok": False, "error": "invalid_blocks"}, {}
            return None

        slack.state.interceptor = refuse_blocks
        drain(slack_settings(db_url, slack.url, **mail.settings()), engine)

    assert mail.to(SAM) == []
    assert prompt_of(engine, world.sam).status == FAILED
