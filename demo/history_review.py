"""After the audits: moderation, as the framework's rules make it.

Why the product's own rules: which audits are moderated and by whom comes from
`qa.moderation` (the framework's grades and sample, its moderators' capacity and
exclusions, a panel where it has one); who is asked to act on a grade, and by when,
from `qa.grading`. So the demo's figures are the figures the framework would give,
and the escalation rows are the ones the tracking job looks for: it finds them
already made and asks nobody twice.

What people then did is drawn at random: most moderations confirm the grade, some
regrade it (~15%), a few return the audit to its author, who resubmits it. About
70% of recommendations are done by their due date, some late, a few are overdue.
Most escalations are answered in time.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

from demo.history_build import AuditRecord, Builder
from demo.history_days import Days
from demo.history_grades import verdict
from demo.history_rows import HistoryModeration
from demo.history_text import MODERATION_COMMENTS as COMMENTS
from qa.allocation_rules import capacity_of
from qa.moderation import Assigned, PastModeration, SubmittedAudit, assign, select_for_moderation
from qa.working_days import Month

MODERATED_ON_TIME = 0.88
GENEROUS_AUDITORS = 0.1  # share of auditors whose grades moderators often lower
PANEL_AGREES = 0.8  # a panel member's view matches the chair's decision


class Review:
    """Moderation month by month, on the audits the builder made."""

    def __init__(self, builder: Builder) -> None:
        self.b = builder
        self.fw = builder.fw
        self.world = builder.world
        self.rng: random.Random = builder.rng
        self.days: Days = builder.days
        auditors = [s.id for s in self.world.staff if capacity_of(self.fw, s.roles, s.capacity) > 0]
        count = round(len(auditors) * GENEROUS_AUDITORS)
        self.generous = set(self.rng.sample(auditors, count))
        self.past: list[PastModeration] = []
        self.moderations: list[HistoryModeration] = []

    # -- moderation ---------------------------------------------------------------------
    def moderate(self, month: Month) -> None:
        """Select and assign the audits submitted in `month`, and play out each moderation."""
        days, world = self.days, self.world
        audits = {
            a.key: a
            for a in self.b.audits
            if a.submitted is not None and Month.of(days.local(a.submitted)) == month
        }
        subs = [self._submitted(a) for a in audits.values()]
        selected = select_for_moderation(self.fw, month, subs, self.past)
        assignment = assign(self.fw, month, selected, subs, world.moderators(), self.past)
        groups: dict[int, list[Assigned]] = defaultdict(list)
        for row in assignment.assigned:
            groups[row.audit_id].append(row)
        for key, rows in sorted(groups.items()):
            self._play(month, audits[key], rows)

    def _submitted(self, a: AuditRecord) -> SubmittedAudit:
        case = self.world.cases[a.case_id]
        assert a.submitted is not None
        return SubmittedAudit(
            id=a.key,
            case_id=a.case_id,
            case_team=case.team,
            case_service=case.service,
            case_team_manager_ids=self.world.team_managers(case.team),
            worker_id=self.world.worker(case),
            auditor_id=a.auditor,
            auditor_line_manager_id=self.world.line.get(a.auditor),
            overall_grade=a.overall,
            domain_grades=a.domains,
            submitted_on=self.days.local(a.submitted),
        )

    def _play(self, month: Month, audit: AuditRecord, rows: list[Assigned]) -> None:
        days, rng = self.days, self.rng
        assert audit.submitted is not None
        assigned_on = days.after(days.local(audit.submitted), 1)
        if not days.past(assigned_on):
            return  # the moderation job has not run yet
        created = days.at(assigned_on)
        due = rows[0].due_on
        finish = (days.pick(assigned_on, due) if rng.random() < MODERATED_ON_TIME
                  else days.after(due, rng.randint(1, 5)))  # fmt: skip
        chair = next((r for r in rows if r.is_chair), rows[0])
        lead_to_try = self.b.lead in {r.moderator_id for r in rows} and not days.past(due)
        if not days.past(finish) or lead_to_try:
            for r in rows:
                self._row(month, audit, r, created, None, None, None)
            return
        outcome, grade = verdict(
            rng, self.fw, audit.overall, generous=audit.auditor in self.generous
        )
        done = max(days.at(finish), created + timedelta(minutes=30))
        for r in rows:
            if r is chair:
                self._row(month, audit, r, created, done, outcome, grade)
                continue
            mine = (
                (outcome, grade)
                if rng.random() < PANEL_AGREES
                else verdict(rng, self.fw, audit.overall, generous=False)
            )
            viewed = max(created + timedelta(minutes=15), done - timedelta(hours=1))
            self._row(month, audit, r, created, viewed, *mine)
        self._decide(audit, chair.moderator_id, outcome, grade, done)
        self.past.append(
            PastModeration(
                audit_id=audit.key,
                auditor_id=audit.auditor,
                moderator_id=chair.moderator_id,
                month=month,
                agreed_overall=outcome == "confirmed",
                original_grade=audit.overall,
                final_grade=grade,
            )
        )

    def _row(
        self,
        month: Month,
        audit: AuditRecord,
        r: Assigned,
        created: datetime,
        done: datetime | None,
        outcome: str | None,
        grade: str | None,
    ) -> None:
        comment = ""
        if outcome is not None:
            kind = outcome
            if outcome == "regraded" and grade is not None:
                worse = self.fw.grade_keys.index(grade) > self.fw.grade_keys.index(audit.overall)
                kind = "lowered" if worse else "raised"
            comment = self.rng.choice(COMMENTS[kind])
        self.moderations.append(
            HistoryModeration(
                audit=audit.key,
                moderator=self.world.email[r.moderator_id],
                month=month.key,
                is_chair=r.is_chair,
                status="assigned" if done is None else "completed",
                outcome=outcome,
                moderated_grade=grade,
                comments=comment,
                due_on=r.due_on,
                created_at=created,
                completed_at=done,
            )
        )

    def _decide(
        self, audit: AuditRecord, chair: int, outcome: str, grade: str | None, done: datetime
    ) -> None:
        """The audit after the decision: final, or returned (and resubmitted, if by now)."""
        days = self.days
        if outcome != "returned":
            audit.status, audit.final, audit.finalised = "final", grade, done
            audit.events.append(("finalised", done, chair))
            return
        audit.status = "returned"
        audit.events.append(("returned", done, chair))
        again = days.after(days.local(done), self.rng.randint(1, 4))
        if days.past(again):
            when = max(days.at(again), done + timedelta(minutes=30))
            audit.events.append(("resubmitted", when, audit.auditor))
            audit.status, audit.final, audit.finalised = "final", audit.overall, when
