"""Turning a template name and its context into what a platform can send.

One Jinja2 environment per app (`Renderer(framework)`), with `StrictUndefined` so a
missing value is an error, not a blank in a message. All wording lives in
`bot/templates/`: `slack/NAME.json.j2` (Block Kit), `teams/NAME.json.j2` (an
Adaptive Card 1.5) and `text/NAME.md.j2` (plain text for logs, CLI and fallbacks).
Files starting with `_` are partials, not messages.

Escaping is automatic, which is the JSON equivalent of HTML autoescape: every
`{{ value }}` in a Slack or Teams template is first made inert for the platform
(Slack: `&<>` as entities, so `<!channel>` and `<@U1>` never ping; `*_~` and
backticks through Slack's date-fallback trick, as jsx-slack does, so they never
format; `@here` broken by a word joiner. Teams: markdown characters backslashed,
`${` broken so a template engine never evaluates it) and then escaped as the inside
of a JSON string. Template text itself is trusted. So templates write
`"text": "Hello {{ name }}"` and user text can neither format, mention, link, nor
break out of the JSON. Use `|slack_plain` in Slack `plain_text` fields and
`|card_plain` in Teams `TextRun`s and titles (no markdown there, so only JSON and
mention escaping), and `|tojson` for a whole JSON value (numbers, booleans, button
values that are never displayed).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from bot.routing_keys import RoutingKeys
from qa.framework import Framework

RenderPlatform = Literal["slack", "teams", "text"]
TEMPLATES_DIR = Path(__file__).parent / "templates"
SUFFIX: dict[str, str] = {"slack": ".json.j2", "teams": ".json.j2", "text": ".md.j2"}

_MASS_MENTION = re.compile(r"(^|[^\w@.])@(here|channel|everyone|all|team)\b", re.IGNORECASE)
# Backticks always; "*_~" only where they could open or close formatting (Slack needs a
# word boundary there), so "first_last@council.gov.uk" stays a clickable address.
_SLACK_FORMAT = re.compile(r"`|(?<![^\W_])[*_~]|[*_~](?![^\W_])")
# Brackets cover links and images; "(", ")" and "!" mean nothing without them.
_CARD_MARKDOWN = re.compile(r"([\\`*_\[\]~<>])")
_CARD_LINE_START = re.compile(r"(?m)^(\s*)(?:([-+#])|(\d+)\.)")
_WORD_JOINER = "\u2060"
_ZERO_WIDTH_SPACE = "\u200b"
_SOFT_HYPHEN = "\u00ad"


class RenderError(Exception):
    """A template that cannot produce a valid message: names the template and the fault."""


class _PlatformEscaped(str):
    """Text already made inert for its platform; finalize only JSON-escapes it."""


def _defuse_mass_mentions(text: str) -> str:
    return _MASS_MENTION.sub(lambda m: f"{m.group(1)}@{_WORD_JOINER}{m.group(2)}", text)


def slack_plain(value: Any) -> str:
    """For Slack `plain_text` and notification text: entities only, no mention pings."""
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _PlatformEscaped(_defuse_mass_mentions(text))


def slack_text(value: Any) -> str:
    """For Slack `mrkdwn`: no mentions, links or formatting from the value."""
    text = str(slack_plain(value))
    # Slack has no escape for formatting characters; an invalid date shows its fallback
    # text verbatim, unformatted.
    text = _SLACK_FORMAT.sub(lambda m: f"<!date^00000000^{{_}}|{m.group(0)}>", text)
    # A leading ">" (even as &gt;) makes a quote; a soft hyphen before it does not show.
    text = re.sub(r"(?m)^(\s*)&gt;", lambda m: f"{m.group(1)}{_SOFT_HYPHEN}&gt;", text)
    return _PlatformEscaped(text)


def card_plain(value: Any) -> str:
    """For Adaptive Card text that is not markdown (TextRun, titles, choices)."""
    text = "" if value is None else str(value)
    text = text.replace("${", "$" + _ZERO_WIDTH_SPACE + "{")
    return _PlatformEscaped(_defuse_mass_mentions(text))


def card_text(value: Any) -> str:
    """For Adaptive Card `TextBlock` markdown: no formatting, links, lists or <at> mentions."""
    text = "" if value is None else str(value)
    text = _CARD_MARKDOWN.sub(r"\\\1", text)
    text = _CARD_LINE_START.sub(
        lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(2) else f"{m.group(1)}{m.group(3)}\\.",
        text,
    )
    return card_plain(text)


def _json_inner(text: str) -> str:
    """`text` as the inside of a JSON string literal (no surrounding quotes)."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


