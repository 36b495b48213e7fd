"""How far grades can be trusted: agreement between auditors and moderators.

Moderation gives pairs of grades for the same piece of work: the auditor's and the
moderator's final one (docs/domain.md section 5). From those pairs, on the
framework's ordinal scale, this module works out four figures, each with its count:

- **exact agreement**: the share of pairs with the same grade;
- **within one grade**: the share at most one step apart on the scale;
- **weighted Cohen's kappa, quadratic weights**: agreement beyond what the two sets
  of grades would give by chance, a near miss counting for more than a far one
  (weight 1 - (i - j)^2 / (k - 1)^2 for grades i and j on a scale of k);
- **Gwet's AC1**: agreement beyond chance, with chance estimated so that it does not
  collapse when nearly every grade is the same. Kappa does (the "kappa paradox": 19
  Good/Good pairs and one Good/RI is 95% agreement and a kappa of 0), and QA grades
  are mostly Good, so boards need both. AC1 is the unweighted statistic (AC2 would be
  its weighted form): exact matches only, chance over the scale's q grades.

Degenerate cases are answers, not crashes: a `Statistic` with no value carries the
reason ("no moderated grades yet", "both gave one and the same grade to every piece
of work: kappa cannot be worked out"), never NaN. Exact fractions are used
throughout, so 0.8 is 0.8 and a perfect match is exactly 1.

`agreement_figures` groups the pairs (overall, per domain, per service, per auditor)
from plain `AgreementRow`s the storage layer builds (`storage.agreement`); the trend
is one `Agreement` per month. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TypeVar

from qa.working_days import Month

__all__ = [
    "Agreement",
    "AgreementFigures",
    "AgreementRow",
    "Statistic",
    "agreement",
    "agreement_figures",
    "agreement_trend",
]

K = TypeVar("K", bound=Hashable)

NO_PAIRS = "no moderated grades yet"
ONE_GRADE_SCALE = "the grade scale has one grade only, so there is nothing to agree beyond chance"
KAPPA_ONE_GRADE = (
    "auditors and moderators gave one and the same grade every time, so chance agreement "
    "is certain and kappa cannot be worked out"
)


@dataclass(frozen=True)
class Statistic:
    """One figure with the number of pairs it rests on; `value` None says why in `reason`."""

    value: float | None
    n: int
    reason: str | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.reason is None):
            raise ValueError("a statistic has either a value or a reason, not both or neither")


@dataclass(frozen=True)
class Agreement:
    """The four figures for one group of pairs; `n` pairs in all."""

    n: int
    exact: Statistic  # a fraction from 0 to 1
    within_one: Statistic  # a fraction from 0 to 1
    kappa: Statistic  # quadratic-weighted Cohen's kappa, from -1 to 1
    ac1: Statistic  # Gwet's AC1, from -1 to 1
    exact_count: int = 0  # pairs with the same grade (for whole percentages)
    within_one_count: int = 0


def _ok(value: Fraction, n: int) -> Statistic:
    return Statistic(float(value), n)


def _why(reason: str, n: int) -> Statistic:
    return Statistic(None, n, reason)


def _indexed(pairs: Iterable[tuple[str, str]], scale: Sequence[str]) -> list[tuple[int, int]]:
    rank = {g: i for i, g in enumerate(scale)}
    if len(rank) != len(scale):
        raise ValueError(f"the grade scale repeats a grade: {', '.join(scale)}")
    out = []
    for a, b in pairs:
        if a not in rank or b not in rank:
            bad = a if a not in rank else b
            raise ValueError(
                f"grade '{bad}' is not on the framework's grade scale ({', '.join(scale)})"
            )
        out.append((rank[a], rank[b]))
    return out


def _table(pairs: list[tuple[int, int]], k: int) -> list[list[int]]:
    """The k x k counts of (auditor's grade, moderator's grade): the statistics need only
    these, so the exact arithmetic below is k^2 steps however many pairs there are."""
    counts = [[0] * k for _ in range(k)]
    for i, j in pairs:
        counts[i][j] += 1
    return counts


def _kappa(counts: list[list[int]], n: int) -> Statistic:
    """Quadratic-weighted kappa: (po - pe) / (1 - pe), weights w_ij = 1 - (i-j)^2/(k-1)^2."""
    k = len(counts)
    span = (k - 1) ** 2
    rows = [sum(r) for r in counts]
    cols = [sum(counts[i][j] for i in range(k)) for j in range(k)]
    weight = [[1 - Fraction((i - j) ** 2, span) for j in range(k)] for i in range(k)]
    po = sum((weight[i][j] * counts[i][j] for i in range(k) for j in range(k)), Fraction(0)) / n
    pe = sum(
        (weight[i][j] * rows[i] * cols[j] for i in range(k) for j in range(k)), Fraction(0)
    ) / (n * n)
    if pe == 1:
        return _why(KAPPA_ONE_GRADE, n)
    return _ok((po - pe) / (1 - pe), n)


def _ac1(counts: list[list[int]], n: int) -> Statistic:
    """Gwet's AC1: (pa - pe) / (1 - pe), pe = sum pi_k (1 - pi_k) / (q - 1), where pi_k is
    the mean of the two raters' shares at grade k. pe <= 1/q < 1, so it always divides."""
    q = len(counts)
    pa = Fraction(sum(counts[i][i] for i in range(q)), n)
    share = [
        Fraction(sum(counts[g]) + sum(counts[i][g] for i in range(q)), 2 * n) for g in range(q)
    ]
    pe = sum((p * (1 - p) for p in share), Fraction(0)) / (q - 1)
    return _ok((pa - pe) / (1 - pe), n)


