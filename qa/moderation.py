"""Which submitted audits are moderated this month, and by whom (docs/domain.md section 5).

Pure, like `qa.allocation`: the monthly job, a dry run and the tests call the same
functions with plain values built from database rows, and the same inputs always give
the same answer, whatever their order.

**Selection** (`select_for_moderation`): every audit graded one of
`moderation.always_grades`, plus a sample of those graded `sample_grades`. Whether an
audit is in the sample is decided by a hash of the month and the audit's id compared
with the share, never by `random`: re-running selects the same audits, and adding an
audit never changes whether another is picked (so a job that runs every day as audits
arrive agrees with one that runs once). Auditors whose overall grades moderators often
changed get a higher share, up to `drift_boost` more, so effort goes where grading
drifts; only months before the one being selected count, so moderations finished this
month cannot change this month's selection. Where the framework follows the figures
(`moderation.follow_figures`, issue 15), `qa.moderation_focus` takes that part: auditors
often changed and domains with low agreement raise the share, within the free slots.

**Assignment** (`assign`): each selected audit goes to one person holding a
`moderator_roles` role with capacity left this month, never its author and never one
the framework's `exclusions` rule out (the case's team manager and anyone else in the
case's team, the author's line manager, the case's worker). Among those eligible: someone who
did not moderate this auditor last month, when there is such a person; then the one
with the fewest moderations this month; then a tie-break seeded from the month. The
framework's mandatory grades are assigned first, so a shortage of moderators leaves
sampled audits unassigned, not Inadequate ones. In panel mode (City of London) every
eligible holder of a `panel_roles` role records a view and the holder of `chair_role`
decides; a panel member who wrote the audit sits out.

**Due dates**: `moderation.due_working_days` working days after the later of the
audit's submission date and the month's allocation day. A monthly batch on the
allocation day gets the same deadline for all; a job that assigns each audit as it is
submitted gives each its own; an audit carried over from last month is never due
before this month's work begins.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from qa.allocation_rules import allocation_day, uses_bank_holidays
from qa.framework import Framework
from qa.moderation_focus import Drift, Figures, drift, figures, focus, percent, raised_share
from qa.working_days import Month, working_days_after

__all__ = [
    "DRIFT_MIN_MODERATIONS",
    "DRIFT_WINDOW_MONTHS",
    "Assigned",
    "Assignment",
    "Drift",
    "Moderator",
    "PastModeration",
    "Selected",
    "SubmittedAudit",
    "Unassigned",
    "assign",
    "drift",
    "due_date",
    "monthly_capacity",
    "sample_fraction",
    "select_for_moderation",
]

DRIFT_WINDOW_MONTHS = 6  # the months of history that count towards an auditor's drift
DRIFT_MIN_MODERATIONS = 2  # fewer moderations than this say nothing about drift

SelectionBasis = Literal["always", "sample", "drift", "figures"]


# -- inputs ------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmittedAudit:
    """A submitted audit awaiting moderation, known by ids only (no child's details)."""

    id: int
    case_id: int
    case_team: str | None
    case_service: str | None
    case_team_manager_ids: tuple[int, ...]
    worker_id: int | None
    auditor_id: int
    auditor_line_manager_id: int | None
    overall_grade: str
    domain_grades: Mapping[str, str]
    submitted_on: date


@dataclass(frozen=True)
class Moderator:
    """A person who may moderate: their roles and what is left of this month's capacity.

    `capacity_left` is `monthly_capacity` less the moderations already assigned to them
    this month, `assigned_this_month` those moderations (for balancing across re-runs).
    """

    id: int
    roles: tuple[str, ...]
    team: str | None = None
    capacity_left: int = 0
    assigned_this_month: int = 0
    service: str | None = None  # compared with `SubmittedAudit.case_service`


@dataclass(frozen=True)
class PastModeration:
    """A finished moderation (one row per moderator: a panel has several per audit).

    `deciding` is False for a panel member's view where the chair decides: only deciding
    rows count towards agreement and drift. `final_grade` is None when the audit was
    returned to its author.
    """

    audit_id: int
    auditor_id: int
    moderator_id: int
    month: Month
    agreed_overall: bool
    original_grade: str
    final_grade: str | None
    domain_agreement: Mapping[str, bool] = field(default_factory=dict)
    service: str | None = None
    deciding: bool = True


# -- outputs -----------------------------------------------------------------------


@dataclass(frozen=True)
class Selected:
    """An audit picked for moderation and why, in words a person can read."""

    audit_id: int
    reason: str
    basis: SelectionBasis = "always"


@dataclass(frozen=True)
class Assigned:
    audit_id: int
    moderator_id: int
    is_chair: bool
    due_on: date


@dataclass(frozen=True)
class Unassigned:
    audit_id: int
    reason: str


@dataclass(frozen=True)
class Assignment:
    assigned: tuple[Assigned, ...]
    unassigned: tuple[Unassigned, ...]


# -- small rules -------------------------------------------------------------------


def sample_fraction(month: Month, audit_id: int) -> float:
    """A number in [0, 1) fixed by the month and the audit: below the share means sampled."""
    digest = hashlib.sha256(f"{month.key}:{audit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _tie_break(month: Month, person_id: int) -> int:
    digest = hashlib.sha256(f"{month.key}:moderator:{person_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _percent(share: float) -> str:
    text = f"{share * 100:.1f}".removesuffix(".0")
    return f"{text}%"


def monthly_capacity(framework: Framework, roles: Iterable[str]) -> int:
    """Moderations a person can take a month.

    The largest count of their roles' `moderation` cadences (Camden: Heads of Service 4,
    the Heads of QA and of Practice and Learning 1), else `moderation.capacity_per_month`.
    """
    held = set(roles)
    counts = [c.count for c in framework.cadences if c.activity == "moderation" and c.role in held]
    return max(counts) if counts else framework.moderation.capacity_per_month


def due_date(framework: Framework, month: Month, submitted_on: date) -> date:
    """`due_working_days` working days after the later of submission and the allocation day."""
    start = max(submitted_on, allocation_day(framework, month))
    return working_days_after(
        start,
        framework.moderation.due_working_days,
        bank_holidays=uses_bank_holidays(framework),
    )


# -- selection ---------------------------------------------------------------------


def _check_audits(framework: Framework, audits: Sequence[SubmittedAudit]) -> None:
    problems = [
        f"audit id {i} is given twice" for i, n in Counter(a.id for a in audits).items() if n > 1
    ]
    scale = ", ".join(framework.grade_keys)
    problems += [
        f"audit {a.id} is graded '{a.overall_grade}', which is not in the framework's "
        f"grade scale ({scale})"
        for a in audits
        if a.overall_grade not in framework.grade_keys
    ]
    if problems:
        raise ValueError("cannot select for moderation: " + "; ".join(sorted(problems)))


def select_for_moderation(
    framework: Framework,
    month: Month,
    audits: Iterable[SubmittedAudit],
    history: Iterable[PastModeration] = (),
    *,
    drift_window_months: int = DRIFT_WINDOW_MONTHS,
    drift_min_moderations: int = DRIFT_MIN_MODERATIONS,
    free_slots: int | None = None,
) -> tuple[Selected, ...]:
    """The audits to moderate this month, by audit id, each with its reason.

    `audits` are those submitted and not yet considered for moderation; `history` the
    finished moderations (only deciding rows in the `drift_window_months` before `month`
    count, and only for auditors with at least `drift_min_moderations` of them).

    Where the framework has `moderation.fill_slots`, `free_slots` (the moderators'
    slots still free this month) replaces the share: the always-moderated grades
    come first, then the sample grades in submission order while a slot is left.
    """
    audits = sorted(audits, key=lambda a: a.id)
    _check_audits(framework, audits)
    policy = framework.moderation
    found = (
        figures(
            framework,
            month,
            list(history),
            window_months=drift_window_months,
            min_moderations=drift_min_moderations,
        )
        if policy.follow_figures
        else None
    )
    if policy.fill_slots and free_slots is not None:
        return _fill_slots(framework, audits, free_slots, found)
    vocab = framework.vocabulary
    labels = {g.key: g.label for g in framework.grades}
    every_grade = set(policy.always_grades) >= set(framework.grade_keys)
    drifts = drift(history, month, window_months=drift_window_months)
    out: list[Selected] = []
    unpicked: list[SubmittedAudit] = []
    for audit in audits:
        grade = audit.overall_grade
        label = labels[grade]
        if grade in policy.always_grades:
            why = (
                f"every {vocab.audit} is moderated"
                if every_grade
                else f"graded {label}: every {label} {vocab.audit} is moderated"
            )
            out.append(Selected(audit.id, why, "always"))
            continue
        if grade not in policy.sample_grades:
            continue
        fraction = sample_fraction(month, audit.id)
        base = policy.sample_share
        if fraction < base:
            why = f"sample of {label} {vocab.audits} ({_percent(base)})"
            out.append(Selected(audit.id, why, "sample"))
            continue
        if found is not None:
            unpicked.append(audit)
            continue
        d = drifts.get(audit.auditor_id)
        if d is None or d.moderated < drift_min_moderations or not d.hits:
            continue
        raised = min(1.0, base + policy.drift_boost * d.rate)
        if fraction < raised:
            why = (
                f"sample raised to {_percent(raised)}: this auditor's grades were changed in "
                f"{d.hits} of the last {d.moderated} {vocab.moderations}"
            )
            out.append(Selected(audit.id, why, "drift"))
    if found is not None:
        slots = None if free_slots is None else max(0, free_slots - len(out))
        out += _follow_figures(framework, month, unpicked, found, slots)
        out.sort(key=lambda s: s.audit_id)
    return tuple(out)


def _follow_figures(
    framework: Framework,
    month: Month,
    audits: Sequence[SubmittedAudit],
    found: Figures,
    slots: int | None,
) -> list[Selected]:
    """The sample-grade audits the fixed share left out that the figures pick: those
    whose fraction is below their raised share, the neediest first while `slots` last
    (None: no bound, as in a dry run without moderators)."""
    picks: list[tuple[float, float, int, str]] = []
    for audit in audits:
        f = focus(framework, found, auditor_id=audit.auditor_id, domain_grades=audit.domain_grades)
        if f is None:
            continue
        raised = raised_share(framework, f.need)
        fraction = sample_fraction(month, audit.id)
        if fraction < raised:
            picks.append(
                (-f.need, fraction, audit.id, f"sample raised to {percent(raised)}: {f.reason}")
            )
    picks.sort()
    if slots is not None:
        picks = picks[:slots]
    return [Selected(audit_id, why, "figures") for _, _, audit_id, why in picks]


def _fill_slots(
    framework: Framework,
    audits: Sequence[SubmittedAudit],
    free_slots: int,
    found: Figures | None = None,
) -> tuple[Selected, ...]:
    """Camden's rule: every always-grade audit, then sample grades while slots are free;
    following the figures (`found`), those the figures point at take the slots first."""
    policy, vocab = framework.moderation, framework.vocabulary
    labels = {g.key: g.label for g in framework.grades}
    out = [
        Selected(
            a.id,
            f"graded {labels[a.overall_grade]}: every {labels[a.overall_grade]} "
            f"{vocab.audit} is moderated",
            "always",
        )
        for a in audits
        if a.overall_grade in policy.always_grades
    ]
    left = free_slots - len(out)
    needs = {
        a.id: f
        for a in audits
        if found is not None
        and (f := focus(framework, found, auditor_id=a.auditor_id, domain_grades=a.domain_grades))
    }
    order = sorted(
        audits, key=lambda a: (-(needs[a.id].need if a.id in needs else 0.0), a.submitted_on, a.id)
    )
    for a in order:
        if left <= 0:
            break
        if a.overall_grade in policy.always_grades or a.overall_grade not in policy.sample_grades:
            continue
        label = labels[a.overall_grade]
        why = (
            f"a selection of {label} {vocab.audits}, to fill this month's "
            f"{vocab.moderation} slots ({left} free)"
        )
        if a.id in needs:  # still a slot filler (basis "sample"), taken first: say why
            why = (
                f"first for this month's {vocab.moderation} slots ({left} free): "
                f"{needs[a.id].reason}"
            )
        out.append(Selected(a.id, why, "sample"))
        left -= 1
    return tuple(sorted(out, key=lambda s: s.audit_id))


# -- assignment --------------------------------------------------------------------


def _excluded_because(framework: Framework, audit: SubmittedAudit, person: Moderator) -> str | None:
    """Why `person` may not moderate `audit`, if they may not.

    The author never may, whatever `exclusions` says: moderating one's own audit is no
    moderation. The other exclusions apply as the framework lists them.
    """
    rules = framework.moderation.exclusions
    vocab = framework.vocabulary
    if person.id == audit.auditor_id:
        return f"the {vocab.audit}'s author"
    if "case_team_manager" in rules:
        if person.id in audit.case_team_manager_ids:
            return "the case's team manager"
        if audit.case_team is not None and person.team == audit.case_team:
            return "in the case's team"
    if "author_line_manager" in rules and person.id == audit.auditor_line_manager_id:
        return "the author's line manager"
    if "case_worker" in rules and person.id == audit.worker_id:
        return "the case's worker"
    return None


def _check_assign_inputs(
    selected: Sequence[Selected],
    audits: Mapping[int, SubmittedAudit],
    audit_list: Sequence[SubmittedAudit],
    moderators: Sequence[Moderator],
) -> None:
    problems = [
        f"{what} id {i} is given twice"
        for what, ids in (
            ("audit", [a.id for a in audit_list]),
            ("moderator", [m.id for m in moderators]),
            ("selected audit", [s.audit_id for s in selected]),
        )
        for i, n in Counter(ids).items()
        if n > 1
    ]
    problems += [
        f"selected audit {s.audit_id} is not among the audits given"
        for s in selected
        if s.audit_id not in audits
    ]
    problems += [
        f"moderator {m.id} has negative capacity left ({m.capacity_left})"
        for m in moderators
        if m.capacity_left < 0
    ]
    if problems:
        raise ValueError("cannot assign moderations: " + "; ".join(sorted(problems)))


class _Book:
    """Capacity and load as the assignment goes: the only mutable state, kept local."""

    def __init__(
        self,
        month: Month,
        moderators: Sequence[Moderator],
        history: Iterable[PastModeration],
        prefer_own_service: bool = False,
    ):
        self.month = month
        self.prefer_own_service = prefer_own_service
        self.service = {m.id: m.service for m in moderators}
        self.left = {m.id: m.capacity_left for m in moderators}
        self.load = {m.id: m.assigned_this_month for m in moderators}
        last = month.shift(-1)
        self.last_month = {(h.auditor_id, h.moderator_id) for h in history if h.month == last}
        self.this_run: set[tuple[int, int]] = set()

    def rank(
        self, auditor_id: int, person_id: int, service: str | None = None
    ) -> tuple[bool, bool, int, bool, int, int]:
        """Own service first where the framework says so, then the existing balance."""
        elsewhere = (
            self.prefer_own_service
            and service is not None
            and self.service.get(person_id) != service
        )
        return (
            elsewhere,
            (auditor_id, person_id) in self.last_month,
            self.load[person_id],
            (auditor_id, person_id) in self.this_run,
            _tie_break(self.month, person_id),
            person_id,
        )

    def take(self, auditor_id: int, person_id: int) -> None:
        self.left[person_id] -= 1
        self.load[person_id] += 1
        self.this_run.add((auditor_id, person_id))


def _why_nobody(
    framework: Framework,
    audit: SubmittedAudit,
    holders: Sequence[Moderator],
    roles: Sequence[str],
    who: str = "moderator",
) -> str:
    """Why none of `holders` (the holders of `roles`) can take `audit`, counted by reason."""
    vocab = framework.vocabulary
    if not roles:
        return "the framework names no moderator roles (moderation.moderator_roles)"
    if not holders:
        labels = ", ".join(framework.role(r).label for r in roles)
        return f"nobody holds a {who}'s role ({labels})"
    reasons: Counter[str] = Counter()
    for m in holders:
        because = _excluded_because(framework, audit, m)
        reasons[because or "no capacity left this month"] += 1
    parts = [f"{r} ({n})" for r, n in sorted(reasons.items())]
    return f"no {who} is free for this {vocab.audit}: " + ", ".join(parts)


def _assign_one(
    framework: Framework,
    audit: SubmittedAudit,
    moderators: Sequence[Moderator],
    book: _Book,
    due_on: date,
) -> Assigned | Unassigned:
    roles = framework.moderation.moderator_roles
    holders = [m for m in moderators if set(m.roles) & set(roles)]
    eligible = [
        m for m in holders if book.left[m.id] > 0 and _excluded_because(framework, audit, m) is None
    ]
    if not eligible:
        return Unassigned(audit.id, _why_nobody(framework, audit, holders, roles))
    chosen = min(eligible, key=lambda m: book.rank(audit.auditor_id, m.id, audit.case_service))
    book.take(audit.auditor_id, chosen.id)
    return Assigned(audit.id, chosen.id, False, due_on)


def _assign_panel(
    framework: Framework,
    audit: SubmittedAudit,
    moderators: Sequence[Moderator],
    book: _Book,
    due_on: date,
) -> list[Assigned] | Unassigned:
    policy = framework.moderation
    chair_role = policy.chair_role
    if chair_role is None:
        return Unassigned(
            audit.id, "the framework has a panel but names no chair (moderation.chair_role)"
        )
    chairs = [m for m in moderators if chair_role in m.roles]
    free_chairs = [
        m for m in chairs if book.left[m.id] > 0 and _excluded_because(framework, audit, m) is None
    ]
    if not free_chairs:
        excused = _excluded_because(framework, audit, chairs[0]) if len(chairs) == 1 else None
        if excused:
            chair_label = framework.role(chair_role).label
            why = (
                f"the chair ({chair_label}) is {excused}, so cannot chair its "
                f"{framework.vocabulary.moderation}: ask someone else to chair it"
            )
        else:
            why = _why_nobody(framework, audit, chairs, [chair_role], "chair")
        return Unassigned(audit.id, why)
    chair = min(free_chairs, key=lambda m: book.rank(audit.auditor_id, m.id))
    members = [
        m
        for m in moderators
        if m.id != chair.id
        and set(m.roles) & set(policy.panel_roles)
        and book.left[m.id] > 0
        and _excluded_because(framework, audit, m) is None
    ]
    out = [Assigned(audit.id, chair.id, True, due_on)]
    out += [Assigned(audit.id, m.id, False, due_on) for m in sorted(members, key=lambda m: m.id)]
    for a in out:
        book.take(audit.auditor_id, a.moderator_id)
    return out


def assign(
    framework: Framework,
    month: Month,
    selected: Iterable[Selected],
    audits: Iterable[SubmittedAudit],
    moderators: Iterable[Moderator],
    history: Iterable[PastModeration] = (),
) -> Assignment:
    """Who moderates each selected audit this month, and what could not be assigned.

    `selected` are the audits to assign now (not those already assigned); `moderators`
    everyone who may moderate, with their capacity left this month; `history` finished
    moderations (last month's say who moderated whom).
    """
    audit_list = list(audits)
    by_id = {a.id: a for a in audit_list}
    people = sorted(moderators, key=lambda m: m.id)
    picks = list(selected)
    _check_assign_inputs(picks, by_id, audit_list, people)
    book = _Book(month, people, history, framework.moderation.prefer_own_service)
    priority = {"always": 0, "drift": 1, "sample": 1, "figures": 1}
    picks.sort(key=lambda s: (priority[s.basis], by_id[s.audit_id].submitted_on, s.audit_id))
    assigned: list[Assigned] = []
    unassigned: list[Unassigned] = []
    for s in picks:
        audit = by_id[s.audit_id]
        due_on = due_date(framework, month, audit.submitted_on)
        if framework.moderation.panel:
            result = _assign_panel(framework, audit, people, book, due_on)
        else:
            one = _assign_one(framework, audit, people, book, due_on)
            result = [one] if isinstance(one, Assigned) else one
        if isinstance(result, Unassigned):
            unassigned.append(result)
        else:
            assigned.extend(result)
    assigned.sort(key=lambda a: (a.audit_id, not a.is_chair, a.moderator_id))
    unassigned.sort(key=lambda u: u.audit_id)
    return Assignment(tuple(assigned), tuple(unassigned))
