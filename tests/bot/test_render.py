"""Every template renders, fits the platforms' limits, and keeps user text inert.

`SAMPLE_CONTEXTS` must hold a context for every template in bot/templates: a new
template without one fails `test_every_template_has_a_sample_context`. Where a
template's output depends on its context, add the variants to `EXTRA_CONTEXTS`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from microsoft_teams.cards import AdaptiveCard

from bot.render import TEMPLATES_DIR, Renderer, RenderError
from qa.framework import load_framework
from tests.bot.card_schema import blocks_problems, card_problems, view_problems
from tests.bot.samples import collect

SMALL = Path(__file__).parents[1] / "data" / "framework-small.yml"

_HELP: dict[str, Any] = {
    "name": "Sam",
    "role_labels": ["QA lead", "Team manager"],
    "audits": True,
    "moderates": True,
    "escalations": True,
    "status_scope": "all",
    "lead": True,
    "didnt_catch": None,
}


def _items(n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"reference": f"CASE-{i:06d}", "due_on": "2026-12-17", **extra} for i in range(n)]


_MY_BUTTONS = {
    "audit": "audit.start",
    "moderation": "moderation.open",
    "escalation": "escalation.record",
    "action": "rec.done",
}


def _work(n: int, kind: str, what: str, **extra: Any) -> list[dict[str, Any]]:
    """`my` items (handlers/home.py): a kind, a case, a due date and a button."""
    action = _MY_BUTTONS[kind]  # the action ids handlers/home.py gives each kind
    button = {"action": action, "label": "Open", "routing_key": f"{kind}:1"}
    return [
        {"kind": kind, "what": what, "overdue": False, "button": button, **item, **extra}
        for item in _items(n)
    ]


_MY_WORK_FULL: dict[str, Any] = {
    "name": "Sam",
    "total": 15,
    "items": [
        *_work(3, "audit", "audit", overdue=True),
        *_work(1, "audit", "returned"),
        *_work(2, "moderation", "moderation"),
        *_work(2, "action", "action", button=None),
        *_work(1, "escalation", "grade"),
        *_work(1, "escalation", "urgent", reference=None),
    ],
    "more": 5,
    "counts": {"audits": 4, "moderations": 2, "actions": 2, "escalations": 2},
    "free_slots": 3,
}

SAMPLE_CONTEXTS: dict[str, dict[str, Any]] = {
    "help": {**_HELP, "didnt_catch": "florb"},
    "welcome": _HELP,
    "home": {
        **_HELP,
        "counts": {"audits": 3, "moderations": 0, "actions": 3, "escalations": 0},
        "buttons": [*_work(2, "audit", "audit"), *_work(1, "moderation", "moderation")],
        "overdue": 1,
        "total": 6,
    },
    "unknown_user": {"email": "sam.jones@council.gov.uk"},
    "my_work": _MY_WORK_FULL,
    "notice": {"text": "Saved. Thank you."},
    "error": {"message": "That button or form is no longer in use."},
}

_PRACTITIONER = {
    **_HELP,
    "role_labels": ["Social worker"],
    "audits": False,
    "moderates": False,
    "escalations": False,
    "status_scope": None,
    "lead": False,
}
EXTRA_CONTEXTS: dict[str, list[dict[str, Any]]] = {
    "help": [_PRACTITIONER, {**_PRACTITIONER, "name": "", "role_labels": []}],
    "welcome": [_PRACTITIONER],
    "home": [
        {**_PRACTITIONER, "counts": dict.fromkeys(SAMPLE_CONTEXTS["home"]["counts"], 0)}
        | {"overdue": 0, "total": 0}
    ],
    "unknown_user": [{"email": None}],
    "my_work": [
        {
            "name": "",
            "total": 0,
            "items": [],
            "more": 0,
            "counts": dict.fromkeys(_MY_WORK_FULL["counts"], 0),
            "free_slots": 0,
        },
        {**_MY_WORK_FULL, "total": 0, "items": [], "more": 0, "free_slots": 2},
    ],
}

EVIL = (
    'Sam <!channel> @here *bold* _it_ ~st~ `code` "}]} ${x} [link](http://evil.example) '
    "<@U123> <http://evil.example|click> <at>Boss</at>\n> quoted\n- item"
)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(load_framework(str(SMALL)))


def _template_files() -> list[tuple[str, str]]:
    out = []
    for path in sorted(TEMPLATES_DIR.glob("*/*.j2")):
        if path.name.startswith("_"):
            continue
        platform = path.parent.name
        out.append((platform, path.name.split(".", 1)[0]))
    return out


_FEATURE_SAMPLES, _FEATURE_EXTRA = collect()
SAMPLE_CONTEXTS.update(_FEATURE_SAMPLES)
for _name, _contexts in _FEATURE_EXTRA.items():
    EXTRA_CONTEXTS.setdefault(_name, []).extend(_contexts)


def _cases() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for platform, name in _template_files():
        contexts = [SAMPLE_CONTEXTS.get(name, {}), *EXTRA_CONTEXTS.get(name, [])]
        for context in contexts:
            yield platform, name, context


def _strings(node: Any, *, formatted_only: bool = False) -> Iterator[str]:
    """Every string in a rendered message; `formatted_only` skips Slack plain_text objects."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        if formatted_only and node.get("type") == "plain_text":
            return
        for value in node.values():
            yield from _strings(value, formatted_only=formatted_only)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, formatted_only=formatted_only)