def agreement(pairs: Iterable[tuple[str, str]], scale: Sequence[str]) -> Agreement:
    """The four figures for `pairs` of (auditor's grade, moderator's grade) on `scale`
    (the framework's grade keys in order, best first). A grade not on the scale is an
    error: the caller leaves such pairs out and says so."""
    indexed = _indexed(pairs, scale)
    n = len(indexed)
    if n == 0:
        none = _why(NO_PAIRS, 0)
        return Agreement(0, none, none, none, none)
    exact = sum(i == j for i, j in indexed)
    near = sum(abs(i - j) <= 1 for i, j in indexed)
    if len(scale) < 2:
        chance = _why(ONE_GRADE_SCALE, n)
        kappa = ac1 = chance
    else:
        counts = _table(indexed, len(scale))
        kappa, ac1 = _kappa(counts, n), _ac1(counts, n)
    return Agreement(
        n=n,
        exact=_ok(Fraction(exact, n), n),
        within_one=_ok(Fraction(near, n), n),
        kappa=kappa,
        ac1=ac1,
        exact_count=exact,
        within_one_count=near,
    )


# -- grouping moderations ---------------------------------------------------------------


@dataclass(frozen=True)
class AgreementRow:
    """One moderated piece of work (the deciding moderation only: a panel counts once).

    `overall`: (auditor's overall grade, the final grade after moderation); None when
    the moderator returned the work without a final grade. `domains`: domain key ->
    (auditor's grade, moderator's grade), for the domains both graded. `month`: the
    month the moderation finished, in the authority's zone.
    """

    month: Month
    auditor_id: int
    service_id: int | None
    service: str
    team_id: int | None
    overall: tuple[str, str] | None
    domains: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class AgreementFigures:
    """Agreement on the overall grade, overall and per service and auditor; and per domain
    on the domain grades. Mappings are ordered: domains as the framework lists them,
    services by name, auditors by id."""

    overall: Agreement
    by_domain: Mapping[str, Agreement]
    by_service: Mapping[str, Agreement]
    by_auditor: Mapping[int, Agreement]


def _grouped(
    groups: Mapping[K, list[tuple[str, str]]], scale: Sequence[str], order: Iterable[K]
) -> dict[K, Agreement]:
    return {key: agreement(groups[key], scale) for key in order if key in groups}


def agreement_figures(
    rows: Iterable[AgreementRow],
    scale: Sequence[str],
    domains: Sequence[str],
    *,
    months: Collection[Month] | None = None,
    groups: bool = True,
) -> AgreementFigures:
    """The figures for the rows of `months` (every row when None). Every framework domain
    has an entry, with n = 0 when nobody graded it. `groups=False` leaves the per-service
    and per-auditor mappings empty, for a view that shows neither (status, every time a
    QA lead asks)."""
    overall: list[tuple[str, str]] = []
    by_domain: dict[str, list[tuple[str, str]]] = {d: [] for d in domains}
    by_service: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
    by_auditor: defaultdict[int, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        if months is not None and row.month not in months:
            continue
        for key, pair in row.domains.items():
            if key in by_domain:
                by_domain[key].append(pair)
        if row.overall is None:
            continue
        overall.append(row.overall)
        if groups:
            by_service[row.service].append(row.overall)
            by_auditor[row.auditor_id].append(row.overall)
    return AgreementFigures(
        overall=agreement(overall, scale),
        by_domain=_grouped(by_domain, scale, domains),
        by_service=_grouped(by_service, scale, sorted(by_service, key=str.casefold)),
        by_auditor=_grouped(by_auditor, scale, sorted(by_auditor)),
    )


def agreement_trend(
    rows: Iterable[AgreementRow], scale: Sequence[str], *, last: Month, count: int = 12
) -> tuple[tuple[Month, Agreement], ...]:
    """Agreement on the overall grade month by month: the `count` months to `last`."""
    if count < 1:
        raise ValueError(f"a trend needs at least one month, not {count}")
    months = [last.shift(i - count + 1) for i in range(count)]
    by_month: dict[Month, list[tuple[str, str]]] = {m: [] for m in months}
    for row in rows:
        if row.overall is not None and row.month in by_month:
            by_month[row.month].append(row.overall)
    return tuple((m, agreement(by_month[m], scale)) for m in months)
