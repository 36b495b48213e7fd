"""Direct messages, mentions and the App Home.

A DM is answered in the DM (in its thread, if it was in one). A mention in a channel
is answered privately (ephemeral) to the person who mentioned the bot: their work
list or even the "I don't recognise you" reply (which carries their email) must not
be read by the whole channel. Opening the Home tab publishes a fresh view.
Every event is claimed by its `event_id` first, so Slack's retries never reply twice.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.runtime import SlackRuntime, as_home_view, message_args
from handlers.interaction import Reply


def _event_key(body: dict[str, Any]) -> str | None:
    """Slack's `event_id`, the same on every retry of one event."""
    event_id = body.get("event_id")
    return event_id if isinstance(event_id, str) and event_id else None


def _typed(
    runtime: SlackRuntime,
    client: WebClient,
    event: dict[str, Any],
    body: dict[str, Any],
    user_id: str,
) -> list[Reply] | None:
    """Handle what someone typed to the bot (a DM or a mention): the same conversation."""
    interaction = runtime.interaction(
        client,
        user_id=user_id,
        kind="message",
        name="",
        text=str(event.get("text") or ""),
        dedup_key=_event_key(body),
    )
    return runtime.safe_handle(interaction)


def register(app: App, runtime: SlackRuntime) -> None:
    @app.event("message")
    def direct_message(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        user_id = event.get("user")
        if not isinstance(user_id, str) or not user_id:
            return
        replies = _typed(runtime, client, event, body, user_id)
        with runtime.delivering("dm reply"):
            for reply in replies or []:
                client.chat_postMessage(
                    channel=event["channel"],
                    thread_ts=event.get("thread_ts"),
                    **message_args(runtime.render(reply)),
                )

    @app.event("app_mention")
    def mention(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        channel = str(event.get("channel") or "")
        user_id = event.get("user")
        if channel.startswith("D") or event.get("bot_id") or not isinstance(user_id, str):
            return  # mentions in a DM also arrive as a message event
        replies = _typed(runtime, client, event, body, user_id)
        with runtime.delivering("mention reply"):
            for reply in replies or []:
                client.chat_postEphemeral(
                    channel=channel,
                    user=user_id,
                    thread_ts=event.get("thread_ts"),
                    **message_args(runtime.render(reply)),
                )

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        user_id = event.get("user")
        if event.get("tab", "home") != "home" or not isinstance(user_id, str):
            return
        interaction = runtime.interaction(
            client, user_id=user_id, kind="home", name="home", dedup_key=_event_key(body)
        )
        replies = runtime.safe_handle(interaction)
        if replies:
            with runtime.delivering("home"):
                client.views_publish(user_id=user_id, view=as_home_view(runtime.render(replies[0])))
