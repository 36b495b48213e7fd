"""The people an audit involves: who may own a recommendation, who hears of a flag.

Kept out of `storage.audits` because both lists are about the organisation, not the
audit: the owner picker offers the case's service (its own team first) and their
line managers, capped so the smallest platform's picker (100 options) and card size
(28 KB) stay within limits; an urgent flag goes to the holders of the framework's roles, those
near the case first for roles that see only a service or a team.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from storage.models import Person, Team


def owner_candidates(
    *,
    session: Session,
    service_id: int,
    first_team_id: int | None,
    always: Iterable[int] = (),
    limit: int = 50,
) -> list[Person]:
    """Active people who may own a recommendation: the case's service (its team first)
    and their line managers, then `always` (the auditor, owners already chosen).
    At most `limit` people besides `always`, so every picker stays within limits."""
    in_service = list(
        session.exec(
            select(Person)
            .join(Team, col(Team.id) == col(Person.team_id))
            .where(Team.service_id == service_id)
            .where(col(Person.active).is_(True))
            .order_by(col(Person.name), col(Person.id))
        )
    )
    in_service.sort(key=lambda p: (p.team_id != first_team_id, p.name, p.id or 0))
    wanted = [p.id for p in in_service if p.id is not None][:limit]
    managers = {p.line_manager_id for p in in_service if p.line_manager_id is not None}
    extra = [i for i in (*sorted(managers), *always) if i not in wanted]
    room = max(0, limit - len(wanted))
    ids = [*wanted, *extra[:room], *(i for i in always if i not in wanted)]
    if not ids:
        return []
    rows = {
        p.id: p
        for p in session.exec(
            select(Person).where(col(Person.id).in_(ids)).where(col(Person.active).is_(True))
        )
    }
    seen: set[int] = set()
    out = []
    for i in ids:
        if i in rows and i not in seen:
            seen.add(i)
            out.append(rows[i])
    return out


def role_holders(
    *, session: Session, roles: Sequence[str], service_id: int | None, local_roles: Iterable[str]
) -> list[Person]:
    """Active people holding any of `roles`. For a role in `local_roles` (one that sees
    a service or a team), holders in the case's service are preferred when there are
    any; otherwise every holder is told, so a flag never goes nowhere."""
    wanted = set(roles)
    people = [
        p
        for p in session.exec(
            select(Person).where(col(Person.active).is_(True)).order_by(col(Person.id))
        )
        if wanted & set(p.roles or [])
    ]
    teams = {t.id: t.service_id for t in session.exec(select(Team))}
    local = set(local_roles)
    chosen: dict[int, Person] = {}
    for role in roles:
        holders = [p for p in people if role in (p.roles or [])]
        if role in local and service_id is not None:
            near = [p for p in holders if teams.get(p.team_id) == service_id]
            holders = near or holders
        for p in holders:
            if p.id is not None:
                chosen.setdefault(p.id, p)
    return list(chosen.values())
