"""Counts and percentages that know how to show themselves without identifying anyone.

The summary goes to a board and a shared channel, and in a small team "1 Inadequate"
can point at one child and one worker. The rule, applied the same way everywhere:

1. **Small numbers.** A count from 1 to `threshold - 1` shows as "fewer than 5"
   (for the default threshold of 5). Zero shows as 0: nothing to identify.
2. **No working back.** Where figures add up to a figure that is also shown (the
   grades of a domain to its total, Outstanding and Good to "Good or better", each
   service to all services, each team to its service), one hidden figure could be
   worked out by subtraction. So whenever exactly one figure in such a sum is hidden,
   a second one is withheld too and shown as "not shown": the smallest other part
   that is not zero, or else the sum itself. This repeats until no sum has exactly
   one hidden figure (`withhold`). The reader can then work out only what hidden
   figures add up to, never one of them.
3. **Percentages** are whole numbers, halves rounded up (12.5% shows as 13%). A
   percentage is shown only when both its count and its base are shown; a change
   between two percentages (in points) only when both are shown, and it is the
   difference of the whole percentages as printed, so the page adds up.

Figures that are never displayed (audits *not* moderated, say) are not protected.

**Where.** Suppression belongs where a number could point at a person: a team, a
worker. The authority's own totals and its services' figures, read by an internal
board, are not at that risk, and hiding them hid what the board needs (6 of 8 bars
grey in the chart). So a `Ledger` may be told which figures are *open*
(`open_keys`): those are always shown in full, never withheld under rule 2, and the
rules above apply to the rest. Which levels are open is the framework's
`summary.suppress_from` (`qa.report_figures` decides per figure).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "Change",
    "Count",
    "Ledger",
    "Share",
    "change",
    "percent",
    "small_numbers_note",
    "withhold",
]

K = TypeVar("K", bound=Hashable)


def percent(part: int, whole: int) -> int:
    """`part` of `whole` as a whole percentage, halves rounded up (exact: no floats)."""
    if whole <= 0:
        raise ValueError("a percentage needs a base above zero")
    return (200 * part + whole) // (2 * whole)


def small_numbers_note(threshold: int, *, document: str, scope: str = "", more: str = "") -> str:
    """The note telling a reader how `document` (a report, a pack) protects small numbers.

    `scope` names where the rule applies (e.g. "each team's figures"); `more` is said
    after it. The rule itself is worded once here, beside the code that applies it.
    """
    if threshold <= 1:
        return f"Every number is shown: small numbers are not suppressed in this {document}."
    small = "1" if threshold == 2 else f"from 1 to {threshold - 1}"
    which = f"in {scope} numbers {small}" if scope else f"small numbers ({small})"
    return (
        f"To protect children and staff, {which} are shown as 'fewer than {threshold}', and "
        "'not shown' marks a figure held back so that a small number cannot be worked out "
        f"from the others.{more}"
    )


class _Figure:
    """A figure that prints as what a reader may see, so a template can show it bare."""

    @property
    def text(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Count(_Figure):
    """A number of things; `text` is what a reader may see."""

    value: int
    threshold: int = 5
    withheld: bool = False  # hidden so that another hidden count cannot be worked out

    @property
    def small(self) -> bool:
        return 0 < self.value < self.threshold

    @property
    def shown(self) -> bool:
        return not (self.small or self.withheld)

    @property
    def text(self) -> str:
        if self.small:
            return f"fewer than {self.threshold}"
        if self.withheld:
            return "not shown"
        return f"{self.value:,}"


@dataclass(frozen=True)
class Share(_Figure):
    """`count` out of `base`, as a percentage."""

    count: Count
    base: Count

    @property
    def shown(self) -> bool:
        return self.count.shown and self.base.shown and self.base.value > 0

    @property
    def percent(self) -> int | None:
        """The whole percentage, or None when it is hidden or there is no base."""
        return percent(self.count.value, self.base.value) if self.shown else None

    @property
    def text(self) -> str:
        if self.base.value == 0:
            return "n/a"
        if not self.shown:
            return "not shown"
        return f"{self.percent}%"


@dataclass(frozen=True)
class Change(_Figure):
    """A percentage now against one `then`, in points, with words: "up 4 points"."""

    period: str  # "February 2026"
    then: Share
    points: int | None  # None: no comparison can be shown

    @property
    def text(self) -> str:
        if self.then.base.value == 0:
            return "no figures"
        if self.points is None:
            return "not shown"
        if self.points == 0:
            return "no change"
        unit = "point" if abs(self.points) == 1 else "points"
        return f"{'up' if self.points > 0 else 'down'} {abs(self.points)} {unit}"


def change(now: Share, then: Share, period: str) -> Change:
    """The change from `then` to `now`, hidden when either side is."""
    a, b = now.percent, then.percent
    return Change(period, then, None if a is None or b is None else a - b)


def withhold(
    values: Mapping[K, int],
    sums: Iterable[tuple[K, Sequence[K]]],
    threshold: int,
    is_open: Callable[[K], bool] | None = None,
) -> set[K]:
    """The keys to withhold (rule 2) on top of the small ones, given which figures add up.

    `sums` lists (total, parts) whose values add up exactly; any that do not are
    ignored (nothing can be worked out from them). Deterministic: ties go to the
    earlier part. Open keys (`is_open`) are never hidden or withheld; where only open
    figures could be withheld, nothing more is (the policy says those may be known).
    """
    opened = is_open or (lambda _k: False)
    groups: list[tuple[K, tuple[K, ...]]] = []
    by_key: dict[K, list[int]] = defaultdict(list)
    for total, parts in sums:
        if not parts or values[total] != sum(values[p] for p in parts):
            continue
        groups.append((total, tuple(parts)))
        for key in (total, *parts):
            by_key[key].append(len(groups) - 1)
    hidden = {k for k, v in values.items() if 0 < v < threshold and not opened(k)}
    withheld: set[K] = set()
    queue = sorted({g for k in hidden for g in by_key.get(k, ())})
    while queue:
        index = queue.pop()
        total, parts = groups[index]
        terms = (total, *parts)
        if sum(1 for t in terms if t in hidden) != 1:
            continue
        pick = _second(values, total, parts, hidden | {t for t in terms if opened(t)})
        if pick is None or opened(pick):
            continue
        hidden.add(pick)
        withheld.add(pick)
        queue.extend(by_key[pick])
    return withheld


def _second(values: Mapping[K, int], total: K, parts: tuple[K, ...], taken: set[K]) -> K | None:
    """Which figure to withhold with the one hidden in this sum (see rule 2); `taken`
    are figures already hidden or never to be withheld. None: there is none left."""
    open_parts = [p for p in parts if p not in taken]
    nonzero = [p for p in open_parts if values[p] > 0]
    if nonzero:
        return min(nonzero, key=lambda p: values[p])  # min keeps the first of equals
    if total not in taken:
        return total
    return open_parts[0] if open_parts else None


class Ledger:
    """Collects a report's raw counts and the sums between them, then settles them into
    `Count`s with rule 1 and rule 2 applied across the whole report at once."""

    def __init__(self, threshold: int, open_keys: Callable[[Hashable], bool] | None = None) -> None:
        self.threshold = threshold
        self.is_open = open_keys or (lambda _k: False)
        self.values: dict[Hashable, int] = {}
        self.sums: list[tuple[Hashable, tuple[Hashable, ...]]] = []
        self._withheld: set[Hashable] | None = None

    def add(self, key: Hashable, value: int) -> None:
        self.values[key] = value

    def add_sum(self, total: Hashable, parts: Iterable[Hashable]) -> None:
        self.sums.append((total, tuple(parts)))

    def count(self, key: Hashable) -> Count:
        """The settled count for `key` (settles on first use; add nothing after)."""
        if self._withheld is None:
            self._withheld = withhold(self.values, self.sums, self.threshold, self.is_open)
        if self.is_open(key):
            return Count(self.values[key], 1)  # shown in full: no count is small below 1
        return Count(self.values[key], self.threshold, key in self._withheld)

    def share(self, key: Hashable, base: Hashable) -> Share:
        return Share(self.count(key), self.count(base))
