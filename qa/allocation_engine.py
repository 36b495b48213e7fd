"""The month's allocation state and the stages that fill it (see `qa.allocation`).

One `AllocationEngine` per call: it counts what `already` holds, ranks the open cases, then
each stage adds allocations while keeping every limit (peer principle, capacity,
per-worker spread, quotas). Stages run in priority order, so a later stage can only
use what an earlier one left.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from qa import allocation_rules as rules
from qa.allocation_rules import Quota, allocation_day, mix
from qa.allocation_types import (
    Allocated,
    AllocationInputs,
    AllocationPlan,
    Basis,
    CaseRecommendation,
    OpenCase,
    PastAudit,
    Shortfall,
)
from qa.framework import Cadence
from qa.working_days import Month, add_months, long_date

FILL_ACTIVITIES = ("audit", "themed_audit")  # cadence activities that take a case


class Cursor:
    """Next index not yet removed, in amortised constant time (union-find)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n + 1))

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:
            self.parent[i], i = root, self.parent[i]
        return root

    def remove(self, i: int) -> None:
        self.parent[i] = i + 1


Heap = list[tuple[tuple[int, int, int], int]]


class AllocationEngine:
    """The month's allocation state: who has what so far, and the ranked cases."""

    def __init__(self, inputs: AllocationInputs) -> None:
        fw = self.fw = inputs.framework
        month = self.month = inputs.month
        self.inputs = inputs
        self.day = allocation_day(fw, month)
        self.due_on = rules.due_date(fw, month)
        self.seed = month.ordinal
        self.staff = {s.id: s for s in inputs.staff}
        self.cases = {c.id: c for c in inputs.cases}
        self.line = {s.id: s.line_manager_id for s in inputs.staff}
        self._chains: dict[int, frozenset[int]] = {}
        self.peer = fw.allocation.peer_principle
        self.per_worker_max = fw.allocation.max_cases_per_worker
        self.capacity = {s.id: rules.capacity_of(fw, s.roles, s.capacity) for s in inputs.staff}
        self.available = {
            s.id
            for s in inputs.staff
            if self.capacity[s.id] > 0 and not rules.mostly_absent(fw, month, s.absences)
        }
        self.cadences = self._due_cadences()
        self.capacity_pool = self.holders(fw.allocation.capacity_roles)
        self.cadence_pool = sorted(
            {p for p in self.available if any(a in self.cadences[p] for a in FILL_ACTIVITIES)}
            | set(self.capacity_pool)
        )
        self.load: Counter[int] = Counter()  # case allocations, dip samples excepted
        self.slots: Counter[tuple[int, str]] = Counter()
        self.taken: set[int] = set(inputs.in_progress)
        self.per_worker: Counter[int] = Counter()
        self.per_area: Counter[str] = Counter()
        self.case_total = 0
        self.dips: Counter[int] = Counter()
        self.new: list[Allocated] = []
        self.shortfalls: list[Shortfall] = []
        for a in inputs.already:
            self._count(a)
        self.latest = _latest(inputs.history)
        self.reaudit: dict[int, tuple[date, PastAudit]] = {}
        self.ranked = self._rank()
        self.follow_ups = self._follow_ups()

    # -- people -------------------------------------------------------------------
    def _due_cadences(self) -> defaultdict[int, dict[str, Cadence]]:
        holders: defaultdict[str, list[int]] = defaultdict(list)
        for s in self.inputs.staff:
            for role in set(s.roles):
                holders[role].append(s.id)
        out: defaultdict[int, dict[str, Cadence]] = defaultdict(dict)
        for c in self.fw.cadences:
            for pid, phase in rules.phases(holders[c.role], c.every_months).items():
                if rules.cadence_due(self.fw, c, self.month, phase):
                    held = out[pid].get(c.activity)
                    if held is None or c.count > held.count:
                        out[pid][c.activity] = c
        return out

    def chain(self, person_id: int) -> frozenset[int]:
        if person_id not in self._chains:
            self._chains[person_id] = frozenset(rules.managers_of(self.line, person_id))
        return self._chains[person_id]

    def need(self, pid: int, activity: str) -> int:
        c = self.cadences[pid].get(activity) if pid in self.cadences else None
        return max(0, c.count - self.slots[(pid, activity)]) if c else 0

    def spare(self, pid: int) -> int:
        return self.capacity.get(pid, 0) - self.load[pid]

    def can_take_audit(self, pid: int) -> bool:
        """Room for one more audit without eating capacity another cadence needs."""
        spare = self.spare(pid)
        if pid not in self.available or spare <= 0:
            return False
        return self.need(pid, "audit") > 0 or spare > sum(
            self.need(pid, a) for a in FILL_ACTIVITIES
        )

    def eligible(self, pid: int, case: OpenCase) -> bool:
        """Never one's own case; as configured, no line-managed one and no own team's."""
        w = case.worker_id
        if w is not None and w == pid:
            return False
        if self.fw.allocation.exclude_line_managed and w is not None and pid in self.chain(w):
            return False
        team = self.staff[pid].team if pid in self.staff else None
        return not (self.peer and team is not None and team == case.team)

    def bounds(self, pid: int) -> list[Cadence]:
        """The person's due case cadences if every one is bound to areas or services.

        Empty when any of them is unbound (or none is due): then any case will do.
        """
        due = [c for a, c in self.cadences.get(pid, {}).items() if a in FILL_ACTIVITIES]
        if not due or any(c.areas is None and c.services is None for c in due):
            return []
        return due

    def follows_through(self, pid: int) -> Cadence | None:
        """The person's due audit cadence when it picks `follow_through`, else None."""
        c = self.cadences[pid].get("audit") if pid in self.cadences else None
        return c if c is not None and c.pick == "follow_through" else None

    def fits(self, pid: int, case: OpenCase) -> bool:
        """Eligible, and inside the areas or services the person's cadence names.

        A follow-through auditor's cases are only those with recommendations to check,
        whichever stage offers them (a re-audit or a quota must not spend the audit).
        """
        if not self.eligible(pid, case):
            return False
        ft = self.follows_through(pid)
        if ft is not None and case.id not in self.follow_ups.get(ft.follow_through_months, {}):
            return False
        bounds = self.bounds(pid)
        return not bounds or any(
            (c.areas is None or case.area in c.areas)
            and (c.services is None or case.service in c.services)
            for c in bounds
        )

    def worker_ok(self, case: OpenCase) -> bool:
        w = case.worker_id
        return w is None or self.per_worker[w] < self.per_worker_max

    def holders(self, roles: Iterable[str]) -> list[int]:
        wanted = set(roles)
        return sorted(p for p in self.available if wanted & set(self.staff[p].roles))

    # -- cases --------------------------------------------------------------------
    def _rank(self) -> list[int]:
        """Open cases best first: re-audits due, never audited, then least recent.

        Within a tier, cases take turns by team (rank inside the team first), so the
        top of the list is spread across teams.
        """
        fw, seed = self.fw, self.seed
        threshold = rules.reaudit_threshold(fw, self.month)
        groups: defaultdict[tuple[int, int, str], list[tuple[tuple[date, int], int]]]
        groups = defaultdict(list)
        keyed: list[tuple[tuple[int, int, int, int], int]] = []
        for c in self.inputs.cases:
            if c.id in self.taken:
                continue
            h = mix(seed, c.id)
            last = self.latest.get(c.id)
            if last is None:
                groups[(1, 0, c.team)].append(((c.opened_on, h), c.id))
                continue
            deadline = rules.reaudit_deadline(fw, last.grade, last.completed_on)
            if deadline is not None and (threshold is None or deadline < threshold):
                self.reaudit[c.id] = (deadline, last)
                keyed.append(((0, deadline.toordinal(), 0, h), c.id))
            elif rules.reaudit_allowed_from(fw, last.completed_on) <= self.day:
                bucket = Month.of(last.completed_on).ordinal
                groups[(2, bucket, c.team)].append(((last.completed_on, h), c.id))
        for (tier, bucket, _team), items in groups.items():
            items.sort()
            keyed.extend(
                ((tier, bucket, rank, mix(seed, cid)), cid) for rank, (_, cid) in enumerate(items)
            )
        keyed.sort()
        return [cid for _, cid in keyed]

    def _follow_ups(self) -> dict[int, dict[int, tuple[date, int, date]]]:
        """Months -> case id -> (soonest due, recommendations, made on) to follow through.

        Per `follow_through_months` of each cadence that picks `follow_through`: a
        recommendation counts while open, or when completed within that many months,
        provided the case has not been audited since it was made (someone already looked).
        """
        months = {c.follow_through_months for c in self.fw.cadences if c.pick == "follow_through"}
        out: dict[int, dict[int, tuple[date, int, date]]] = {}
        for m in months:
            since = add_months(self.day, -m)
            found: dict[int, tuple[date, int, date]] = {}
            for r in self.inputs.recommendations:
                if r.case_id not in self.cases or not _to_check(r, since, self.latest):
                    continue
                held = found.get(r.case_id)
                if held is None:
                    found[r.case_id] = (r.due_on, 1, r.made_on)
                else:
                    found[r.case_id] = (
                        min(held[0], r.due_on),
                        held[1] + 1,
                        max(held[2], r.made_on),
                    )
            out[m] = found
        return out

    def follow_through_reason(self, cadence: Cadence, case_id: int) -> str:
        due, n, made = self.follow_ups[cadence.follow_through_months][case_id]
        recs = "recommendation" if n == 1 else "recommendations"
        when = "was due" if due < self.day else "due"
        return (
            f"{rules.cadence_phrase(self.fw, cadence)}; to check {n} {recs} followed through "
            f"(made {long_date(made)}, the first {when} {long_date(due)})"
        )

    def _follow_through_case(self, pid: int, cadence: Cadence) -> OpenCase | None:
        """The case whose recommendations fell due soonest, that this person may audit."""
        found = self.follow_ups.get(cadence.follow_through_months, {})
        order = sorted(found, key=lambda cid: (found[cid][0], found[cid][2], mix(self.seed, cid)))
        for cid in order:
            case = self.cases[cid]
            if cid not in self.taken and self.worker_ok(case) and self.fits(pid, case):
                return case
        return None

    def history_note(self, case_id: int) -> str:
        last = self.latest.get(case_id)
        return rules.case_history_note(self.fw, last.completed_on if last else None)

    def reaudit_reason(self, case_id: int) -> str:
        deadline, last = self.reaudit[case_id]
        vocab = self.fw.vocabulary
        rule = rules.reaudit_rule(self.fw, last.grade)
        again = "Re-audit" if vocab.audit == "audit" else f"New {vocab.audit}"
        grade = self.fw.grade(last.grade).label if last.grade in self.fw.grade_keys else last.grade
        when = "overdue since" if deadline < self.day else "by"
        within = f"within {rule.within_months} months, " if rule else ""
        return (
            f"{again} due: graded {grade} on {long_date(last.completed_on)}"
            f" ({within}{when} {long_date(deadline)})"
        )

    # -- bookkeeping ----------------------------------------------------------------
    def _count(self, a: Allocated) -> None:
        self.slots[(a.person_id, a.activity)] += 1
        if a.case_id is None:
            return
        self.taken.add(a.case_id)
        case = self.cases.get(a.case_id)
        if a.activity == "dip_sample":
            if case and case.worker_id is not None:
                self.dips[case.worker_id] += 1
            return
        self.load[a.person_id] += 1
        self.case_total += 1
        if case:
            self.per_area[case.area] += 1
            if case.worker_id is not None:
                self.per_worker[case.worker_id] += 1

    def add(
        self,
        pid: int,
        case: OpenCase | None,
        activity: str,
        reason: str,
        basis: Basis,
        slot: int | None = None,
    ) -> Allocated:
        a = Allocated(
            pid,
            case.id if case else None,
            activity,
            self.due_on,
            reason,
            basis,
            case.area if case else None,
            slot,
        )
        self._count(a)
        self.new.append(a)
        return a

    def short(self, message: str, area: str | None, missing: int) -> None:
        self.shortfalls.append(Shortfall(message, area, missing))

    def plan(self) -> AllocationPlan:
        order = sorted(self.new, key=lambda a: (a.person_id, a.activity, a.case_id or -1, a.reason))
        return AllocationPlan(self.month, tuple(order), tuple(self.shortfalls))

    # -- choosing an auditor for a case -------------------------------------------------
    def key(self, pid: int) -> tuple[int, int, int]:
        """Those whose cadence still asks for an audit first, then the least loaded."""
        return (0 if self.need(pid, "audit") else 1, self.load[pid], mix(self.seed, pid))

    def heap(self, pids: Iterable[int]) -> Heap:
        h = [(self.key(p), p) for p in set(pids)]
        heapq.heapify(h)
        return h

    def pick(self, heap: Heap, case: OpenCase, exclude: frozenset[int] = frozenset()) -> int | None:
        """The best eligible auditor with room; those with no room leave the heap for good."""
        stash: Heap = []
        chosen = None
        while heap:
            key, pid = heapq.heappop(heap)
            if not self.can_take_audit(pid):
                continue
            fresh = self.key(pid)
            if fresh != key:
                heapq.heappush(heap, (fresh, pid))
                continue
            if pid in exclude or not self.fits(pid, case):
                stash.append((key, pid))
                continue
            chosen = pid
            break
        for item in stash:
            heapq.heappush(heap, item)
        return chosen

    def give(self, heap: Heap, pid: int, case: OpenCase, reason: str, basis: Basis) -> Allocated:
        a = self.add(pid, case, "audit", reason, basis)
        if self.can_take_audit(pid):
            heapq.heappush(heap, (self.key(pid), pid))
        return a

    # -- the stages ---------------------------------------------------------------------
    def moderation_slots(self) -> None:
        for pid in sorted(self.available):
            c = self.cadences[pid].get("moderation") if pid in self.cadences else None
            if c is None:
                continue
            for i in range(self.slots[(pid, "moderation")], c.count):
                reason = f"{rules.cadence_phrase(self.fw, c)} (slot {i + 1} of {c.count})"
                self.add(pid, None, "moderation", reason, "moderation", slot=i + 1)

    def dip_samples(self) -> None:
        ds = self.fw.dip_sample
        if ds is None:
            return
        lo, hi = rules.dip_sample_window(self.fw, self.month)
        triggers: dict[int, PastAudit] = {}
        for a in sorted(self.inputs.history, key=_audit_key):
            if (
                a.activity != "dip_sample"
                and a.grade in ds.after_grades
                and a.worker_id is not None
                and lo <= a.completed_on <= hi
            ):
                triggers[a.worker_id] = a
        by_worker: defaultdict[int, list[OpenCase]] = defaultdict(list)
        for c in self.inputs.cases:
            if c.worker_id in triggers:
                by_worker[c.worker_id].append(c)
        role = self.fw.role(ds.by_role).label
        for w, t in sorted(triggers.items()):
            wanted = ds.cases - self.dips[w]
            if wanted <= 0:
                continue
            ref = t.reference or (
                self.cases[t.case_id].reference if t.case_id in self.cases else ""
            )
            grade = self.fw.grade(t.grade).label if t.grade in self.fw.grade_keys else str(t.grade)
            case = f"case {ref}" if ref else "a case"
            found = f"{case} was graded {grade} on {long_date(t.completed_on)}"
            holder, own = self.dip_holder(w)
            if holder is None:
                self.short(f"Dip sample after {found}: no {role} available", None, wanted)
                continue
            pool = [
                c
                for c in by_worker[w]
                if c.id not in self.taken
                and c.id != t.case_id
                and (own or self.eligible(holder, c))
            ]
            pool.sort(key=self.dip_order)
            why = (
                f"; as the worker's {role.lower()}, the peer principle does not apply"
                if own
                else ""
            )
            for c in pool[:wanted]:
                n = self.dips[w] + 1
                reason = f"Dip sample {n} of {ds.cases}: this worker's {found}{why}"
                self.add(holder, c, "dip_sample", reason, "dip_sample")
            if len(pool) < wanted:
                missing = wanted - len(pool)
                self.short(
                    f"Dip sample after {found} short by {missing}: "
                    "the worker has no more open cases to sample",
                    None,
                    missing,
                )

    def dip_order(self, c: OpenCase) -> tuple[int, date, int]:
        last = self.latest.get(c.id)
        return (c.id in self.reaudit, last.completed_on if last else date.min, mix(self.seed, c.id))

    def dip_holder(self, worker: int) -> tuple[int | None, bool]:
        """The worker's nearest manager holding `by_role`, else one in their team, else any."""
        ds = self.fw.dip_sample
        assert ds is not None
        holders = self.holders([ds.by_role])
        held = set(holders)
        for boss in rules.managers_of(self.line, worker):
            if boss in held:
                return boss, True
        team = self.staff[worker].team if worker in self.staff else None
        same_team = [p for p in holders if p != worker and team and self.staff[p].team == team]
        if same_team:
            return same_team[0], True
        others = sorted((p for p in holders if p != worker), key=lambda p: mix(self.seed, p))
        return (others[0], False) if others else (None, False)

    def audit_pool(self) -> set[int]:
        """Who may take a re-audit or a replacement: cadence auditors and window reviewers."""
        pool = set(self.cadence_pool)
        for term in rules.window_terms(self.fw, self.month):
            pool.update(self.holders(self.fw.review_windows[term.index].roles))
        return pool

    def reaudits_due(self) -> None:
        heap = self.heap(self.audit_pool())
        due = sorted(self.reaudit, key=lambda c: (self.reaudit[c][0], mix(self.seed, c)))
        for cid in due:
            if cid in self.taken:
                continue
            case = self.cases[cid]
            deadline = self.reaudit[cid][0]
            what = f"Re-audit of case {case.reference} (due by {long_date(deadline)}) not allocated"
            then = (
                "this was the last month to meet its deadline"
                if rules.reaudit_last_chance(self.fw, self.month, deadline)
                else "it comes first again next month"
            )
            if not self.worker_ok(case):
                limit = self.per_worker_max
                cases = "case" if limit == 1 else "cases"
                self.short(
                    f"{what}: the worker already has {limit} {cases} allocated this month "
                    f"(the limit); {then}",
                    case.area,
                    1,
                )
                continue
            pid = self.pick(heap, case)
            if pid is None:
                self.short(f"{what}: no eligible auditor has capacity left; {then}", case.area, 1)
                continue
            self.give(heap, pid, case, self.reaudit_reason(cid), "reaudit")

    def month_quotas(self) -> list[Quota]:
        out = rules.cycle_quotas(self.fw, self.month)
        for term in rules.window_terms(self.fw, self.month):
            reviewed = 0
            if term.cycle_starts != term.starts:
                lo, hi = term.cycle_starts.first, term.starts.first
                reviewed = len(
                    {
                        a.case_id
                        for a in self.inputs.history
                        if lo <= a.completed_on < hi and a.case_id in self.cases
                    }
                )
            out.append(
                rules.window_quota(self.fw, term, open_cases=len(self.cases), reviewed=reviewed)
            )
        return out

    def done(self, q: Quota) -> int:
        return self.per_area[q.area] if q.area is not None else self.case_total

    def quotas(self) -> None:
        quotas = [q for q in self.month_quotas() if q.target > 0]
        lists: dict[str, list[int]] = {}
        heaps: dict[tuple[str, ...], Heap] = {}
        for q in quotas:
            lists[q.key] = [
                cid
                for cid in self.ranked
                if (q.area is None or self.cases[cid].area == q.area)
                and (q.fresh_since is None or self._fresh(cid, q.fresh_since))
            ]
            if q.roles not in heaps:
                heaps[q.roles] = self.heap(self.holders(q.roles) if q.roles else self.cadence_pool)
        at = dict.fromkeys(lists, 0)
        stopped: dict[str, str] = {}
        todo = [q for q in quotas if self.done(q) < q.target]
        while todo:
            still = []
            for q in todo:
                if self.done(q) >= q.target:
                    continue
                why = self._fill_one(q, lists[q.key], at, heaps[q.roles])
                if why:
                    stopped[q.key] = why
                else:
                    still.append(q)
            todo = still
        for q in quotas:
            missing = q.target - self.done(q)
            if missing > 0:
                why = stopped.get(q.key, "not enough eligible cases")
                self.short(f"{q.name} short by {missing}: {why}", q.area, missing)

    def _fresh(self, case_id: int, since: date) -> bool:
        last = self.latest.get(case_id)
        return last is None or last.completed_on < since

    def _fill_one(self, q: Quota, cases: list[int], at: dict[str, int], heap: Heap) -> str:
        i = at[q.key]
        while i < len(cases):
            case = self.cases[cases[i]]
            if case.id in self.taken or not self.worker_ok(case):
                i += 1
                continue
            pid = self.pick(heap, case)
            if pid is None:
                if not heap:
                    at[q.key] = i
                    return "no auditor has capacity left"
                i += 1
                continue
            self.give(heap, pid, case, f"{q.reason}; {self.history_note(case.id)}", "quota")
            at[q.key] = i + 1
            return ""
        at[q.key] = i
        return "not enough eligible cases"

    def cadence_fill(self) -> None:
        cursor = Cursor(len(self.ranked))
        active = sorted(self.cadence_pool, key=lambda p: mix(self.seed, p))
        unfilled: Counter[tuple[str, str]] = Counter()
        while active:
            still = []
            for pid in active:
                activity = next((a for a in FILL_ACTIVITIES if self.need(pid, a)), None)
                if activity is None or self.spare(pid) <= 0:
                    continue  # done, or capacity set below the cadence: capacity wins
                cadence = self.cadences[pid][activity]
                ft = self.follows_through(pid) if activity == "audit" else None
                if ft is not None:
                    case = self._follow_through_case(pid, ft)
                else:
                    case = self._best_case_for(pid, cursor)
                if case is None:
                    for a in FILL_ACTIVITIES:
                        if self.need(pid, a):
                            c = self.cadences[pid][a]
                            noun = "follow_through" if c.pick == "follow_through" else a
                            unfilled[(c.role, noun)] += min(self.need(pid, a), self.spare(pid))
                    continue
                if ft is not None:
                    reason = self.follow_through_reason(ft, case.id)
                else:
                    phrase = rules.cadence_phrase(self.fw, cadence)
                    reason = f"{phrase}; {self.history_note(case.id)}"
                self.add(pid, case, activity, reason, "cadence")
                still.append(pid)
            active = still
        audits = self.fw.vocabulary.audits
        for (role, activity), n in sorted(unfilled.items()):
            label = self.fw.role(role).label
            if activity == "follow_through":
                self.short(
                    f"{n} {audits} for the {label} cadence not allocated: no case has "
                    "recommendations to follow through that they may audit",
                    None,
                    n,
                )
                continue
            noun = audits if activity == "audit" else f"themed {audits}"
            self.short(
                f"{n} {noun} for the {label} cadence not allocated: not enough eligible cases "
                f"(peer principle, {audits} in the last {self.fw.allocation.no_reaudit_months} "
                f"months, or the limit of {self.per_worker_max} per worker)",
                None,
                n,
            )

    def capacity_fill(self) -> None:
        """Holders of `allocation.capacity_roles` take cases up to their spare capacity.

        Last, so cadences, re-audits and quotas come first; a role with capacity and
        no cadence (Camden's QA officer, who "has capacity to undertake more") would
        otherwise never be given anything.
        """
        cursor = Cursor(len(self.ranked))
        active = sorted(self.capacity_pool, key=lambda p: mix(self.seed, p))
        roles = set(self.fw.allocation.capacity_roles)
        while active:
            still = []
            for pid in active:
                if not self.can_take_audit(pid):
                    continue
                case = self._best_case_for(pid, cursor)
                if case is None:
                    continue
                role = next(r for r in self.fw.role_keys if r in roles & set(self.staff[pid].roles))
                label = self.fw.role(role).label
                n, audits = self.capacity[pid], self.fw.vocabulary.audits
                reason = f"{label}: capacity for {n} {audits} a month; {self.history_note(case.id)}"
                self.add(pid, case, "audit", reason, "capacity")
                still.append(pid)
            active = still

    def _best_case_for(self, pid: int, cursor: Cursor) -> OpenCase | None:
        i = cursor.find(0)
        while i < len(self.ranked):
            case = self.cases[self.ranked[i]]
            if case.id in self.taken or not self.worker_ok(case):
                cursor.remove(i)  # permanent: taken stays taken, counts only grow
            elif self.fits(pid, case):
                return case
            i = cursor.find(i + 1)
        return None


def _to_check(r: CaseRecommendation, since: date, latest: dict[int, PastAudit]) -> bool:
    """Open, or completed since `since`, and the case not audited after it was made."""
    if r.closed_on is not None and r.closed_on < since:
        return False
    last = latest.get(r.case_id)
    return last is None or last.completed_on <= r.made_on


def _latest(history: Iterable[PastAudit]) -> dict[int, PastAudit]:
    """Each case's most recent audit; same-day ties broken on every field, for determinism."""
    out: dict[int, PastAudit] = {}
    for a in history:
        cur = out.get(a.case_id)
        if cur is None or _audit_key(a) > _audit_key(cur):
            out[a.case_id] = a
    return out


def _audit_key(a: PastAudit) -> tuple[date, int, int, str, str, int]:
    return (
        a.completed_on,
        a.case_id,
        a.auditor_id or 0,
        a.grade or "",
        a.activity,
        a.worker_id or 0,
    )
