"""The framework's allocation rules, each as a small pure function of plain values.

`qa.allocation` decides who audits what by combining these; keeping each rule here
on its own makes every one readable next to the framework key it comes from
(docs/domain.md section 3) and testable without building a whole authority.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from qa.framework import Cadence, Framework, Reaudit
from qa.working_days import (
    Month,
    add_months,
    long_date,
    nth_working_day,
    working_days_after,
    working_days_in,
)

CASE_ACTIVITIES = ("audit", "themed_audit", "dip_sample")
_MASK = (1 << 64) - 1


def mix(seed: int, value: int) -> int:
    """A well-spread integer from (seed, value) (splitmix64): seeded, never random."""
    z = (seed * 0x9E3779B97F4A7C15 + value + 0x632BE59BD9B4E5F) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def split_evenly(total: int, parts: int, index: int) -> int:
    """Share `index` of `total` split over `parts`, earlier parts taking the remainder."""
    base, extra = divmod(total, parts)
    return base + (1 if index < extra else 0)


def uses_bank_holidays(fw: Framework) -> bool:
    return fw.reminders.bank_holidays != "none"


# -- active months and the allocation calendar (allocation.active_months, working_day) --


def is_active(fw: Framework, month: Month) -> bool:
    return month.month in fw.allocation.active_months


def active_index(fw: Framework, month: Month) -> int | None:
    """How many active months precede this one since year 0 (None if inactive).

    Counting active months, not calendar months, is what makes "every second month"
    alternate evenly when August and December are skipped.
    """
    active = sorted(set(fw.allocation.active_months))
    if month.month not in active:
        return None
    return month.year * len(active) + active.index(month.month)


def next_active(fw: Framework, month: Month) -> Month | None:
    return next((month.shift(i) for i in range(1, 13) if is_active(fw, month.shift(i))), None)


def previous_active(fw: Framework, month: Month) -> Month | None:
    return next((month.shift(-i) for i in range(1, 13) if is_active(fw, month.shift(-i))), None)


def allocation_day(fw: Framework, month: Month) -> date:
    """The `allocation.working_day`-th working day of the month: allocations are made then."""
    return nth_working_day(month, fw.allocation.working_day, bank_holidays=uses_bank_holidays(fw))


def due_date(fw: Framework, month: Month) -> date:
    """`allocation.due_working_days` working days after the allocation day."""
    return working_days_after(
        allocation_day(fw, month),
        fw.allocation.due_working_days,
        bank_holidays=uses_bank_holidays(fw),
    )


# -- people: cadence, capacity, absence, line management ----------------------------


def cadence_due(fw: Framework, cadence: Cadence, month: Month, phase: int) -> bool:
    """Whether a holder with this `phase` (0..every_months-1) is due this month."""
    index = active_index(fw, month)
    return index is not None and (index - phase) % cadence.every_months == 0


def phases(holder_ids: Iterable[int], every_months: int) -> dict[int, int]:
    """A phase per holder, by rank of id: holders split evenly across the months.

    Stable while the holders stay the same; when someone joins or leaves, the holders
    ranked after them may shift by a month (evenness is what the frameworks ask for).
    """
    return {pid: rank % every_months for rank, pid in enumerate(sorted(set(holder_ids)))}


def capacity_of(fw: Framework, roles: Iterable[str], capacity: int | None) -> int:
    """Cases a person can take a month: their own figure, else their roles' largest default."""
    if capacity is not None:
        return capacity
    known = set(fw.role_keys)
    return max((fw.role(r).default_capacity for r in roles if r in known), default=0)


def mostly_absent(fw: Framework, month: Month, absences: Iterable[tuple[date, date]]) -> bool:
    """Absent on more than half the month's working days."""
    absences = list(absences)
    if not absences:
        return False
    days = working_days_in(month, bank_holidays=uses_bank_holidays(fw))
    away = sum(1 for d in days if any(start <= d <= end for start, end in absences))
    return away * 2 > len(days)


def managers_of(line_manager: Mapping[int, int | None], person_id: int) -> tuple[int, ...]:
    """The person's line managers, nearest first, up the chain (loops are cut)."""
    out: list[int] = []
    seen = {person_id}
    boss = line_manager.get(person_id)
    while boss is not None and boss not in seen:
        out.append(boss)
        seen.add(boss)
        boss = line_manager.get(boss)
    return tuple(out)


# -- cases: re-audit, no-re-audit period, quotas -------------------------------------


def reaudit_rule(fw: Framework, grade: str | None) -> Reaudit | None:
    return next((r for r in fw.reaudit if r.grade == grade), None)


def reaudit_deadline(fw: Framework, grade: str | None, completed_on: date) -> date | None:
    """When a case graded `grade` on `completed_on` must be audited again, if ever."""
    rule = reaudit_rule(fw, grade)
    return add_months(completed_on, rule.within_months) if rule else None


def reaudit_threshold(fw: Framework, month: Month) -> date | None:
    """Re-audit deadlines before this day are due this month (None: every deadline).

    A re-audit comes first in the last two active months whose allocations can still
    meet its deadline: two chances, so one month without room (or a worker already at
    the per-worker limit) does not make it late.
    """
    following = next_active(fw, month)
    after = next_active(fw, following) if following else None
    return due_date(fw, after) if after else None


def reaudit_last_chance(fw: Framework, month: Month, deadline: date) -> bool:
    """Whether waiting for the next active month would miss the deadline."""
    following = next_active(fw, month)
    return following is None or deadline < due_date(fw, following)


