"""Hypothesis strategies for what a hostile or broken client might send.

Each payload is built around the shape Slack or Teams really sends, with any field
made wrong: missing, the wrong type, junk text, a forged routing key, an action or
form id the bot knows pressed by someone with no right to it. Random JSON and random
bytes are mixed in too. URLs the bot would call back (`response_url`, `serviceUrl`)
are only ever the local fakes or junk that is not a URL, so no example reaches the
network.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from bot.composition import router

KNOWN_SLACK_USER = "U1LEAD"
KNOWN_AAD = "11111111-2222-3333-4444-555555555555"
SCALARS = st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=30)
JUNK: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# What a person could type: commands, mentions, markup, and anything else.
TEXTS = st.one_of(
    st.sampled_from(["help", "my", "status", "hi", "<!channel> help", "@here my", "*my*", ""]),
    st.text(max_size=80),
)


def action_ids() -> list[str]:
    """Every button the bot knows, plus command words: all of them worth pressing."""
    routes = router()
    return sorted({*routes.actions, *routes.commands})


def submission_ids() -> list[str]:
    """Every form the bot knows: submitted by someone with no right to, or malformed."""
    return sorted(router().submissions) or ["no.such.form"]


ACTION_IDS = st.deferred(lambda: st.sampled_from(action_ids()))
SUBMISSION_IDS = st.deferred(lambda: st.sampled_from(submission_ids()))
ROUTING_KEYS = st.one_of(
    st.sampled_from(["allocation:1", "audit:1", "allocation:1.forged", "moderation:1:deadbeef"]),
    st.text(max_size=60),
)


MUTATIONS = st.sampled_from([0, 0, 0, 1, 1, 2])


@st.composite
def shaped(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """A dict with every field plausible, then a few of them broken.

    Usually none or one: most examples get past the shape checks and reach the
    handlers (where tampered ids and forged keys matter); some do not, and those
    must be refused cleanly. A broken field is dropped, replaced by junk of any type,
    or joined by a key nobody expects.
    """
    out = {key: draw(value) for key, value in fields.items()}
    for _ in range(draw(MUTATIONS)):
        how = draw(st.sampled_from(["drop", "junk", "extra"]))
        if how == "extra" or not out:
            out[draw(st.text(max_size=8))] = draw(JUNK)
            continue
        key = draw(st.sampled_from(sorted(out)))
        if how == "drop":
            del out[key]
        else:
            out[key] = draw(JUNK)
    return out


# -- Slack --------------------------------------------------------------------------

SLACK_USERS = st.sampled_from([KNOWN_SLACK_USER, "U9STRANGER", ""])


@st.composite
def slack_event(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["message", "app_mention", "app_home_opened", "reaction"]))
    fields: dict[str, st.SearchStrategy[Any]] = {
        "type": st.just(kind),
        "user": SLACK_USERS,
        "text": TEXTS,
        "channel": st.sampled_from(["DU1LEAD", "C0GENERAL"]),
        "channel_type": st.sampled_from(["im", "channel"]),
        "ts": st.just("1700000000.000100"),
    }
    if kind == "app_home_opened":
        fields["tab"] = st.sampled_from(["home", "messages"])
    if draw(st.integers(0, 4)) == 0:
        fields["subtype"] = st.sampled_from(["bot_message", "message_changed"])
    event = draw(shaped(fields))
    return draw(
        shaped(
            {
                "type": st.just("event_callback"),
                "event_id": st.text(min_size=1, max_size=12),
                "team_id": st.just("T0TEAM"),
                "api_app_id": st.just("A0APP"),
                "event": st.just(event),
                "authorizations": st.just([{"team_id": "T0TEAM", "user_id": "U0BOT"}]),
            }
        )
    )


def block_actions(response_url: str) -> st.SearchStrategy[dict[str, Any]]:
    action = shaped(
        {
            "action_id": ACTION_IDS,
            "block_id": st.text(max_size=10),
            "type": st.sampled_from(["button", "static_select"]),
            "value": ROUTING_KEYS,
        }
    )
    return shaped(
        {
            "type": st.just("block_actions"),
            "user": shaped({"id": SLACK_USERS}),
            "team": st.just({"id": "T0TEAM"}),
            "trigger_id": st.just("1.2.abc"),
            "response_url": st.just(response_url),
            "channel": st.just({"id": "DU1LEAD"}),
            "container": st.just({"type": "message", "channel_id": "DU1LEAD", "message_ts": "1.1"}),
            "actions": st.lists(action, max_size=2),
        }
    )


def view_submission() -> st.SearchStrategy[dict[str, Any]]:
    values = st.dictionaries(
        st.text(max_size=12),
        st.dictionaries(
            st.text(max_size=12),
            shaped(
                {
                    "type": st.sampled_from(["plain_text_input", "static_select", "datepicker"]),
                    "value": st.text(max_size=40),
                    "selected_option": shaped({"value": st.text(max_size=12)}),
                    "selected_date": st.sampled_from(["2026-12-25", "2026-02-30", "soon"]),
                }
            ),
            max_size=2,
        ),
        max_size=3,
    )
    view = shaped(
        {
            "id": st.just("V0VIEW"),
            "type": st.just("modal"),
            "callback_id": SUBMISSION_IDS,
            "private_metadata": ROUTING_KEYS,
            "state": shaped({"values": values}),
        }
    )
    return shaped(
        {
            "type": st.sampled_from(["view_submission", "view_closed"]),
            "user": shaped({"id": SLACK_USERS}),
            "team": st.just({"id": "T0TEAM"}),
            "view": view,
        }
    )


def slash_command(response_url: str) -> st.SearchStrategy[dict[str, Any]]:
    return shaped(
        {
            "command": st.sampled_from(["/qa", "/other"]),
            "user_id": SLACK_USERS,
            "text": TEXTS,
            "team_id": st.just("T0TEAM"),
            "channel_id": st.just("C0GENERAL"),
            "response_url": st.just(response_url),
            "trigger_id": st.just("1.2.abc"),
        }
    )


def _form(fields: dict[str, Any]) -> bytes:
    """Slack's form encoding; a junk value is sent as its JSON text."""
    plain = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
    return urlencode(plain).encode()


