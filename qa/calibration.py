"""Calibration figures: how far moderators agree with auditors (docs/domain.md section 7).

For the monthly summary and the QA lead's status: the agreement rate overall, by
domain, by auditor and by service; how many grades moderators moved up and down; the
moderation backlog and what is overdue. Every rate comes with its counts (`Rate`), so
a report can hold back a percentage worked out from two moderations instead of
printing "100%".

A panel records several views of one audit; only the deciding row (the chair's, or
the sole moderator's: `PastModeration.deciding`) counts, so a panel of five does not
count as five agreements. Pure: `today` is passed in, never read from a clock.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from qa.framework import Framework
from qa.moderation import PastModeration
from qa.moderation_dialog import is_downgrade

__all__ = ["Calibration", "GradeChange", "PendingModeration", "Rate", "calibration"]

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class PendingModeration:
    """A moderation assigned and not yet finished (one per moderator on a panel)."""

    audit_id: int
    due_on: date


@dataclass(frozen=True)
class Rate:
    """`agreed` of `total`; `fraction` is None when there is nothing to divide."""

    agreed: int = 0
    total: int = 0

    @property
    def fraction(self) -> float | None:
        return self.agreed / self.total if self.total else None

    def add(self, agreed: bool) -> Rate:
        return Rate(self.agreed + agreed, self.total + 1)


@dataclass(frozen=True)
class GradeChange:
    """`count` overall grades moved from `original` to `final` by moderation."""

    original: str
    final: str
    count: int


@dataclass(frozen=True)
class Calibration:
    """The figures; mappings are ordered (framework order for domains, else by key).

    `up`/`down`: grades a moderator made better/worse; `returned`: audits sent back to
    their authors (no final grade). `backlog`/`overdue`: audits with a moderation still
    open / open past its due date, with `overdue_audit_ids` for the status view.
    """

    agreement_rate: Rate
    by_domain: Mapping[str, Rate]
    by_auditor: Mapping[int, Rate]
    by_service: Mapping[str, Rate]
    up: int
    down: int
    returned: int
    changes: tuple[GradeChange, ...]
    backlog: int
    overdue: int
    overdue_audit_ids: tuple[int, ...]


def _ordered(rates: Mapping[K, Rate], order: Iterable[K] = ()) -> dict[K, Rate]:
    first = [k for k in order if k in rates]
    placed = set(first)
    rest = sorted((k for k in rates if k not in placed), key=str)
    return {k: rates[k] for k in (*first, *rest)}


def _check(framework: Framework, moderations: Iterable[PastModeration]) -> None:
    scale = framework.grade_keys
    problems = [
        f"moderation of audit {m.audit_id} has grade '{g}', which is not in the framework's "
        f"grade scale ({', '.join(scale)})"
        for m in moderations
        for g in (m.original_grade, m.final_grade)
        if g is not None and g not in scale
    ]
    if problems:
        raise ValueError("cannot work out calibration figures: " + "; ".join(problems))


def calibration(
    framework: Framework,
    moderations: Iterable[PastModeration],
    *,
    open_moderations: Iterable[PendingModeration] = (),
    today: date,
) -> Calibration:
    """The calibration figures for the finished `moderations` given (the caller picks the
    period) and the moderations still open on `today`."""
    deciding = [m for m in moderations if m.deciding]
    _check(framework, deciding)
    overall = Rate()
    by_domain: defaultdict[str, Rate] = defaultdict(Rate)
    by_auditor: defaultdict[int, Rate] = defaultdict(Rate)
    by_service: defaultdict[str, Rate] = defaultdict(Rate)
    changes: Counter[tuple[str, str]] = Counter()
    up = down = returned = 0
    for m in deciding:
        overall = overall.add(m.agreed_overall)
        by_auditor[m.auditor_id] = by_auditor[m.auditor_id].add(m.agreed_overall)
        service = m.service or "unknown"
        by_service[service] = by_service[service].add(m.agreed_overall)
        for domain, agreed in m.domain_agreement.items():
            by_domain[domain] = by_domain[domain].add(agreed)
        if m.final_grade is None:
            returned += 1
        elif m.final_grade != m.original_grade:
            changes[(m.original_grade, m.final_grade)] += 1
            if is_downgrade(framework, m.original_grade, m.final_grade):
                down += 1
            else:
                up += 1
    rank = {g: i for i, g in enumerate(framework.grade_keys)}
    open_due: dict[int, date] = {}
    for o in open_moderations:
        open_due[o.audit_id] = min(o.due_on, open_due.get(o.audit_id, o.due_on))
    overdue_ids = tuple(sorted(a for a, due in open_due.items() if due < today))
    return Calibration(
        agreement_rate=overall,
        by_domain=_ordered(by_domain, (d.key for d in framework.audit_form.domains)),
        by_auditor=_ordered(by_auditor, sorted(by_auditor)),
        by_service=_ordered(by_service),
        up=up,
        down=down,
        returned=returned,
        changes=tuple(
            GradeChange(o, f, n)
            for (o, f), n in sorted(changes.items(), key=lambda x: (rank[x[0][0]], rank[x[0][1]]))
        ),
        backlog=len(open_due),
        overdue=len(overdue_ids),
        overdue_audit_ids=overdue_ids,
    )
