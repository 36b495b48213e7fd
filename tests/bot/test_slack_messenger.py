"""SlackMessenger: Slack's answers become sent / RetryLater / PermanentFailure."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.messenger import PermanentFailure, Recipient, RetryLater
from bot.settings import Settings
from bot.slack.messenger import SlackMessenger
from storage.models import OutboxMessage, Person
from tests.fakes.slack_api import FakeSlack, Fault

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MESSAGE = OutboxMessage(idempotency_key="k", template="notice", next_attempt_at=NOW, created_at=NOW)
RENDERED = {"text": "You have a new audit", "blocks": [{"type": "section"}]}


def person(slack_user_id: str | None = "U1", email: str = "sam@council.gov.uk") -> Person:
    return Person(
        id=7,
        email=email,
        name="Sam",
        slack_user_id=slack_user_id,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


def messenger_for(url: str) -> SlackMessenger:
    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=url)  # type: ignore[call-arg]
    # No SDK-level retries: the outbox sender owns retrying.
    return SlackMessenger(WebClient(token="xoxb-test", base_url=url, retry_handlers=[]), settings)


def send(m: SlackMessenger, recipient: Recipient, rendered: dict[str, Any] = RENDERED) -> Any:
    return asyncio.run(m.send(MESSAGE, recipient, rendered))


def test_a_direct_message_goes_to_the_persons_slack_id_with_text_and_blocks(
    fake: FakeSlack,
) -> None:
    ref = send(messenger_for(fake.url), Recipient(person=person()))

    (call,) = fake.calls_to("chat.postMessage")
    assert call.params["channel"] == "U1"
    assert call.params["text"] == "You have a new audit"
    assert call.params["blocks"] == [{"type": "section"}]
    assert ref["channel"] == "U1" and ref["ts"]


def test_a_429_asks_to_retry_after_slacks_retry_after(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", Fault(status=429, retry_after=7))

    with pytest.raises(RetryLater) as caught:
        send(messenger_for(fake.url), Recipient(person=person()))

    assert caught.value.after == 7


def test_a_server_error_asks_to_retry_with_backoff(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", Fault(status=503, retry_after=None))

    with pytest.raises(RetryLater) as caught:
        send(messenger_for(fake.url), Recipient(person=person()))

    assert caught.value.after is None and "503" in caught.value.reason


def test_an_unreachable_slack_asks_to_retry() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/api/"

    with pytest.raises(RetryLater, match="network error"):
        send(messenger_for(url), Recipient(person=person()))


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("channel_not_found", "check the channel's addresses: {slack: ...} in the framework file"),
        ("account_inactive", "deactivated"),
        ("not_in_channel", "invite it"),
        ("invalid_blocks", "template problem"),
    ],
)
def test_codes_a_person_must_fix_are_permanent(fake: FakeSlack, code: str, words: str) -> None:
    fake.fail_next("chat.postMessage", Fault(error=code))

    with pytest.raises(PermanentFailure, match=words):
        send(messenger_for(fake.url), Recipient(channel_key="board", channel_id="C1"))


def test_an_unknown_email_is_permanent_and_not_tried_again(fake: FakeSlack) -> None:
    m = messenger_for(fake.url)
    nobody = Recipient(person=person(slack_user_id=None, email="nobody@council.gov.uk"))
    assert m.can_reach(nobody)

    with pytest.raises(PermanentFailure, match="Slack has no user with their email address"):
        send(m, nobody)

    assert not m.can_reach(nobody)
    assert fake.calls_to("chat.postMessage") == []


def test_a_person_found_by_email_is_looked_up_once(fake: FakeSlack) -> None:
    fake.add_user("U9", "sam@council.gov.uk")
    m = messenger_for(fake.url)
    sam = Recipient(person=person(slack_user_id=None))

    send(m, sam)
    send(m, sam)

    assert len(fake.calls_to("users.lookupByEmail")) == 1
    assert [c.params["channel"] for c in fake.calls_to("chat.postMessage")] == ["U9", "U9"]


def test_a_rate_limited_lookup_holds_every_lookup_until_retry_after(fake: FakeSlack) -> None:
    fake.fail_next("users.lookupByEmail", Fault(status=429, retry_after=30))
    m = messenger_for(fake.url)

    for email in ("a@council.gov.uk", "b@council.gov.uk"):
        with pytest.raises(RetryLater) as caught:
            send(m, Recipient(person=person(slack_user_id=None, email=email)))
        assert caught.value.after is not None and 29 < caught.value.after <= 30

    assert len(fake.calls_to("users.lookupByEmail")) == 1  # the second never left
    assert fake.violations == 0


def test_a_revoked_token_pauses_everything_for_a_minute(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", Fault(error="token_revoked"))
    m = messenger_for(fake.url)

    with pytest.raises(RetryLater) as first:
        send(m, Recipient(person=person()))
    with pytest.raises(RetryLater):
        send(m, Recipient(channel_key="board", channel_id="C1"))

    assert first.value.after == 60
    assert len(fake.calls_to("chat.postMessage")) == 1


def test_an_edit_updates_the_original_and_a_gone_original_is_permanent(fake: FakeSlack) -> None:
    m = messenger_for(fake.url)
    ref = asyncio.run(m.update({"channel": "D1", "ts": "1700000000.000001"}, RENDERED))
    assert ref["edited"] is True
    (call,) = fake.calls_to("chat.update")
    assert (call.params["channel"], call.params["ts"]) == ("D1", "1700000000.000001")

    fake.fail_next("chat.update", Fault(error="message_not_found"))
    with pytest.raises(PermanentFailure, match="cannot be edited"):
        asyncio.run(m.update({"channel": "D1", "ts": "1"}, RENDERED))


def test_a_message_with_malformed_files_fails_visibly_before_posting(fake: FakeSlack) -> None:
    with pytest.raises(PermanentFailure, match="files"):
        send(messenger_for(fake.url), Recipient(person=person()), {**RENDERED, "files": [{}]})
    assert fake.calls_to("chat.postMessage") == []


def test_reach_and_pace_keys(fake: FakeSlack) -> None:
    m = messenger_for(fake.url)
    assert m.can_reach(Recipient(person=person()))
    assert m.can_reach(Recipient(channel_key="board", channel_id="C1"))
    assert not m.can_reach(Recipient(channel_key="board", channel_id=None))
    # a person's pace key does not change once their Slack id is known
    assert m.pace_key(Recipient(person=person(None))) == m.pace_key(Recipient(person=person()))
    assert m.pace_key(Recipient(channel_key="board", channel_id="C1")) == "channel:C1"
