"""The grade scale and who is asked to act when an audit or a flag is worrying.

Grades are ordered best first in the framework file, so "worse" is a larger rank. An
audit's final grade, an urgent flag or a dip sample that finds the same concerns
again each becomes one tracked request per person (`EscalationPlan`): an owner, a
deadline and the idempotency key the storage layer uses so a request is made once.
Who holds a role, and which Assistant Director belongs to the case's service, are
facts of the database: callers pass them in, so these rules stay pure.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from qa.framework import Framework, UrgentFlag

# The role whose holders are the *service's* one(s), never every holder in the authority.
SERVICE_AD_ROLE = "assistant_director"
# A dip sample that finds the same concerns: how long the approver has, when the grade
# found has no escalation deadline of its own in the framework.
DEFAULT_APPROVAL_DAYS = 14
END_OF_DAY = time(23, 59, 59)

EscalationKind = Literal["grade", "urgent", "dip_sample"]
RoleHolders = Mapping[str, Sequence[int]]


@dataclass(frozen=True)
class EscalationPlan:
    """One person asked to act on one audit, by `deadline` (aware, UTC).

    `roles_reason`: the roles through which this person was chosen (their "why you"),
    or `line_manager` for a re-escalation up the line.
    `responds`: whether they are asked for a response and chased (False: told only).
    `level`: 0 for the first request, one more at each re-escalation upward.
    """

    owner_id: int
    kind: EscalationKind
    audit_id: int | None
    deadline: datetime
    roles_reason: tuple[str, ...]
    key: str
    grade: str | None = None
    flag: str | None = None
    case_id: int | None = None
    level: int = 0
    responds: bool = True


def escalation_key(
    kind: EscalationKind, audit_id: int | None, subject: str, owner_id: int, level: int
) -> str:
    """The request's idempotency key, rebuilt from a stored row's own columns.

    `subject`: the grade for `grade`, the flag for `urgent`, `caseload` for `dip_sample`.
    """
    return f"escalation:{kind}:{audit_id}:{subject}:{owner_id}:{level}"


def _subject(kind: EscalationKind, grade: str | None, flag: str | None) -> str:
    if kind == "urgent":
        return flag or ""
    return "caseload" if kind == "dip_sample" else grade or ""


def _requests(
    owners: Mapping[int, tuple[str, ...]],
    kind: EscalationKind,
    audit_id: int | None,
    *,
    deadline: datetime,
    case_id: int | None = None,
    grade: str | None = None,
    flag: str | None = None,
    level: int = 0,
    responding: Collection[int] | None = None,
) -> tuple[EscalationPlan, ...]:
    """One request per owner (person -> the roles that chose them), each keyed by its
    own columns as `escalation_key` rebuilds it from a stored row. `responding`: who
    must answer (None: every owner); the others are told only."""
    subject = _subject(kind, grade, flag)
    return tuple(
        EscalationPlan(
            owner_id=person,
            kind=kind,
            audit_id=audit_id,
            deadline=deadline,
            roles_reason=roles,
            key=escalation_key(kind, audit_id, subject, person, level),
            grade=grade,
            flag=flag,
            case_id=case_id,
            level=level,
            responds=responding is None or person in responding,
        )
        for person, roles in owners.items()
    )


# -- the grade scale ---------------------------------------------------------------


def grade_rank(framework: Framework, key: str) -> int:
    """0 for the best grade, one more for each grade worse."""
    keys = framework.grade_keys
    if key not in keys:
        raise ValueError(
            f"grade '{key}' is not in the framework; its grades are: {', '.join(keys)}"
        )
    return keys.index(key)


def is_good_or_better(framework: Framework, key: str) -> bool:
    grade_rank(framework, key)  # a clear error for an unknown grade
    return framework.grade(key).good_or_better


def is_downgrade(framework: Framework, old: str | None, new: str) -> bool:
    """True when `new` is worse than `old` (no earlier grade: not a downgrade)."""
    return old is not None and grade_rank(framework, new) > grade_rank(framework, old)


# -- who, and by when --------------------------------------------------------------


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """23:59:59 local on `day`, as an aware UTC instant ("by 14 March" means all of it).

    A wall time that a clock change skips or repeats resolves as PEP 495 says (fold 0:
    the earlier reading), so every local date has exactly one end.
    """
    return datetime.combine(day, END_OF_DAY, tzinfo=tz).astimezone(UTC)


def _local_day(now: datetime, tz: ZoneInfo) -> date:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(UTC)), not naive")
    return now.astimezone(tz).date()


def holders_of(
    role: str, *, role_holders: RoleHolders, service_ad_ids: Sequence[int]
) -> tuple[int, ...]:
    """Who holds `role` for this case: the service's Assistant Director(s), not every AD."""
    if role == SERVICE_AD_ROLE:
        return tuple(service_ad_ids)
    return tuple(role_holders.get(role, ()))


