"""The moderation's messages: the request to each moderator, reminders, the outcome.

- `moderation-request:<moderation id>`: one message per audit to moderate (case
  reference, auditor, grades, due date, *Moderate*), sent at once; when the
  moderation is done or withdrawn the same message is edited in place
  (`update_of`, keys `...:done` / `...:withdrawn`).
- `moderation-due:<moderation id>:<n>`: the reminder `n` working days before the
  due date (0: on the day), queued by the reminder job.
- `moderation-outcome:<audit id>:<round>`: the outcome, to the author, once per
  round, with the moderator's comments and the domain grades it changed (unless the
  framework tells authors only when their findings or grades are amended,
  `feedback_to_author: when_regraded`: then a confirmation that changed nothing is
  not sent, but one that regraded a domain, did not agree the recommendations or
  added actions is, as Wandsworth's QAF 29 says: "if their findings or grades are
  amended").

- `moderation-focus:<month>:<QA lead id>`: once a month, where the framework follows
  the figures (`moderation.follow_figures`), the QA lead's moderation summary: which
  domains and auditors get a larger share moderated, and why.

Case references only, never a child's details; the moderator's comments are what
they typed for the author, after the dialog's privacy check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from qa.framework import Framework
from qa.moderation_dialog import ModerationResult
from qa.working_days import Month
from storage.models import Audit, Case, Moderation, Person
from storage.moderations import Candidates, Considered, consider, current_round
from storage.outbox import Message, enqueue

COMMENT_CHARS = 1000


def _first_name(person: Person | None) -> str:
    parts = person.name.split() if person else []
    return parts[0] if parts else ""


def _labels(framework: Framework) -> dict[str, str]:
    return {g.key: g.label for g in framework.grades}


def request_key(moderation: Moderation) -> str:
    return f"moderation-request:{moderation.id}"


def outcome_key(audit: Audit, round_no: int) -> str:
    return f"moderation-outcome:{audit.id}:{round_no}"


def reminder_key(moderation: Moderation, days: int) -> str:
    return f"moderation-due:{moderation.id}:{days}"


def _reference(session: Session, audit: Audit) -> str:
    case = session.get(Case, audit.case_id)
    return case.reference if case else ""


def request_context(
    session: Session,
    framework: Framework,
    moderation: Moderation,
    *,
    reason: str = "",
    round_no: int = 1,
    state: str = "open",
) -> dict[str, Any]:
    """What the moderator sees: the case, who audited it, the grades, the due date.

    Blind (`moderation.blind`): no grade and no reason for the selection (a reason can
    name the grade: "every Inadequate audit is moderated"); the moderator sees the
    auditor's grades in the dialog, beside their own, once they have given them."""
    audit = session.get(Audit, moderation.audit_id)
    assert audit is not None
    labels = _labels(framework)
    moderator = session.get(Person, moderation.moderator_id)
    auditor = session.get(Person, audit.auditor_id)
    case = session.get(Case, audit.case_id)
    domains = [
        {"label": d.label, "grade": labels.get(audit.domain_grades[d.key], "")}
        for d in framework.domains_for(case.area if case else "")
        if d.key in (audit.domain_grades or {})
    ]
    blind = framework.moderation.blind
    if blind:  # nothing of the auditor's grades before the moderator has given theirs
        domains, reason = [], ""
    return {
        "first_name": _first_name(moderator),
        "reference": case.reference if case else "",
        "auditor": auditor.name if auditor else "",
        "overall": "" if blind else labels.get(audit.overall_grade or "", ""),
        "blind": blind,
        "domains": domains,
        "due_on": moderation.due_on.isoformat(),
        "reason": reason,
        "round": round_no,
        "panel": framework.moderation.panel,
        "is_chair": moderation.is_chair,
        "state": state,
        "outcome": moderation.outcome or "",
        "routing_key": f"moderation:{moderation.id}",
    }


def queue_requests(
    *,
    session: Session,
    framework: Framework,
    rows: Iterable[Moderation],
    reasons: dict[int, str],
    round_of: dict[int, int],
    now: datetime,
) -> int:
    """One request per new moderation, at once (it answers a submission)."""
    sent = 0
    for row in rows:
        context = request_context(
            session,
            framework,
            row,
            reason=reasons.get(row.audit_id, ""),
            round_no=round_of.get(row.audit_id, 1),
        )
        message = Message(
            "moderation_request", request_key(row), context, person_id=row.moderator_id
        )
        sent += enqueue(session=session, message=message, now=now)
    return sent


def assign_and_request(
    *, session: Session, framework: Framework, candidates: Candidates
) -> Considered:
    """Select and assign what needs moderating among `candidates`; ask each new moderator."""
    done = consider(session=session, framework=framework, candidates=candidates)
    audits, now = candidates.audits, candidates.now
    by_id = {a.id: a for a in audits}
    round_of = {
        r.audit_id: current_round(session=session, audit=by_id[r.audit_id])[0]
        for r in done.created
        if r.audit_id in by_id
    }
    queue_requests(
        session=session,
        framework=framework,
        rows=done.created,
        reasons=done.reasons,
        round_of=round_of,
        now=now,
    )
    return done


