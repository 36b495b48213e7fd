"""After the audits: their recommendations and the escalations their grades call for.

Why `qa.grading` decides the escalations: the tracking job looks, for every recently
graded audit, for the requests the grade calls for (same kind, audit and grade) and
makes any that are missing. Made here by the same rules, they are found already
made, so starting the demo asks nobody twice. A grade changed by moderation makes
its own requests, as it does live; a dip sample that finds the same concerns asks
for approval to audit the worker's whole caseload (`caseload_approval_requests`).

What people then did is drawn at random: about 70% of recommendations are done by
their due date, some late, a few are still open and overdue; most escalations are
answered in time, a few late, a few not yet. Nothing older than `KEPT_OPEN_DAYS` is
left open: the overdue lists show recent slips, not a year of neglect.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from demo.history_answers import Recommendation
from demo.history_build import AuditRecord, Builder
from demo.history_days import Days
from demo.history_rows import HistoryEscalation, HistoryRecommendation
from demo.history_text import CASELOAD_RESPONSES, ESCALATION_RESPONSES, IMPACT_NOTES
from demo.history_world import World
from qa.grading import EscalationPlan, caseload_approval_requests, escalations_for

REC_ON_TIME, REC_LATE = 0.72, 0.85  # done by the due date; else done late, up to this
REC_EARLY = 0.25  # not yet due: done already
ANSWERED_ON_TIME, ANSWERED_LATE = 0.85, 0.95  # escalations: else not answered yet
KEPT_OPEN_DAYS = 90  # anything due longer ago than this was done, if late


class Actions:
    """Recommendation and escalation rows for the builder's submitted audits."""

    def __init__(self, builder: Builder, kept_open: tuple[int, int] | None = None) -> None:
        self.fw = builder.fw
        self.world: World = builder.world
        self.rng: random.Random = builder.rng
        self.days: Days = builder.days
        self.audits = sorted(
            (a for a in builder.audits if a.submitted is not None),
            key=lambda a: (a.submitted, a.key),
        )
        self.kept_open = kept_open  # (audit key, number): the demo QA lead's action
        self.recommendations: list[HistoryRecommendation] = []
        self.escalations: list[HistoryEscalation] = []

    def run(self) -> None:
        for audit in self.audits:
            for r in audit.recommendations:
                self._recommendation(audit, r)
            self._grade_requests(audit)
        if self.fw.dip_sample is not None:
            self._caseload_requests()
        self.escalations.sort(key=lambda e: (e.created_at, e.audit, e.kind, e.owner))

    # -- recommendations ----------------------------------------------------------------
    def _done_on(self, created: date, due: date) -> date | None:
        """When it was done (None: still open), given when it was made and was due."""
        days, roll = self.days, self.rng.random()
        today = days.today
        if days.past(due):
            if roll < REC_ON_TIME:
                return days.pick(max(days.after(created, 1), due - timedelta(days=20)), due)
            late = days.after(due, self.rng.randint(1, 15))
            if (roll < REC_LATE or (today - due).days > KEPT_OPEN_DAYS) and days.past(late):
                return late
            return None
        if roll < REC_EARLY and days.past(days.after(created, 1)):
            return days.pick(days.after(created, 1), today - timedelta(days=1))
        return None

    def _recommendation(self, audit: AuditRecord, r: Recommendation) -> None:
        assert audit.submitted is not None
        done = self._done_on(self.days.local(audit.submitted), r.due_on)
        if (audit.key, r.n) == self.kept_open:
            done = None  # left for whoever tries the demo
        if done is not None and not self.days.past(done):
            done = None
        completed = max(self.days.at(done), audit.submitted) if done else None
        self.recommendations.append(
            HistoryRecommendation(
                audit=audit.key,
                case=self.world.cases[audit.case_id].reference,
                level=r.level,
                action=r.action,
                impact=r.impact,
                owner=r.owner,
                raised_by=self.world.email[audit.auditor],
                due_on=r.due_on,
                status="done" if completed else "open",
                created_at=audit.submitted,
                completed_at=completed,
                impact_note=self.rng.choice(IMPACT_NOTES) if completed else None,
            )
        )

    # -- escalations --------------------------------------------------------------------
    def _grade_requests(self, audit: AuditRecord) -> None:
        case = self.world.cases[audit.case_id]
        graded = [(audit.overall, audit.submitted)]
        if audit.final is not None and audit.final != audit.overall:
            graded.append((audit.final, audit.finalised))
        for grade, when in graded:
            if when is None:
                continue
            plans = escalations_for(
                self.fw,
                grade=grade,
                audit_id=audit.key,
                service_ad_ids=self.world.service_ads(case),
                role_holders=self.world.holders_for_case(case),
                now=when,
                tz=self.days.tz,
                case_id=audit.case_id,
            )
            self._requests(plans, when, ESCALATION_RESPONSES)

    def _caseload_requests(self) -> None:
        """Per worker, in grading order: a dip sample finding concerns after a trigger."""
        policy = self.fw.dip_sample
        assert policy is not None
        by_worker: dict[int, list[AuditRecord]] = defaultdict(list)
        for a in self.audits:
            worker = self.world.worker(self.world.cases[a.case_id])
            if worker is not None:
                by_worker[worker].append(a)
        for audits in by_worker.values():
            trigger: AuditRecord | None = None
            grades: list[str] = []
            asked: set[int] = set()
            for a in audits:
                if a.activity != "dip_sample":
                    if a.grade in policy.after_grades:
                        trigger, grades = a, []
                    continue
                if trigger is None or trigger.key in asked or a.submitted is None:
                    continue
                grades.append(a.grade)
                case = self.world.cases[trigger.case_id]
                plans = caseload_approval_requests(
                    self.fw,
                    audit_id=trigger.key,
                    dip_sample_grades=grades,
                    role_holders=self.world.holders_for_case(case),
                    service_ad_ids=self.world.service_ads(case),
                    now=a.submitted,
                    tz=self.days.tz,
                )
                if plans:
                    asked.add(trigger.key)
                    plans = tuple(replace(p, case_id=trigger.case_id) for p in plans)
                    self._requests(plans, a.submitted, CASELOAD_RESPONSES)

    def _answered(self, created: datetime, deadline: datetime) -> datetime | None:
        days, roll = self.days, self.rng.random()
        first = days.local(created)
        last = min(days.local(deadline), days.today - timedelta(days=1))
        if roll < ANSWERED_ON_TIME and last >= first:
            when = days.at(days.pick(first, last))
        elif roll < ANSWERED_LATE or (days.today - days.local(deadline)).days > KEPT_OPEN_DAYS:
            when = days.at(days.after(days.local(deadline), self.rng.randint(1, 5)))
        else:
            return None
        when = max(when, created + timedelta(hours=1))
        return when if when < days.cutoff else None

    def _requests(
        self, plans: Sequence[EscalationPlan], created: datetime, responses: Sequence[str]
    ) -> None:
        if not plans:
            return
        answered = self._answered(created, plans[0].deadline)
        response = self.rng.choice(responses) if answered else None
        for p in plans:
            case = self.world.cases[p.case_id] if p.case_id is not None else None
            self.escalations.append(
                HistoryEscalation(
                    kind=p.kind,
                    audit=p.audit_id or 0,
                    case=case.reference if case else "",
                    grade=p.grade,
                    owner=self.world.email[p.owner_id],
                    deadline=p.deadline,
                    status="responded" if answered else "open",
                    response=response,
                    responded_at=answered,
                    created_at=created,
                )
            )
