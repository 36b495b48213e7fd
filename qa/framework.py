"""The framework file: everything that differs between authorities, as data.

A framework file is YAML validated here with pydantic. Errors are reported with the
file, the line and, where a name is misspelt, the nearest known name, because the
people who edit these files are QA leads, not programmers: `parse_framework` reports
every problem in one go (see `qa.framework_checks`). Nothing in the rest of the
product names an authority: it reads these values.

The four presets in `qa/presets/` are built from the seed frameworks; each rule in
them carries a comment naming the section of the framework it comes from.
"""

from __future__ import annotations

import difflib
from datetime import date
from datetime import time as Time
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from qa.chat_platforms import LEGACY_ADDRESS_KEYS
from qa.framework_checks import (
    REF_PREFIX,
    AreaKey,
    ChannelKey,
    FrameworkError,
    GradeKey,
    Problem,
    RoleKey,
    decode,
    describe_error,
    describe_loc,
    is_reference_error,
    line_of,
    plain,
    read_yaml,
    reference_problems,
)

__all__ = [
    "PRESETS_DIR",
    "Framework",
    "FrameworkError",
    "Problem",
    "legacy_warnings",
    "load_framework",
    "parse_framework",
    "preset",
    "preset_names",
    "resolve",
]

PRESETS_DIR = Path(__file__).parent / "presets"

