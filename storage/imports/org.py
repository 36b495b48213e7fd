"""The organisation as the database has it now: services, teams and people by name.

Loaded once per import (three queries) and used both to check a file's references
(a line manager, a case's team and worker) and to work out what would change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from storage.chat_accounts import account_fields
from storage.imports.bulk import PEOPLE, SERVICES, TEAMS, rows_of
from storage.imports.plan import State


@dataclass(frozen=True)
class Org:
    services: dict[str, dict[str, Any]]  # by name
    teams: dict[str, dict[str, Any]]  # by name
    people: dict[str, dict[str, Any]]  # by lower-cased email
    service_names: dict[int, str]
    team_names: dict[int, str]
    emails: dict[int, str]  # lower-cased, by person id

    def service_state(self, s: dict[str, Any]) -> State:
        return {"name": s["name"], "active": s["active"]}

    def team_state(self, t: dict[str, Any]) -> State:
        return {
            "name": t["name"],
            "service": self.service_names.get(t["service_id"]),
            "active": t["active"],
        }

    def person_state(self, p: dict[str, Any]) -> State:
        return {
            "email": p["email"].lower(),
            "name": p["name"],
            "roles": list(p["roles"] or []),
            "team": self.team_names.get(p["team_id"]) if p["team_id"] is not None else None,
            "line_manager": self.emails.get(p["line_manager_id"])
            if p["line_manager_id"] is not None
            else None,
            "capacity": p["capacity"],
            **{field: p[field] for field in account_fields()},
            "active": p["active"],
        }


def load_org(conn: Connection) -> Org:
    services = rows_of(conn, SERVICES, "id", "name", "active")
    teams = rows_of(conn, TEAMS, "id", "name", "service_id", "active")
    people = rows_of(
        conn,
        PEOPLE,
        "id",
        "email",
        "name",
        "roles",
        "team_id",
        "line_manager_id",
        "capacity",
        *account_fields(),
        "active",
    )
    return Org(
        services={s["name"]: s for s in services},
        teams={t["name"]: t for t in teams},
        people={p["email"].lower(): p for p in people},
        service_names={s["id"]: s["name"] for s in services},
        team_names={t["id"]: t["name"] for t in teams},
        emails={p["id"]: p["email"].lower() for p in people},
    )
