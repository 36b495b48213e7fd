"""The tables. Schema changes only through Alembic (`storage/migrations/`).

Times are stored in UTC and always timezone-aware (`UTCDateTime`). Free text that
people type is stored as they typed it; it is escaped at the edge, when rendered.
Records are deactivated, never deleted, so history survives reorganisations.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import json_column, utc_column


class Service(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    active: bool = True


class Team(SQLModel, table=True):
    """A team belongs to exactly one service; its name is unique in the authority."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    service_id: int = Field(foreign_key="service.id", index=True)
    active: bool = True


# A person's chat accounts: one `<platform>_user_id` column per platform below (and,
# where a bot needs a stored address to message someone first, `<platform>_conversation`).
# This is the one place that names the platforms; `storage/chat_accounts.py` reads it.
# What an account id looks like, for the staff import's checks: (pattern, description).
CHAT_ACCOUNT_FORMATS: dict[str, tuple[str, str]] = {
    "slack": (r"^[UW][A-Z0-9]{2,}$", "a Slack user id (like U0123ABCD)"),
    "teams": (
        r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$",
        "a Microsoft Entra object id (a GUID)",
    ),
}


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)
    name: str
    roles: list[str] = Field(default_factory=list, sa_column=json_column())
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    line_manager_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    capacity: int | None = None
    slack_user_id: str | None = Field(default=None, index=True)
    teams_user_id: str | None = Field(default=None, index=True)
    teams_conversation: dict[str, Any] | None = Field(
        default=None, sa_column=json_column(nullable=True)
    )
    active: bool = True
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))


class Absence(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    starts_on: date
    ends_on: date
    reason: str = ""


class Case(SQLModel, table=True):
    """A child or family known by its reference only: no names, no dates of birth."""

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, index=True)
    service_id: int = Field(foreign_key="service.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    worker_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    area: str = Field(index=True)
    status: str = Field(default="open", index=True)
    opened_on: date
    active: bool = True


class Allocation(SQLModel, table=True):
    """Person P carries out activity A on case C in month M, due by D, because R."""

    __table_args__ = (
        UniqueConstraint("month", "person_id", "case_id", "activity", name="uq_allocation"),
    )

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(index=True)  # YYYY-MM
    person_id: int = Field(foreign_key="person.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    activity: str = "audit"
    due_on: date
    reason: str = ""
    status: str = Field(default="allocated", index=True)
    decline_reason: str | None = None
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))


class Audit(SQLModel, table=True):
    """One audit: its answers, grades and status (draft/submitted/returned/final)."""

    id: int | None = Field(default=None, primary_key=True)
    allocation_id: int | None = Field(default=None, foreign_key="allocation.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    auditor_id: int = Field(foreign_key="person.id", index=True)
    step: str = "context"
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    domain_grades: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    overall_grade: str | None = Field(default=None, index=True)
    final_grade: str | None = Field(default=None, index=True)
    narrative: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    urgent_flags: list[str] = Field(default_factory=list, sa_column=json_column())
    status: str = Field(default="draft", index=True)
    history: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column())
    submitted_at: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    finalised_at: datetime | None = Field(default=None, sa_column=utc_column())
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))