def _owners(
    roles: Sequence[str], *, role_holders: RoleHolders, service_ad_ids: Sequence[int]
) -> dict[int, tuple[str, ...]]:
    """Person -> the roles that make them an owner; one entry per person, in role order."""
    out: dict[int, tuple[str, ...]] = {}
    for role in roles:
        for person in holders_of(role, role_holders=role_holders, service_ad_ids=service_ad_ids):
            if role not in out.get(person, ()):
                out[person] = (*out.get(person, ()), role)
    return out


@dataclass(frozen=True)
class _OwnerFinder:
    role_holders: RoleHolders
    service_ad_ids: Sequence[int]

    def __call__(self, roles: Sequence[str]) -> dict[int, tuple[str, ...]]:
        return _owners(roles, role_holders=self.role_holders, service_ad_ids=self.service_ad_ids)


def _or_qa_lead(
    framework: Framework, owners: dict[int, tuple[str, ...]], role_holders: RoleHolders
) -> dict[int, tuple[str, ...]]:
    """Nobody holds the roles: the QA lead is asked, so a worrying audit is never dropped."""
    if owners:
        return owners
    lead = framework.qa_lead_role
    return {p: (lead,) for p in role_holders.get(lead, ())}


def _deadline_days(framework: Framework, grade: str | None) -> int:
    rule = next((g for g in framework.escalation.grades if g.grade == grade), None)
    return rule.deadline_days if rule is not None else DEFAULT_APPROVAL_DAYS


def escalations_for(
    framework: Framework,
    *,
    grade: str,
    audit_id: int,
    service_ad_ids: Sequence[int],
    role_holders: RoleHolders,
    now: datetime,
    tz: ZoneInfo,
    case_id: int | None = None,
) -> tuple[EscalationPlan, ...]:
    """The remedial-action requests an audit's final `grade` calls for (none for most).

    The deadline is the end of the local day `deadline_days` calendar days after `now`
    ("within 7 days"). The key names the grade, so a moderation that regrades the audit
    to a worse grade makes new requests, and a repeat of the same grade makes none.
    """
    grade_rank(framework, grade)
    rule = next((g for g in framework.escalation.grades if g.grade == grade), None)
    if rule is None:
        return ()
    owners = _owners(rule.roles, role_holders=role_holders, service_ad_ids=service_ad_ids)
    deadline = end_of_day(_local_day(now, tz) + timedelta(days=rule.deadline_days), tz)
    owners = _or_qa_lead(framework, owners, role_holders)
    return _requests(owners, "grade", audit_id, deadline=deadline, case_id=case_id, grade=grade)


def urgent_escalations(
    framework: Framework,
    flag_key: str,
    *,
    audit_id: int,
    service_ad_ids: Sequence[int],
    role_holders: RoleHolders,
    now: datetime,
    case_id: int | None = None,
) -> tuple[EscalationPlan, ...]:
    """An urgent flag, at once: the flag's `roles` are told, `response_from` must answer.

    With no `response_from`, the flag's `roles` themselves are asked to respond. A
    response is due `response_hours` after `now`; `tracking.urgent_chasers` chases it.
    """
    flags = {f.key: f for f in framework.audit_form.urgent_flags}
    if flag_key not in flags:
        known = ", ".join(flags) or "none"
        raise ValueError(f"urgent flag '{flag_key}' is not in the framework; its flags: {known}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(UTC)), not naive")
    flag = flags[flag_key]
    found = _OwnerFinder(role_holders, service_ad_ids)
    told = found(flag.roles)
    # Nobody holds the roles asked to respond: those told must answer themselves.
    respond = found(flag.response_from) or dict(told)
    respond = _or_qa_lead(framework, respond, role_holders)
    # Everyone told or asked, once, with every role that brought them in.
    everyone = {
        person: tuple(dict.fromkeys((*told.get(person, ()), *respond.get(person, ()))))
        for person in {**told, **respond}
    }
    deadline = now.astimezone(UTC) + timedelta(hours=flag.response_hours)
    return _requests(
        everyone,
        "urgent",
        audit_id,
        deadline=deadline,
        case_id=case_id,
        flag=flag_key,
        responding=respond,
    )


