"""Routing keys carried by buttons and dialogs are signed; tampered ones are refused."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.routing_keys import RoutingKeys, verified
from handlers.interaction import Interaction

KEYS = RoutingKeys("a-test-secret")


def test_a_signed_key_verifies_to_itself() -> None:
    assert KEYS.verify(KEYS.sign("allocation:42")) == "allocation:42"


def test_a_tampered_id_is_refused() -> None:
    token = KEYS.sign("allocation:42")
    assert KEYS.verify(token.replace("allocation:42", "allocation:43")) is None


def test_a_key_signed_with_another_secret_is_refused() -> None:
    assert KEYS.verify(RoutingKeys("other").sign("allocation:42")) is None


@given(st.text(max_size=80))
def test_arbitrary_client_input_never_verifies(token: str) -> None:
    assert KEYS.verify(token) is None


def test_verified_clears_a_forged_key_on_the_interaction() -> None:
    forged = Interaction(
        platform="slack", user_id="U1", kind="action", name="x", routing_key="audit:1~AAAA"
    )
    assert verified(forged, KEYS).routing_key is None
    good = Interaction(
        platform="teams", user_id="u", kind="action", name="x", routing_key=KEYS.sign("audit:1")
    )
    assert verified(good, KEYS).routing_key == "audit:1"
