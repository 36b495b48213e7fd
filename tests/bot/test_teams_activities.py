"""How typed text and card presses in Teams become an `Interaction`."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.teams.activities import activity_key, from_execute, from_message, split_command


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("help", ("help", "")),
        ("  HELP  ", ("help", "")),
        ("<at>QA bot</at> status Early Help", ("status", "Early Help")),
        ("<at>QA&nbsp;bot</at>&nbsp;my", ("my", "")),
        ("<p>status <b>North</b> team</p>", ("status", "North team")),
        ("/my", ("my", "")),
        ("", ("", "")),
        ("<at>QA bot</at>", ("", "")),
    ],
)
def test_the_first_word_after_the_mention_is_the_command(
    typed: str, expected: tuple[str, str]
) -> None:
    assert split_command(typed) == expected


def _activity(**fields: object) -> SimpleNamespace:
    sender = SimpleNamespace(id="29:abc", aad_object_id="aad-1", email=None)
    return SimpleNamespace(**{"id": "act-1", "text": "", "value": None, "from_": sender, **fields})


def test_a_form_submitted_with_action_submit_carries_its_values_and_routing_key() -> None:
    pressed = _activity(
        value={"action": "audit_submit", "routing_key": "rk.1", "grade": "good", "msteams": {}}
    )

    interaction = from_message(pressed, conversation=None)

    assert interaction is not None
    assert interaction.kind == "submission"
    assert interaction.name == "audit_submit"
    assert interaction.routing_key == "rk.1"
    assert interaction.values == {"grade": "good"}
    assert interaction.user_id == "aad-1"
    assert interaction.dedup_key == activity_key(pressed)
    assert interaction.dedup_key and "act-1" not in interaction.dedup_key  # hashed


def test_a_button_without_inputs_is_an_action() -> None:
    interaction = from_message(_activity(value={"action": "my"}), conversation=None)

    assert interaction is not None
    assert (interaction.kind, interaction.name, interaction.values) == ("action", "my", {})


def test_action_execute_is_named_by_its_data_or_its_verb() -> None:
    def execute(data: dict[str, object], verb: str) -> SimpleNamespace:
        action = SimpleNamespace(data=data, verb=verb)
        return _activity(value=SimpleNamespace(action=action))

    assert from_execute(execute({"action": "help"}, "x"), None).name == "help"
    assert from_execute(execute({}, "my"), None).name == "my"


def test_an_empty_message_is_not_an_interaction() -> None:
    assert from_message(_activity(text="   "), conversation=None) is None
