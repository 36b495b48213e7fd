"""The framework file: everything that differs between authorities, as data.

A framework file is YAML validated here with pydantic. Errors are reported with the
file, the line and, where a name is misspelt, the nearest known name, because the
people who edit these files are QA leads, not programmers. Nothing in the rest of
the product names an authority: it reads these values.

The four presets in `qa/presets/` are built from the seed frameworks; each rule in
them carries a comment naming the section of the framework it comes from.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from datetime import time as Time
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

PRESETS_DIR = Path(__file__).parent / "presets"

Activity = Literal["audit", "moderation", "dip_sample", "themed_audit"]
Visibility = Literal["all", "service", "team", "own"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ModerationExclusion = Literal["author", "case_team_manager", "author_line_manager", "case_worker"]


class _Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must not silently do nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Vocabulary(_Strict):
    """The authority's own words (ux.md: Camden says *learning conversation*)."""

    audit: str = "audit"
    audits: str = "audits"
    moderation: str = "moderation"
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
    """How often people holding `role` carry out `activity` (domain.md section 3)."""

    role: str
    activity: Activity = "audit"
    count: int = Field(default=1, ge=1)
    every_months: int = Field(default=1, ge=1, le=12)


class Area(_Strict):
    """An area of planning; `cycle_target` cases over the framework's cycle."""

    key: str
    label: str
    cycle_target: int | None = Field(default=None, ge=0)


class Cycle(_Strict):
    """An audit cycle of `months` months, the first starting in `start_month`."""

    months: int = Field(ge=1, le=12)
    start_month: int = Field(default=1, ge=1, le=12)


class ReviewWindow(_Strict):
    """A share of the open cases reviewed in the listed months (City of London)."""

    months: list[int] = Field(min_length=1)
    share: float = Field(gt=0, le=1)
    label: str = ""


class AllocationPolicy(_Strict):
    active_months: list[int] = Field(default_factory=lambda: list(range(1, 13)))
    working_day: int = Field(default=1, ge=1, le=15, description="Nth working day of month")
    time: Time = Time(9, 0)
    due_working_days: int = Field(default=15, ge=1, le=60)
    max_cases_per_worker: int = Field(default=1, ge=1)
    no_reaudit_months: int = Field(default=6, ge=0)
    peer_principle: bool = True


class ChecklistItem(_Strict):
    key: str
    label: str


class Domain(_Strict):
    key: str
    label: str
    areas: list[str] | None = None
    help: str = ""


class Prompt(_Strict):
    key: str
    label: str
    required: bool = True


class UrgentFlag(_Strict):
    key: str
    label: str
    roles: list[str] = Field(min_length=1)
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


class ModerationPolicy(_Strict):
    always_grades: list[str] = Field(default_factory=list)
    sample_share: float = Field(default=0.0, ge=0, le=1)
    sample_grades: list[str] = Field(default_factory=list)
    drift_boost: float = Field(
        default=0.0, ge=0, le=1, description="Extra share for auditors often regraded"
    )
    moderator_roles: list[str] = Field(default_factory=list)
    capacity_per_month: int = Field(default=4, ge=0)
    due_working_days: int = Field(default=10, ge=1)
    exclusions: list[ModerationExclusion] = Field(
        default_factory=lambda: ["author", "case_team_manager", "author_line_manager"]
    )
    panel: bool = False
    panel_roles: list[str] = Field(default_factory=list)
    chair_role: str | None = None


class GradeEscalation(_Strict):
    grade: str
    roles: list[str] = Field(min_length=1)
    deadline_days: int = Field(ge=0)
    remind_days_before: int = Field(default=2, ge=0)
    re_escalate_to: list[str] = Field(default_factory=list)


class EscalationPolicy(_Strict):
    grades: list[GradeEscalation] = Field(default_factory=list)
    overdue_actions_roles: list[str] = Field(default_factory=list)
    overdue_actions_weekday: Weekday = "mon"
    case_review_weekly_until_good: bool = False


class Reaudit(_Strict):
    grade: str
    within_months: int = Field(ge=1)


class DipSample(_Strict):
    after_grades: list[str] = Field(min_length=1)
    cases: int = Field(default=3, ge=1)
    by_role: str
    whole_caseload_approver: str


class ReminderPolicy(_Strict):
    before_due_working_days: list[int] = Field(default_factory=lambda: [3])
    on_due_day: bool = True
    working_days: list[Weekday] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    working_hours_start: Time = Time(9, 0)
    working_hours_end: Time = Time(17, 0)
    quiet_hours_start: Time = Time(18, 0)
    quiet_hours_end: Time = Time(8, 0)
    bank_holidays: Literal["england_and_wales", "none"] = "england_and_wales"
    snooze_days: int = Field(default=1, ge=1)


class GovernanceChannel(_Strict):
    key: str
    name: str
    slack_channel: str | None = None
    teams_conversation: str | None = None


