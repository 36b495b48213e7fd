"""Every setting the bot reads, in one place.

Settings come from the environment or a `.env` file (pydantic-settings). The names
are part of the operator interface (`docs/interface.md`): keep them stable.
"""

from __future__ import annotations

import ipaddress
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}
# Only good for a bot that listens on this machine alone (the demo, tests).
DEV_ROUTING_SECRET = "development-only-routing-secret"


def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """The bot's configuration. Secrets are `SecretStr` so they never reach a log."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default="sqlite:///./qa-bot.db",
        validation_alias="QA_BOT_DATABASE_URL",
        description="SQLAlchemy URL; postgresql+psycopg://... in production.",
    )
    framework: str = Field(
        default="camden",
        validation_alias="QA_BOT_FRAMEWORK",
        description="A preset name or a path to a framework YAML file.",
    )
    timezone: str = Field(default="Europe/London", validation_alias="QA_BOT_TIMEZONE")
    host: str = Field(default="127.0.0.1", validation_alias="QA_BOT_HOST")
    port: int = Field(default=3978, validation_alias="QA_BOT_PORT")
    log_level: str = Field(default="INFO", validation_alias="QA_BOT_LOG_LEVEL")
    public_host: str | None = Field(
        default=None,
        validation_alias="QA_BOT_PUBLIC_HOST",
        description="The public host name Slack and Teams reach the bot on (Teams package).",
    )

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")

    teams_client_id: str | None = Field(default=None, validation_alias="TEAMS_CLIENT_ID")
    teams_client_secret: SecretStr | None = Field(
        default=None, validation_alias="TEAMS_CLIENT_SECRET"
    )
    teams_tenant_id: str | None = Field(default=None, validation_alias="TEAMS_TENANT_ID")
    teams_playground: bool = Field(default=False, validation_alias="QA_BOT_TEAMS_PLAYGROUND")
    teams_app_catalog_id: str | None = Field(
        default=None,
        validation_alias="QA_BOT_TEAMS_APP_CATALOG_ID",
        description="The Teams app's id in the tenant app catalogue, for proactive install.",
    )
    graph_url: str = Field(
        default="https://graph.microsoft.com/v1.0/", validation_alias="QA_BOT_GRAPH_URL"
    )
    login_url: str = Field(
        default="https://login.microsoftonline.com/", validation_alias="QA_BOT_LOGIN_URL"
    )
    teams_openid_url: str = Field(
        default="https://login.botframework.com/v1/.well-known/openidconfiguration",
        validation_alias="QA_BOT_TEAMS_OPENID_URL",
        description="Bot Framework OpenID metadata (tests point it at a local document).",
    )

    routing_secret: SecretStr = Field(
        default=SecretStr(DEV_ROUTING_SECRET),
        validation_alias="QA_BOT_ROUTING_SECRET",
        description="Signs the routing keys carried in Slack private_metadata and card data.",
    )
    tick_seconds: float = Field(
        default=60.0,
        gt=0,
        validation_alias="QA_BOT_TICK_SECONDS",
        description="Seconds between scheduler ticks (the jobs are reconcilers; tests use ~1).",
    )
    small_number_threshold: int = Field(
        default=5,
        validation_alias="QA_BOT_SMALL_NUMBER_THRESHOLD",
        description="Counts below this are shown as 'fewer than N' in channels.",
    )

    # Email, for people chat cannot reach (bot/email/). Off unless QA_BOT_SMTP_HOST is set.
    smtp_host: str | None = Field(
        default=None,
        validation_alias="QA_BOT_SMTP_HOST",
        description="The mail server that sends messages chat cannot deliver; unset: no email.",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, validation_alias="QA_BOT_SMTP_PORT")
    smtp_username: str | None = Field(default=None, validation_alias="QA_BOT_SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(default=None, validation_alias="QA_BOT_SMTP_PASSWORD")
    smtp_from: str | None = Field(
        default=None,
        validation_alias="QA_BOT_SMTP_FROM",
        description="The From address of fallback emails, e.g. qa-bot@council.gov.uk.",
    )
    smtp_starttls: bool = Field(
        default=True,
        validation_alias="QA_BOT_SMTP_STARTTLS",
        description="Upgrade the connection with STARTTLS (certificate checked) before login.",
    )
    smtp_ca_file: str | None = Field(
        default=None,
        validation_alias="QA_BOT_SMTP_CA_FILE",
        description="A CA bundle for the mail server's certificate (an internal CA).",
    )
    email_chat_link: str | None = Field(
        default=None,
        validation_alias="QA_BOT_EMAIL_CHAT_LINK",
        description="The link in fallback emails that opens the chat with the bot.",
    )

    @model_validator(mode="after")
    def _email_settings_complete(self) -> Settings:
        if not self.smtp_host:
            return self
        if not self.smtp_from or "@" not in self.smtp_from:
            raise ValueError(
                "QA_BOT_SMTP_FROM must be an email address (e.g. qa-bot@council.gov.uk) "
                "when QA_BOT_SMTP_HOST is set"
            )
        if bool(self.smtp_username) != (self.smtp_password is not None):
            raise ValueError("set both QA_BOT_SMTP_USERNAME and QA_BOT_SMTP_PASSWORD, or neither")
        if self.smtp_username and not self.smtp_starttls and not is_loopback(self.smtp_host):
            raise ValueError(
                "QA_BOT_SMTP_STARTTLS=0 would send the mail password in clear to "
                f"{self.smtp_host!r}: keep STARTTLS on for a mail server on another machine"
            )
        return self

    @model_validator(mode="after")
    def _real_routing_secret_off_loopback(self) -> Settings:
        if self.routing_secret.get_secret_value() == DEV_ROUTING_SECRET and not is_loopback(
            self.host
        ):
            raise ValueError(
                "QA_BOT_ROUTING_SECRET must be set to a long random value when the bot listens "
                f"beyond this machine (QA_BOT_HOST is {self.host!r}): it signs every button. "
                "For example: QA_BOT_ROUTING_SECRET=$(openssl rand -hex 32)"
            )
        return self

    @model_validator(mode="after")
    def _playground_only_on_loopback(self) -> Settings:
        if self.teams_playground and not is_loopback(self.host):
            raise ValueError(
                "QA_BOT_TEAMS_PLAYGROUND=1 turns Teams authentication off, so it is only "
                f"allowed when QA_BOT_HOST is a loopback address (it is {self.host!r})."
            )
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and (
            self.slack_signing_secret is not None or self.slack_app_token is not None
        )

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def teams_enabled(self) -> bool:
        return self.teams_client_id is not None or self.teams_playground
