"""Moderations in the database: which audits get one, the rows, the dialog's drafts.

`consider` is the one door to a moderation: the audit dialog's after-submit hook calls
it for the audit just submitted, and the reconciling job calls it for every audit
submitted lately, so selection and assignment happen even if the hook never ran. It
is idempotent: an audit with moderation rows for its current *round* gets no more.

A round is one submission of the audit to moderation. Returning an audit to its
author closes the round (the "returned" entry in `Audit.history` lists its rows);
when the author resubmits, a new round begins and goes back to the same moderators
(they asked for the changes), whatever the sample would say. An edit made before
moderation starts is no new round. Selection is seeded from the month the audit was
submitted, so re-running it, or running it a week later, gives the same answer.

The outcome of a finished moderation is applied in `storage.moderation_outcomes`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from qa.dialog import DialogState
from qa.framework import Framework
from qa.moderation import (
    Assigned,
    Selected,
    SubmittedAudit,
    Unassigned,
    assign,
    due_date,
    select_for_moderation,
)
from qa.working_days import Month
from storage.audit_log import record_created
from storage.audits import SUBMITTED
from storage.models import Audit, Moderation, Person
from storage.moderation_inputs import (
    assignment_history,
    latest_submission,
    local_date,
    moderators,
    selection_history,
    submitted_audits,
)
from storage.queries import in_id_order

log = logging.getLogger(__name__)

ASSIGNED, IN_PROGRESS, COMPLETED, WITHDRAWN = "assigned", "in_progress", "completed", "withdrawn"
OPEN = (ASSIGNED, IN_PROGRESS)
RESUBMITTED_REASON = "returned to its author and resubmitted: back to its moderator"


@dataclass(frozen=True)
class Candidates:
    """Audits to consider for moderation, as of `now` (local dates in `tz`), on behalf
    of `actor`: the scheduler's catch-up, or the person who has just submitted one."""

    audits: Sequence[Audit]
    now: datetime
    tz: ZoneInfo
    actor: str = "scheduler"


@dataclass
class Considered:
    """What `consider` did: the rows it made, why each audit was picked, and what is
    selected but could not be assigned (nobody free), for the logs and the job."""

    created: list[Moderation] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    unassigned: list[Unassigned] = field(default_factory=list)


# -- rounds ------------------------------------------------------------------------


def rows_for(*, session: Session, audit_id: int) -> list[Moderation]:
    return in_id_order(session, Moderation, Moderation.audit_id == audit_id)


def _returns(audit: Audit) -> list[dict[str, object]]:
    return [h for h in audit.history or [] if isinstance(h, dict) and h.get("event") == "returned"]


def _closed(audit: Audit, rows: Sequence[Moderation]) -> set[int]:
    """Rows of rounds that ended with the audit returned to its author."""
    closed: set[int] = set()
    for entry in _returns(audit):
        listed = entry.get("moderations")
        if isinstance(listed, list):
            closed |= {int(i) for i in listed if isinstance(i, int)}
            continue
        # A return recorded without its rows (imported history): everything before it.
        at = datetime.fromisoformat(str(entry.get("at")))
        closed |= {r.id or 0 for r in rows if r.created_at <= at}
    return closed


def _split(audit: Audit, rows: Sequence[Moderation]) -> tuple[int, list[Moderation]]:
    closed = _closed(audit, rows)
    return len(_returns(audit)) + 1, [r for r in rows if (r.id or 0) not in closed]


def current_round(*, session: Session, audit: Audit) -> tuple[int, list[Moderation]]:
    """(round number from 1, the rows of that round: none yet when it is not assigned)."""
    return _split(audit, rows_for(session=session, audit_id=audit.id or 0))


def _rounds(session: Session, audits: Sequence[Audit]) -> dict[int, tuple[int, list[Moderation]]]:
    """`current_round` for many audits, in one query."""
    ids = [a.id for a in audits if a.id is not None]
    rows: dict[int, list[Moderation]] = defaultdict(list)
    if ids:
        for r in session.exec(
            select(Moderation).where(col(Moderation.audit_id).in_(ids)).order_by(col(Moderation.id))
        ):
            rows[r.audit_id].append(r)
    return {a.id or 0: _split(a, rows[a.id or 0]) for a in audits}


def last_round(*, session: Session, audit: Audit) -> list[Moderation]:
    """The rows of the latest round that was returned (whom a resubmission goes back to)."""
    returns = _returns(audit)
    if not returns:
        return []
    listed = returns[-1].get("moderations")
    rows = rows_for(session=session, audit_id=audit.id or 0)
    if isinstance(listed, list):
        return [r for r in rows if r.id in listed]
    at = datetime.fromisoformat(str(returns[-1].get("at")))
    earlier = [r for r in rows if r.created_at <= at]
    last = max((r.created_at for r in earlier), default=None)
    return [r for r in earlier if r.created_at == last]


# -- selection and assignment --------------------------------------------------------


def _due_for_moderation(
    session: Session, framework: Framework, audits: Sequence[Audit]
) -> dict[int, int]:
    """Audit id -> its round, for the submitted audits with no rows in their round."""
    gradable = [
        a
        for a in audits
        if a.status == SUBMITTED and a.overall_grade in framework.grade_keys and a.id is not None
    ]
    return {i: n for i, (n, rows) in _rounds(session, gradable).items() if not rows}