class Moderation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit.id", index=True)
    moderator_id: int = Field(foreign_key="person.id", index=True)
    month: str = Field(index=True)
    is_chair: bool = False
    step: str = "grades"
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    outcome: str | None = None  # confirmed / regraded / returned
    moderated_grade: str | None = None
    comments: str = ""
    status: str = Field(default="assigned", index=True)
    due_on: date
    completed_at: datetime | None = Field(default=None, sa_column=utc_column())
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class Recommendation(SQLModel, table=True):
    """A recommendation or action, from an audit, a moderation or an escalation."""

    id: int | None = Field(default=None, primary_key=True)
    source: str = "audit"  # audit / moderation / escalation
    audit_id: int | None = Field(default=None, foreign_key="audit.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    level: str = "child"
    action: str
    impact: str = ""
    owner_id: int = Field(foreign_key="person.id", index=True)
    raised_by_id: int | None = Field(default=None, foreign_key="person.id")
    due_on: date = Field(index=True)
    status: str = Field(default="open", index=True)
    impact_note: str | None = None
    snoozed_until: date | None = None
    completed_at: datetime | None = Field(default=None, sa_column=utc_column())
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class RecommendationUpdate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    recommendation_id: int = Field(foreign_key="recommendation.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    kind: str  # update / done / more_time / approved / refused
    note: str = ""
    new_due_on: date | None = None
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class Escalation(SQLModel, table=True):
    """A tracked request for action: a grade, an urgent flag, or overdue actions."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)  # grade / urgent / overdue_actions / dip_sample
    audit_id: int | None = Field(default=None, foreign_key="audit.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    grade: str | None = None
    flag: str | None = None
    owner_id: int = Field(foreign_key="person.id", index=True)
    level: int = 0
    deadline: datetime = Field(sa_column=utc_column(nullable=False, index=True))
    status: str = Field(default="open", index=True)
    response: str | None = None
    responded_at: datetime | None = Field(default=None, sa_column=utc_column())
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class OutboxMessage(SQLModel, table=True):
    """A message waiting to go out, or gone. The unique key makes "send twice" impossible."""

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, index=True)
    template: str
    context: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    channel: str | None = None  # governance channel key, for channel posts
    platform: str | None = None  # the recipient's chat platform, fixed when claimed
    status: str = Field(default="pending", index=True)  # pending/sending/sent/failed
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=utc_column(nullable=False, index=True))
    claimed_at: datetime | None = Field(default=None, sa_column=utc_column())
    claimed_by: str | None = None
    last_error: str | None = None
    platform_ref: dict[str, Any] | None = Field(default=None, sa_column=json_column(nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    created_at: datetime = Field(sa_column=utc_column(nullable=False, index=True))
    # An earlier attempt may have reached the platform (its worker died, or the answer
    # was lost): look in the conversation before sending it again (bot/sender.py).
    unconfirmed: bool = False
    # Chat could not reach the person, so it went by email: why, and when the mail
    # server was handed it (never handed over twice, even after a crash).
    fallback_reason: str | None = None
    email_started_at: datetime | None = Field(default=None, sa_column=utc_column())


class AuditLogEntry(SQLModel, table=True):
    """Append-only: who did what to which record, when, before and after."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=utc_column(nullable=False, index=True))
    actor_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    actor: str = ""  # "cli", "scheduler", or a person's email
    action: str
    record_type: str = Field(index=True)
    record_id: str = Field(index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=json_column(nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=json_column(nullable=True))


class Lease(SQLModel, table=True):
    """Which process runs the scheduler ticks; taken over when not renewed."""

    name: str = Field(primary_key=True)
    holder: str
    expires_at: datetime = Field(sa_column=utc_column(nullable=False))


class JobRun(SQLModel, table=True):
    """The last time each scheduler tick ran, for catch-up and /healthz."""

    __tablename__ = "job_run"

    name: str = Field(primary_key=True)
    last_run_at: datetime = Field(sa_column=utc_column(nullable=False))


class ProcessedEvent(SQLModel, table=True):
    """Inbound event ids already handled, so a platform retry never doubles an effect."""

    __tablename__ = "processed_event"

    event_id: str = Field(primary_key=True)
    received_at: datetime = Field(sa_column=utc_column(nullable=False, index=True))


class AuditClosing(SQLModel, table=True):
    """After an audit is final: when its findings went to the worker and line manager,
    and the QA lead's closing block (City of London's "To be completed by Head of
    Safeguarding & Quality Assurance"), one row per audit."""

    __tablename__ = "audit_closing"

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit.id", unique=True, index=True)
    findings_sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    closed_by_id: int | None = Field(default=None, foreign_key="person.id")
    closed_at: datetime | None = Field(default=None, sa_column=utc_column())
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class CaseReview(SQLModel, table=True):
    """A case reviewed weekly until Good (Lambeth's PRIMs), started by one audit's grade.

    `end_reason`: `meeting_good` (a meeting recorded Good or better), `reaudit_good` (a
    later audit graded it so) or `case_closed`. Open while `ended_at` is None.
    """

    __tablename__ = "case_review"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    audit_id: int = Field(foreign_key="audit.id", unique=True)
    owner_id: int = Field(foreign_key="person.id", index=True)
    grade: str
    started_at: datetime = Field(sa_column=utc_column(nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=utc_column())
    end_reason: str | None = None


class CaseReviewMeeting(SQLModel, table=True):
    """One week's review meeting: prompted, then its outcome (a grade, a short note)."""

    __tablename__ = "case_review_meeting"
    __table_args__ = (UniqueConstraint("review_id", "week", name="uq_case_review_meeting"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="case_review.id", index=True)
    week: str  # ISO week, 2026-W50
    prompted_at: datetime = Field(sa_column=utc_column(nullable=False))
    grade: str | None = None
    note: str = ""
    recorded_by_id: int | None = Field(default=None, foreign_key="person.id")
    recorded_at: datetime | None = Field(default=None, sa_column=utc_column())


class ProgressPack(SQLModel, table=True):
    """A follow-up window's pack of recommendations due (City of London), and its sign-off."""

    __tablename__ = "progress_pack"
    __table_args__ = (UniqueConstraint("window", "month", name="uq_progress_pack"),)

    id: int | None = Field(default=None, primary_key=True)
    window: str  # the follow-up window's label
    month: str  # YYYY-MM
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    signed_off_at: datetime | None = Field(default=None, sa_column=utc_column())
    signed_off_by_id: int | None = Field(default=None, foreign_key="person.id")


class ProgressPackItem(SQLModel, table=True):
    """One recommendation due in a pack, signed off on its own or with the whole pack."""

    __tablename__ = "progress_pack_item"
    __table_args__ = (
        UniqueConstraint("pack_id", "recommendation_id", name="uq_progress_pack_item"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pack_id: int = Field(foreign_key="progress_pack.id", index=True)
    recommendation_id: int = Field(foreign_key="recommendation.id")
    signed_off_at: datetime | None = Field(default=None, sa_column=utc_column())
    signed_off_by_id: int | None = Field(default=None, foreign_key="person.id")


class QaAlert(SQLModel, table=True):
    """A quality assurance alert on a case (Lambeth QAF 8: raised by IROs and CP chairs).

    Asked of `acted_on_by_id` (the case's team manager, by default); closed when they
    say what changed (`acted_at`, `action_note`). Open while `acted_at` is None; late
    once `due_on` has passed while open. Notes are checked for child-identifying
    details before they are stored.
    """

    __tablename__ = "qa_alert"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    raised_by_id: int = Field(foreign_key="person.id", index=True)
    kind: str
    note: str = ""
    raised_at: datetime = Field(sa_column=utc_column(nullable=False, index=True))
    due_on: date
    acted_on_by_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    acted_at: datetime | None = Field(default=None, sa_column=utc_column())
    acted_by_id: int | None = Field(default=None, foreign_key="person.id")
    action_note: str = ""


class InspectionAudit(SQLModel, table=True):
    """An allocation made in inspection mode: urgent, chased daily until it is submitted.

    Inspectors pick the cases; the QA lead who started it (`started_by_id`) is told who
    got what; `due_on` is the lead's deadline (also the allocation's `due_on`).
    """

    __tablename__ = "inspection_audit"

    id: int | None = Field(default=None, primary_key=True)
    allocation_id: int = Field(foreign_key="allocation.id", unique=True)
    started_by_id: int | None = Field(default=None, foreign_key="person.id")
    started_at: datetime = Field(sa_column=utc_column(nullable=False))
    due_on: date


class Observation(SQLModel, table=True):
    """An observation of practice a manager recorded: who was observed by role, never by
    name; no names of children or families (a case reference where there is one).

    `team_id` is where it counts: the case's team when a case is named, otherwise the
    recording manager's team (None when they have none).
    """

    __tablename__ = "observation"

    id: int | None = Field(default=None, primary_key=True)
    recorded_by_id: int = Field(foreign_key="person.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id")
    observed_role: str
    setting: str
    went_well: str
    could_be_better: str
    feedback_given: bool
    feedback_on: date | None = None
    observed_on: date = Field(index=True)
    recorded_at: datetime = Field(sa_column=utc_column(nullable=False))


class CalibrationCase(SQLModel, table=True):
    """A month's calibration case (issue 15): the QA lead's anonymised practice vignette
    (text only, no real case) and the lead's reference grades, by question key."""

    __tablename__ = "calibration_case"

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(unique=True)  # YYYY-MM
    vignette: str
    reference: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    set_by_id: int = Field(foreign_key="person.id")
    set_at: datetime = Field(sa_column=utc_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=utc_column())


class CalibrationAnswer(SQLModel, table=True):
    """One person's grades of a calibration case. Kept for the counts only: no message
    or report ever says who graded what."""

    __tablename__ = "calibration_answer"
    __table_args__ = (UniqueConstraint("case_id", "person_id", name="uq_calibration_answer"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="calibration_case.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    grades: dict[str, str] = Field(default_factory=dict, sa_column=json_column())
    answered_at: datetime = Field(sa_column=utc_column(nullable=False))
