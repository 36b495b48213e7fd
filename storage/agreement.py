"""The pairs of grades agreement is worked out from: one plain row per moderated audit.

`qa.agreement` is pure; this reads the moderations finished in a span of months (by
the local date they finished, in the authority's zone) and turns each moderated audit
into an `AgreementRow`:

- Only the deciding moderation counts: the chair's on a panel, else the latest
  finished, so a panel of five is one pair, not five (as in `storage.reporting`).
- The overall pair is (the auditor's overall grade, the final grade): "confirmed"
  keeps the auditor's, "regraded" takes the moderator's; "returned" has no final
  grade, so no overall pair (the domain pairs still count: the moderator graded them).
- A domain pair is (the auditor's domain grade, the moderator's): the same grade
  when the moderator agreed with it, else the grade they gave instead. A domain the
  auditor did not grade, or the moderator did not answer, has no pair.
- Blind moderation (`moderation.blind`): the moderator's blind grades, given before
  they saw the auditor's, replace the final grade and the domain grades in the pairs
  (a returned audit's blind overall grade counts too): they are the unbiased measure.
- A grade not on the framework's scale (an old framework's) is left out, never
  guessed at, and counted in `AgreementRows.left_out`.

Rows carry ids and service names only: no case reference, no person's name.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from qa.agreement import AgreementRow
from qa.framework import Framework
from qa.working_days import Month
from storage.models import Audit, Case, Moderation, Service

__all__ = ["DECIDING_COLUMNS", "AgreementRows", "agreement_rows", "deciding"]

FINISHED = ("completed", "done")
CONFIRMED, REGRADED = "confirmed", "regraded"


@dataclass(frozen=True)
class AgreementRows:
    rows: tuple[AgreementRow, ...]
    left_out: int  # grades not on the framework's scale, not counted


def _midnight(month: Month, tz: ZoneInfo) -> datetime:
    return datetime.combine(month.first, time.min, tzinfo=tz).astimezone(UTC)


def _flat(answers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every step's answers in one mapping (the dialog stores them per step)."""
    steps = (answers or {}).get("answers", {})
    out: dict[str, Any] = {}
    if isinstance(steps, dict):
        for values in steps.values():
            if isinstance(values, dict):
                out.update(values)
    return out


# What `deciding` reads of a moderation, selected first by both readers of moderations.
DECIDING_COLUMNS = (
    col(Moderation.id),
    col(Moderation.audit_id),
    col(Moderation.is_chair),
    col(Moderation.outcome),
    col(Moderation.moderated_grade),
    col(Moderation.completed_at),
)


def deciding(rows: list[Any]) -> Any:
    """The moderation that decides: the chair's on a panel, else the latest finished (rows
    selected with `DECIDING_COLUMNS` first); agreement and the report both count this one."""
    if len(rows) == 1:  # nearly always: one moderator
        return rows[0]
    chairs = [r for r in rows if r.is_chair]
    epoch = datetime.min.replace(tzinfo=UTC)
    return max(chairs or rows, key=lambda r: (r.completed_at or epoch, r.id))


def agreement_rows(
    session: Session,
    framework: Framework,
    *,
    tz: ZoneInfo,
    first: Month,
    last: Month,
    team_ids: Collection[int] | None = None,
) -> AgreementRows:
    """The moderated audits whose deciding moderation finished in `first`..`last`, only
    those of cases in `team_ids` when given; in two queries."""
    if last < first:
        raise ValueError(f"the span ends ({last}) before it begins ({first})")
    months = [first.shift(i) for i in range(last.ordinal - first.ordinal + 1)]
    # Each month's first instant in UTC, so a row's month is a bisect, not a zone lookup.
    bounds = [_midnight(m, tz) for m in (*months, last.shift(1))]
    start, end = bounds[0], bounds[-1]
    query = (
        sa_select(*DECIDING_COLUMNS, col(Moderation.answers))
        .join(Audit, col(Audit.id) == col(Moderation.audit_id))
        .join(Case, col(Case.id) == col(Audit.case_id))
        .where(col(Moderation.status).in_(FINISHED))
        .where(col(Moderation.outcome).is_not(None))
        .where(col(Moderation.completed_at) >= start)
        .where(col(Moderation.completed_at) < end)
    )
    if team_ids is not None:
        query = query.where(col(Case.team_id).in_(sorted(team_ids)))
    by_audit: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(query).all():
        by_audit[row.audit_id].append(row)
    if not by_audit:
        return AgreementRows((), 0)
    audits = session.execute(
        sa_select(
            col(Audit.id),
            col(Audit.auditor_id),
            col(Audit.overall_grade),
            col(Audit.domain_grades),
            col(Case.service_id),
            col(Case.team_id),
            col(Service.name),
        )
        .join(Case, col(Case.id) == col(Audit.case_id))
        .outerjoin(Service, col(Service.id) == col(Case.service_id))
        .where(col(Audit.id).in_(sorted(by_audit)))
        .order_by(col(Audit.id))
    ).all()
    scale = set(framework.grade_keys)
    domain_keys = [d.key for d in framework.audit_form.domains]
    rows: list[AgreementRow] = []
    left_out = 0
    for audit_id, auditor_id, overall, domain_grades, service_id, team_id, service in audits:
        decided = deciding(by_audit[audit_id])
        at = decided.completed_at
        if at is None:
            continue
        if at.tzinfo is None:  # a naive time is UTC (storage.types)
            at = at.replace(tzinfo=UTC)
        place = bisect_right(bounds, at) - 1
        if not 0 <= place < len(months):
            continue  # cannot happen: the query asked for the span only
        month = months[place]
        answers = _flat(decided.answers)
        pair: tuple[str, str] | None = None
        final = {CONFIRMED: overall, REGRADED: decided.moderated_grade}.get(decided.outcome)
        if isinstance(answers.get("blind.overall"), str):  # blind: the unbiased measure
            final = answers["blind.overall"]
        if final is not None:
            if overall in scale and final in scale:
                pair = (overall, final)
            else:
                left_out += 1
        domains: dict[str, tuple[str, str]] = {}
        given_grades = domain_grades or {}
        for key in domain_keys:
            given = given_grades.get(key)
            agree = answers.get(f"mod.{key}.agree")
            if given is None or agree not in ("yes", "no"):
                continue
            theirs = given if agree == "yes" else answers.get(f"mod.{key}.grade")
            theirs = answers.get(f"blind.{key}", theirs)
            if given in scale and theirs in scale:
                domains[key] = (given, str(theirs))
            else:
                left_out += 1
        if pair is None and not domains:
            continue
        rows.append(
            AgreementRow(
                month=month,
                auditor_id=auditor_id,
                service_id=service_id,
                service=service or "not recorded",
                team_id=team_id,
                overall=pair,
                domains=domains,
            )
        )
    return AgreementRows(tuple(rows), left_out)