def concerns_found(
    framework: Framework, dip_sample_grades: Sequence[str], same_concerns: bool | None = None
) -> str | None:
    """Whether dip samples found the same concerns: None if not, else the worst grade
    among them that is in `dip_sample.after_grades` ("" when only the sampler said so).

    The dip-sampler's own answer (`same_concerns`) decides when given; otherwise one
    dip sample graded in `after_grades` is enough (a child at risk does not wait).
    """
    policy = framework.dip_sample
    if policy is None:
        return None
    for g in dip_sample_grades:
        grade_rank(framework, g)
    concerns = [g for g in dip_sample_grades if g in policy.after_grades]
    if not (same_concerns if same_concerns is not None else bool(concerns)):
        return None
    return max(concerns, key=lambda g: grade_rank(framework, g)) if concerns else ""


def caseload_approval_requests(
    framework: Framework,
    *,
    audit_id: int,
    dip_sample_grades: Sequence[str],
    role_holders: RoleHolders,
    service_ad_ids: Sequence[int],
    now: datetime,
    tz: ZoneInfo,
    same_concerns: bool | None = None,
) -> tuple[EscalationPlan, ...]:
    """Dip samples found the same concerns: ask approval to audit the whole caseload.

    `audit_id` is the audit that started the dip sample (its worker's caseload is the
    one to audit); `dip_sample_grades` the grades of its dip-sample audits so far. The
    concerns recur when any of them is graded in `dip_sample.after_grades` (or the team
    manager said so: `same_concerns`); one such audit is enough, a child at risk should
    not wait for the other two. The approver has the worst found grade's escalation
    deadline, else `DEFAULT_APPROVAL_DAYS`. One request per approver and audit: a worse
    dip sample later does not ask again.
    """
    policy = framework.dip_sample
    found = concerns_found(framework, dip_sample_grades, same_concerns)
    if policy is None or found is None:
        return ()
    worst = found or None
    owners = _owners(
        [policy.whole_caseload_approver], role_holders=role_holders, service_ad_ids=service_ad_ids
    )
    days = _deadline_days(framework, worst)
    deadline = end_of_day(_local_day(now, tz) + timedelta(days=days), tz)
    owners = _or_qa_lead(framework, owners, role_holders)
    return _requests(owners, "dip_sample", audit_id, deadline=deadline, grade=worst)


def re_escalation(
    framework: Framework,
    escalation: EscalationPlan,
    *,
    now: datetime,
    tz: ZoneInfo,
    role_holders: RoleHolders,
    service_ad_ids: Sequence[int],
    line_manager_of: Mapping[int, int],
    responded: bool = False,
    exclude: Sequence[int] = (),
) -> tuple[EscalationPlan, ...]:
    """The next level up once an open escalation's deadline has passed (else nothing).

    A grade's first re-escalation goes to its `re_escalate_to` roles when the framework
    names them; otherwise, and at every later level, to the owner's line manager, so a
    request climbs the line until someone acts or nobody is above (then: nothing more;
    it stays in the overdue digests). `exclude`: people already asked about this audit.
    The new deadline counts from the old one, not from `now`, so a re-escalation made
    late after downtime is the same record as one made on time.
    """
    if responded or now <= escalation.deadline:
        return ()
    found = _OwnerFinder(role_holders, service_ad_ids)
    rule = next((g for g in framework.escalation.grades if g.grade == escalation.grade), None)
    if escalation.kind == "grade" and escalation.level == 0 and rule and rule.re_escalate_to:
        owners = found(rule.re_escalate_to)
    else:
        manager = line_manager_of.get(escalation.owner_id)
        owners = {manager: ("line_manager",)} if manager is not None else {}
    skip = {escalation.owner_id, *exclude}
    owners = {p: r for p, r in owners.items() if p not in skip}
    if escalation.kind == "urgent":
        flag = next(
            (f for f in framework.audit_form.urgent_flags if f.key == escalation.flag), None
        )
        hours = flag.response_hours if flag else UrgentFlag.model_fields["response_hours"].default
        deadline = escalation.deadline + timedelta(hours=hours)
    else:
        days = max(_deadline_days(framework, escalation.grade), 1)
        deadline = end_of_day(escalation.deadline.astimezone(tz).date() + timedelta(days=days), tz)
    # The same request, one level up.
    return _requests(
        owners,
        escalation.kind,
        escalation.audit_id,
        case_id=escalation.case_id,
        grade=escalation.grade,
        flag=escalation.flag,
        deadline=deadline,
        level=escalation.level + 1,
    )