def test_every_template_has_a_sample_context() -> None:
    names = {name for _, name in _template_files()}
    missing = sorted(names - set(SAMPLE_CONTEXTS))
    assert not missing, f"add SAMPLE_CONTEXTS entries for: {', '.join(missing)}"
    assert names >= {"help", "unknown_user", "welcome", "home", "my_work", "notice", "error"}


def test_template_folders_hold_only_known_platforms() -> None:
    assert {p.name for p in TEMPLATES_DIR.iterdir() if p.is_dir()} <= {"slack", "teams", "text"}


# -- Slack ----------------------------------------------------------------------------


def _check_text_object(obj: dict[str, Any], where: str, limit: int = 3000) -> None:
    assert obj.get("type") in {"plain_text", "mrkdwn"}, f"{where}: bad text object {obj}"
    assert isinstance(obj.get("text"), str) and obj["text"], f"{where}: empty text"
    assert len(obj["text"]) <= limit, f"{where}: {len(obj['text'])} chars > {limit}"


def _check_slack_blocks(blocks: list[dict[str, Any]], where: str) -> None:
    for i, block in enumerate(blocks):
        at = f"{where} block {i} ({block.get('type')})"
        kind = block.get("type")
        assert kind in {"section", "actions", "context", "divider", "header", "input", "image"}
        if kind == "section":
            assert "text" in block or "fields" in block, at
            if "text" in block:
                _check_text_object(block["text"], at)
            fields = block.get("fields", [])
            assert len(fields) <= 10, at
            for field in fields:
                _check_text_object(field, at, 2000)
        elif kind == "header":
            assert block["text"]["type"] == "plain_text", at
            _check_text_object(block["text"], at, 150)
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= 10, at
            for element in block["elements"]:
                _check_text_object(element, at)
        elif kind == "actions":
            assert 1 <= len(block["elements"]) <= 25, at
            ids = [e["action_id"] for e in block["elements"]]
            assert len(ids) == len(set(ids)), f"{at}: duplicate action ids"
            for element in block["elements"]:
                assert len(element["action_id"]) <= 255, at
                if element["type"] == "button":
                    assert element["text"]["type"] == "plain_text", at
                    _check_text_object(element["text"], at, 75)
                    assert len(element.get("value", "")) <= 2000, at


