"""Imports go one way (docs/architecture.md): storage persists and the message layer words.

`messages/` builds what people read from stored rows, so it may import `storage` and
`qa` but never the layers that call it; `storage/` persists and must not reach up into
the words (`messages/`), the conversations or the shell. A wording helper moved back
into storage, or a message builder that imports a handler, fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ABOVE = {
    "storage": {"messages", "handlers", "reminders", "bot"},
    "messages": {"handlers", "reminders", "bot", "demo"},
}


def _imported(path: Path) -> set[str]:
    """The top-level packages a module imports, wherever the import stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("layer", sorted(ABOVE))
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(_imported(path) & ABOVE[layer])
        for path in sorted((ROOT / layer).rglob("*.py"))
        if "migrations" not in path.parts
    }
    assert {p: names for p, names in wrong.items() if names} == {}


def test_the_words_of_tracked_items_live_in_messages() -> None:
    """Storage keeps only the in-place edit it persists; the item contexts are messages'."""
    import messages.tracking
    import storage.tracking_messages

    assert hasattr(messages.tracking, "rec_item") and hasattr(messages.tracking, "safe_text")
    assert not hasattr(storage.tracking_messages, "rec_item")
    assert not hasattr(storage.tracking_messages, "safe_text")
