"""The demo authority as the pure engines see it: people and cases by number.

Why: the history is made with the product's own rules (`qa.allocation.allocate`,
`qa.moderation`, `qa.grading`), which work on ids. The demo authority is known by
natural keys (emails, case references), so this module numbers people and cases in
the order `storage.seed.seed_demo` inserts them (on a fresh database, the same ids),
and answers the questions the storage layer answers for the live product: who holds
a role nearest a case (`storage.tracking.Directory.holders_for_case`), which Assistant
Director belongs to a service, who manages whom.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cached_property

from demo.authority import DemoAuthority, DemoCase
from qa.allocation import OpenCase, StaffMember
from qa.dialog import Dialog
from qa.forms import build_audit_dialog
from qa.framework import Framework
from qa.grading import SERVICE_AD_ROLE
from qa.moderation import Moderator, monthly_capacity


class World:
    """Numbered people and cases, and the look-ups the history needs (read-only)."""

    def __init__(self, framework: Framework, authority: DemoAuthority) -> None:
        self.framework = framework
        self.authority = authority
        self.person_id = {p.email: i for i, p in enumerate(authority.people, start=1)}
        self.email = {i: e for e, i in self.person_id.items()}
        self.people = {self.person_id[p.email]: p for p in authority.people}
        self.case_id = {c.reference: i for i, c in enumerate(authority.cases, start=1)}
        self.cases = {self.case_id[c.reference]: c for c in authority.cases}
        self.service_of_team = {t.name: t.service for t in authority.teams}
        self.line = {
            pid: self.person_id.get(p.line_manager_email or "") for pid, p in self.people.items()
        }
        self._dialogs: dict[str, Dialog] = {}

    @cached_property
    def staff(self) -> tuple[StaffMember, ...]:
        return tuple(
            StaffMember(
                id=pid,
                email=p.email,
                roles=p.roles,
                team=p.team,
                service=self.service_of_team.get(p.team),
                line_manager_id=self.line[pid],
                capacity=p.capacity,
            )
            for pid, p in self.people.items()
        )

    def open_cases(self, opened_before: date) -> tuple[OpenCase, ...]:
        """The open cases already open on `opened_before` (a case opened later is not there)."""
        return tuple(
            OpenCase(
                id=cid,
                reference=c.reference,
                service=c.service,
                team=c.team,
                worker_id=self.person_id.get(c.worker_email),
                area=c.area,
                opened_on=c.opened_on,
            )
            for cid, c in self.cases.items()
            if c.status == "open" and c.opened_on < opened_before
        )

    def worker(self, case: DemoCase) -> int | None:
        return self.person_id.get(case.worker_email)

    def team_of(self, pid: int) -> str:
        return self.people[pid].team

    def service_of(self, pid: int) -> str | None:
        return self.service_of_team.get(self.people[pid].team)

    @cached_property
    def _holders(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = defaultdict(list)
        for pid, p in self.people.items():
            for role in p.roles:
                found[role].append(pid)
        return found

    def holders(self, role: str) -> list[int]:
        return list(self._holders.get(role, ()))

    def holders_for_case(self, case: DemoCase) -> dict[str, tuple[int, ...]]:
        """Role -> holders nearest the case: in its team, else its service, else anyone."""
        out: dict[str, tuple[int, ...]] = {}
        for role, holders in self._holders.items():
            team = [p for p in holders if self.people[p].team == case.team]
            service = [p for p in holders if self.service_of(p) == case.service]
            out[role] = tuple(team or service or holders)
        return out

    def service_ads(self, case: DemoCase) -> tuple[int, ...]:
        """The Assistant Director(s) whose team sits in the case's service."""
        return tuple(p for p in self.holders(SERVICE_AD_ROLE) if self.service_of(p) == case.service)

    def team_managers(self, team: str) -> tuple[int, ...]:
        """People in `team` who manage others there (the team's managers)."""
        managers = {
            self.line[pid] for pid, p in self.people.items() if p.team == team and self.line[pid]
        }
        return tuple(sorted(m for m in managers if m is not None and self.team_of(m) == team))

    def moderators(self) -> list[Moderator]:
        """Everyone who may moderate or sit on a panel, with a full month's capacity."""
        policy = self.framework.moderation
        roles = {*policy.moderator_roles, *policy.panel_roles}
        if policy.chair_role:
            roles.add(policy.chair_role)
        return [
            Moderator(
                id=pid,
                roles=p.roles,
                team=p.team,
                capacity_left=monthly_capacity(self.framework, p.roles),
            )
            for pid, p in self.people.items()
            if roles & set(p.roles)
        ]

    def dialog(self, area: str) -> Dialog:
        """The audit dialog for a case in `area` (built once per area)."""
        if area not in self._dialogs:
            self._dialogs[area] = build_audit_dialog(self.framework, area)
        return self._dialogs[area]