def _again(
    session: Session, framework: Framework, month: Month, audit: Audit, sub: SubmittedAudit
) -> list[Assigned] | None:
    """A resubmitted audit goes back to the moderators who returned it, if all are active."""
    before = last_round(session=session, audit=audit)
    if not before:
        return None
    people = {p.id: p for p in session.exec(select(Person).where(col(Person.active)))}
    if any(r.moderator_id not in people for r in before):
        return None
    due_on = due_date(framework, month, sub.submitted_on)
    return [Assigned(audit.id or 0, r.moderator_id, r.is_chair, due_on) for r in before]


def consider(*, session: Session, framework: Framework, candidates: Candidates) -> Considered:
    """Select and assign moderations for those of the `candidates` that need one now.

    Submitted audits with no rows in their current round are selected by the
    framework's rules (seeded from the month they were submitted), a resubmission
    after a return always is; the selected are assigned with this month's capacity.
    """
    rounds = _due_for_moderation(session, framework, candidates.audits)
    done = Considered()
    if not rounds:
        return done
    today = local_date(candidates.now, candidates.tz)
    month = Month.of(today)
    todo = [a for a in candidates.audits if a.id in rounds]
    subs = {s.id: s for s in submitted_audits(session=session, audits=todo, tz=candidates.tz)}
    by_id = {a.id or 0: a for a in todo}
    assigned: list[Assigned] = []
    fresh: dict[Month, list[SubmittedAudit]] = defaultdict(list)
    again: list[Selected] = []
    for audit_id, sub in sorted(subs.items()):
        audit = by_id[audit_id]
        if rounds[audit_id] > 1:
            rows = _again(session, framework, month, audit, sub)
            done.reasons[audit_id] = RESUBMITTED_REASON
            if rows is not None:
                assigned.extend(rows)
            else:
                again.append(Selected(audit_id, RESUBMITTED_REASON, "always"))
            continue
        fresh[Month.of(sub.submitted_on)].append(sub)
    selected = list(again)
    people = moderators(session=session, framework=framework, month=month, today=today)
    if fresh:
        history = selection_history(session=session, framework=framework, tz=candidates.tz)
        free = sum(m.capacity_left for m in people) - len(assigned) - len(again)
        for sel_month, group in sorted(fresh.items()):
            # Slots are this month's: an earlier month's sample grades do not fill them.
            slots = free if sel_month == month else 0
            picks = select_for_moderation(framework, sel_month, group, history, free_slots=slots)
            free -= len(picks)
            selected += picks
    done.reasons.update({s.audit_id: s.reason for s in selected})
    if selected:
        picked = {s.audit_id for s in selected}
        result = assign(
            framework,
            month,
            selected,
            [subs[i] for i in sorted(picked)],
            people,
            assignment_history(session=session, month=month),
        )
        assigned.extend(result.assigned)
        done.unassigned = list(result.unassigned)
        if framework.moderation.fill_slots:
            # A sampled audit only fills a slot someone free to take it holds; one that
            # nobody eligible can take was not picked after all (a later tick may, if a
            # slot frees up), so it is neither reported nor shown with a reason.
            filler = {s.audit_id for s in selected if s.basis == "sample"}
            for u in [u for u in done.unassigned if u.audit_id in filler]:
                done.unassigned.remove(u)
                done.reasons.pop(u.audit_id, None)
    for a in assigned:
        row = Moderation(
            audit_id=a.audit_id,
            moderator_id=a.moderator_id,
            month=month.key,
            is_chair=a.is_chair,
            step="grades",
            answers={},
            status=ASSIGNED,
            due_on=a.due_on,
            created_at=candidates.now,
        )
        session.add(row)
        done.created.append(row)
    record_created(
        session=session,
        now=candidates.now,
        action="moderation.assign",
        rows=done.created,
        actor=candidates.actor,
        fields=("audit_id", "moderator_id", "is_chair", "due_on"),
    )
    for u in done.unassigned:
        log.warning("moderation unassigned: audit=%s (no moderator free)", u.audit_id)
    return done


def recently_submitted(*, session: Session, since: datetime) -> list[Audit]:
    """Submitted audits last (re)submitted or changed since `since`: the job's candidates."""
    rows = session.exec(
        select(Audit)
        .where(Audit.status == SUBMITTED)
        .where(col(Audit.updated_at) >= since)
        .order_by(col(Audit.id))
    ).all()
    return [a for a in rows if (latest_submission(a) or a.updated_at) >= since]


# -- the dialog's state ----------------------------------------------------------------


def load_state(moderation: Moderation) -> DialogState | None:
    """The saved moderation dialog, or None before it was first opened."""
    if not moderation.answers or "dialog" not in moderation.answers:
        return None
    return DialogState.from_json(moderation.answers)


def save_state(*, session: Session, moderation: Moderation, state: DialogState) -> None:
    """Keep the moderation dialog where it is (a draft); opening it starts the work."""
    moderation.answers = state.to_json()
    moderation.step = state.step
    if moderation.status == ASSIGNED:
        moderation.status = IN_PROGRESS
    session.add(moderation)
