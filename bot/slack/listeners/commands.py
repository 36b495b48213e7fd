"""`/qa help|my|status ...`: answered privately (ephemeral) in the acknowledgement.

The answer goes back in `ack()` itself, so it arrives with no extra API call and
never lands in the channel for others to read. Anything beyond the first reply
follows through the command's `response_url`; a modal reply opens with the
command's `trigger_id` (valid for three seconds, so the handler must be quick).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.slack.runtime import SlackRuntime, message_args, trigger_key


def register(app: App, runtime: SlackRuntime) -> None:
    @app.command("/qa")
    def qa_command(ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        word, _, rest = str(command.get("text") or "").strip().partition(" ")
        interaction = runtime.interaction(
            client,
            user_id=str(command.get("user_id") or ""),
            kind="command",
            name=word.lower(),
            text=rest.strip(),
            dedup_key=trigger_key("command", str(command.get("user_id") or ""), command),
        )
        replies = runtime.safe_handle(interaction) or []
        rendered = [runtime.render(reply) for reply in replies]
        messages = [r for r in rendered if "type" not in r]
        if messages:
            ack(response_type="ephemeral", **message_args(messages[0]))
        else:
            ack()
        with runtime.delivering("command reply"):
            for extra in messages[1:]:
                respond(response_type="ephemeral", replace_original=False, **message_args(extra))
            modal = next((r for r in rendered if r.get("type") == "modal"), None)
            if modal is not None and command.get("trigger_id"):
                client.views_open(trigger_id=command["trigger_id"], view=modal)
