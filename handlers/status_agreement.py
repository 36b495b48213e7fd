"""Agreement in `status`: how far auditors' grades stand up to moderation.

The authority's and each service's figures (overall and per domain, n beside every
figure) go into the status of whoever may see that level (`handlers.status`). Figures
per auditor name people, so they have their own view (`status.auditors`), shown only
to the QA lead and to the auditor's own line-management chain, and only in a private
chat; the server works out who may see whom on every click, whatever the button
carried (its routing key only says where "Back" goes).

The period is the twelve months to this one: a month's moderations are too few to
say much. Figures come from `qa.agreement` over `storage.agreement` rows.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from handlers.interaction import Reply
from handlers.status_scope import (
    ALL,
    Target,
    parse_key,
    refused,
    target_key,
    target_name,
    viewer_of,
)
from qa.agreement import Agreement, AgreementFigures, Statistic, agreement_figures
from qa.allocation_rules import managers_of
from qa.report_counts import percent
from qa.working_days import Month
from storage.agreement import agreement_rows
from storage.models import Person
from storage.status import Directory, directory

if TYPE_CHECKING:
    from handlers.turn import Turn

log = logging.getLogger(__name__)

MONTHS = 12  # the period the figures cover, to this month
AUDITOR_LIMIT = 15  # auditors listed, fewest agreements first; the rest are counted


def period_of(month: Month) -> tuple[Month, Month]:
    return month.shift(1 - MONTHS), month


def period_label(first: Month, last: Month) -> str:
    return f"{first.name} to {last.name}"


def share_text(stat: Statistic, count: int) -> str:
    """A share as a whole percentage (halves up, as in the summary), or "n/a"."""
    return "n/a" if stat.value is None else f"{percent(count, stat.n)}%"


def coefficient_text(stat: Statistic) -> str:
    return "n/a" if stat.value is None else f"{stat.value:.2f}".replace("-0.00", "0.00")


def figure_row(label: str, a: Agreement) -> dict[str, Any]:
    """One line of figures; every figure rests on the same n pairs, shown beside them."""
    return {
        "label": label,
        "n": a.n,
        "exact": share_text(a.exact, a.exact_count),
        "within_one": share_text(a.within_one, a.within_one_count),
        "kappa": coefficient_text(a.kappa),
        "ac1": coefficient_text(a.ac1),
    }


def reasons(*groups: Agreement) -> list[str]:
    """Why any figure shown as n/a is missing, each reason once."""
    out: list[str] = []
    for a in groups:
        for stat, name in ((a.kappa, "Kappa"), (a.ac1, "AC1")):
            if a.n and stat.reason and f"{name}: {stat.reason}." not in out:
                out.append(f"{name}: {stat.reason}.")
    return out


def _figures(
    turn: Turn, team_ids: list[int] | None, *, groups: bool = True
) -> tuple[AgreementFigures, str]:
    first, last = period_of(Month.of(turn.today))
    found = agreement_rows(
        turn.session, turn.framework, tz=turn.tz, first=first, last=last, team_ids=team_ids
    )
    domains = [d.key for d in turn.framework.audit_form.domains]
    return (
        agreement_figures(found.rows, turn.framework.grade_keys, domains, groups=groups),
        period_label(first, last),
    )


def may_see_auditors(turn: Turn, org: Directory) -> bool:
    """Whether to offer the per-auditor button: the QA lead, or anyone who manages
    someone (the server still checks each auditor on the click)."""
    if turn.framework.qa_lead_role in (turn.person.roles or []):
        return True
    managed = turn.session.exec(
        select(Person.id).where(col(Person.line_manager_id) == turn.person.id).limit(1)
    ).first()
    return managed is not None


def agreement_block(
    turn: Turn, target: Target, team_ids: list[int] | None, org: Directory
) -> dict[str, Any] | None:
    """The agreement lines for the status of the authority or a service; None for a team
    (a team's few moderations would point at its auditors)."""
    if target[0] == "team":
        return None
    figures, period = _figures(turn, team_ids, groups=False)
    labels = {d.key: d.label for d in turn.framework.audit_form.domains}
    rows = [figure_row("Overall grade", figures.overall)]
    rows += [figure_row(labels[k], a) for k, a in figures.by_domain.items()]
    return {
        "period": period,
        "n": figures.overall.n,
        "rows": rows,
        "notes": reasons(figures.overall, *figures.by_domain.values()),
        "auditors_key": target_key(target) if may_see_auditors(turn, org) else None,
    }


# -- per auditor -------------------------------------------------------------------------


def _entitled(turn: Turn, auditor_ids: list[int]) -> dict[int, str]:
    """The auditors (id -> name) this person may see figures for: all of them for the QA
    lead, else those whose line-management chain includes them."""
    people = turn.session.exec(select(Person.id, Person.name, Person.line_manager_id)).all()
    names = {int(i): name for i, name, _ in people if i is not None}
    lead = turn.framework.qa_lead_role in (turn.person.roles or [])
    if lead:
        return {a: names.get(a, "Former member of staff") for a in auditor_ids}
    line = {int(i): boss for i, _, boss in people if i is not None}
    return {
        a: names[a] for a in auditor_ids if a in names and turn.person.id in managers_of(line, a)
    }


def auditors_view(turn: Turn) -> list[Reply]:
    """`status.auditors`: agreement per auditor the clicker is entitled to see."""
    target = parse_key(turn.interaction.routing_key)
    if target is None:
        log.info("status auditors with no valid key person=%s", turn.person.id)
        return refused("expired")
    if not turn.interaction.private:
        return refused("private_only")
    org = directory(session=turn.session)
    viewer = viewer_of(turn, org)
    figures, period = _figures(turn, None)
    entitled = _entitled(turn, list(figures.by_auditor))
    rows = [
        figure_row(name, figures.by_auditor[a]) | {"rate": figures.by_auditor[a].exact.value}
        for a, name in entitled.items()
    ]
    rows.sort(key=lambda r: (r.pop("rate") or 0.0, -int(r["n"]), str(r["label"]).casefold()))
    back_target = target if viewer.may_see(target, org) else viewer.home()
    back = None
    if back_target is not None:
        home = back_target == viewer.home() or back_target == ALL
        back = {
            "action": "status" if home else f"status.{back_target[0]}",
            "routing_key": None if home else target_key(back_target),
            "name": target_name(back_target, org, turn.framework),
        }
    log.info("status auditors person=%s shown=%s", turn.person.id, len(rows))
    return [
        Reply(
            "status_agreement",
            {
                "period": period,
                "lead": turn.framework.qa_lead_role in (turn.person.roles or []),
                "rows": rows[:AUDITOR_LIMIT],
                "more": max(0, len(rows) - AUDITOR_LIMIT),
                "notes": reasons(*(figures.by_auditor[a] for a in entitled)),
                "back": back,
            },
        )
    ]
