"""`status [service or team]`: how QA is going, as wide as the person may see.

Who may see what, and what a typed name means, is `handlers.status_scope`. The check
runs here, on the server, for the command and for every drill-down button
(`status.service`, `status.team`, `status.overdue`), whatever the client sends: a
routing key is signed (the adapter turns a forged one into None), and a genuine key is
still checked against the clicker's scope, so a forwarded or tampered key for another
service is refused like a typed request.

The figures are counted by the database (`storage.status`); this module picks and
checks the target and shapes a compact context: a few lines of figures, up to
`ROW_LIMIT` rows with drill-down buttons, and the overdue list (with owners' names, for
entitled managers, in private) behind a button. Logs carry ids only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from handlers.calibration_case import status_line as calibration_line
from handlers.conversation import Conversation
from handlers.interaction import Reply
from handlers.status_agreement import agreement_block, auditors_view
from handlers.status_observations import observations_block
from handlers.status_scope import (
    ALL,
    Level,
    Target,
    Viewer,
    out_of_scope,
    parse_key,
    refused,
    resolve,
    target_key,
    target_name,
    viewer_of,
)
from qa.framework import Framework
from qa.working_days import Month
from storage.models import Person
from storage.outbox import reached_by_email
from storage.status import Counts, Directory, counts_by_team, directory
from storage.status_overdue import overdue_items

if TYPE_CHECKING:
    from handlers.turn import Turn

log = logging.getLogger(__name__)

ROW_LIMIT = 10  # services or teams listed; the rest are counted ("and 3 more")
OVERDUE_LIMIT = 15
ASKED_LIMIT = 40  # characters of what someone typed that we echo back
EMAIL_LIMIT = 10  # people listed as reached by email
EMAIL_WINDOW = timedelta(days=31)  # emailed this recently: their chat is still not fixed


def _button(target: Target, viewer: Viewer, org: Directory, framework: Framework) -> dict[str, Any]:
    """A button back to `target`: the plain `status` command when it is their home view."""
    if target == viewer.home() or target == ALL:
        return {
            "action": "status",
            "routing_key": None,
            "name": target_name(target, org, framework),
        }
    return {
        "action": f"status.{target[0]}",
        "routing_key": target_key(target),
        "name": target_name(target, org, framework),
    }


# -- the views -----------------------------------------------------------------------------


def _figures(counts: Counts, framework: Framework) -> dict[str, Any]:
    known = {g.key: g.label for g in framework.grades}
    grades = [
        {"label": label, "count": counts.grades[key]}
        for key, label in known.items()
        if counts.grades.get(key)
    ]
    grades += [
        {"label": key.replace("_", " ").capitalize(), "count": n}
        for key, n in sorted(counts.grades.items())
        if key not in known and n
    ]
    return {
        "allocated": counts.allocated,
        "done": counts.done,
        "in_progress": counts.in_progress,
        "not_started": counts.not_started,
        "overdue": counts.overdue,
        "overdue_earlier": counts.overdue_earlier,
        "awaiting_moderation": counts.awaiting_moderation,
        "moderation_overdue": counts.moderation_overdue,
        "escalations_open": counts.escalations_open,
        "escalations_late": counts.escalations_late,
        "recommendations_open": counts.recommendations_open,
        "recommendations_overdue": counts.recommendations_overdue,
        "grades": grades,
        "graded": sum(counts.grades.values()),
    }


def _rows(
    level: Level, ident: int | None, by_team: dict[int | None, Counts], org: Directory
) -> list[dict[str, Any]]:
    groups: dict[Target, Counts] = {}
    if level == "all":
        for service_id, (_, active) in org.services.items():
            if active:
                groups[("service", service_id)] = Counts()
        for team_id, counts in by_team.items():
            if team_id is not None and team_id in org.teams:
                key: Target = ("service", org.teams[team_id].service_id)
                groups[key] = groups.get(key, Counts()) + counts
    elif level == "service" and ident is not None:
        for team_id in org.teams_of(ident):
            if org.teams[team_id].active or team_id in by_team:
                groups[("team", team_id)] = by_team.get(team_id, Counts())
    rows: list[dict[str, Any]] = []
    for target, counts in groups.items():
        kind, number = target
        name = org.service_name(number or 0) if kind == "service" else org.teams[number or 0].name
        rows.append(
            {
                "name": name,
                "allocated": counts.allocated,
                "done": counts.done,
                "overdue": counts.overdue + counts.overdue_earlier,
                "late": counts.moderation_overdue
                + counts.escalations_late
                + counts.recommendations_overdue,
                "action": f"status.{kind}",
                "routing_key": target_key(target),
            }
        )
    rows.sort(key=lambda r: (-int(r["overdue"] + r["late"]), str(r["name"]).casefold()))
    return rows


def _scope_teams(target: Target, org: Directory) -> list[int] | None:
    level, ident = target
    if level == "all" or ident is None:
        return None
    return org.teams_of(ident) if level == "service" else [ident]


def _parent(target: Target, org: Directory) -> Target | None:
    level, ident = target
    if level == "team" and ident is not None:
        return ("service", org.teams[ident].service_id)
    if level == "service":
        return ALL
    return None


def _by_email(turn: Turn) -> list[dict[str, str]]:
    """Who chat could not reach lately, so their work went by email, and why (for the
    whole-authority view: a QA lead puts their chat account right)."""
    found = reached_by_email(session=turn.session, since=turn.now - EMAIL_WINDOW)
    out = []
    for person_id, reason in found[:EMAIL_LIMIT]:
        person = turn.session.get(Person, person_id)
        if person is not None:
            out.append({"name": person.name, "reason": reason})
    return out


def status_view(turn: Turn, viewer: Viewer, org: Directory, target: Target) -> list[Reply]:
    """The compact status for `target`, which the caller has checked `viewer` may see."""
    level, ident = target
    today = turn.today
    month = Month.of(today)
    team_ids = _scope_teams(target, org)
    by_team = counts_by_team(
        turn.session, month=month, today=today, now=turn.now, tz=turn.tz, team_ids=team_ids
    )
    total = sum(by_team.values(), Counts())
    rows = _rows(level, ident, by_team, org)
    parent = _parent(target, org)
    back = None
    if parent is not None and viewer.may_see(parent, org):
        back = _button(parent, viewer, org, turn.framework)
    log.info("status person=%s target=%s", turn.person.id, target_key(target))
    return [
        Reply(
            "status",
            {
                "level": level,
                "title": target_name(target, org, turn.framework),
                "month": month.name,
                "figures": _figures(total, turn.framework),
                "row_kind": {"all": "service", "service": "team"}.get(level),
                "rows": rows[:ROW_LIMIT],
                "rows_more": max(0, len(rows) - ROW_LIMIT),
                "overdue_total": total.past_due,
                "overdue_key": f"overdue:{target_key(target)}",
                "back": back,
                "by_email": _by_email(turn) if level == "all" else [],
                "agreement": agreement_block(turn, target, team_ids, org),
                "observations": observations_block(turn, target, team_ids, org),
                "calibration": calibration_line(turn) if level == "all" else None,
            },
        )
    ]


def overdue_view(turn: Turn, viewer: Viewer, org: Directory, target: Target) -> list[Reply]:
    """The oldest late items in `target`, with case references, owners and due dates."""
    items, total = overdue_items(
        session=turn.session,
        today=turn.today,
        now=turn.now,
        tz=turn.tz,
        team_ids=_scope_teams(target, org),
        limit=OVERDUE_LIMIT,
    )
    log.info("status overdue person=%s target=%s", turn.person.id, target_key(target))
    return [
        Reply(
            "status_overdue",
            {
                "title": target_name(target, org, turn.framework),
                "items": [
                    {
                        "kind": item.kind,
                        "reference": item.reference,
                        "activity": item.activity,
                        "owner": item.owner,
                        "due_on": item.due_on.isoformat(),
                    }
                    for item in items
                ],
                "total": total,
                "more": max(0, total - len(items)),
                "back": _button(target, viewer, org, turn.framework),
            },
        )
    ]


# -- entry points ------------------------------------------------------------------------


def status_command(turn: Turn, text: str) -> list[Reply]:
    """`status` and `status <service or team>` (typed, slash command or mention)."""
    org = directory(session=turn.session)
    viewer = viewer_of(turn, org)
    if viewer.scope is None:
        return refused("own")
    home = viewer.home()
    if home is None:
        return refused("no_team", scope=viewer.scope)
    asked = " ".join(text.split())[:ASKED_LIMIT]
    if not asked:
        return status_view(turn, viewer, org, home)
    resolved = resolve(asked, viewer, org, turn.framework)
    if isinstance(resolved, list):
        log.info("status refused person=%s", turn.person.id)
        return resolved
    return status_view(turn, viewer, org, resolved)


def _drill(level: Level, overdue: bool = False) -> Callable[[Turn], list[Reply]]:
    def handle(turn: Turn) -> list[Reply]:
        key = turn.interaction.routing_key
        if overdue:
            key = key.removeprefix("overdue:") if key and key.startswith("overdue:") else None
        target = parse_key(key)
        if target is None or (not overdue and target[0] != level):
            log.info("status button with no valid key person=%s", turn.person.id)
            return refused("expired")
        org = directory(session=turn.session)
        viewer = viewer_of(turn, org)
        if viewer.scope is None:
            return refused("own")
        if viewer.home() is None:
            return refused("no_team", scope=viewer.scope)
        if not viewer.may_see(target, org):
            # A signed key for a service or team outside their scope: forwarded or tampered.
            log.info("status refused person=%s target=%s", turn.person.id, target_key(target))
            return out_of_scope(viewer, org, turn.framework, None)
        if overdue:
            if not turn.interaction.private:
                return refused("private_only")  # names in a channel or group chat: no
            return overdue_view(turn, viewer, org, target)
        return status_view(turn, viewer, org, target)

    return handle


CONVERSATION = Conversation(
    name="status",
    commands={"status": status_command},
    actions={
        "status.service": _drill("service"),
        "status.team": _drill("team"),
        "status.overdue": _drill("all", overdue=True),
        "status.auditors": auditors_view,
    },
)
