"""Observations of practice in `status`: this month's count, by service or by team.

Shown to the QA lead and to whoever is told of observations (`observations.notify_roles`,
the principal social worker): the people who record them centrally. The authority's
status lists its services, a service's lists its teams, a team's shows its own count.
In a private chat every count is shown; anywhere else the summary's rules apply
(`qa.report_observations`): small numbers hidden, none worked out by subtraction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handlers.status_scope import Target
from qa.report_observations import opened_from
from qa.working_days import Month
from storage.observations import figures
from storage.status import Directory

if TYPE_CHECKING:
    from handlers.turn import Turn

CHANNEL_THRESHOLD = 5  # as the summary's default: "fewer than 5"


def sees_observations(turn: Turn) -> bool:
    fw = turn.framework
    if not fw.observations.enabled:
        return False
    roles = set(turn.person.roles or [])
    return fw.qa_lead_role in roles or bool(roles.intersection(fw.observations.notify_roles))


def observations_block(
    turn: Turn, target: Target, team_ids: list[int] | None, org: Directory
) -> dict[str, Any] | None:
    """The month's observations for `target`, or None for whom they are not shown."""
    if not sees_observations(turn):
        return None
    private = turn.interaction.private
    found = figures(
        session=turn.session,
        month=Month.of(turn.today),
        threshold=1 if private else CHANNEL_THRESHOLD,
        is_open=None if private else opened_from(turn.framework.summary.suppress_from),
        team_ids=team_ids,
    )
    level = target[0]
    lines = found.services if level == "all" else found.teams if level == "service" else ()
    return {
        "total": found.total.text,
        "rows": [{"name": line.scope, "count": line.count.text} for line in lines],
    }
