"""Sampling that follows the figures (issue 15): moderate more where grading drifts.

Pure, like `qa.moderation`, whose `select_for_moderation` calls it when the framework
says `moderation.follow_figures: true`. Two figures, both from the deciding
moderations finished in the `window_months` before the month being selected (so
this month's moderations never change this month's selection):

- an auditor whose overall grades moderators changed (`Drift`, at least
  `min_moderations` of them and one change): the need is the share changed;
- a domain with low agreement (at least `min_moderations` moderated, and agreed with
  less often than `moderation.low_agreement`): the need is the share not agreed.

An audit of a sample grade that the fixed share did not pick has its share raised by
`follow_figures_boost` times its largest need (its auditor's, or that of a low domain
it graded), and is picked when its fixed fraction (`sample_fraction`, a hash of the
month and the audit) falls below the raised share. The extra picks are bounded by
the moderators' free slots this month, the neediest first: a shortage of moderators
trims what the figures add, never the framework's own selection. Each pick says why,
in words the QA lead's summary and the moderator's request show
(`focus_lines` gives the month's reasons without naming any case).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from qa.framework import Framework
from qa.working_days import Month

if TYPE_CHECKING:  # qa.moderation calls this module: its types only, no import cycle
    from qa.moderation import PastModeration

__all__ = [
    "DomainAgreement",
    "Drift",
    "Figures",
    "Focus",
    "Tally",
    "domain_agreement",
    "drift",
    "figures",
    "focus",
    "focus_lines",
    "percent",
    "raised_share",
]


@dataclass(frozen=True)
class Tally:
    """`hits` of the `moderated` deciding moderations in the window (never built empty:
    a key is tallied only once moderated)."""

    hits: int
    moderated: int

    @property
    def rate(self) -> float:
        return self.hits / self.moderated


# An auditor's tally counts the moderations that changed their overall grade; a
# domain's, those whose moderator agreed with its grade.
Drift = Tally
DomainAgreement = Tally


@dataclass(frozen=True)
class Figures:
    """The figures that raise the share: only auditors and domains that qualify."""

    auditors: Mapping[int, Drift]
    domains: Mapping[str, DomainAgreement]


@dataclass(frozen=True)
class Focus:
    """Why an audit's share is raised: its need (0 to 1) and the reason in words."""

    need: float
    reason: str


def percent(share: float) -> str:
    text = f"{share * 100:.1f}".removesuffix(".0")
    return f"{text}%"


def raised_share(framework: Framework, need: float) -> float:
    """The share of a sample grade moderated for an audit with `need` (0 to 1)."""
    policy = framework.moderation
    return min(1.0, policy.sample_share + policy.follow_figures_boost * need)


_K = TypeVar("_K")


def _deciding(
    history: Iterable[PastModeration], month: Month, window_months: int
) -> Iterator[PastModeration]:
    """The deciding moderations finished in the `window_months` before `month`."""
    first = month.shift(-window_months)
    return (m for m in history if m.deciding and first <= m.month < month)


def _tally(pairs: Iterable[tuple[_K, bool]]) -> dict[_K, Tally]:
    """Times true of times seen for each key, in the order the keys first appear."""
    hits: Counter[_K] = Counter()
    seen: Counter[_K] = Counter()
    for key, hit in pairs:
        seen[key] += 1
        hits[key] += hit
    return {k: Tally(hits[k], n) for k, n in seen.items()}


def domain_agreement(
    history: Iterable[PastModeration], month: Month, *, window_months: int
) -> dict[str, DomainAgreement]:
    """Each domain's agreed / moderated count over the `window_months` before `month`
    (deciding rows of `qa.moderation.PastModeration`)."""
    return _tally(
        (key, bool(agrees))
        for m in _deciding(history, month, window_months)
        for key, agrees in m.domain_agreement.items()
    )


def drift(
    history: Iterable[PastModeration], month: Month, *, window_months: int
) -> dict[int, Drift]:
    """Each auditor's changed / moderated count over the `window_months` before `month`."""
    return _tally(
        (m.auditor_id, not m.agreed_overall) for m in _deciding(history, month, window_months)
    )


def figures(
    framework: Framework,
    month: Month,
    history: Sequence[PastModeration],
    *,
    window_months: int,
    min_moderations: int,
) -> Figures:
    """The auditors often changed and the domains with low agreement, before `month`."""
    auditors = {
        a: d
        for a, d in drift(history, month, window_months=window_months).items()
        if d.moderated >= min_moderations and d.hits
    }
    low = framework.moderation.low_agreement
    domains = {
        k: d
        for k, d in domain_agreement(history, month, window_months=window_months).items()
        if d.moderated >= min_moderations and d.rate < low
    }
    return Figures(auditors, domains)


def focus(
    framework: Framework,
    found: Figures,
    *,
    auditor_id: int,
    domain_grades: Mapping[str, str],
) -> Focus | None:
    """The largest need behind one audit (its auditor's, or a low domain it graded),
    with its reason; None when the figures say nothing about it. Ties go to the
    auditor, then to the domains in the framework's order."""
    vocab = framework.vocabulary
    best: Focus | None = None
    a = found.auditors.get(auditor_id)
    if a is not None:
        best = Focus(
            a.rate,
            f"this auditor's grades were changed in {a.hits} of the last "
            f"{a.moderated} {vocab.moderations}",
        )
    for d in framework.audit_form.domains:
        low = found.domains.get(d.key)
        if low is None or d.key not in domain_grades:
            continue
        need = 1 - low.rate
        if best is None or need > best.need:
            best = Focus(
                need,
                f"low agreement on {d.label}: moderators agreed in {low.hits} of the "
                f"last {low.moderated} {vocab.moderations}",
            )
    return best


def focus_lines(framework: Framework, found: Figures, names: Mapping[int, str]) -> list[str]:
    """The month's reasons for the QA lead: who and which domains get a larger share,
    and why (auditors by name, as the QA lead sees them; no case is named)."""
    policy, vocab = framework.moderation, framework.vocabulary
    labels = {d.key: d.label for d in framework.audit_form.domains}
    lines = []
    for key in [d.key for d in framework.audit_form.domains if d.key in found.domains]:
        d = found.domains[key]
        raised = raised_share(framework, 1 - d.rate)
        lines.append(
            f"{labels[key]}: up to {percent(raised)} of {vocab.audits} moderated, as "
            f"moderators agreed with its grade in {d.hits} of {d.moderated} "
            f"{vocab.moderations} (below {percent(policy.low_agreement)})"
        )
    for auditor_id, a in sorted(found.auditors.items(), key=lambda kv: (-kv[1].rate, kv[0])):
        raised = raised_share(framework, a.rate)
        who = names.get(auditor_id, f"auditor {auditor_id}")
        lines.append(
            f"{who}: up to {percent(raised)} of their {vocab.audits} moderated, as their "
            f"grades were changed in {a.hits} of {a.moderated} {vocab.moderations}"
        )
    return lines