Activity = Literal["audit", "moderation", "dip_sample", "themed_audit"]
Visibility = Literal["all", "service", "team", "own"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ModerationExclusion = Literal["author", "case_team_manager", "author_line_manager", "case_worker"]
ModerationOutcome = Literal["confirm", "regrade", "return"]
SummaryGrouping = Literal["domain", "area", "service", "team"]
# How often a calendar entry comes round (`qa.qa_calendar`) and a report is sent.
CalendarEvery = Literal["month", "quarter", "week", "fortnight"]
ReportEvery = Literal["month", "quarter", "review_window"]
Month = Annotated[int, Field(ge=1, le=12)]


def _default_exclusions() -> list[ModerationExclusion]:
    return ["author", "case_team_manager", "author_line_manager"]


def _all_outcomes() -> list[ModerationOutcome]:
    return ["confirm", "regrade", "return"]


def _weekdays() -> list[Weekday]:
    return ["mon", "tue", "wed", "thu", "fri"]


def _by_domain() -> list[SummaryGrouping]:
    return ["domain"]


class _Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must not silently do nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Vocabulary(_Strict):
    """The authority's own words (docs/ux.md: Camden says *learning conversation*)."""

    audit: str = "audit"
    audits: str = "audits"
    moderation: str = "moderation"
    moderations: str = "moderations"
    board: str = "QA board"


class Grade(_Strict):
    key: str
    label: str
    descriptor: str = ""
    good_or_better: bool = False


class Role(_Strict):
    key: str
    label: str
    sees: Visibility = "own"
    default_capacity: int = Field(default=1, ge=0)


class Cadence(_Strict):
    """How often people holding `role` carry out `activity` (docs/domain.md section 3)."""

    role: RoleKey
    activity: Activity = "audit"
    count: int = Field(default=1, ge=1)
    every_months: int = Field(default=1, ge=1, le=12)
    # Lambeth QAF: "one audit ... of a case in a particular area of planning" (IROs
    # audit looked-after cases, CP chairs child-protection cases). None: any case.
    areas: list[AreaKey] | None = None
    # Service names as the staff import writes them. None: any service.
    services: list[str] | None = None
    # Which cases the cadence picks. `ranked` (as before): re-audits due, never audited,
    # then least recently audited. `follow_through` (Wandsworth QAF 35: "Individual case
    # audits are completed by Service Managers giving assurance that audit
    # recommendations have been followed through"): only cases with a recommendation
    # still open, or completed within `follow_through_months`, and not audited since it
    # was made; soonest due first. Never a case nobody has audited.
    pick: Literal["ranked", "follow_through"] = "ranked"
    follow_through_months: int = Field(default=3, ge=1, le=24)

    @model_validator(mode="after")
    def _follow_through_audits(self) -> Cadence:
        """Only an audit follows recommendations through: refuse what would never run."""
        if self.pick == "follow_through" and self.activity != "audit":
            raise ValueError(
                f"`pick: follow_through` needs `activity: audit`, not `{self.activity}`"
            )
        return self


class Area(_Strict):
    """An area of planning; `cycle_target` cases over the framework's cycle."""

    key: str
    label: str
    cycle_target: int | None = Field(default=None, ge=0)


class Cycle(_Strict):
    """An audit cycle of `months` months, the first starting in `start_month`."""

    months: int = Field(ge=1, le=12)
    start_month: Month = 1


class ReviewWindow(_Strict):
    """Part of the open cases reviewed in the listed months (City of London).

    `share` is the part of the cycle's cases this window covers. A window may instead
    name a fixed number of `cases` (City of London's "15 cases"), or take the
    `remainder`: the open cases not reviewed earlier in the cycle.
    """

    months: list[Month] = Field(min_length=1)
    share: float = Field(gt=0, le=1)
    cases: int | None = Field(default=None, ge=1)
    remainder: bool = False
    roles: list[RoleKey] = Field(default_factory=list)
    label: str = ""

    def cases_for(self, *, open_cases: int, reviewed_this_cycle: int) -> int:
        """How many cases this window reviews, given the open cases and those done."""
        if self.remainder:
            return max(open_cases - reviewed_this_cycle, 0)
        wanted = self.cases if self.cases is not None else round(self.share * open_cases)
        return min(wanted, open_cases)


class FollowUpWindow(_Strict):
    """Months in which progress on recommendations is reviewed and signed off."""

    months: list[Month] = Field(min_length=1)
    label: str
    owner_role: RoleKey
    channel: ChannelKey | None = None
    # City of London QAF 2023: "evidence of recommendations being progressed ...
    # Reviewed and signed off in 'Achieving Excellence' meeting". True: when the window
    # opens, the QA lead gets a pack of the recommendations due by its end and records
    # their sign-off in chat, one by one or the whole pack. False: the reminder alone.
    progress_pack: bool = False


class AllocationPolicy(_Strict):
    active_months: list[Month] = Field(default_factory=lambda: list(range(1, 13)))
    working_day: int = Field(default=1, ge=1, le=15, description="Nth working day of month")
    time: Time = Time(9, 0)
    due_working_days: int = Field(default=15, ge=1, le=60)
    max_cases_per_worker: int = Field(default=1, ge=1)
    no_reaudit_months: int = Field(default=6, ge=0)
    peer_principle: bool = True
    # Nobody audits a case whose worker they line-manage, directly or up the chain.
    # A framework may turn this off (a team manager auditing their own team's work);
    # one's own case is never one's to audit, whatever this says.
    exclude_line_managed: bool = True
    # Roles that take audits up to their capacity though no cadence names them (Camden
    # QAF 5.2.2: the QA officer "has capacity to undertake more"). Empty: only cadences,
    # quotas and review windows give people work, as before this key existed.
    capacity_roles: list[RoleKey] = Field(default_factory=list)


class ChecklistItem(_Strict):
    key: str
    label: str
    # Lambeth QAF 4: "Each area of planning has a bespoke audit tool": the areas whose
    # audits ask this item. None: every area (as before this key existed).
    areas: list[AreaKey] | None = None
    # City of London QAF 2024, "Evidencing Anti-Racist Practice": where identity is not
    # ascertained the reasons are evidenced "or are raised as a recommendation". The
    # answers (from `checklist_options`) after which the audit cannot be submitted
    # without a recommendation. Empty: no answer needs one.
    needs_recommendation: list[str] = Field(default_factory=list)


class Domain(_Strict):
    key: str
    label: str
    areas: list[AreaKey] | None = None
    help: str = ""


class Prompt(_Strict):
    key: str
    label: str
    required: bool = True
    # The areas whose audit tool asks this feedback or narrative prompt (Lambeth QAF 4,
    # "a bespoke audit tool" per area of planning). None: every area.
    areas: list[AreaKey] | None = None


QuestionKind = Literal["yes_no", "choice", "multi", "text", "date"]
QuestionStep = Literal["grades", "overall", "recommendations", "outcome"]


class ModerationQuestion(_Strict):
    """A question the framework's own moderation template asks (City of London QAF
    2024, Appendix 2: question 15, "Were appropriate attempts made to elicit feedback
    ...?"; 17 and 18, "Do you agree with the recommendations made?"; "Date of
    Moderation Panel").

    `kind` is `yes_no` (as the closing block's questions), or a field kind
    (`qa.field_kinds`): `choice` and `multi` pick from `options`. `step` is the
    moderation step it is asked on, after that step's own questions; questions on
    `recommendations` take the place of its built-in "Do you agree with the
    recommendations made?". `comments` adds a comments box with that label beneath the
    answer, required after the answers in `comments_required_for`.
    """

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: str
    kind: QuestionKind = "yes_no"
    options: list[str] = Field(default_factory=list)
    required: bool = True
    step: QuestionStep = "outcome"
    section: str = ""
    help: str = ""
    comments: str = ""
    comments_required_for: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _answers_fit(self) -> ModerationQuestion:
        """Options only where they are picked; comments required only after answers
        that can be given, and only where there is a comments box."""
        if self.options and self.kind not in ("choice", "multi"):
            raise _refuse(f"a {self.kind} question has no options: remove `options`")
        if not self.options and self.kind in ("choice", "multi"):
            raise _refuse(f"a {self.kind} question needs `options` (or use `kind: yes_no`)")
        wrong = [a for a in self.comments_required_for if a not in self.answers]
        if wrong:
            raise _refuse(
                f"comments_required_for names {wrong[0]!r}, which is not one of the "
                f"answers ({', '.join(self.answers) or 'none: the question is not a choice'})"
            )
        if self.comments_required_for and not self.comments:
            raise _refuse("comments_required_for needs a `comments` label for the box")
        return self

    @property
    def answers(self) -> list[str]:
        """The answers one may pick (none for a date or text)."""
        if self.kind == "yes_no":
            return ["Yes", "No"]
        return list(self.options)

    @property
    def field_kind(self) -> str:
        """The field kind that asks it: a yes/no question is a choice of two."""
        return "choice" if self.kind == "yes_no" else self.kind


class UrgentFlag(_Strict):
    """Raised in the dialog; `roles` are told at once, `response_from` asked to act."""

    key: str
    label: str
    roles: list[RoleKey] = Field(min_length=1)
    response_from: list[RoleKey] = Field(default_factory=list)
    response_hours: int = Field(default=24, ge=1)


class AuditForm(_Strict):
    review_period_months: int = Field(default=6, ge=1)
    checklist_options: list[str] = Field(
        default_factory=lambda: ["Yes", "Partly", "No", "Not applicable"]
    )
    checklist: list[ChecklistItem] = Field(default_factory=list)
    domains: list[Domain] = Field(min_length=1)
    feedback: list[Prompt] = Field(default_factory=list)
    narrative: list[Prompt] = Field(default_factory=list)
    recommendation_levels: list[str] = Field(default_factory=lambda: ["child", "service"])
    urgent_flags: list[UrgentFlag] = Field(default_factory=list)

    @model_validator(mode="after")
    def _recommendation_answers_exist(self) -> AuditForm:
        """An answer that needs a recommendation must be one the checklist offers."""
        for item in self.checklist:
            wrong = [a for a in item.needs_recommendation if a not in self.checklist_options]
            if wrong:
                raise _refuse(
                    f"checklist item {item.key!r}: needs_recommendation names {wrong[0]!r}, "
                    f"which is not in checklist_options ({', '.join(self.checklist_options)})"
                )
        return self


class ModerationPolicy(_Strict):
    always_grades: list[GradeKey] = Field(default_factory=list)
    sample_share: float = Field(default=0.0, ge=0, le=1)
    sample_grades: list[GradeKey] = Field(default_factory=list)
    drift_boost: float = Field(
        default=0.0, ge=0, le=1, description="Extra share for auditors often regraded"
    )
    moderator_roles: list[RoleKey] = Field(default_factory=list)
    capacity_per_month: int = Field(default=4, ge=0)
    # Camden QAF 5.2.2: "a selection" of Good and RI "to fill the slots": when true, the
    # sample grades are moderated while this month's moderators have slots free, in
    # submission order, instead of by `sample_share`. False keeps the fixed share.
    fill_slots: bool = False
    # Camden QAF 5.2.2: Heads of Service moderate for "understanding ... the work across
    # their services": a moderator in the case's own service is chosen first when free.
    prefer_own_service: bool = False
    due_working_days: int = Field(default=10, ge=1)
    exclusions: list[ModerationExclusion] = Field(default_factory=_default_exclusions)
    outcomes: list[ModerationOutcome] = Field(default_factory=_all_outcomes, min_length=1)
    downgrade_requires_actions: bool = False
    feedback_to_author: Literal["always", "when_regraded"] = "always"
    panel: bool = False
    panel_roles: list[RoleKey] = Field(default_factory=list)
    chair_role: RoleKey | None = None
    panel_meeting_minutes: int | None = Field(default=None, ge=1)
    # The framework's own moderation questions (City of London QAF 2024, Appendix 2).
    # Empty: the moderation dialog asks what it always has.
    questions: list[ModerationQuestion] = Field(default_factory=list)
    # Issue 15, blind moderation: the moderator grades each domain and the overall before
    # seeing the auditor's grades, then sees both side by side (agreement counts the blind
    # grades). False: the dialog and the request show the auditor's grades at once.
    blind: bool = False
    # Issue 15, sampling that follows the figures: auditors whose grades are often changed
    # and domains with low agreement get up to `follow_figures_boost` more share, within
    # the moderators' free slots; a domain is low below `low_agreement`. False: as before.
    follow_figures: bool = False
    follow_figures_boost: float = Field(default=0.5, ge=0, le=1)
    low_agreement: float = Field(default=0.7, gt=0, le=1)

    @model_validator(mode="after")
    def _question_keys_unique(self) -> ModerationPolicy:
        """Each question's key names its answer: two alike would share one."""
        _refuse_repeated_key([q.key for q in self.questions], "moderation questions")
        return self


class GradeEscalation(_Strict):
    grade: GradeKey
    roles: list[RoleKey] = Field(min_length=1)
    deadline_days: int = Field(ge=0)
    remind_days_before: int = Field(default=2, ge=0)
    re_escalate_to: list[RoleKey] = Field(default_factory=list)


class EscalationPolicy(_Strict):
    grades: list[GradeEscalation] = Field(default_factory=list)
    overdue_actions_roles: list[RoleKey] = Field(default_factory=list)
    overdue_actions_weekday: Weekday = "mon"
    case_review_weekly_until_good: bool = False
    # Who owns the weekly review (Lambeth QAF 4: "reviewed by the practice assurance
    # team through Practice Review Improvement Meetings (PRIMs)"). Set: each week the
    # role's holder nearest the case is asked in chat to record the meeting's outcome
    # (a grade and a short note), and the review ends when a meeting records Good or
    # better or a later audit grades it so. None: the weekly reminder alone.
    case_review_owner_role: RoleKey | None = None

    @model_validator(mode="after")
    def _owned_reviews_are_weekly(self) -> EscalationPolicy:
        """An owner for reviews that never run would silently do nothing: refuse it."""
        if self.case_review_owner_role is not None and not self.case_review_weekly_until_good:
            raise ValueError("`case_review_owner_role` needs `case_review_weekly_until_good: true`")
        return self

    # Where the moderator gives the grade (Lambeth: the practice assurance lead "give[s]
    # an overall grading"), a regrade withdraws the requests made for the grade it
    # replaced, telling their owners why; the new grade's requests follow as usual.
    # False: a regrade only adds the new grade's requests (the earlier ones stand).
    regrade_withdraws: bool = False


class ObservationPolicy(_Strict):
    """Observations of practice: a manager records one in chat (`observe`).

    Off unless `by_roles` is set: the roles that record observations (the framework's
    managers). `notify_roles` are told when one is recorded, "so it can be centrally
    recorded" (City of London 2024, Appendix 2). `settings` are the choices offered for
    where the observation took place.
    """

    by_roles: list[RoleKey] = Field(default_factory=list)
    notify_roles: list[RoleKey] = Field(default_factory=list)
    settings: list[str] = Field(
        default_factory=lambda: [
            "Home visit",
            "Meeting with the child",
            "Child protection conference",
            "Core group or review meeting",
            "Supervision",
            "Office or duty",
            "Other",
        ]
    )

    @property
    def enabled(self) -> bool:
        return bool(self.by_roles)


class Reaudit(_Strict):
    grade: GradeKey
    within_months: int = Field(ge=1)


class DipSample(_Strict):
    after_grades: list[GradeKey] = Field(min_length=1)
    cases: int = Field(default=3, ge=1)
    by_role: RoleKey
    whole_caseload_approver: RoleKey
    # What the same concerns found again lead to. `approval` (as before): the approver
    # is asked whether to audit the whole caseload. `allocate` (Wandsworth QAF 33: "If
    # the same concerns are found the social worker's case load is audited"): every
    # open case of the worker is allocated at once to the dip-sampler, nobody asked.
    caseload: Literal["approval", "allocate"] = "approval"


FindingsRecipient = Literal["worker", "line_manager"]


class FindingsPolicy(_Strict):
    """Who is sent a finished audit's findings, and so hears what the audit found.

    City of London's review template records the "Date sent to the allocated worker and
    line manager"; Wandsworth's recommendations are "discussed between the team manager
    and social worker in supervision" (QAF 32). `send_to` names the case's allocated
    worker and that worker's line manager; empty (the default) sends nothing, as a
    framework that is silent on it says. The findings are the case reference, the
    grades and the recommendations: never a child's details.
    """

    send_to: list[FindingsRecipient] = Field(default_factory=list)


class ClosingQuestion(_Strict):
    """One line of the QA lead's closing block, in the framework's words.

    `filled_by` is what the bot answers itself: `findings_sent`, the day it sent the
    findings to the worker and line manager; `moderation_panel`, whether a panel
    moderated the audit. The QA lead may still change either.
    """

    key: str
    label: str
    kind: Literal["date", "yes_no"] = "date"
    filled_by: Literal["findings_sent", "moderation_panel"] | None = None


class ClosingBlock(_Strict):
    """A short closing step for `role` once an audit is final (City of London's "To be
    completed by Head of Safeguarding & Quality Assurance")."""

    role: RoleKey
    questions: list[ClosingQuestion] = Field(min_length=1)


class CalibrationPolicy(_Strict):
    """The monthly calibration case (issue 15): one short practice vignette, written by
    the QA lead, graded in chat by everyone who audits, so that the QA lead sees how far
    their grades spread around the lead's own (counts per grade, never who graded what).

    Sent on the `working_day`th working day of each month that has a case set; the
    result goes to the QA leads `open_working_days` working days later. Absent (the
    default): no calibration case.
    """

    working_day: int = Field(default=5, ge=1, le=15, description="Nth working day of month")
    open_working_days: int = Field(default=10, ge=1, le=30)
    roles: list[RoleKey] = Field(min_length=1)


class ReminderPolicy(_Strict):
    before_due_working_days: list[int] = Field(default_factory=lambda: [3])
    on_due_day: bool = True
    working_days: list[Weekday] = Field(default_factory=_weekdays)
    working_hours_start: Time = Time(9, 0)
    working_hours_end: Time = Time(17, 0)
    quiet_hours_start: Time = Time(18, 0)
    quiet_hours_end: Time = Time(8, 0)
    bank_holidays: Literal["england_and_wales", "none"] = "england_and_wales"
    snooze_days: int = Field(default=1, ge=1)


class GovernanceChannel(_Strict):
    """A governance board's channel: where its summaries are posted.

    `addresses` maps a chat platform's name to the channel's address there, so adding a
    platform is a new key in the file, not a new field here.
    """

    key: str
    name: str
    addresses: dict[str, str | None] = Field(default_factory=dict)
    chair_role: RoleKey | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy_addresses(cls, data: object) -> object:
        """Fold the old per-platform keys into `addresses`: files written before it
        still load; `legacy_warnings` tells `framework check` what to write instead."""
        if not isinstance(data, dict) or not LEGACY_ADDRESS_KEYS.keys() & data.keys():
            return data
        data = dict(data)
        addresses = dict(data.get("addresses") or {})
        for old, platform in LEGACY_ADDRESS_KEYS.items():
            if old in data:
                value = data.pop(old)
                if value is not None:
                    addresses.setdefault(platform, value)
        data["addresses"] = addresses
        return data

    def address(self, platform: str) -> str | None:
        """The channel's address on `platform`, or None when the file gives none."""
        return self.addresses.get(platform)


DEFAULT_QUARTER_MONTHS = [1, 4, 7, 10]


def _refuse(message: str) -> PydanticCustomError:
    """A rule's refusal in the QA lead's words, without pydantic's "Value error," prefix."""
    return PydanticCustomError("framework_rule", message)


def _refuse_repeated_key(keys: list[str], what: str) -> None:
    """Refuse two `what` (e.g. "QA alert kinds") with one key: it names one thing."""
    twice = next((k for k in keys if keys.count(k) > 1), None)
    if twice is not None:
        raise _refuse(f"two {what} have the key {twice!r}: rename one")


class Report(_Strict):
    """A report sent on the framework's rhythm, to channels and to named roles.

    `every: month` covers last month; `every: quarter` goes in each of `months` (the
    months the board sits; default January, April, July, October) and covers the three
    months before; `every: review_window` goes after each review window closes and
    covers the window's months. Each goes on the summary day (`summary.working_day`,
    `summary.time`). `post_to` names governance channels; `send_to` names roles whose
    holders get it as a direct message, with the figures their role sees (an Assistant
    Director's service, a Director's authority): aggregates only, never a case.
    """

    every: ReportEvery
    label: str = ""
    months: list[Month] | None = None
    post_to: list[ChannelKey] = Field(default_factory=list)
    send_to: list[RoleKey] = Field(default_factory=list)

    @model_validator(mode="after")
    def _sendable(self) -> Report:
        """A report nobody receives, or months on a rhythm that has none, is a mistake."""
        if not self.post_to and not self.send_to:
            raise _refuse(
                "a report needs readers: name channels in 'post_to' or roles in 'send_to'"
            )
        if self.months is not None and self.every != "quarter":
            raise _refuse(
                f"'months' is for quarterly reports; a report every {self.every.replace('_', ' ')} "
                "has its own dates: remove 'months'"
            )
        if self.months is not None and len(set(self.months)) != len(self.months):
            raise _refuse("'months' lists a month twice")
        return self

    @property
    def quarter_months(self) -> list[int]:
        """The months a quarterly report goes in."""
        return list(self.months) if self.months is not None else list(DEFAULT_QUARTER_MONTHS)


class SummarySchedule(_Strict):
    """The monthly summary, and the weekly and quarterly reports some frameworks add.

    `post_to` names governance channels (empty: all of them); `group_by` says how the
    grades are broken down.
    """

    working_day: int = Field(default=3, ge=1, le=15)
    time: Time = Time(9, 0)
    post_to: list[ChannelKey] = Field(default_factory=list)
    group_by: list[SummaryGrouping] = Field(default_factory=_by_domain)
    weekly_tracking_roles: list[RoleKey] = Field(default_factory=list)
    weekly_tracking_weekday: Weekday = "mon"
    quarterly_analysis_roles: list[RoleKey] = Field(default_factory=list)
    quarterly_analysis_months: list[Month] = Field(default_factory=lambda: [1, 4, 7, 10])
    # -- small-number suppression (issue 17, the board report) --
    # The widest level at which small counts are shown as "fewer than N": that level
    # and every narrower one. "team" (the default): team figures are suppressed, the
    # authority's and each service's are shown, as an internal board needs them;
    # "service" suppresses service figures too; "authority" suppresses every figure.
    suppress_from: Literal["authority", "service", "team"] = "team"
    # Reports on the framework's own rhythm and to its own readers (issue 13): City of
    # London's quarterly Achieving Excellence Board, Lambeth's report "shared with the
    # relevant Assistant Director, Service Manager, PSW and PDLs". Empty: only the
    # monthly post and the reports above, as before this key existed.
    reports: list[Report] = Field(default_factory=list)


class CalendarAfter(_Strict):
    """An entry that falls a set time after another entry (Lambeth QAF, 6: the Practice
    Week report "no later than one month after the Practice Week event")."""

    entry: str
    months: int = Field(default=0, ge=0, le=12)
    days: int = Field(default=0, ge=0, le=366)


class CalendarEntry(_Strict):
    """A recurring QA activity whose owners are reminded ahead of it (`qa.qa_calendar`).

    `every: month` (the default, and the only form before issue 13) lists `months`;
    `every: quarter` lists one month a quarter (default January, April, July, October);
    `every: week` and `every: fortnight` start on `starts_on` and repeat every 7 or 14
    days (optionally only in `months`); `after` sets an entry a time after another
    entry, named by its `key`, and is then a deadline ("due by").
    """

    months: list[Month] | None = None
    activity: str
    owner_role: RoleKey
    remind_days_before: int = Field(default=10, ge=0)
    channel: ChannelKey | None = None
    key: str | None = None
    every: CalendarEvery = "month"
    starts_on: date | None = None
    after: CalendarAfter | None = None

    @model_validator(mode="after")
    def _one_rhythm(self) -> CalendarEntry:
        """Each form has what it needs and nothing another form uses."""
        if self.months is not None and not self.months:
            raise _refuse("'months' needs at least one month")
        if self.after is not None:
            # By value, not by "was it written": a dumped framework (model_dump) carries
            # every field, and must validate again.
            given = {"months": self.months, "starts_on": self.starts_on}
            extra = [k for k, v in given.items() if v is not None]
            extra += ["every"] if self.every != "month" else []
            if extra:
                raise _refuse(
                    f"an entry set 'after' another takes its dates from it: remove "
                    f"{' and '.join(repr(k) for k in extra)}"
                )
            return self
        if self.every == "month" and self.months is None:
            raise _refuse("'months' is required: the months this comes round in (1 to 12)")
        if self.every == "quarter" and self.months is not None and not _one_a_quarter(self.months):
            raise _refuse(
                "a quarterly entry lists one month in each quarter, three months apart "
                "(e.g. [3, 6, 9, 12])"
            )
        if self.every in ("week", "fortnight") and self.starts_on is None:
            raise _refuse(
                f"an entry every {self.every} needs 'starts_on': the date of the first one "
                "(YYYY-MM-DD); later ones follow on the same weekday"
            )
        if self.every in ("month", "quarter") and self.starts_on is not None:
            raise _refuse(
                f"'starts_on' is for weekly and fortnightly entries; an entry every {self.every} "
                "names its months: remove 'starts_on'"
            )
        return self

    @property
    def month_list(self) -> list[int]:
        """The months a month or quarter entry comes round in (weekly ones: where allowed)."""
        if self.months is not None:
            return list(self.months)
        return list(DEFAULT_QUARTER_MONTHS) if self.every == "quarter" else list(range(1, 13))


def _one_a_quarter(months: list[int]) -> bool:
    ordered = sorted(months)
    return len(ordered) == 4 and all(b - a == 3 for a, b in pairwise(ordered))


class Retention(_Strict):
    audits_months: int = Field(default=72, ge=1)
    outbox_days: int = Field(default=90, ge=1)
    audit_log_months: int = Field(default=72, ge=1)


class AlertKind(_Strict):
    """What a QA alert can be about: a key stored with the alert, and its label."""

    key: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    label: str = Field(min_length=1)


def _alert_kinds() -> list[AlertKind]:
    return [
        AlertKind(key="plan", label="The plan"),
        AlertKind(key="safety", label="Safety and risk"),
        AlertKind(key="drift", label="Drift or delay"),
        AlertKind(key="voice", label="The child's voice"),
        AlertKind(key="other", label="Something else"),
    ]


class QaAlerts(_Strict):
    """Quality assurance alerts raised in chat by reviewing officers and chairs.

    Lambeth QAF 8: "A report of Quality Assurance alerts raised by Independent
    Chairs/Reviewing officers is circulated to all Assistant Directors and the Director
    of Children's Social Care on a weekly basis." A holder of a `raised_by` role types
    `alert`; the nearest holder of `acted_on_by` to the case (its team manager) is asked
    to act and says what changed; the raiser is told. Each week the alerts go to every
    holder of a `weekly_report_to` role, and the framework's reports (`summary.reports`)
    count them. Absent (the default): no alerts.
    """

    raised_by: list[RoleKey] = Field(min_length=1)
    weekly_report_to: list[RoleKey] = Field(min_length=1)
    acted_on_by: RoleKey
    respond_within_days: int = Field(default=10, ge=1, le=90)
    weekly_report_weekday: Weekday = "mon"
    kinds: list[AlertKind] = Field(default_factory=_alert_kinds, min_length=1)

    @model_validator(mode="after")
    def _kind_keys_unique(self) -> QaAlerts:
        _refuse_repeated_key([k.key for k in self.kinds], "QA alert kinds")
        return self

    def kind_label(self, key: str) -> str:
        return next((k.label for k in self.kinds if k.key == key), key)


class Framework(_Strict):
    """One authority's whole QA framework."""

    name: str
    authority: str
    source: str = ""
    vocabulary: Vocabulary = Vocabulary()
    grades: list[Grade] = Field(min_length=2)
    roles: list[Role] = Field(min_length=1)
    qa_lead_role: RoleKey
    cadences: list[Cadence] = Field(default_factory=list)
    areas: list[Area] = Field(min_length=1)
    cycle: Cycle | None = None
    review_windows: list[ReviewWindow] = Field(default_factory=list)
    follow_up_windows: list[FollowUpWindow] = Field(default_factory=list)
    allocation: AllocationPolicy = AllocationPolicy()
    audit_form: AuditForm
    moderation: ModerationPolicy = ModerationPolicy()
    escalation: EscalationPolicy = EscalationPolicy()
    observations: ObservationPolicy = ObservationPolicy()
    reaudit: list[Reaudit] = Field(default_factory=list)
    dip_sample: DipSample | None = None
    findings: FindingsPolicy = FindingsPolicy()
    closing: ClosingBlock | None = None
    calibration: CalibrationPolicy | None = None  # the monthly calibration case (issue 15)
    reminders: ReminderPolicy = ReminderPolicy()
    governance: list[GovernanceChannel] = Field(default_factory=list)
    summary: SummarySchedule = SummarySchedule()
    calendar: list[CalendarEntry] = Field(default_factory=list)
    retention: Retention = Retention()
    qa_alerts: QaAlerts | None = None

    # -- look-ups the rest of the product uses -----------------------------------
    @property
    def role_keys(self) -> list[str]:
        return [r.key for r in self.roles]

    @property
    def area_keys(self) -> list[str]:
        return [a.key for a in self.areas]

    @property
    def grade_keys(self) -> list[str]:
        """Grade keys, best first."""
        return [g.key for g in self.grades]

    @property
    def channel_keys(self) -> list[str]:
        return [c.key for c in self.governance]

    def role(self, key: str) -> Role:
        return next(r for r in self.roles if r.key == key)

    def area(self, key: str) -> Area:
        return next(a for a in self.areas if a.key == key)

    def grade(self, key: str) -> Grade:
        return next(g for g in self.grades if g.key == key)

    def domains_for(self, area: str) -> list[Domain]:
        """The graded domains of the audit form for a case in `area`."""
        return [d for d in self.audit_form.domains if d.areas is None or area in d.areas]

    # Lambeth QAF 4: "Each area of planning has a bespoke audit tool": each part of the
    # form is the items for the case's area (an item naming no areas is in every tool).
    def checklist_for(self, area: str) -> list[ChecklistItem]:
        """The practice-standards checklist for a case in `area`."""
        return [i for i in self.audit_form.checklist if i.areas is None or area in i.areas]

    def feedback_for(self, area: str) -> list[Prompt]:
        """The feedback prompts for a case in `area`."""
        return [p for p in self.audit_form.feedback if p.areas is None or area in p.areas]

    def narrative_for(self, area: str) -> list[Prompt]:
        """The narrative prompts for a case in `area`."""
        return [p for p in self.audit_form.narrative if p.areas is None or area in p.areas]

    @field_validator("calendar")
    @classmethod
    def _calendar_links(cls, calendar: list[CalendarEntry]) -> list[CalendarEntry]:
        """Keys defined once, and `after` naming an entry with its own dates."""
        problems = _calendar_problems(calendar)
        if problems:
            raise _refuse("; ".join(problems))
        return calendar

    @field_validator("summary")
    @classmethod
    def _reports_have_windows(
        cls, summary: SummarySchedule, info: ValidationInfo
    ) -> SummarySchedule:
        """A report per review window needs review windows (checked before `summary`)."""
        windows = info.data.get("review_windows")
        for i, report in enumerate(summary.reports):
            if report.every == "review_window" and windows == []:
                raise _refuse(
                    f"reports[{i}]: a report every review window needs review_windows; "
                    "add them or choose 'every: month' or 'every: quarter'"
                )
        return summary

    @model_validator(mode="after")
    def _references_resolve(self) -> Framework:
        """Names used must be defined (also for frameworks built in code, not files)."""
        problems = reference_problems(self.model_dump(), Framework)
        if problems:
            rows = "\n".join(f"- {describe_loc(loc)}: {msg}" for loc, msg in problems)
            raise ValueError(f"{REF_PREFIX}:\n{rows}")
        return self


def _calendar_problems(calendar: list[CalendarEntry]) -> list[str]:
    """Calendar keys defined once, and `after` naming an entry with its own dates."""
    out: list[str] = []
    keys: dict[str, CalendarEntry] = {}
    for i, entry in enumerate(calendar):
        if entry.key is None:
            continue
        if entry.key in keys:
            out.append(f"entry {i} uses the key '{entry.key}' again; give each entry its own key")
        keys[entry.key] = entry
    for i, entry in enumerate(calendar):
        if entry.after is None:
            continue
        wanted = entry.after.entry
        anchor = keys.get(wanted)
        if anchor is None:
            hint = difflib.get_close_matches(wanted, sorted(keys), n=1)
            fix = (
                f"did you mean '{hint[0]}'?"
                if hint
                else f"give the entry it follows 'key: {wanted}'"
            )
            out.append(f"entry {i} is set after '{wanted}', but no entry has that key; {fix}")
        elif anchor.after is not None:
            out.append(
                f"entry {i} is set after '{wanted}', which is itself set after another "
                "entry; set it after an entry with its own months or dates"
            )
    return out


# -- loading, with line-precise errors ------------------------------------------


def parse_framework(text: str, *, filename: str = "<framework>") -> Framework:
    """Validate framework YAML text; raise `FrameworkError` listing every problem."""
    tree, problems = read_yaml(text, filename)
    if tree is None:
        raise FrameworkError(
            [
                Problem(
                    filename,
                    1,
                    "the file is empty; start from a preset: qa-bot framework show camden",
                )
            ]
        )
    if not isinstance(tree, dict):
        raise FrameworkError(
            [Problem(filename, 1, "the file must be a YAML mapping (key: value lines)")]
        )
    data = plain(tree)
    framework: Framework | None = None
    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            if not is_reference_error(err):
                loc, message = describe_error(err, Framework)
                problems.append(Problem(filename, line_of(tree, loc), message))
    for loc, message in reference_problems(data, Framework):
        problems.append(Problem(filename, line_of(tree, loc), message))
    if framework is None and not problems:  # cannot happen; never pass a bad file silently
        problems.append(Problem(filename, None, "the file is not a valid framework"))
    if problems or framework is None:
        unique = list(dict.fromkeys(problems))
        unique.sort(key=lambda p: (p.line or 0, p.message))
        raise FrameworkError(unique)
    return framework


def legacy_warnings(name_or_path: str) -> list[Problem]:
    """Old-style keys in a framework file that still load, each with what to write instead.

    A warning, not an error: the file works, but the old form will not grow new
    platforms, so the QA lead is told the line and the exact replacement.
    """
    filename = display_name(name_or_path)
    tree, _ = read_yaml(decode(resolve(name_or_path).read_bytes(), filename), filename)
    channels = tree.get("governance") if isinstance(tree, dict) else None
    if not isinstance(channels, list):
        return []
    found: list[Problem] = []
    for index, channel in enumerate(channels):
        if not isinstance(channel, dict):
            continue
        olds = [key for key in LEGACY_ADDRESS_KEYS if key in channel]
        if not olds:
            continue
        pairs = ", ".join(
            f"{LEGACY_ADDRESS_KEYS[key]}: {'null' if channel[key] is None else channel[key]}"
            for key in olds
        )
        given = " and ".join(f"`{key}:`" for key in olds)
        found.append(
            Problem(
                filename,
                line_of(tree, ("governance", index, olds[0])),
                f"{given} in governance[{index}] is the old form and still works; "
                f"write `addresses: {{{pairs}}}` instead",
            )
        )
    return found


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yml"))


def resolve(name_or_path: str) -> Path:
    """A preset name or a path to a YAML file, as the file to read."""
    if name_or_path in preset_names():
        return PRESETS_DIR / f"{name_or_path}.yml"
    path = Path(name_or_path)
    if path.suffix in {".yml", ".yaml"} or path.exists():
        return path
    known = preset_names()
    hint = difflib.get_close_matches(name_or_path, known, n=1)
    fix = f"did you mean '{hint[0]}'? " if hint else ""
    raise FrameworkError(
        [
            Problem(
                name_or_path,
                None,
                f"no such preset or file; {fix}presets: " + ", ".join(known),
            )
        ]
    )


def display_name(name_or_path: str) -> str:
    """How problems name the file: `camden.yml` for a preset, else the path as given."""
    return f"{name_or_path}.yml" if name_or_path in preset_names() else name_or_path


def load_framework(name_or_path: str) -> Framework:
    """Load and validate a preset or a framework file (uncached: files change)."""
    path = resolve(name_or_path)
    filename = display_name(name_or_path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FrameworkError(
            [Problem(filename, None, f"cannot read the file: {exc.strerror or exc}")]
        ) from None
    return parse_framework(decode(raw, filename), filename=filename)


@cache
def preset(name: str) -> Framework:
    """A shipped preset, cached: presets do not change while the process runs."""
    return load_framework(name)
