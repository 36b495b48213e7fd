"""Observations of practice counted by service and team, small numbers protected.

The counts go where other figures go (the monthly summary to a channel, `status`), so
the same rules apply (`qa.report_counts`): a count from 1 to the threshold less one
shows as "fewer than 5", a second figure is withheld where one hidden one could be
worked out from a total, and figures wider than the framework's `summary.suppress_from`
are shown in full. The authority's total adds up its services (and any observation of
no team); a service's adds up its teams. Pure: the caller counts the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

from qa.report_counts import Count, Ledger
from qa.report_figures import LEVELS

TOTAL: tuple[str, ...] = ("obs",)
NO_TEAM: tuple[str, ...] = ("obs", "no_team")


@dataclass(frozen=True)
class ObservationLine:
    scope: str  # a service's or a team's name
    count: Count


@dataclass(frozen=True)
class ObservationFigures:
    """The month's observations: the authority's total, each service, each team."""

    total: Count
    services: tuple[ObservationLine, ...]
    teams: tuple[ObservationLine, ...]


@dataclass(frozen=True)
class Unit:
    """A team and where it rolls up: names only, for the lines shown."""

    name: str
    service_id: int


def _level(key: Hashable) -> int:
    if isinstance(key, tuple) and len(key) > 1:
        return 1 if key[1] == "service" else 2
    return 0


def opened_from(suppress_from: str, *, teams_only: bool = False) -> Callable[[Hashable], bool]:
    """Figures wider than `suppress_from` are open (shown in full), as in the summary."""
    start = 0 if teams_only else LEVELS[suppress_from]
    return lambda key: _level(key) < start


def observation_figures(
    by_team: Mapping[int | None, int],
    teams: Mapping[int, Unit],
    services: Mapping[int, str],
    *,
    threshold: int,
    is_open: Callable[[Hashable], bool] | None = None,
) -> ObservationFigures:
    """Counts for every service and team given (zero where none), protected together.

    `by_team` may hold teams not in `teams` (a team since removed): they count in the
    authority's total with observations of no team, never on a line of their own.
    """
    opened = is_open or (lambda _k: False)
    # Observations of no team are never shown on a line: nothing there to protect.
    ledger = Ledger(threshold, lambda key: key == NO_TEAM or opened(key))
    service_parts: dict[int, list[tuple[str, ...]]] = {sid: [] for sid in services}
    loose = 0
    for team_id, n in by_team.items():
        if team_id is None or team_id not in teams or teams[team_id].service_id not in services:
            loose += n
    for team_id, unit in teams.items():
        if unit.service_id not in services:
            continue
        key = ("obs", "team", str(team_id))
        ledger.add(key, by_team.get(team_id, 0))
        service_parts[unit.service_id].append(key)
    for sid, parts in service_parts.items():
        key = ("obs", "service", str(sid))
        ledger.add(key, sum(ledger.values[p] for p in parts))
        if parts:
            ledger.add_sum(key, parts)
    ledger.add(NO_TEAM, loose)
    service_keys = [("obs", "service", str(sid)) for sid in services]
    ledger.add(TOTAL, sum(ledger.values[k] for k in service_keys) + loose)
    ledger.add_sum(TOTAL, [*service_keys, NO_TEAM])
    return ObservationFigures(
        total=ledger.count(TOTAL),
        services=tuple(
            ObservationLine(name, ledger.count(("obs", "service", str(sid))))
            for sid, name in services.items()
        ),
        teams=tuple(
            ObservationLine(unit.name, ledger.count(("obs", "team", str(tid))))
            for tid, unit in teams.items()
            if unit.service_id in services
        ),
    )
