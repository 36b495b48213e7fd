"""Signed routing keys: what a button value, `private_metadata` or card data carries.

A routing key names a record ("allocation:42"); the state itself lives in the
database. Keys are signed when rendered and verified when a click comes back, so a
client cannot forge a key it was never sent. Authorisation does not rest on this:
every handler still checks that the person may act on the record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace

from bot.settings import Settings
from handlers.interaction import Interaction

SEPARATOR = "~"


class RoutingKeys:
    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def _signature(self, key: str) -> str:
        digest = hmac.new(self._secret, key.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    def sign(self, key: str) -> str:
        return f"{key}{SEPARATOR}{self._signature(key)}"

    def verify(self, token: str | None) -> str | None:
        """The key inside `token` when its signature is ours, else None."""
        if not token or SEPARATOR not in token or len(token) > 500:
            return None
        key, _, signature = token.rpartition(SEPARATOR)
        if hmac.compare_digest(signature.encode(), self._signature(key).encode()):
            return key
        return None


def keys_for(settings: Settings) -> RoutingKeys:
    return RoutingKeys(settings.routing_secret.get_secret_value())


def verified(interaction: Interaction, keys: RoutingKeys) -> Interaction:
    """The interaction with its routing key checked: a forged or stale key becomes None."""
    if interaction.routing_key is None:
        return interaction
    return replace(interaction, routing_key=keys.verify(interaction.routing_key))
