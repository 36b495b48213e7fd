"""Work emails of Slack users, fetched with `users.info` and cached for a while.

The email is only needed until a person's Slack id is stored (the first message);
the cache stops a burst of clicks from an unmatched account costing a call each.
Failures (rate limits, network) are not cached, so the next message tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class EmailCache:
    """user id -> email (or None: the account has no email, e.g. a bot), with a TTL."""

    def __init__(
        self,
        *,
        ttl_seconds: float = 600.0,
        max_entries: int = 5000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, client: WebClient, user_id: str) -> str | None:
        now = self._clock()
        with self._lock:
            hit = self._entries.get(user_id)
            if hit is not None and hit[0] > now:
                return hit[1]
        try:
            response = client.users_info(user=user_id)
        except SlackApiError as exc:
            code = exc.response.get("error") if exc.response is not None else None
            log.warning("slack users.info failed: %s", code or type(exc).__name__)
            if code in {"user_not_found", "account_inactive"}:
                self._store(user_id, None, now)
            return None
        except Exception as exc:  # noqa: BLE001 - network trouble: no email this time
            log.warning("slack users.info failed: %s", type(exc).__name__)
            return None
        user = response.get("user") or {}
        email = (user.get("profile") or {}).get("email") if isinstance(user, dict) else None
        email = email if isinstance(email, str) and "@" in email else None
        self._store(user_id, email, now)
        return email

    def _store(self, user_id: str, email: str | None, now: float) -> None:
        with self._lock:
            self._entries[user_id] = (now + self.ttl, email)
            self._entries.move_to_end(user_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