def _check_slack(name: str, out: dict[str, Any]) -> None:
    kind = out.get("type")
    if kind in {"modal", "home"}:
        assert len(out["blocks"]) <= 100, f"{name}: more than 100 blocks in a view"
        assert len(out.get("private_metadata", "")) <= 3000, f"{name}: private_metadata too long"
        if kind == "modal":
            assert out["title"]["type"] == "plain_text"
            assert len(out["title"]["text"]) <= 24, f"{name}: modal title over 24 characters"
            assert out.get("callback_id"), f"{name}: a modal needs a callback_id"
            for key in ("submit", "close"):
                if key in out:
                    assert len(out[key]["text"]) <= 24, f"{name}: {key} over 24 characters"
    else:
        assert set(out) <= {"text", "blocks"}, name
        assert out["text"] and len(out["text"]) <= 4000, f"{name}: fallback text"
        assert len(out["blocks"]) <= 50, f"{name}: more than 50 blocks in a message"
    _check_slack_blocks(out["blocks"], name)
    is_view = out.get("type") in {"modal", "home"}
    problems = view_problems(out) if is_view else blocks_problems(out["blocks"])
    assert not problems, f"{name}: Block Kit rejects: " + "; ".join(problems[:5])


# -- Teams ----------------------------------------------------------------------------

_CARD_ELEMENTS = {
    "TextBlock",
    "RichTextBlock",
    "FactSet",
    "ColumnSet",
    "Container",
    "Image",
    "ActionSet",
    "Input.Text",
    "Input.ChoiceSet",
    "Input.Date",
    "Input.Toggle",
    "Input.Number",
    "Table",
}
_CARD_PARTS = {"AdaptiveCard", "TextRun", "Column", "TableRow", "TableCell"}
_CARD_ACTIONS = {"Action.Execute", "Action.Submit", "Action.OpenUrl", "Action.ShowCard"}


def _walk_card(node: Any, where: str) -> None:
    if isinstance(node, list):
        for item in node:
            _walk_card(item, where)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if isinstance(kind, str) and kind.startswith("Action."):
        assert kind in _CARD_ACTIONS, f"{where}: unknown action {kind}"
        assert node.get("title"), f"{where}: an action needs a text title"
        if kind in {"Action.Execute", "Action.Submit"}:
            assert isinstance(node.get("data"), dict) and node["data"].get("action"), (
                f"{where}: {kind} data must carry 'action' (the routing word)"
            )
    elif kind == "TextBlock":
        assert isinstance(node.get("text"), str) and node["text"], f"{where}: empty TextBlock"
    elif kind == "FactSet":
        assert node["facts"], f"{where}: empty FactSet"
        for fact in node["facts"]:
            assert fact["title"] and isinstance(fact["value"], str), where
    elif isinstance(kind, str) and kind not in _CARD_PARTS:
        assert kind in _CARD_ELEMENTS, f"{where}: unknown element {kind}"
    for key, value in node.items():
        if key != "data":
            _walk_card(value, where)


def _check_teams(name: str, out: dict[str, Any]) -> None:
    assert set(out) == {"text", "card"}, name
    assert out["text"], f"{name}: fallback text"
    card = out["card"]
    version = tuple(int(p) for p in card["version"].split("."))
    assert version <= (1, 5), f"{name}: Teams supports Adaptive Cards up to 1.5"
    AdaptiveCard.model_validate(card)
    problems = card_problems(card)
    assert not problems, f"{name}: a strict Adaptive Cards 1.5 client rejects: " + "; ".join(
        problems[:5]
    )
    assert len(json.dumps(card).encode()) < 28 * 1024, f"{name}: card over 28 KB"
    _walk_card(card, name)


@pytest.mark.parametrize(("platform", "name", "context"), list(_cases()))
def test_template_renders_within_platform_limits(
    renderer: Renderer, platform: str, name: str, context: dict[str, Any]
) -> None:
    out = renderer.render(name, context, platform)  # type: ignore[arg-type]
    if platform == "slack":
        _check_slack(name, out)
    elif platform == "teams":
        _check_teams(name, out)
    else:
        assert set(out) == {"text"} and out["text"].strip(), name


