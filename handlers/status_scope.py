"""Who may see which status, and what a typed service or team name means.

Scope comes from the framework's roles (`Role.sees`, through `handlers.help.status_scope`;
the widest role wins): "all" sees the authority and every service and team, "service"
their own service and its teams, "team" their own team, anyone else only their own
work (`my`). Where a person sits comes from `Person.team_id`. A target is a level and
an id, written as the routing key a drill-down button carries ("service:3").

Every request and every button goes through `Viewer.may_see` on the server, whatever
the client sent. A miss gets a did-you-mean; asking beyond one's scope gets a polite
refusal naming what one can see (`status_refused`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from handlers.help import status_scope
from handlers.interaction import Reply
from qa.framework import Framework
from storage.status import Directory

if TYPE_CHECKING:
    from handlers.turn import Turn

Level = Literal["all", "service", "team"]
Target = tuple[Level, int | None]
ALL: Target = ("all", None)


@dataclass(frozen=True)
class Viewer:
    """How wide this person may look, and where they sit."""

    scope: str | None  # "all" / "service" / "team"; None: only their own work
    service_id: int | None
    team_id: int | None

    def home(self) -> Target | None:
        """What a bare `status` shows them."""
        if self.scope == "all":
            return ALL
        if self.scope == "service" and self.service_id is not None:
            return ("service", self.service_id)
        if self.scope == "team" and self.team_id is not None:
            return ("team", self.team_id)
        return None

    def may_see(self, target: Target, org: Directory) -> bool:
        level, ident = target
        if level == "service" and ident not in org.services:
            return False
        if level == "team" and ident not in org.teams:
            return False
        if self.scope == "all":
            return True
        if self.scope == "service":
            if level == "service":
                return ident == self.service_id
            return (
                level == "team"
                and ident is not None
                and (org.teams[ident].service_id == self.service_id)
            )
        return self.scope == "team" and target == ("team", self.team_id)


def viewer_of(turn: Turn, org: Directory) -> Viewer:
    scope = status_scope(list(turn.person.roles or []), turn.framework)
    team = org.teams.get(turn.person.team_id) if turn.person.team_id is not None else None
    return Viewer(scope, team.service_id if team else None, team.id if team else None)


def target_name(target: Target, org: Directory, framework: Framework) -> str:
    level, ident = target
    if level == "service" and ident is not None:
        return org.service_name(ident)
    if level == "team" and ident is not None:
        return org.teams[ident].name
    return framework.authority


def target_key(target: Target) -> str:
    level, ident = target
    return level if ident is None else f"{level}:{ident}"


def parse_key(key: str | None) -> Target | None:
    """A target from a verified routing key ("all", "service:3", "team:5"); None if not one."""
    if key == "all":
        return ALL
    level, _, ident = (key or "").partition(":")
    if level in {"service", "team"} and ident.isdigit():
        return ("service" if level == "service" else "team", int(ident))
    return None


def refused(reason: str, **context: Any) -> list[Reply]:
    """`status_refused`: reason "own", "scope", "unknown", "no_team", "expired" or
    "private_only", with whatever the template needs to say what they *can* see."""
    base: dict[str, Any] = {
        "reason": reason,
        "asked": None,
        "can_see": None,
        "suggestion": None,
        "suggestion_action": None,
        "suggestion_key": None,
        "scope": None,
    }
    return [Reply("status_refused", base | context)]


def out_of_scope(
    viewer: Viewer, org: Directory, framework: Framework, asked: str | None
) -> list[Reply]:
    home = viewer.home()
    can_see = target_name(home, org, framework) if home else None
    return refused("scope", asked=asked, can_see=can_see)


# -- matching what was typed -------------------------------------------------------------


def _names(org: Directory) -> list[tuple[str, Target]]:
    """Active services first, then active teams: a service wins a tie with a team."""
    services: list[tuple[str, Target]] = [
        (name, ("service", i)) for i, (name, active) in org.services.items() if active
    ]
    teams: list[tuple[str, Target]] = [
        (t.name, ("team", t.id)) for t in org.teams.values() if t.active
    ]
    return sorted(services) + sorted(teams)


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def resolve(
    text: str, viewer: Viewer, org: Directory, framework: Framework
) -> Target | list[Reply]:
    """The target `text` names, or the reply explaining why not (refused, or a miss)."""
    wanted = _normal(text)
    if wanted in {"all", "everything", "everyone", _normal(framework.authority)}:
        return ALL if viewer.scope == "all" else out_of_scope(viewer, org, framework, text)
    names = _names(org)
    found = [target for name, target in names if _normal(name) == wanted]
    if found:
        allowed = [t for t in found if viewer.may_see(t, org)]
        if allowed:
            return allowed[0]
        return out_of_scope(viewer, org, framework, text)
    lowered = {_normal(name): (name, target) for name, target in reversed(names)}
    close = difflib.get_close_matches(wanted, list(lowered), n=1, cutoff=0.6)
    home = viewer.home()
    can_see = target_name(home, org, framework) if home and viewer.scope != "all" else None
    if not close:
        return refused("unknown", asked=text, can_see=can_see)
    name, target = lowered[close[0]]
    button = viewer.may_see(target, org)
    return refused(
        "unknown",
        asked=text,
        can_see=can_see,
        suggestion=name,
        suggestion_action=f"status.{target[0]}" if button else None,
        suggestion_key=target_key(target) if button else None,
    )
