"""Pace sends per platform key (a Slack channel, a Teams conversation), in memory.

The platforms limit how fast one channel or conversation may receive messages
(Slack: about one a second; Teams: 7 a second, 8 per 2 s, 60 per 30 s, 1,800 an hour)
and tell us, with Retry-After, when to stop for a while. Sending no faster than
that keeps us out of 429s; holding a key after a Retry-After makes sure we never
send to it before the platform said we may. Times are monotonic seconds.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# (messages, per seconds): every window must allow a send.
Window = tuple[int, float]

SLACK_WINDOWS: tuple[Window, ...] = ((1, 1.0),)
TEAMS_WINDOWS: tuple[Window, ...] = ((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))


@dataclass
class _Key:
    sends: list[float] = field(default_factory=list)  # booked slots, ascending
    hold_until: float = 0.0


class Pacer:
    """Reserves send slots per key under sliding windows and Retry-After holds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._keys: dict[str, _Key] = {}
        self._reservations = 0

    def hold(self, key: str, seconds: float) -> None:
        """Send nothing to `key` for `seconds` from now (a Retry-After)."""
        entry = self._keys.setdefault(key, _Key())
        entry.hold_until = max(entry.hold_until, self._clock() + seconds)

    def held_for(self, key: str) -> float:
        entry = self._keys.get(key)
        return max(0.0, entry.hold_until - self._clock()) if entry else 0.0

    def reserve(self, key: str, windows: Sequence[Window]) -> float:
        """Book the earliest allowed slot for `key`; seconds from now until it."""
        now = self._clock()
        entry = self._keys.setdefault(key, _Key())
        at = max(now, entry.hold_until)
        sends = entry.sends
        moved = True
        while moved:
            moved = False
            for count, period in windows:
                recent = [t for t in sends if t > at - period]
                if len(recent) >= count:
                    # the slot frees when the count-th most recent send leaves the window
                    at = recent[-count] + period
                    moved = True
        bisect.insort(sends, at)
        longest = max((p for _, p in windows), default=0.0)
        limit = max((c for c, _ in windows), default=0)
        drop = bisect.bisect_right(sends, now - longest)
        drop = max(drop, len(sends) - limit)
        if drop > 0:
            del sends[:drop]
        self._reservations += 1
        if self._reservations % 1024 == 0:
            self._forget_idle(now, longest)
        return at - now

    def _forget_idle(self, now: float, longest: float) -> None:
        """Drop keys with no recent sends and no hold, so memory stays flat."""
        horizon = max(longest, 3600.0)
        for key in [
            k
            for k, e in self._keys.items()
            if e.hold_until <= now and (not e.sends or e.sends[-1] <= now - horizon)
        ]:
            del self._keys[key]
