"""Settings refuse configurations that would be unsafe beyond this machine."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings


def test_the_development_routing_secret_is_refused_off_loopback() -> None:
    with pytest.raises(ValidationError, match="QA_BOT_ROUTING_SECRET must be set"):
        Settings(_env_file=None, host="0.0.0.0")  # type: ignore[call-arg]
    ok = Settings(_env_file=None, host="0.0.0.0", routing_secret="x" * 64)  # type: ignore[call-arg]
    assert ok.host == "0.0.0.0"
    assert Settings(_env_file=None).host == "127.0.0.1"  # type: ignore[call-arg]


def test_playground_mode_is_refused_off_loopback() -> None:
    with pytest.raises(ValidationError, match="loopback"):
        Settings(_env_file=None, host="0.0.0.0", routing_secret="x" * 64, teams_playground=True)  # type: ignore[call-arg]


def test_secrets_never_show_in_the_settings_repr() -> None:
    s = Settings(_env_file=None, slack_bot_token="xoxb-secret-value", routing_secret="r" * 40)  # type: ignore[call-arg]
    assert "xoxb-secret-value" not in repr(s) and "r" * 40 not in repr(s)