def mark_request(
    *, session: Session, framework: Framework, moderation: Moderation, state: str, now: datetime
) -> None:
    """Edit the request in place: done (with its outcome) or withdrawn (the chair decided)."""
    context = request_context(session, framework, moderation, state=state)
    context["update_of"] = request_key(moderation)
    message = Message(
        "moderation_request",
        f"{request_key(moderation)}:{state}",
        context,
        person_id=moderation.moderator_id,
    )
    enqueue(session=session, message=message, now=now)


def queue_reminder(
    *,
    session: Session,
    moderation: Moderation,
    days: int,
    now: datetime,
) -> bool:
    audit = session.get(Audit, moderation.audit_id)
    if audit is None:
        return False
    context = {
        "first_name": _first_name(session.get(Person, moderation.moderator_id)),
        "reference": _reference(session, audit),
        "due_on": moderation.due_on.isoformat(),
        "days": days,
        "routing_key": f"moderation:{moderation.id}",
    }
    message = Message(
        "moderation_reminder",
        reminder_key(moderation, days),
        context,
        person_id=moderation.moderator_id,
    )
    return enqueue(session=session, message=message, now=now)


def findings_amended(result: ModerationResult) -> bool:
    """Whether the moderation amended the findings, whatever it did to the overall
    grade: a domain regraded, the recommendations not agreed, or actions added."""
    return (
        any(not v.agrees and v.grade for v in result.domains.values())
        or not result.recommendations_agree
        or bool(result.actions)
    )


def outcome_context(
    session: Session,
    framework: Framework,
    audit: Audit,
    moderation: Moderation,
    result: ModerationResult,
) -> dict[str, Any]:
    labels = _labels(framework)
    given = audit.domain_grades or {}
    changed = [
        {
            "label": d.label,
            "given": labels.get(given.get(d.key, ""), ""),
            "theirs": labels.get(view.grade or "", ""),
        }
        for d in framework.audit_form.domains
        if (view := result.domains.get(d.key)) is not None and not view.agrees and view.grade
    ]
    overall_why = _overall_why(moderation)
    moderator = session.get(Person, moderation.moderator_id)
    return {
        "first_name": _first_name(session.get(Person, audit.auditor_id)),
        "reference": _reference(session, audit),
        "outcome": result.outcome,
        "given": labels.get(audit.overall_grade or "", ""),
        "final": labels.get(result.final_grade or "", ""),
        "moderator": moderator.name if moderator else "",
        "comments": result.reason[:COMMENT_CHARS],
        "why": overall_why[:COMMENT_CHARS] if result.outcome == "regraded" else "",
        "domains": changed[:10],
        "recommendations_amended": not result.recommendations_agree,
        "recommendations_comments": result.recommendations_comments[:COMMENT_CHARS],
        "actions": len(result.actions),
        "audit_key": f"audit:{audit.id}",
    }


def _overall_why(moderation: Moderation) -> str:
    """Why the moderator would grade it differently overall (their words, if any)."""
    answers = (moderation.answers or {}).get("answers", {})
    overall = answers.get("overall", {}) if isinstance(answers, dict) else {}
    why = overall.get("mod.overall.why") if isinstance(overall, dict) else None
    return why if isinstance(why, str) else ""


def queue_outcome(
    session: Session,
    framework: Framework,
    audit: Audit,
    moderation: Moderation,
    result: ModerationResult,
    *,
    round_no: int,
    now: datetime,
) -> bool:
    """Tell the author, once per round (the framework may say: only when it changed)."""
    if (
        framework.moderation.feedback_to_author == "when_regraded"
        and result.outcome == "confirmed"
        and not findings_amended(result)
    ):
        return False
    context = outcome_context(session, framework, audit, moderation, result)
    message = Message(
        "moderation_outcome", outcome_key(audit, round_no), context, person_id=audit.auditor_id
    )
    return enqueue(session=session, message=message, now=now)


def focus_key(month: Month, lead: Person) -> str:
    return f"moderation-focus:{month.key}:{lead.id}"


def queue_focus(
    *,
    session: Session,
    framework: Framework,
    month: Month,
    lines: Sequence[str],
    now: datetime,
) -> int:
    """The QA lead's moderation summary for `month` (issue 15): where the figures raise
    the share moderated, and why; once a month to each QA lead. Auditors are named
    (the QA lead sees per-auditor figures), cases never."""
    leads = [
        p
        for p in session.exec(select(Person).where(col(Person.active)).order_by(col(Person.id)))
        if framework.qa_lead_role in (p.roles or [])
    ]
    vocab = framework.vocabulary
    context = {
        "month": month.name,
        "lines": list(lines)[:10],
        "more": max(0, len(lines) - 10),
        "share": round(framework.moderation.sample_share * 100, 1),
        "moderations_word": vocab.moderations,
        "audits_word": vocab.audits,
    }
    sent = 0
    for lead in leads:
        message = Message(
            "moderation_focus",
            focus_key(month, lead),
            {**context, "first_name": _first_name(lead)},
            person_id=lead.id,
        )
        sent += enqueue(session=session, message=message, now=now)
    return sent
