"""What the domain must know of the chat platforms, in the one module that names them.

Everything else below `bot/` is platform-neutral, but a dialog step must still fit
the smallest platform's limits, and a framework file written before governance
channels had `addresses` still names platforms in two keys. Both are facts about
particular platforms, so they live here, each saying whose it is; the rest of `qa/`
and `handlers/` speak of "a modal dialog", "a card" and "the smallest limit".
"""

from __future__ import annotations

# -- the smallest platform's limits for one dialog step ---------------------------
MODAL_BLOCKS = 100  # Slack: blocks in one modal (Teams cards have no block count)
TITLE_CHARS = 24  # Slack: a modal's title
SECTION_CHARS = 3000  # Slack: text in one section block
OPTION_CHARS = 75  # Slack: an option's text and its description
TEXT_INPUT_CHARS = 3000  # Slack: a plain_text_input's max_length
CARD_BYTES = 28_000  # Teams: one Adaptive Card, about 28 KB

# -- the framework file's old per-platform channel keys ---------------------------
# A governance channel had `slack_channel` and `teams_conversation` before
# `addresses: {<platform>: <address>}`; each old key and the platform it named.
LEGACY_ADDRESS_KEYS: dict[str, str] = {"slack_channel": "slack", "teams_conversation": "teams"}