@pytest.mark.parametrize("platform", ["slack", "teams", "text"])
def test_help_speaks_the_frameworks_vocabulary(renderer: Renderer, platform: str) -> None:
    camden_like = load_framework(str(SMALL)).model_copy(
        update={
            "vocabulary": load_framework(str(SMALL)).vocabulary.model_copy(
                update={"audit": "learning conversation", "audits": "learning conversations"}
            )
        }
    )
    out = Renderer(camden_like).render("help", SAMPLE_CONTEXTS["help"], platform)  # type: ignore[arg-type]
    assert "learning conversations" in json.dumps(out)


# -- the strict checks themselves must be able to fail ------------------------------

_GOOD_CARD: dict[str, Any] = {
    "type": "AdaptiveCard",
    "version": "1.5",
    "body": [
        {
            "type": "ColumnSet",
            "columns": [{"type": "Column", "items": [{"type": "TextBlock", "text": "x"}]}],
        }
    ],
}


_TEXT = {"type": "TextBlock", "text": "x"}


def test_strict_card_check_accepts_a_well_formed_card() -> None:
    assert card_problems(_GOOD_CARD) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda c: c["body"][0]["columns"][0].pop("type"), 'without "type"'),
        (lambda c: c["body"][0]["columns"][0]["items"][0].pop("type"), 'without "type"'),
        (lambda c: c["body"].append({"type": "Chart.Pie"}), "not an Adaptive Cards 1.5 type"),
        (lambda c: c["body"].append({**_TEXT, "colour": "red"}), "colour"),
        (lambda c: c["body"].append({**_TEXT, "size": "huge"}), "size"),
        (lambda c: c["body"].append({**_TEXT, "color": "warning"}), "yellow"),
        (lambda c: c.update(actions=[{"title": "Go", "data": {}}]), 'without "type"'),
    ],
)
def test_strict_card_check_rejects_what_teams_clients_reject(change: Any, expected: str) -> None:
    card = json.loads(json.dumps(_GOOD_CARD))
    change(card)
    problems = card_problems(card)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    "block",
    [
        {"type": "sektion", "text": {"type": "mrkdwn", "text": "x"}},
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "a",
                    "text": {"type": "plain_text", "text": "x" * 76},
                },
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}},
    ],
)
def test_block_kit_check_rejects_bad_blocks(block: dict[str, Any]) -> None:
    assert blocks_problems([block])