class SummarySchedule(_Strict):
    working_day: int = Field(default=3, ge=1, le=15)
    time: Time = Time(9, 0)
    weekly_tracking_roles: list[str] = Field(default_factory=list)
    quarterly_analysis_roles: list[str] = Field(default_factory=list)


class CalendarEntry(_Strict):
    months: list[int] = Field(min_length=1)
    activity: str
    owner_role: str
    remind_days_before: int = Field(default=10, ge=0)


class Retention(_Strict):
    audits_months: int = Field(default=72, ge=1)
    outbox_days: int = Field(default=90, ge=1)
    audit_log_months: int = Field(default=72, ge=1)


class Framework(_Strict):
    """One authority's whole QA framework."""

    name: str
    authority: str
    source: str = ""
    vocabulary: Vocabulary = Vocabulary()
    grades: list[Grade] = Field(min_length=2)
    roles: list[Role] = Field(min_length=1)
    qa_lead_role: str
    cadences: list[Cadence] = Field(default_factory=list)
    areas: list[Area] = Field(min_length=1)
    cycle: Cycle | None = None
    review_windows: list[ReviewWindow] = Field(default_factory=list)
    allocation: AllocationPolicy = AllocationPolicy()
    audit_form: AuditForm
    moderation: ModerationPolicy = ModerationPolicy()
    escalation: EscalationPolicy = EscalationPolicy()
    reaudit: list[Reaudit] = Field(default_factory=list)
    dip_sample: DipSample | None = None
    reminders: ReminderPolicy = ReminderPolicy()
    governance: list[GovernanceChannel] = Field(default_factory=list)
    summary: SummarySchedule = SummarySchedule()
    calendar: list[CalendarEntry] = Field(default_factory=list)
    retention: Retention = Retention()

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

    def role(self, key: str) -> Role:
        return next(r for r in self.roles if r.key == key)

    def area(self, key: str) -> Area:
        return next(a for a in self.areas if a.key == key)

    def grade(self, key: str) -> Grade:
        return next(g for g in self.grades if g.key == key)

    def domains_for(self, area: str) -> list[Domain]:
        """The graded domains of the audit form for a case in `area`."""
        return [d for d in self.audit_form.domains if d.areas is None or area in d.areas]

    @model_validator(mode="after")
    def _references_resolve(self) -> Framework:
        problems = list(_reference_problems(self))
        if problems:
            raise ValueError(
                _REF_MARK + "\n".join(f"{'.'.join(map(str, p[0]))}|{p[1]}" for p in problems)
            )
        return self


_REF_MARK = "@@references@@\n"


