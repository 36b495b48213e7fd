"""Button clicks: every `action_id` becomes `Interaction(kind="action")`.

The button's `value` is the routing key (a signed reference to the record; the
state itself lives in the database). Command buttons ("my", "help") behave like
the command. The answer goes where the click happened: into the DM, privately in a
channel, or, from the Home tab, as a DM; a modal reply replaces the clicked one,
or opens if the click came from a message.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.slack.listeners.views import flatten_state
from bot.slack.runtime import SlackRuntime, message_args


def _value(action: dict[str, Any]) -> str | None:
    if isinstance(action.get("value"), str):
        return str(action["value"])
    option = action.get("selected_option")
    if isinstance(option, dict) and isinstance(option.get("value"), str):
        return str(option["value"])
    return None


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
        interaction = runtime.interaction(
            client,
            user_id=user_id,
            kind="action",
            name=str(action.get("action_id") or ""),
            routing_key=value,
            values=values,
        )
        replies = runtime.safe_handle(interaction) or []
        channel = str((body.get("channel") or {}).get("id") or "")
        with runtime.delivering("action reply"):
            for reply in replies:
                rendered = runtime.render(reply)
                if rendered.get("type") == "modal":
                    if view.get("type") == "modal" and reply.context.get("modal") == "push":
                        client.views_push(trigger_id=body.get("trigger_id"), view=rendered)
                    elif view.get("type") == "modal":
                        client.views_update(view_id=view.get("id"), view=rendered)
                    elif body.get("trigger_id"):
                        client.views_open(trigger_id=body["trigger_id"], view=rendered)
                elif channel.startswith("D"):
                    client.chat_postMessage(channel=channel, **message_args(rendered))
                elif body.get("response_url"):
                    respond(
                        response_type="ephemeral", replace_original=False, **message_args(rendered)
                    )
                else:
                    client.chat_postMessage(channel=user_id, **message_args(rendered))
