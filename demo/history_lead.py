"""What the demo QA lead finds waiting, whatever the date the demo is built on.

Why: whoever tries the demo is its QA lead, and should meet every flow at once: a
learning conversation to start, a moderation to do, an action due, an escalation to
answer. Left to chance they are not there in every month: Camden allocates nothing in
August and December, a moderation may be finished, every escalation answered. So,
without lying about the framework:

- the lead's learning conversations are those of the latest month the framework
  allocates in whose allocation day has passed (`lead_month`): in December, November's,
  still due (the banner says so);
- if she has no moderation open, the most recently submitted audit she may moderate by
  the framework's exclusions (not her own, not her team's...) is left for her to
  moderate instead of being finished by the history's moderator (in a panel, she
  takes a member's seat), due when the framework says;
- if she owns no open action, the newest recommendation made at the framework's
  widest level (a service-wide action a QA lead plausibly owns) is hers, still open;
- if the framework sends her escalations (Camden: Inadequate to the Head of QA) and
  every one was answered, her latest is left open. A framework that never escalates to
  the QA lead leaves her none, and `lead_escalations` says so.

Pure, like the rest of the history: decisions are made on the builder's records
before they are frozen into rows.
"""

from __future__ import annotations

from dataclasses import replace

from demo.history_actions import Actions
from demo.history_answers import OWNER_SUFFIX
from demo.history_build import AuditRecord, Builder
from demo.history_review import Review
from qa.allocation_rules import allocation_day
from qa.moderation import Moderator, _excluded_because, due_date, monthly_capacity
from qa.working_days import Month


def lead_month(builder: Builder, covered: tuple[Month, ...]) -> Month | None:
    """The latest covered month the framework allocates in, its allocation day past."""
    fw, days = builder.fw, builder.days
    for month in reversed(covered):
        if month.month in fw.allocation.active_months and days.past(allocation_day(fw, month)):
            return month
    return None


def _lead_moderator(review: Review) -> Moderator | None:
    lead = review.b.lead
    return next((m for m in review.world.moderators() if m.id == lead), None)


def keep_a_moderation(review: Review) -> bool:
    """Leave the lead one moderation to do (see the module docstring); True if she has one."""
    lead = review.b.lead
    if lead is None:
        return False
    email = review.world.email[lead]
    if any(m.moderator == email and m.status != "completed" for m in review.moderations):
        return True
    me = _lead_moderator(review)
    if me is None or monthly_capacity(review.fw, me.roles) <= 0:
        return False
    moderated = {m.audit for m in review.moderations}
    candidates = sorted(
        (a for a in review.b.audits if a.submitted is not None and a.key in moderated),
        key=lambda a: (a.submitted, a.key),
        reverse=True,
    )
    for audit in candidates:
        if _excluded_because(review.fw, review._submitted(audit), me) is None:
            _reopen_for(review, audit, email)
            return True
    return False


def _reopen_for(review: Review, audit: AuditRecord, email: str) -> None:
    """`audit`'s moderation, not yet done, with the lead in it: the only moderator, or a
    panel member in place of one (the chair stays the chair)."""
    assert audit.submitted is not None
    rows = [m for m in review.moderations if m.audit == audit.key]
    month = Month.parse(rows[0].month)
    due = due_date(review.fw, month, review.days.local(audit.submitted))
    swap = next((m for m in rows if m.moderator == email), None)
    swap = swap or next((m for m in rows if not m.is_chair), rows[0])
    reopened = [
        replace(m, moderator=email if m is swap else m.moderator, status="assigned",
                outcome=None, moderated_grade=None, comments="", due_on=due, completed_at=None)
        for m in rows
    ]  # fmt: skip
    review.moderations = [m for m in review.moderations if m.audit != audit.key] + reopened
    # Undecided: the audit waits for the moderation, as the live product's would.
    audit.status, audit.final, audit.finalised = "submitted", None, None
    audit.events = [e for e in audit.events if e[0] == "submitted"]


def give_an_action(builder: Builder) -> tuple[int, int] | None:
    """(audit key, recommendation number) of the action the lead owns, if one was given."""
    lead = builder.lead
    if lead is None:
        return None
    email = builder.world.email[lead]
    widest = builder.fw.audit_form.recommendation_levels[-1]
    submitted = sorted(
        (a for a in builder.audits if a.submitted is not None and a.recommendations),
        key=lambda a: (a.submitted, a.key),
        reverse=True,
    )
    for audit in submitted:
        for r in audit.recommendations:
            if r.owner == email:
                return audit.key, r.n
    chosen = next(
        ((a, r) for a in submitted for r in a.recommendations if r.level == widest),
        next(((a, r) for a in submitted for r in a.recommendations), None),
    )
    if chosen is None:
        return None
    audit, rec = chosen
    audit.recommendations = tuple(
        replace(r, owner=email) if r is rec else r for r in audit.recommendations
    )
    audit.answers[f"rec.{rec.n}{OWNER_SUFFIX}"] = email
    return audit.key, rec.n


def keep_an_escalation(actions: Actions, email: str | None) -> bool:
    """Leave the lead's latest escalation open if she has any; True if one is open."""
    if email is None:
        return False
    mine = [e for e in actions.escalations if e.owner == email]
    if not mine:
        return False
    if any(e.status == "open" for e in mine):
        return True
    latest = max(mine, key=lambda e: (e.created_at, e.audit))
    # The whole request (everyone asked with her) is open again: one answer closes it.
    same = (latest.kind, latest.audit, latest.grade, latest.created_at)
    actions.escalations = [
        replace(e, status="open", response=None, responded_at=None)
        if (e.kind, e.audit, e.grade, e.created_at) == same
        else e
        for e in actions.escalations
    ]
    return True