def withdrawal_notice(
    framework: Framework, *, reference: str, old: str, new: str, again: bool
) -> str:
    """What the owner of a withdrawn request reads: what changed, and what it means.

    `again`: whether the new grade makes requests of its own (then they follow).
    """
    vocab = framework.vocabulary
    was, now_ = framework.grade(old).label, framework.grade(new).label
    worse = grade_rank(framework, new) > grade_rank(framework, old)
    moved = "down" if worse else "up"
    then = (
        f"The {now_} grade asks for remedial action of its own: that request follows."
        if again
        else f"The {now_} grade asks for no remedial action, so nothing more is needed."
    )
    return (
        f"Case {reference}: the {vocab.moderation} regraded the {vocab.audit} {moved} from "
        f"{was} to {now_}, so the request for remedial action on the {was} grade is "
        f"withdrawn. {then}"
    )


# -- the relevant holder of a role, through the line-management chain ----------------


def nearest_in_chain(
    chain: Sequence[int], roles_of: Mapping[int, Sequence[str]]
) -> dict[str, tuple[int, ...]]:
    """Role -> the nearest person up `chain` (worker, their manager, ...) holding it.

    "The relevant Assistant Director" of a case is the one its worker reports to
    through their managers, wherever the AD's own team is listed (most councils list
    ADs in a directorate team, outside the services they run).
    """
    out: dict[str, tuple[int, ...]] = {}
    for person in chain:
        for role in roles_of.get(person, ()):
            out.setdefault(role, (person,))
    return out


def escalated_roles(framework: Framework) -> dict[str, list[str]]:
    """Role -> the grades that escalate to it (first request or re-escalation)."""
    out: dict[str, list[str]] = {}
    for rule in framework.escalation.grades:
        for role in [*rule.roles, *rule.re_escalate_to]:
            out.setdefault(role, [])
            if rule.grade not in out[role]:
                out[role].append(rule.grade)
    return out


@dataclass(frozen=True)
class StaffFacts:
    """What the escalation check needs of one active person."""

    id: int
    roles: tuple[str, ...]
    service: str | None
    line_manager_id: int | None


def unreached_roles(
    framework: Framework, staff: Sequence[StaffFacts], services: Sequence[str]
) -> list[str]:
    """Warnings: roles the framework escalates to that some service's cases cannot reach.

    A role nobody holds is never reached. The Assistant Director is the service's own:
    one whose team is in the service, or who manages someone in it (up the line); a
    service with neither has its escalations reach the other roles only. Other roles
    are found across the authority when the service has none, so they never warn here.
    """
    by_id = {s.id: s for s in staff}
    warnings = []
    for role, grades in escalated_roles(framework).items():
        label = framework.role(role).label if role in framework.role_keys else role
        what = " and ".join(framework.grade(g).label for g in grades if g in framework.grade_keys)
        holders = {s.id for s in staff if role in s.roles}
        if not holders:
            warnings.append(
                f"nobody holds the role '{label}', which the framework escalates {what} "
                "audits to; those requests go to the other roles named, or the QA lead"
            )
            continue
        if role != SERVICE_AD_ROLE:
            continue
        for service in services:
            reached = any(by_id[h].service == service for h in holders) or any(
                holders & set(_chain(by_id, s.id)) for s in staff if s.service == service
            )
            if not reached:
                warnings.append(
                    f"service '{service}' has no {label} (none in its teams, none up its "
                    f"line management), so {what} escalations of its cases reach no {label}"
                )
    return warnings


def _chain(by_id: Mapping[int, StaffFacts], person: int) -> list[int]:
    """The person's managers, nearest first (loops cut)."""
    out: list[int] = []
    seen = {person}
    boss = by_id[person].line_manager_id if person in by_id else None
    while boss is not None and boss not in seen and boss in by_id:
        out.append(boss)
        seen.add(boss)
        boss = by_id[boss].line_manager_id
    return out
