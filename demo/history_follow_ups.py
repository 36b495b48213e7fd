"""Follow-up audits of cases below Good, where the framework has no re-audit rule.

Why: the board's "is anyone better off" counts re-audits of cases graded below Good,
and most frameworks leave re-auditing to judgement rather than a rule, so without
this a demo year would have hardly any. Each month a few of the engine's cadence and
quota audits (at most a quarter) are moved to such cases, once the framework's
`no_reaudit_months` have passed since their last audit: same auditor, same area,
the same eligibility rules as the engine's (`AllocationEngine.eligible`, the per-worker limit),
and a reason that says it is a follow-up. A grade the framework does give a re-audit
rule (Lambeth's) is left to the engine.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from qa.allocation import Allocated, AllocationInputs
from qa.allocation_engine import AllocationEngine
from qa.allocation_rules import reaudit_allowed_from, reaudit_rule
from qa.working_days import Month

if TYPE_CHECKING:
    from demo.history_build import AuditRecord, Builder

FOLLOW_UP = 0.6  # chance a case due a follow-up gets one this month
SHARE = 4  # at most one in this many of the month's audits


def follow_ups(
    builder: Builder, inputs: AllocationInputs, plan: list[Allocated], day: date
) -> list[Allocated]:
    """`plan` with up to a quarter of its cadence and quota audits moved to follow-ups."""
    fw = builder.fw
    cutoff = builder.days.at_time(day, fw.allocation.time)
    planned = {a.case_id for a in plan if a.case_id is not None}
    engine = AllocationEngine(replace(inputs, already=tuple(plan)))
    due: list[tuple[int, AuditRecord]] = []
    for case_id in sorted(builder.by_case):
        last = builder.latest(case_id, cutoff)
        if last is None or last.submitted is None or last.grade in builder.good:
            continue
        if reaudit_rule(fw, last.grade) is not None or case_id not in engine.cases:
            continue
        if case_id in planned or case_id in inputs.in_progress:
            continue
        if reaudit_allowed_from(fw, builder.days.local(last.submitted)) <= day:
            due.append((case_id, last))
    swappable = [
        i for i, a in enumerate(plan)
        if a.case_id is not None and a.activity == "audit" and a.basis in ("cadence", "quota")
    ]  # fmt: skip
    budget = max(1, len(swappable) // SHARE)
    out = list(plan)
    for case_id, last in due:
        if budget <= 0 or builder.rng.random() > FOLLOW_UP:
            continue
        case = engine.cases[case_id]
        for i in swappable:
            a = out[i]
            old = engine.cases[a.case_id or 0]
            if old.area != case.area or not engine.eligible(a.person_id, case):
                continue
            if case.worker_id != old.worker_id and not engine.worker_ok(case):
                continue
            if old.worker_id is not None:
                engine.per_worker[old.worker_id] -= 1
            if case.worker_id is not None:
                engine.per_worker[case.worker_id] += 1
            label = fw.grade(last.grade).label
            when = Month.of(builder.days.local(last.submitted or cutoff)).name
            why = f"{a.reason.split('; ')[0]}; a follow-up of a case graded {label} in {when}"
            out[i] = replace(a, case_id=case_id, reason=why)
            swappable.remove(i)
            budget -= 1
            break
    return out
