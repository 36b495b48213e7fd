"""Button clicks: every `action_id` becomes `Interaction(kind="action")`.

The button's `value` is the routing key (a signed reference to the record; the
state itself lives in the database). Command buttons ("my", "help") behave like
the command. The answer goes where the click happened: into the DM, privately in a
channel, or, from the Home tab, as a DM; a modal reply replaces the clicked one,
or opens if the click came from a message.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.slack.listeners.views import flatten_state
from bot.slack.runtime import SlackRuntime, digest, message_args, modal_key


def _value(action: dict[str, Any]) -> str | None:
    if isinstance(action.get("value"), str):
        return str(action["value"])
    option = action.get("selected_option")
    if isinstance(option, dict) and isinstance(option.get("value"), str):
        return str(option["value"])
    return None


# While a modal a click opened is on screen, more clicks on the same button open no
# other: a double click or an impatient repeat opens it once, not twenty times. The
# hold ends when the modal is closed or submitted (`release_modals`), or after this
# long if Slack never says so. (The handler still runs for each click; what it
# records is idempotent.)
MODAL_HOLD = timedelta(seconds=30)


def click_key(body: dict[str, Any], action: dict[str, Any]) -> str | None:
    """One click, however often its payload arrives: Slack stamps each click with its
    own `action_ts`, so a replayed or resent payload has the same key."""
    action_ts = action.get("action_ts")
    if not isinstance(action_ts, str) or not action_ts:
        return None
    user = str((body.get("user") or {}).get("id") or "")
    return "slack:click:" + digest(user, str(action.get("action_id") or ""), action_ts)


def register(app: App, runtime: SlackRuntime) -> None:
    @app.action(re.compile(r".+"))
    def on_action(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        respond: Respond,
    ) -> None:
        ack()
        user_id = str((body.get("user") or {}).get("id") or "")
        value = _value(action)
        view = body.get("view") or {}
        values: dict[str, Any] = {}
        if view.get("type") == "modal":
            values.update(flatten_state(view.get("state") or {}))
        if value is not None:
            values["value"] = value
        action_id = str(action.get("action_id") or "")
        interaction = runtime.interaction(
            client,
            user_id=user_id,
            kind="action",
            name=action_id,
            routing_key=value,
            values=values,
            dedup_key=click_key(body, action),
        )
        replies = runtime.safe_handle(interaction) or []
        channel = str((body.get("channel") or {}).get("id") or "")
        with runtime.delivering("action reply"):
            for reply in replies:
                rendered = runtime.render(reply)
                if rendered.get("type") == "modal":
                    if view.get("type") == "modal" and reply.placement == "stack":
                        client.views_push(trigger_id=body.get("trigger_id"), view=rendered)
                    elif view.get("type") == "modal":
                        client.views_update(view_id=view.get("id"), view=rendered)
                    elif body.get("trigger_id") and runtime.turns.claim_once(
                        modal_key(user_id, action_id, value), window=MODAL_HOLD
                    ):
                        client.views_open(trigger_id=body["trigger_id"], view=rendered)
                elif channel.startswith("D"):
                    client.chat_postMessage(channel=channel, **message_args(rendered))
                elif body.get("response_url"):
                    respond(
                        response_type="ephemeral", replace_original=False, **message_args(rendered)
                    )
                else:
                    client.chat_postMessage(channel=user_id, **message_args(rendered))
