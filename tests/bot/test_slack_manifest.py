"""The Slack app manifest asks for the least it needs and matches what the code serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

MANIFEST = Path(__file__).parents[2] / "app_manifest.yml"
LEAST_PRIVILEGE = {
    "chat:write",
    "im:write",
    "users:read",
    "users:read.email",
    "commands",
    "files:write",
    "app_mentions:read",
    "im:history",
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data = YAML(typ="safe").load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_bot_scopes_are_exactly_the_least_privilege_list(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes)), "a scope is listed twice"
    assert set(scopes) == LEAST_PRIVILEGE
    assert "user" not in manifest["oauth_config"]["scopes"], "no user-token scopes"


def test_the_slash_command_is_qa_and_goes_to_the_events_endpoint(
    manifest: dict[str, Any],
) -> None:
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/qa"
    assert command["url"].endswith("/slack/events")
    assert "help" in command["usage_hint"] and "my" in command["usage_hint"]


def test_events_interactivity_and_home_are_configured(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_mention",
        "message.im",
        "app_home_opened",
    }
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] is True and home["messages_tab_enabled"] is True


def test_socket_mode_is_explained_for_hosts_without_a_public_url() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    assert "socket_mode_enabled: true" in text and "connections:write" in text
    assert "SLACK_APP_TOKEN" in text