@st.composite
def slack_requests(draw: st.DrawFn, response_url: str) -> tuple[bytes, str]:
    """(body, content type) of a request Slack might send, or something that only looks like it."""
    kind = draw(st.sampled_from(["event", "action", "view", "command", "json", "bytes"]))
    if kind == "event":
        return json.dumps(draw(slack_event())).encode(), "application/json"
    if kind == "action":
        payload = json.dumps(draw(block_actions(response_url)))
        return urlencode({"payload": payload}).encode(), "application/x-www-form-urlencoded"
    if kind == "view":
        payload = json.dumps(draw(view_submission()))
        return urlencode({"payload": payload}).encode(), "application/x-www-form-urlencoded"
    if kind == "command":
        return _form(draw(slash_command(response_url))), "application/x-www-form-urlencoded"
    if kind == "json":
        return json.dumps(draw(JUNK)).encode(), "application/json"
    content_type = draw(st.sampled_from(["application/json", "application/x-www-form-urlencoded"]))
    return draw(st.binary(max_size=200)), content_type


# -- Teams --------------------------------------------------------------------------


@st.composite
def teams_activities(draw: st.DrawFn, service_url: str) -> Any:
    """A Bot Framework activity with any part of it wrong, or not an activity at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JUNK)
    card_data = shaped(
        {
            "action": st.one_of(ACTION_IDS, SUBMISSION_IDS),
            "routing_key": ROUTING_KEYS,
            "kind": st.sampled_from(["action", "submission"]),
            "reason": st.text(max_size=40),
        }
    )
    sender = shaped(
        {
            "id": st.sampled_from([f"29:user-{KNOWN_AAD}", "29:stranger"]),
            "aadObjectId": st.sampled_from([KNOWN_AAD, "22222222-0000-0000-0000-000000000000"]),
            "name": st.text(max_size=20),
        }
    )
    conversation = shaped(
        {
            "id": st.sampled_from(["a:personal-chat-1", "19:channel@thread.tacv2"]),
            "conversationType": st.sampled_from(["personal", "channel", "groupChat"]),
            "tenantId": st.just("tenant-1"),
        }
    )
    kind = draw(
        st.sampled_from(["message", "invoke", "conversationUpdate", "installationUpdate", "typing"])
    )
    fields: dict[str, st.SearchStrategy[Any]] = {
        "type": st.just(kind),
        "id": st.text(min_size=1, max_size=10),
        "timestamp": st.just("2026-12-01T09:00:00.000Z"),
        "serviceUrl": st.sampled_from([service_url, service_url, "http://127.0.0.1:9/teams/"]),
        "channelId": st.just("msteams"),
        "from": sender,
        "conversation": conversation,
        "recipient": st.just({"id": "28:bot", "name": "QA bot"}),
        "channelData": st.just({"tenant": {"id": "tenant-1"}}),
    }
    if kind == "message":
        fields["text"] = TEXTS
        if draw(st.booleans()):
            fields["value"] = card_data  # an Action.Submit press
    elif kind == "invoke":
        fields["name"] = st.sampled_from(["adaptiveCard/action", "adaptiveCard/action", "x/y"])
        fields["value"] = card_data.map(
            lambda d: {"action": {"type": "Action.Execute", "verb": "x", "data": d}}
        )
    elif kind == "installationUpdate":
        fields["action"] = st.sampled_from(["add", "remove"])
    elif kind == "conversationUpdate":
        fields["membersAdded"] = st.lists(shaped({"id": st.sampled_from(["28:bot", "29:x"])}))
    return draw(shaped(fields))