@pass_context
def _finalize(context: Context, value: Any) -> Any:
    if isinstance(value, Markup):  # |tojson, |safe: already valid JSON / trusted
        return value
    text = "" if value is None else value
    platform = (context.name or "").split("/", 1)[0]
    if platform not in {"slack", "teams"}:
        return text
    if not isinstance(text, _PlatformEscaped):
        text = slack_text(text) if platform == "slack" else card_text(text)
    return _json_inner(str(text))


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def long_date(value: Any, with_year: bool = False) -> str:
    """ "Thursday 17 December" (docs/ux.md): dates in full, local form."""
    day = _as_date(value)
    if day is None:
        return "" if value is None else str(value)
    text = f"{day:%A} {day.day} {day:%B}"
    return f"{text} {day.year}" if with_year else text


def clip(value: Any, limit: int) -> str:
    """At most `limit` characters, ending in an ellipsis when cut (before escaping)."""
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


# The filters above, by their own names (`|slack_text`, `|clip(80)`...), in every template.
TEXT_FILTERS = (slack_text, slack_plain, card_text, card_plain, long_date, clip)


class Renderer:
    """Build once per app; `render` is thread-safe (Jinja templates are)."""

    def __init__(
        self,
        framework: Framework,
        *,
        templates_dir: Path = TEMPLATES_DIR,
        keys: RoutingKeys | None = None,
    ) -> None:
        self.framework = framework
        self.keys = keys or RoutingKeys("unsigned-development-key")
        self.templates_dir = templates_dir
        self.env = Environment(
            loader=FileSystemLoader(templates_dir),
            undefined=StrictUndefined,
            autoescape=False,  # JSON-aware escaping is done by `finalize`, see above
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        vocabulary = framework.vocabulary
        self.env.filters.update(
            {f.__name__: f for f in TEXT_FILTERS},
            activity=self.activity_label,
            signed=self._signed,  # routing keys in buttons, metadata and card data
        )
        self.env.globals.update(
            vocab=vocabulary.model_dump(),
            authority=framework.authority,
            framework_name=framework.name,
            board=vocabulary.board,
        )

    def _signed(self, key: str) -> str:
        """A signed routing key. Its characters are inert on both platforms, so it is
        only JSON-escaped: Slack's formatting escape must not rewrite the signature."""
        return _PlatformEscaped(self.keys.sign(str(key)))

    def activity_label(self, activity: Any) -> str:
        """An allocation's activity in the authority's words ("learning conversation")."""
        vocabulary = self.framework.vocabulary
        words = {
            "audit": vocabulary.audit,
            "moderation": vocabulary.moderation,
            "dip_sample": "dip sample",
            "themed_audit": f"themed {vocabulary.audit}",
        }
        return words.get(str(activity), str(activity).replace("_", " "))

    def template_names(self) -> dict[str, set[str]]:
        """Message name -> the platforms it has a template for (partials excluded)."""
        names: dict[str, set[str]] = {}
        for platform, suffix in SUFFIX.items():
            folder = self.templates_dir / platform
            for path in sorted(folder.glob(f"*{suffix}")):
                if path.name.startswith("_"):
                    continue
                names.setdefault(path.name.removesuffix(suffix), set()).add(platform)
        return names

    def render(
        self, template: str, context: dict[str, Any], platform: RenderPlatform
    ) -> dict[str, Any]:
        """Slack: `{"text", "blocks"}` or a view (`"type": "modal" | "home"`);
        Teams: `{"text", "card"}`; text: `{"text"}`."""
        if platform not in SUFFIX:
            raise RenderError(f"unknown platform {platform!r}; use slack, teams or text")
        name = f"{platform}/{template}{SUFFIX[platform]}"
        try:
            source = self.env.get_template(name).render(**context)
        except TemplateNotFound:
            raise RenderError(f"there is no {platform} template '{template}' ({name})") from None
        if platform == "text":
            return {"text": source.strip()}
        try:
            data = json.loads(source)
        except json.JSONDecodeError as exc:
            lines = source.splitlines()
            near = lines[exc.lineno - 1].strip() if 0 < exc.lineno <= len(lines) else ""
            raise RenderError(
                f"{name} did not produce valid JSON at line {exc.lineno}: {exc.msg} "
                f"(near: {near[:80]!r})"
            ) from None
        return self._check_shape(name, platform, data)

    @staticmethod
    def _check_shape(name: str, platform: str, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise RenderError(f"{name} must produce a JSON object")
        if platform == "slack":
            if data.get("type") in {"modal", "home"}:
                if not isinstance(data.get("blocks"), list):
                    raise RenderError(f"{name}: a view needs a 'blocks' list")
                return data
            if not isinstance(data.get("text"), str) or not isinstance(data.get("blocks"), list):
                raise RenderError(f"{name}: a Slack message needs 'text' and a 'blocks' list")
            return data
        card = data.get("card")
        if not isinstance(data.get("text"), str) or not isinstance(card, dict):
            raise RenderError(f"{name}: a Teams message needs 'text' and a 'card' object")
        if card.get("type") != "AdaptiveCard":
            raise RenderError(f"{name}: 'card' must be an AdaptiveCard")
        return data
