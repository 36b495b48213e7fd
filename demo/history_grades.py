"""The demo history's grades: a mix that improves over the year, and moderators' verdicts.

Why a module: the story the demo tells is in these numbers. Good or better rises from
`START_GOOD` to `END_GOOD` across the year; a re-audit of a case last graded below
Good mostly moves up; domain grades sit around the overall grade; moderators confirm
most grades, lower some (more often for the few generous auditors) and return a few.
Everything is read from the framework's grade scale (best first, with its
`good_or_better` flags), so a framework with a different scale works the same way.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

from demo.history_text import Band
from qa.framework import Framework

START_GOOD = 0.55  # share Good or better in the first month of the history
END_GOOD = 0.75  # ... and in the last
BEST_SHARE = 0.15  # of the Good-or-better audits, the share given the best grade
WORST_SHARE = 0.3  # of the others, the share given the worst grade
REAUDIT_UP = 0.75  # re-audits of cases below Good: the share reaching Good or better
REAUDIT_SAME = 0.93  # ... else, up to this, the same grade; otherwise one worse
REGRADE = 0.12  # a moderation changes the grade
REGRADE_GENEROUS = 0.35  # ... for an auditor who grades generously
RETURN = 0.06  # a moderation returns the audit to its author
LOWER = 0.7  # a regrade lowers the grade (when it can)

Outcome = Literal["confirmed", "regraded", "returned"]


def good_keys(framework: Framework) -> list[str]:
    """The Good-or-better grades; the better half when the framework flags none."""
    keys = framework.grade_keys
    flagged = [k for k in keys if framework.grade(k).good_or_better]
    return flagged or keys[: max(1, len(keys) // 2)]


def band(framework: Framework, grade: str) -> Band:
    if grade in good_keys(framework):
        return "good"
    return "poor" if grade == framework.grade_keys[-1] else "mixed"


def _split(keys: Sequence[str], share: float, first: float, last: bool) -> dict[str, float]:
    """`share` over `keys`: `first` of it to the end one (best or worst), the rest evenly."""
    if len(keys) == 1:
        return {keys[0]: share}
    end = keys[-1] if last else keys[0]
    rest = [k for k in keys if k != end]
    out = {k: share * (1 - first) / len(rest) for k in rest}
    out[end] = share * first
    return out


def grade_weights(framework: Framework, progress: float) -> dict[str, float]:
    """Grade -> chance, `progress` of the way through the year (0 first month, 1 last)."""
    good_share = START_GOOD + (END_GOOD - START_GOOD) * min(max(progress, 0.0), 1.0)
    good = good_keys(framework)
    below = [k for k in framework.grade_keys if k not in good]
    if not below:
        return _split(good, 1.0, BEST_SHARE, last=False)
    return {
        **_split(good, good_share, BEST_SHARE, last=False),
        **_split(below, 1 - good_share, WORST_SHARE, last=True),
    }


def _draw(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def month_deck(rng: random.Random, framework: Framework, progress: float, n: int) -> list[str]:
    """`n` grades in the month's proportions, shuffled: drawn one by one as audits are made.

    A deck rather than independent draws, so a month of thirty audits shows the trend
    and not the noise of thirty coin tosses.
    """
    weights = grade_weights(framework, progress)
    keys = list(weights)
    raw = [n * weights[k] for k in keys]
    counts = [int(r) for r in raw]
    order = sorted(range(len(keys)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    deck = [k for k, c in zip(keys, counts, strict=True) for _ in range(c)]
    rng.shuffle(deck)
    return deck


class Grader:
    """Overall grades for a month's audits: from the month's deck, or as re-audits.

    A first audit (or one of a case last graded Good or better) takes the next grade of
    the month's deck. A re-audit of a case below Good moves up in `REAUDIT_UP` of
    cases, counted over the history so far rather than drawn (a handful of re-audits
    a month would otherwise tell any story); the others mostly stay, a few go down.
    """

    def __init__(self, rng: random.Random, framework: Framework) -> None:
        self.rng = rng
        self.fw = framework
        self.good = good_keys(framework)
        self.progress = 0.0
        self.deck: list[str] = []
        self.reaudits = 0
        self.ups = 0

    def new_month(self, progress: float, fresh: int) -> None:
        """A month `progress` of the way through the year, expecting `fresh` first audits."""
        self.progress = progress
        self.deck = month_deck(self.rng, self.fw, progress, fresh)

    def overall(self, previous: str | None) -> str:
        """The overall grade of an audit; `previous` is the case's last grade, if any."""
        if previous is None or previous in self.good or previous not in self.fw.grade_keys:
            return (
                self.deck.pop()
                if self.deck
                else _draw(self.rng, grade_weights(self.fw, self.progress))
            )
        self.reaudits += 1
        if self.ups < round(REAUDIT_UP * self.reaudits):
            self.ups += 1
            return _draw(self.rng, _split(self.good, 1.0, BEST_SHARE / 2, last=False))
        same = (REAUDIT_SAME - REAUDIT_UP) / (1 - REAUDIT_UP)
        return previous if self.rng.random() < same else _step(self.fw, previous, +1)


def _step(framework: Framework, grade: str, by: int) -> str:
    keys = framework.grade_keys
    return keys[min(max(keys.index(grade) + by, 0), len(keys) - 1)]


def domain_grades(
    rng: random.Random, framework: Framework, overall: str, domains: Sequence[str]
) -> dict[str, str]:
    """Each domain's grade: mostly the overall grade, sometimes one either side."""
    return {d: _step(framework, overall, rng.choices((-1, 0, 1), (18, 64, 18))[0]) for d in domains}


def verdict(
    rng: random.Random, framework: Framework, grade: str, *, generous: bool
) -> tuple[Outcome, str | None]:
    """A moderator's decision on an audit graded `grade`: outcome and moderated grade."""
    allowed = framework.moderation.outcomes
    roll = rng.random()
    regrade = REGRADE_GENEROUS if generous else REGRADE
    keys = framework.grade_keys
    if roll < regrade and "regrade" in allowed:
        lower = keys.index(grade) < len(keys) - 1
        higher = keys.index(grade) > 0
        down = lower and (not higher or rng.random() < LOWER)
        return "regraded", _step(framework, grade, +1 if down else -1)
    if roll < regrade + RETURN and "return" in allowed:
        return "returned", None
    if "confirm" in allowed:
        return "confirmed", grade
    return "returned", None