def test_block_kit_check_rejects_a_modal_title_over_24_characters() -> None:
    modal = {
        "type": "modal",
        "callback_id": "x",
        "title": {"type": "plain_text", "text": "A title far longer than Slack allows"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
    }
    assert view_problems(modal)
    assert view_problems({**modal, "title": {"type": "plain_text", "text": "Short"}}) == []


def test_status_service_rows_are_typed_columns(renderer: Renderer) -> None:
    """Issue 17: untyped columns blanked the Agents Playground's page."""
    for context in [SAMPLE_CONTEXTS["status"], *EXTRA_CONTEXTS.get("status", [])]:
        card = renderer.render("status", context, "teams")["card"]
        for element in card["body"]:
            for column in element.get("columns", []):
                assert column.get("type") == "Column", column


# -- injection ------------------------------------------------------------------------

_INJECTION_CONTEXTS: dict[str, dict[str, Any]] = {
    "notice": {"text": EVIL},
    "error": {"message": EVIL},
    "unknown_user": {"email": EVIL},
    "help": {**_HELP, "name": EVIL, "didnt_catch": EVIL, "role_labels": [EVIL]},
    "home": {**SAMPLE_CONTEXTS["home"], "name": EVIL},
    "my_work": {
        **_MY_WORK_FULL,
        "name": EVIL,
        "items": [
            {**i, "reference": EVIL, "what": EVIL if i["kind"] == "audit" else i["what"]}
            for i in _MY_WORK_FULL["items"]
        ],
    },
}


@pytest.mark.parametrize("name", sorted(_INJECTION_CONTEXTS))
def test_user_text_is_inert_in_slack(renderer: Renderer, name: str) -> None:
    benign = renderer.render(name, SAMPLE_CONTEXTS[name], "slack")
    out = renderer.render(name, _INJECTION_CONTEXTS[name], "slack")
    # The JSON structure is the template's, not the user's.
    assert len(out["blocks"]) == len(benign["blocks"])
    assert [b["type"] for b in out["blocks"]] == [b["type"] for b in benign["blocks"]]
    everything = "\n".join(_strings(out))
    for raw in ("<!channel>", "<@U123>", "<http://evil", "<at>", "@here"):
        assert raw not in everything, f"{name}: {raw!r} reached Slack unescaped"
    # plain_text (headers, buttons) is never formatted; everything else must not be.
    formatted = "\n".join(_strings(out, formatted_only=True))
    for raw in ("*bold*", "_it_", "~st~", "`code`"):
        assert raw not in formatted, f"{name}: {raw!r} would format in Slack"
    assert "&lt;!channel&gt;" in everything
    assert '"}]}' in everything  # survived as text, inside a string
    assert "\n> quoted" not in everything and "\n&gt; quoted" not in everything


@pytest.mark.parametrize("name", sorted(_INJECTION_CONTEXTS))
def test_user_text_is_inert_in_teams(renderer: Renderer, name: str) -> None:
    benign = renderer.render(name, SAMPLE_CONTEXTS[name], "teams")
    out = renderer.render(name, _INJECTION_CONTEXTS[name], "teams")
    assert len(out["card"]["body"]) == len(benign["card"]["body"])
    AdaptiveCard.model_validate(out["card"])
    everything = "\n".join(_strings(out))
    for raw in ("${x}", "*bold*", "[link](", "<at>Boss", "@here", "\n- item"):
        assert raw not in everything, f"{name}: {raw!r} reached Teams unescaped"
    assert '"}' in everything  # survived as text, inside a string (the "]" is backslashed)


def test_text_platform_keeps_text_as_typed(renderer: Renderer) -> None:
    out = renderer.render("notice", {"text": "Saved *draft* for CASE_1"}, "text")
    assert out == {"text": "Saved *draft* for CASE_1"}


def test_email_addresses_stay_readable_in_slack(renderer: Renderer) -> None:
    out = renderer.render("unknown_user", {"email": "first_last@council.gov.uk"}, "slack")
    assert "first_last@council.gov.uk" in out["blocks"][0]["text"]["text"]


def test_unknown_user_without_email_asks_for_the_work_email(renderer: Renderer) -> None:
    out = renderer.render("unknown_user", {"email": None}, "slack")
    assert "ask your QA lead to add your work email" in out["blocks"][0]["text"]["text"]


def test_dates_are_written_in_full(renderer: Renderer) -> None:
    context = {**_MY_WORK_FULL, "items": _work(1, "audit", "audit")}
    out = renderer.render("my_work", context, "text")
    assert "by Thursday 17 December" in out["text"]


def test_missing_context_value_is_an_error_not_a_blank(renderer: Renderer) -> None:
    with pytest.raises(Exception, match="email"):
        renderer.render("unknown_user", {}, "slack")


def test_unknown_template_names_the_template(renderer: Renderer) -> None:
    with pytest.raises(RenderError, match="no teams template 'nope'"):
        renderer.render("nope", {}, "teams")


def test_broken_template_json_is_reported_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "slack").mkdir()
    (tmp_path / "slack" / "bad.json.j2").write_text('{"text": "x", "blocks": [}\n')
    broken = Renderer(load_framework(str(SMALL)), templates_dir=tmp_path)
    with pytest.raises(RenderError, match=r"slack/bad.json.j2 did not produce valid JSON"):
        broken.render("bad", {}, "slack")