def reaudit_allowed_from(fw: Framework, last_audited: date) -> date:
    """First day a case may be audited again without a re-audit being due."""
    return add_months(last_audited, fw.allocation.no_reaudit_months)


def dip_sample_window(fw: Framework, month: Month) -> tuple[date, date]:
    """Audits completed in this window trigger this month's dip samples.

    From the first day of the previous active month to the day before this month:
    consecutive active months' windows meet without overlapping, and audits finished
    in an inactive month (Camden's August) are picked up by the next active one.
    """
    before = previous_active(fw, month) or month.shift(-1)
    return before.first, month.shift(-1).last


@dataclass(frozen=True)
class Quota:
    """Cases to allocate this month: in `area`, or any open case when `area` is None.

    `roles` limits who may take them (empty: the month's cadence auditors);
    `fresh_since` excludes cases audited on or after that day (a review window's
    "the rest": cases not yet reviewed this cycle).
    """

    key: str
    name: str
    area: str | None
    target: int
    reason: str
    roles: tuple[str, ...] = ()
    fresh_since: date | None = None


def authority_short(fw: Framework) -> str:
    """`London Borough of Lambeth` from `London Borough of Lambeth, Children's Social Care`."""
    return fw.authority.split(",")[0].strip()


def cycle_quotas(fw: Framework, month: Month) -> list[Quota]:
    """This month's even share of every area's cycle target (`cycle`, `areas[].cycle_target`)."""
    if not fw.cycle or not is_active(fw, month):
        return []
    m = fw.cycle.months
    start = month.shift(-((month.month - fw.cycle.start_month) % m))
    cycle = [start.shift(i) for i in range(m) if is_active(fw, start.shift(i))]
    k, n = cycle.index(month), len(cycle)
    out = []
    for area in fw.areas:
        if area.cycle_target is None:
            continue
        target = split_evenly(area.cycle_target, n, k)
        reason = (
            f"{authority_short(fw)} cycle: {area.label} quota {target} of {area.cycle_target}"
            f" (month {k + 1} of {n}, {start.name} to {start.shift(m - 1).name})"
        )
        out.append(Quota(f"cycle:{area.key}", f"{area.label} quota", area.key, target, reason))
    return out


@dataclass(frozen=True)
class WindowTerm:
    """Where `month` falls in a review window (`review_windows[index]`)."""

    index: int
    position: int  # 0-based among the window's active months
    months: int  # the window's active months
    starts: Month  # this occurrence's first month
    cycle_starts: Month  # the first window's latest start at or before `starts`


def window_terms(fw: Framework, month: Month) -> list[WindowTerm]:
    if not fw.review_windows or not is_active(fw, month):
        return []
    first = fw.review_windows[0].months[0]
    out = []
    for i, window in enumerate(fw.review_windows):
        active = [mo for mo in window.months if mo in fw.allocation.active_months]
        if month.month not in active:
            continue
        starts = next(month.shift(-j) for j in range(12) if month.shift(-j).month == active[0])
        cycle = next(starts.shift(-j) for j in range(12) if starts.shift(-j).month == first)
        out.append(WindowTerm(i, active.index(month.month), len(active), starts, cycle))
    return out


def window_quota(fw: Framework, term: WindowTerm, *, open_cases: int, reviewed: int) -> Quota:
    """This month's share of a review window; `reviewed`: open cases done earlier this cycle."""
    window = fw.review_windows[term.index]
    total = window.cases_for(open_cases=open_cases, reviewed_this_cycle=reviewed)
    target = split_evenly(total, term.months, term.position)
    label = window.label or f"Review window {term.starts.name}"
    reason = f"{label}: {target} this month of {total} in the window ({authority_short(fw)})"
    return Quota(
        f"window:{term.index}",
        label,
        None,
        target,
        reason,
        roles=tuple(window.roles),
        fresh_since=term.cycle_starts.first,
    )


def case_history_note(fw: Framework, last_audited: date | None) -> str:
    """Why this case rather than another, in the authority's words."""
    if last_audited is None:
        return f"no {fw.vocabulary.audit} yet"
    return f"last {fw.vocabulary.audit} {long_date(last_audited)}"


def cadence_phrase(fw: Framework, cadence: Cadence) -> str:
    """`Team manager: 1 audit every second month`."""
    noun = fw.vocabulary.moderation if cadence.activity == "moderation" else fw.vocabulary.audit
    if cadence.activity == "themed_audit":
        noun = f"themed {fw.vocabulary.audit}"
    if cadence.activity == "dip_sample":
        noun = "dip sample"
    plural = noun if cadence.count == 1 else _plural(fw, noun)
    every = {1: "a month", 2: "every second month", 3: "every third month"}.get(
        cadence.every_months, f"every {cadence.every_months} months"
    )
    bound = ""
    if cadence.areas is not None:
        bound = " of a case in " + _either([fw.area(a).label for a in cadence.areas])
    if cadence.services is not None:
        bound += " in " + _either(cadence.services)
    return f"{fw.role(cadence.role).label}: {cadence.count} {plural}{bound} {every}"


def _either(names: list[str]) -> str:
    """`A`, `A or B`, `A, B or C`."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _plural(fw: Framework, noun: str) -> str:
    if noun == fw.vocabulary.audit:
        return fw.vocabulary.audits
    if noun == fw.vocabulary.moderation:
        return fw.vocabulary.moderations
    return noun if noun.endswith("s") else noun + "s"
