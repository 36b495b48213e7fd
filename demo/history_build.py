"""Month by month: the real allocation engine's plan, and what each person then did.

Why the real engine: the history then has the shape the live product makes (cadences,
quotas, review windows, re-audits and dip samples as the framework orders them, the
peer principle, capacity), and the current month's allocations are what the monthly
job would have made. What people did with them is drawn at random: most audits are
submitted on time (more so as the year goes on), a few late, and in the last months
a few not at all (overdue). The demo QA lead's own allocations for the latest month
the framework allocates in (`demo.history_lead.lead_month`: in a month with no
allocations, the one before) are left untouched (once they are past due, one of
them), so whoever tries the demo has an audit to start.

For grades with no re-audit rule, `demo.history_follow_ups` moves a few of each
month's audits to cases last graded so: the board's "is anyone better off" needs
re-audits.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from demo.authority import DEMO_QA_LEAD_EMAIL
from demo.history_answers import Recommendation, flat_answers, trail
from demo.history_days import Days
from demo.history_follow_ups import follow_ups
from demo.history_grades import Grader, band, domain_grades, good_keys
from demo.history_text import RECOMMENDATIONS, Band
from demo.history_world import World
from qa.allocation import Allocated, AllocationInputs, PastAudit, allocate
from qa.allocation_rules import allocation_day
from qa.allocation_types import CaseRecommendation
from qa.validation import JSON
from qa.working_days import Month

ALLOCATED, IN_PROGRESS, COMPLETED = "allocated", "in_progress", "completed"
ON_TIME = (0.82, 0.93)  # share of audits submitted by their due date: first and last month
NOT_DONE = 0.07  # in the last months, share of allocations still not done
RECENT_DAYS = 75  # allocations due within this many days before today may be not done
REC_COUNTS: dict[Band, tuple[int, ...]] = {"good": (0, 1, 1, 2), "mixed": (1, 2, 2, 3),
                                           "poor": (2, 3, 3)}  # fmt: skip


@dataclass
class AllocationRecord:
    key: int
    month: Month
    plan: Allocated
    status: str
    created: datetime
    updated: datetime
    done_on: date | None = None  # the day its audit was submitted


@dataclass
class AuditRecord:
    """An audit while the history is made; frozen into a `HistoryAudit` at the end."""

    key: int
    allocation: int
    case_id: int
    auditor: int
    activity: str
    area: str
    started: datetime
    answers: dict[str, JSON]
    overall: str
    domains: dict[str, str]
    recommendations: tuple[Recommendation, ...]
    submitted: datetime | None = None
    draft_step: int | None = None
    status: str = "draft"
    final: str | None = None
    finalised: datetime | None = None
    events: list[tuple[str, datetime, int]] = field(default_factory=list)

    @property
    def grade(self) -> str:
        return self.final or self.overall


class Builder:
    """Allocations and audits, month by month (moderation: `demo.history_review`)."""

    def __init__(self, world: World, rng: random.Random, days: Days) -> None:
        self.world = world
        self.fw = world.framework
        self.rng = rng
        self.days = days
        self.allocations: list[AllocationRecord] = []
        self.audits: list[AuditRecord] = []
        self.by_case: dict[int, list[AuditRecord]] = defaultdict(list)
        self.lead = world.person_id.get(DEMO_QA_LEAD_EMAIL)
        self.good = set(good_keys(self.fw))
        self.bands = {g: band(self.fw, g) for g in self.fw.grade_keys}
        self.grader = Grader(rng, self.fw)
        self.lead_kept = False
        # The month whose allocations are left for the lead (`demo.history_lead`).
        self.lead_month: Month | None = None

    # -- what the engine is told ------------------------------------------------------
    def latest(self, case_id: int, before: datetime) -> AuditRecord | None:
        """The case's last audit submitted before `before`, if any."""
        done = [a for a in self.by_case.get(case_id, ()) if a.submitted and a.submitted < before]
        return max(done, key=lambda a: a.submitted or before) if done else None

    def _history(self, day: date) -> tuple[PastAudit, ...]:
        out = []
        for a in self.audits:
            if a.submitted is None or self.days.local(a.submitted) >= day:
                continue
            case = self.world.cases[a.case_id]
            out.append(
                PastAudit(a.case_id, a.auditor, self.world.worker(case),
                          self.days.local(a.submitted), a.grade, a.activity, case.reference)
            )  # fmt: skip
        return tuple(out)

    def _recommendations_made(self, day: date) -> tuple[CaseRecommendation, ...]:
        """Recommendations written before `day`, for cadences that follow them through.

        Whether an action gets done is decided later in the history, so here every one
        counts as open: the follow-through pick only needs the cases and the dates.
        """
        if not any(c.pick == "follow_through" for c in self.fw.cadences):
            return ()
        return tuple(
            CaseRecommendation(a.case_id, self.days.local(a.submitted), r.due_on)
            for a in self.audits
            if a.submitted is not None and self.days.local(a.submitted) < day
            for r in a.recommendations
        )

    def _in_progress(self, month: Month, day: date) -> frozenset[int]:
        return frozenset(
            r.plan.case_id
            for r in self.allocations
            if r.month < month and r.plan.case_id is not None
            if r.done_on is None or r.done_on >= day
        )

    # -- a month ----------------------------------------------------------------------
    def month(self, month: Month, progress: float) -> None:
        """The month's allocations and what became of them (nothing before its day)."""
        day = allocation_day(self.fw, month)
        if not self.days.past(day):
            return
        inputs = AllocationInputs(
            framework=self.fw,
            month=month,
            staff=self.world.staff,
            cases=self.world.open_cases(day),
            history=self._history(day),
            in_progress=self._in_progress(month, day),
            recommendations=self._recommendations_made(day),
        )
        plan = follow_ups(self, inputs, list(allocate(inputs).allocations), day)
        cutoff = self.days.at_time(day, self.fw.allocation.time)
        last = [self.latest(a.case_id, cutoff) for a in plan if a.case_id is not None]
        self.grader.new_month(progress, sum(1 for r in last if r is None or r.grade in self.good))
        for a in plan:
            self._carry_out(month, day, a, progress)

    def _carry_out(self, month: Month, day: date, a: Allocated, progress: float) -> None:
        days, rng = self.days, self.rng
        created = days.at_time(day, self.fw.allocation.time)
        rec = AllocationRecord(len(self.allocations) + 1, month, a, ALLOCATED, created, created)
        self.allocations.append(rec)
        if a.case_id is None:  # a moderation slot: done once its month is over
            rec.status = COMPLETED if days.past(a.due_on) else ALLOCATED
            return
        # Left for whoever tries the demo: all of them until they are due, then one.
        lead_now = a.person_id == self.lead and month == self.lead_month
        if lead_now and (not days.past(a.due_on) or not self.lead_kept):
            self.lead_kept = True
            return
        latest_start = days.after(day, max(1, self.fw.allocation.due_working_days - 5))
        start = days.pick(day, latest_start)
        on_time = rng.random() < ON_TIME[0] + (ON_TIME[1] - ON_TIME[0]) * progress
        submit = (days.pick(days.after(start, 1), a.due_on) if on_time
                  else days.after(a.due_on, rng.randint(1, 8)))  # fmt: skip
        stalled = (days.today - a.due_on).days < RECENT_DAYS and rng.random() < NOT_DONE
        if not days.past(start) or (stalled and rng.random() < 0.4):
            return  # not started yet
        audit = self._audit(rec, days.at(start), submit, progress)
        if stalled or not days.past(submit):
            audit.draft_step = rng.randint(1, len(trail(self.world.dialog(audit.area))) - 2)
            rec.status, rec.updated = IN_PROGRESS, audit.started
            return
        audit.submitted = max(days.at(submit), audit.started)
        audit.status = "submitted"
        audit.events.append(("submitted", audit.submitted, audit.auditor))
        rec.status, rec.updated, rec.done_on = COMPLETED, audit.submitted, submit

    def _audit(
        self, rec: AllocationRecord, started: datetime, submit: date, progress: float
    ) -> AuditRecord:
        """The audit of `rec`'s case: its grades, texts and recommendations."""
        a, fw, rng = rec.plan, self.fw, self.rng
        assert a.case_id is not None
        case = self.world.cases[a.case_id]
        previous = self.latest(a.case_id, started)
        overall = self.grader.overall(previous.grade if previous else None)
        grades = domain_grades(rng, fw, overall, [d.key for d in fw.domains_for(case.area)])
        # Conversations happen before the audit is written up (for a draft: before today).
        answered = submit if self.days.past(submit) else self.days.today - timedelta(days=1)
        recs = self._recommendations(a, overall, submit)
        answers = flat_answers(
            rng, fw, area=case.area, domain_grades=grades, overall=overall,
            bands=self.bands, recommendations=recs, submitted_on=answered,
        )  # fmt: skip
        audit = AuditRecord(
            key=len(self.audits) + 1,
            allocation=rec.key,
            case_id=a.case_id,
            auditor=a.person_id,
            activity=a.activity,
            area=case.area,
            started=started,
            answers=answers,
            overall=overall,
            domains=grades,
            recommendations=recs,
        )
        self.audits.append(audit)
        self.by_case[a.case_id].append(audit)
        return audit

    def _recommendations(
        self, a: Allocated, overall: str, submit: date
    ) -> tuple[Recommendation, ...]:
        """What the auditor recommends: more below Good; owned by the worker or managers."""
        fw, rng, world = self.fw, self.rng, self.world
        assert a.case_id is not None
        bank = RECOMMENDATIONS[self.bands[overall]]
        levels = fw.audit_form.recommendation_levels
        worker = world.worker(world.cases[a.case_id])
        manager = world.line.get(worker) if worker is not None else None
        senior = world.line.get(manager) if manager is not None else None
        count = min(rng.choice(REC_COUNTS[self.bands[overall]]), len(bank))
        out = []
        for n, (action, impact) in enumerate(rng.sample(bank, count), start=1):
            level = levels[0] if len(levels) == 1 or rng.random() < 0.8 else levels[1]
            people = [worker, manager] if level == levels[0] else [manager, senior]
            found = [p for p in people if p is not None] or [a.person_id]
            owner = found[0] if len(found) == 1 or rng.random() < 0.7 else found[1]
            due = self.days.on_or_after(submit + timedelta(days=rng.randint(21, 56)))
            out.append(Recommendation(n, level, action, impact, world.email[owner], due))
        return tuple(out)