def _reference_problems(fw: Framework) -> list[tuple[tuple[str | int, ...], str]]:
    """Every name used in the file that is not defined in it, with where it is used."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    roles, areas, grades = set(fw.role_keys), set(fw.area_keys), set(fw.grade_keys)

    def check(loc: tuple[str | int, ...], value: str | None, known: set[str], what: str) -> None:
        if value is None or value in known:
            return
        hint = difflib.get_close_matches(value, sorted(known), n=1)
        fix = (
            f"did you mean '{hint[0]}'?"
            if hint
            else f"define it under {what}s or use one of: " + ", ".join(sorted(known))
        )
        out.append((loc, f"{what} '{value}' is not defined; {fix}"))

    for kind, keys in (("role", fw.role_keys), ("area", fw.area_keys), ("grade", fw.grade_keys)):
        seen: set[str] = set()
        for i, k in enumerate(keys):
            if k in seen:
                out.append(
                    (
                        (kind + "s", i, "key"),
                        f"{kind} '{k}' is defined twice; give each {kind} its own key",
                    )
                )
            seen.add(k)
    check(("qa_lead_role",), fw.qa_lead_role, roles, "role")
    for i, c in enumerate(fw.cadences):
        check(("cadences", i, "role"), c.role, roles, "role")
    for i, d in enumerate(fw.audit_form.domains):
        for j, a in enumerate(d.areas or []):
            check(("audit_form", "domains", i, "areas", j), a, areas, "area")
    for i, f in enumerate(fw.audit_form.urgent_flags):
        for j, r in enumerate(f.roles):
            check(("audit_form", "urgent_flags", i, "roles", j), r, roles, "role")
    m = fw.moderation
    for field, vals in (("always_grades", m.always_grades), ("sample_grades", m.sample_grades)):
        for j, g in enumerate(vals):
            check(("moderation", field, j), g, grades, "grade")
    for field, vals in (("moderator_roles", m.moderator_roles), ("panel_roles", m.panel_roles)):
        for j, r in enumerate(vals):
            check(("moderation", field, j), r, roles, "role")
    check(("moderation", "chair_role"), m.chair_role, roles, "role")
    for i, e in enumerate(fw.escalation.grades):
        check(("escalation", "grades", i, "grade"), e.grade, grades, "grade")
        for j, r in enumerate(e.roles):
            check(("escalation", "grades", i, "roles", j), r, roles, "role")
        for j, r in enumerate(e.re_escalate_to):
            check(("escalation", "grades", i, "re_escalate_to", j), r, roles, "role")
    for j, r in enumerate(fw.escalation.overdue_actions_roles):
        check(("escalation", "overdue_actions_roles", j), r, roles, "role")
    for i, r in enumerate(fw.reaudit):
        check(("reaudit", i, "grade"), r.grade, grades, "grade")
    if fw.dip_sample:
        for j, g in enumerate(fw.dip_sample.after_grades):
            check(("dip_sample", "after_grades", j), g, grades, "grade")
        check(("dip_sample", "by_role"), fw.dip_sample.by_role, roles, "role")
        check(
            ("dip_sample", "whole_caseload_approver"),
            fw.dip_sample.whole_caseload_approver,
            roles,
            "role",
        )
    for field in ("weekly_tracking_roles", "quarterly_analysis_roles"):
        for j, r in enumerate(getattr(fw.summary, field)):
            check(("summary", field, j), r, roles, "role")
    for i, c in enumerate(fw.calendar):
        check(("calendar", i, "owner_role"), c.owner_role, roles, "role")
    for i, a in enumerate(fw.allocation.active_months):
        if not 1 <= a <= 12:
            out.append(
                (
                    ("allocation", "active_months", i),
                    f"month {a} is not a month; use 1 (January) to 12 (December)",
                )
            )
    if fw.review_windows and abs(sum(w.share for w in fw.review_windows) - 1) > 1e-6:
        out.append(
            (("review_windows",), "the review windows' shares must add up to 1 (all open cases)")
        )
    return out


# -- loading, with line-precise errors ------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a framework file, located for a person to fix."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class FrameworkError(Exception):
    """A framework file that cannot be used; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _line_of(tree: Any, loc: tuple[str | int, ...]) -> int | None:
    """The 1-based line of the deepest node along `loc` in a ruamel round-trip tree."""
    line: int | None = None
    node = tree
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    if line is None and hasattr(tree, "lc"):
        line = tree.lc.line + 1
    return line


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _known_fields(loc: tuple[str | int, ...]) -> list[str]:
    model: Any = Framework
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        candidates = [ann, *args, *(a for x in args for a in getattr(x, "__args__", ()))]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if model is None:
            return []
    return list(getattr(model, "model_fields", {}))


def _describe(err: dict[str, Any]) -> str:
    loc = tuple(err["loc"])
    path = ".".join(str(p) for p in loc) or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        known = _known_fields(loc)
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        fix = (
            f"did you mean '{hint[0]}'?"
            if hint
            else "remove it (known keys: " + ", ".join(known) + ")"
        )
        return f"'{loc[-1]}' is not a known setting here ({path}); {fix}"
    if kind == "missing":
        return f"'{path}' is required but missing; add it"
    return f"{path}: {err['msg']}"


def parse_framework(text: str, *, filename: str = "<framework>") -> Framework:
    """Validate framework YAML text; raise `FrameworkError` listing every problem."""
    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise FrameworkError(
            [Problem(filename, line, f"not valid YAML: {exc.problem or exc}")]
        ) from None
    if not isinstance(tree, dict):
        raise FrameworkError(
            [Problem(filename, 1, "the file must be a YAML mapping (key: value lines)")]
        )
    try:
        return Framework.model_validate(_plain(tree))
    except ValidationError as exc:
        problems: list[Problem] = []
        for err in exc.errors():
            msg = str(err.get("msg", ""))
            if _REF_MARK.strip() in msg:
                body = msg.split(_REF_MARK, 1)[1] if _REF_MARK in msg else msg
                for row in body.splitlines():
                    dotted, _, text_ = row.partition("|")
                    loc = tuple(int(p) if p.isdigit() else p for p in dotted.split("."))
                    problems.append(Problem(filename, _line_of(tree, loc), text_))
            else:
                loc = tuple(err["loc"])
                problems.append(Problem(filename, _line_of(tree, loc), _describe(err)))
        problems.sort(key=lambda p: (p.line or 0, p.message))
        raise FrameworkError(problems) from None


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
    fix = f"did you mean '{hint[0]}'?" if hint else "presets: " + ", ".join(known)
    raise FrameworkError([Problem(name_or_path, None, f"no such preset or file; {fix}")])


def load_framework(name_or_path: str) -> Framework:
    """Load and validate a preset or a framework file (uncached: files change)."""
    path = resolve(name_or_path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FrameworkError(
            [Problem(str(path), None, f"cannot read the file: {exc.strerror}")]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FrameworkError(
            [Problem(str(path), line, "the file is not UTF-8 text; save it as UTF-8")]
        ) from None
    return parse_framework(text, filename=str(path))


@cache
def preset(name: str) -> Framework:
    """A shipped preset, cached: presets do not change while the process runs."""
    return load_framework(name)
