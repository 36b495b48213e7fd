"""Imports go one way (docs/architecture.md), and the chat platform stays in the shell.

`messages/` builds what people read from stored rows, so it may import `storage` and
`qa` but never the layers that call it; `storage/` persists and must not reach up into
the words (`messages/`), the conversations or the shell. A wording helper moved back
into storage, or a message builder that imports a handler, fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ABOVE = {
    "qa": {"storage", "messages", "handlers", "reminders", "bot", "demo"},
    "storage": {"messages", "handlers", "reminders", "bot"},
    "messages": {"handlers", "reminders", "bot", "demo"},
    "handlers": {"reminders", "bot", "demo"},
    "reminders": {"handlers", "bot", "demo"},
}
# The only modules below `bot/` that may name a chat platform: the table of a person's
# chat accounts, and the list of platforms with their account formats.
PLATFORM_AWARE = {"storage/models.py", "qa/chat_platforms.py"}
PLATFORM_WORDS = re.compile(
    r"slack|msteams|microsoft teams|teams_(user|conversation|tenant|aad|channel)|[\"']teams[\"']",
    re.I,
)


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


def test_below_the_shell_only_two_modules_name_a_chat_platform() -> None:
    """A third platform is an adapter in bot/, a column and a format, not a hunt."""
    naming = {
        str(path.relative_to(ROOT))
        for layer in ("qa", "storage", "messages", "handlers", "reminders", "demo")
        for path in (ROOT / layer).rglob("*.py")
        if "migrations" not in path.parts and PLATFORM_WORDS.search(path.read_text("utf-8"))
    }
    assert naming == PLATFORM_AWARE


PRODUCT = ("bot", "handlers", "reminders", "storage", "qa", "demo", "messages")


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _runtime_imports(path: Path, modules: set[str]) -> set[str]:
    """Product modules imported when `path` is imported: module-level, not TYPE_CHECKING."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for n in ast.walk(node):
            if isinstance(n, ast.Import):
                found |= {alias.name for alias in n.names}
            elif isinstance(n, ast.ImportFrom) and n.module and n.level == 0:
                found |= {n.module, *(f"{n.module}.{alias.name}" for alias in n.names)}
    return found & modules


def test_product_code_has_no_import_cycles() -> None:
    """A cycle makes import order matter, the problem the explicit composition removed."""
    paths = {
        _module_name(p): p
        for layer in PRODUCT
        for p in (ROOT / layer).rglob("*.py")
        if "migrations" not in p.parts
    }
    graph = {m: _runtime_imports(p, set(paths)) - {m} for m, p in paths.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for nxt in sorted(graph[module]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []
