"""Modal submissions: every `callback_id` becomes `Interaction(kind="submission")`.

Submitted values are flattened to `{block_id: value}`: templates give each input the
same `block_id` and `action_id` (the field key), so a handler's `Reply.errors`
(field key -> message) maps straight onto Slack's inline errors. The modal's
`private_metadata` is the routing key. A handler replying with a modal moves the
dialog on (`response_action="update"`); other replies are sent as DMs.

A modal opened with `notify_on_close` tells us when the person closes it; that
arrives as `Interaction(kind="submission", name="<callback_id>.closed")` with what
was typed so far, so a dialog can keep it as a draft. Nothing is sent back.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.slack.runtime import MODAL_PREFIX, SlackRuntime, message_args, trigger_key


def submitted_value(element: dict[str, Any]) -> Any:
    """The plain value of one input element in `view.state.values`."""
    for key in ("value", "selected_date", "selected_time", "selected_user", "selected_channel"):
        if key in element:
            return element[key]
    if isinstance(element.get("selected_option"), dict):
        return element["selected_option"].get("value")
    if "selected_option" in element:
        return None
    if isinstance(element.get("selected_options"), list):
        return [o.get("value") for o in element["selected_options"] if isinstance(o, dict)]
    if isinstance(element.get("selected_users"), list):
        return list(element["selected_users"])
    return None


def flatten_state(state: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block_id, elements in (state.get("values") or {}).items():
        if not isinstance(elements, dict):
            continue
        for action_id, element in elements.items():
            key = block_id if len(elements) == 1 else f"{block_id}.{action_id}"
            values[key] = submitted_value(element) if isinstance(element, dict) else None
    return values


def release_modals(runtime: SlackRuntime, user_id: str) -> None:
    """This person's modal was submitted or closed: their next click may open one again."""
    if user_id:
        with runtime.delivering("modal release"):
            runtime.turns.release(f"{MODAL_PREFIX}{user_id}:")


def register(app: App, runtime: SlackRuntime) -> None:
    @app.view(re.compile(r".+"))
    def on_submission(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user_id = str((body.get("user") or {}).get("id") or "")
        interaction = runtime.interaction(
            client,
            user_id=user_id,
            kind="submission",
            name=str(view.get("callback_id") or ""),
            routing_key=view.get("private_metadata") or None,
            values=flatten_state(view.get("state") or {}),
            dedup_key=trigger_key("submit", user_id, body),
        )
        replies = runtime.safe_handle(interaction)
        if replies is None:  # a copy of a submission already answered
            ack()
            return
        release_modals(runtime, user_id)
        errors = {k: v for reply in replies for k, v in reply.errors.items()}
        if errors:
            ack(response_action="errors", errors=errors)
            return
        # "unstack": the dialog beneath is still on Slack's stack, so closing this modal
        # (a bare ack) shows it again; the reply is only for platforms without a stack.
        shown = [r for r in replies if r.placement != "unstack"]
        rendered = [runtime.render(reply) for reply in shown]
        modal = next((r for r in rendered if r.get("type") == "modal"), None)
        if modal is not None:
            ack(response_action="update", view=modal)
        else:
            ack()
        with runtime.delivering("submission reply"):
            for message in (r for r in rendered if "type" not in r):
                client.chat_postMessage(channel=user_id, **message_args(message))

    @app.view_closed(re.compile(r".+"))
    def on_closed(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        ack()
        user_id = str((body.get("user") or {}).get("id") or "")
        interaction = runtime.interaction(
            client,
            user_id=user_id,
            kind="submission",
            name=f"{view.get('callback_id') or ''}.closed",
            routing_key=view.get("private_metadata") or None,
            values=flatten_state(view.get("state") or {}),
        )
        replies = runtime.safe_handle(interaction) or []
        release_modals(runtime, user_id)
        with runtime.delivering("closed reply"):
            for reply in replies:
                rendered = runtime.render(reply)
                if "type" not in rendered:
                    client.chat_postMessage(channel=user_id, **message_args(rendered))
