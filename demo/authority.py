"""A synthetic children's services department, generated from a framework and a seed.

Why: the demo, the playground and the load tests need a realistic authority (services,
teams, a line-management tree, caseloads) without one real person's or child's data.
Everything authority-specific comes from the framework file (role keys, areas of
planning, cycle targets); the structure (who manages whom) is the usual shape of a
department. The same framework, seed and sizes always give the same authority, so
anything seen in a demo can be reproduced. Pure: no clock (`today` is passed in), no
I/O, no global random state.

Cases carry a reference only (`DEMO-01234`): no names, no dates of birth.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from qa.framework import Framework

DEMO_DOMAIN = "demo.gov.uk"
DEMO_QA_LEAD_EMAIL = "alex.morgan@demo.gov.uk"
DEMO_QA_LEAD_NAME = "Alex Morgan"
CASE_PREFIX = "DEMO-"
DIRECTORATE = "Directorate"
QA_SERVICE = "Safeguarding and Quality Assurance"
QA_TEAM = "Quality Assurance"
REVIEWING_TEAM = "Independent Reviewing"
CLOSED_SHARE = 0.12  # most cases in an export are open
TEAM_SIZE = 7  # a team manager and six practitioners


@dataclass(frozen=True)
class DemoService:
    name: str
    areas: tuple[str, ...]  # area keys whose cases it holds; empty for support services


@dataclass(frozen=True)
class DemoTeam:
    name: str
    service: str


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    roles: tuple[str, ...]
    team: str
    line_manager_email: str | None
    capacity: int | None  # audits a month; None means the framework's default


@dataclass(frozen=True)
class DemoCase:
    reference: str
    service: str
    team: str
    worker_email: str
    area: str
    status: str  # open / closed
    opened_on: date


@dataclass(frozen=True)
class DemoAuthority:
    framework: str
    seed: int
    services: tuple[DemoService, ...]
    teams: tuple[DemoTeam, ...]
    people: tuple[DemoPerson, ...]
    cases: tuple[DemoCase, ...]

    def person(self, email: str) -> DemoPerson:
        for p in self.people:
            if p.email == email:
                return p
        raise KeyError(f"no person {email} in the demo authority")

    def holders(self, role: str) -> list[DemoPerson]:
        return [p for p in self.people if role in p.roles]


# -- what the usual department looks like ------------------------------------------


@dataclass(frozen=True)
class _Kind:
    service: str
    team_stem: str
    keywords: tuple[str, ...]  # word prefixes matched against an area's key and label


_SERVICE_KINDS = (
    _Kind("Early Help", "Early Help", ("early", "eh", "prevention", "targeted")),
    _Kind(
        "Children in Need and Protection",
        "Family Support and Protection",
        ("cin", "cp", "need", "protection", "safeguard", "assessment", "mash"),
    ),
    _Kind(
        "Children Looked After",
        "Children Looked After",
        ("looked", "cla", "lac", "permanen", "in care", "care planning"),
    ),
    _Kind("Care Leavers", "Leaving Care", ("leaver", "leaving", "16", "pathway")),
    _Kind("Youth Justice", "Youth Justice", ("justice", "yot", "yjs", "offend")),
    _Kind("Children with Disabilities", "Disabled Children", ("disab", "cwd", "send")),
    _Kind("Fostering and Adoption", "Fostering and Adoption", ("foster", "adopt")),
)
_LOCALITIES = (
    "North",
    "South",
    "East",
    "West",
    "Central",
    "North East",
    "North West",
    "South East",
    "South West",
)

# Structural positions and the role keys frameworks commonly use for them.
_POSITION_KEYS: dict[str, tuple[str, ...]] = {
    "practitioner": ("practitioner", "social_worker", "caseworker", "case_worker", "key_worker"),
    "team_manager": ("team_manager", "team_leader", "practice_manager"),
    "service_manager": ("service_manager", "group_manager", "area_manager"),
    "head_of_service": ("head_of_service", "head_of_services", "operational_head_of_service"),
    "assistant_director": ("assistant_director", "ad", "deputy_director"),
    "director": ("director", "dcs", "director_of_childrens_services", "executive_director"),
    "qa_officer": (
        "qa_officer",
        "qa_manager",
        "qa_auditor",
        "auditor",
        "quality_assurance_officer",
        "quality_assurance_manager",
    ),
}
_TEAM_LEVEL = ("practitioner", "social_worker", "team_manager", "team_leader")
_HEAD_LIKE = ("head", "principal", "director", "lead")
_QA_LIKE = ("qa", "quality", "audit", "practice", "learning", "principal")

_FIRST = (  # noqa: SIM905 (a word list reads better as prose)
    "Aisha Amelia Ben Chloe Daniel Deepa Ella Emeka Farah Fiona George Grace Hannah Harry "
    "Imran Isla Jack James Jasmine Joe Kemi Kofi Laura Leah Liam Lucy Maya Mohammed Nadia "
    "Naomi Noah Oliver Olivia Omar Priya Rachel Rhys Rosa Ruth Sam Sana Sarah Sean Sophie "
    "Tariq Tom Una Victoria Wei Yusuf Zara Zoe Anna Callum Kieran Megan Niamh Owen Ravi"
).split()
_LAST = (  # noqa: SIM905
    "Adebayo Ahmed Ali Baker Begum Brown Campbell Chen Clarke Davies Evans Fernandes "
    "Green Hall Hughes Hussain Islam Jackson James Jones Kaur Kelly Khan Lewis Martin "
    "Mensah Mitchell Murphy Nguyen Novak O'Brien Okafor Osei Owusu Patel Phillips Price "
    "Rahman Roberts Robinson Scott Shah Singh Smith Taylor Thomas Thompson Turner Walker "
    "Ward Watson White Williams Wilson Wood Wright Young Byrne Costa"
).split()


def _words(*texts: str) -> str:
    cleaned = " ".join(texts).lower()
    return " " + "".join(c if c.isalnum() else " " for c in cleaned) + " "


def _kind_for(key: str, label: str) -> _Kind | None:
    text = _words(key, label)
    scored = [
        (sum(text.count(f" {kw}") for kw in k.keywords), -i, k)
        for i, k in enumerate(_SERVICE_KINDS)
    ]
    best = max(scored, key=lambda s: (s[0], s[1]))
    return best[2] if best[0] > 0 else None


def _largest_remainder(total: int, weights: Sequence[float], floor: int = 0) -> list[int]:
    """`total` split in proportion to `weights`, each share at least `floor`."""
    counts = [floor] * len(weights)
    left = total - floor * len(weights)
    wsum = sum(weights) or 1.0
    raw = [left * w / wsum for w in weights]
    for i, r in enumerate(raw):
        counts[i] += math.floor(r)
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] - math.floor(raw[i])), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _area_weights(fw: Framework) -> list[float]:
    targets = [a.cycle_target for a in fw.areas]
    known = [t for t in targets if t is not None]
    fill = (sum(known) / len(known)) if known and sum(known) > 0 else 1.0
    weights = [float(fill if t is None else t) for t in targets]
    return weights if sum(weights) > 0 else [1.0] * len(weights)


@dataclass(frozen=True)
class _Roles:
    """The framework's role keys sorted into structural positions."""

    by_position: dict[str, tuple[str, ...]]
    team_level: tuple[str, ...]  # e.g. senior_practitioner: one holder per team
    directorate: tuple[str, ...]  # e.g. strategic_director: held by the director
    specialists: tuple[str, ...]  # e.g. iro, moderator, principal_social_worker


def _sort_roles(fw: Framework) -> _Roles:
    by_position: dict[str, list[str]] = {p: [] for p in _POSITION_KEYS}
    team_level: list[str] = []
    directorate: list[str] = []
    specialists: list[str] = []
    for key in fw.role_keys:
        if key == fw.qa_lead_role:
            continue
        position = next((p for p, keys in _POSITION_KEYS.items() if key in keys), None)
        if position:
            by_position[position].append(key)
        elif any(s in key for s in _TEAM_LEVEL) and not any(s in key for s in _HEAD_LIKE):
            team_level.append(key)
        elif "director" in key:
            directorate.append(key)
        else:
            specialists.append(key)
    return _Roles(
        by_position={p: tuple(v) for p, v in by_position.items()},
        team_level=tuple(team_level),
        directorate=tuple(directorate),
        specialists=tuple(specialists),
    )


def _specialist_count(fw: Framework, key: str, staff: int) -> int:
    """One head of something; several of anything else, and of every moderator role."""
    m = fw.moderation
    several = key in m.moderator_roles or key in m.panel_roles
    return 1 if any(s in key for s in _HEAD_LIKE) and not several else max(2, staff // 60)


def _case_services(fw: Framework) -> tuple[list[DemoService], list[str], dict[str, str]]:
    """Services holding the framework's areas, their team stems, and area -> service."""
    names: list[str] = []
    stems: list[str] = []
    areas: dict[str, list[str]] = {}
    for area in fw.areas:
        kind = _kind_for(area.key, area.label)
        name, stem = (kind.service, kind.team_stem) if kind else (area.label, area.label)
        if name in (DIRECTORATE, QA_SERVICE):
            name = stem = f"{name} (cases)"
        if name not in areas:
            names.append(name)
            stems.append(stem)
            areas[name] = []
        areas[name].append(area.key)
    order = sorted(range(len(names)), key=lambda i: _service_rank(names[i]))
    services = [DemoService(names[i], tuple(areas[names[i]])) for i in order]
    area_service = {a: s.name for s in services for a in s.areas}
    return services, [stems[i] for i in order], area_service


def _service_rank(name: str) -> int:
    ranks = [k.service for k in _SERVICE_KINDS]
    return ranks.index(name) if name in ranks else len(ranks)


def _fixed_staff(fw: Framework, services: int, staff: int) -> int:
    """People outside the case-holding teams: leaders, the QA unit, specialists."""
    roles = _sort_roles(fw)
    leaders = 1 + math.ceil(services / 2) + 2 * services
    qa_unit = 1 + max(1, staff // 60)
    return leaders + qa_unit + sum(_specialist_count(fw, k, staff) for k in roles.specialists)


def minimum_staff(framework: Framework) -> int:
    """The fewest people that still give every service a team manager and a practitioner."""
    services = len(_case_services(framework)[0])
    n = 1
    while n < _fixed_staff(framework, services, n) + 2 * services:
        n += 1
    return n


# -- generation -------------------------------------------------------------------


class _Names:
    """Unique names and first.last@ emails; the demo QA lead's is reserved."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used = {DEMO_QA_LEAD_EMAIL}

    def next(self) -> tuple[str, str]:
        first, last = self._rng.choice(_FIRST), self._rng.choice(_LAST)
        base = f"{first}.{last}".lower().replace("'", "")
        email, n = f"{base}@{DEMO_DOMAIN}", 1
        while email in self._used:
            n += 1
            email = f"{base}{n}@{DEMO_DOMAIN}"
        self._used.add(email)
        return f"{first} {last}", email


def generate(
    framework: Framework,
    *,
    today: date,
    seed: int = 2026,
    staff: int = 120,
    cases: int = 3000,
) -> DemoAuthority:
    """The demo authority for `framework`: same inputs, same authority, every time."""
    need = minimum_staff(framework)
    if staff < need:
        raise ValueError(
            f"staff={staff} is too few for framework '{framework.name}': "
            f"it needs at least {need} people (leaders, the QA unit and one team per service)"
        )
    if cases < 0:
        raise ValueError(f"cases={cases} must be zero or more")
    rng = random.Random(seed)
    names = _Names(rng)
    roles = _sort_roles(framework)
    pos = roles.by_position
    services, stems, area_service = _case_services(framework)
    people: list[DemoPerson] = []
    extra: dict[str, list[str]] = {}  # email -> roles added after the person was made

    def hire(role_keys: Iterable[str], team: str, manager: str | None) -> str:
        name, email = names.next()
        people.append(DemoPerson(email, name, tuple(role_keys), team, manager, None))
        return email

    # Leadership: a director, an assistant director per one or two services.
    director = hire([*pos["director"], *roles.directorate], "Directorate Leadership", None)
    ads = [
        hire(pos["assistant_director"], "Directorate Leadership", director)
        for _ in range(math.ceil(len(services) / 2))
    ]
    # Case-holding teams, in proportion to each service's share of the cases.
    weights = _area_weights(framework)
    area_weight = dict(zip(framework.area_keys, weights, strict=True))
    fixed = _fixed_staff(framework, len(services), staff)
    remaining = staff - fixed
    n_teams = min(max(len(services), round(remaining / TEAM_SIZE)), remaining // 2)
    floor = 2 if n_teams >= 2 * len(services) else 1
    svc_weights = [sum(area_weight[a] for a in s.areas) for s in services]
    teams_per = _largest_remainder(n_teams, svc_weights, floor)
    practitioners = _largest_remainder(remaining - n_teams, [1.0] * n_teams)
    teams: list[DemoTeam] = []
    workers: dict[str, list[str]] = {s.name: [] for s in services}
    heads: list[str] = []
    slot = 0
    for i, (service, stem) in enumerate(zip(services, stems, strict=True)):
        team_names = [
            f"{stem} {_LOCALITIES[j]}" if j < len(_LOCALITIES) else f"{stem} {j + 1}"
            for j in range(teams_per[i])
        ]
        teams += [DemoTeam(n, service.name) for n in team_names]
        hos = hire(pos["head_of_service"], team_names[0], ads[i // 2])
        heads.append(hos)
        sm = hire(pos["service_manager"], team_names[0], hos)
        for team in team_names:
            tm = hire(pos["team_manager"], team, sm)
            for k in range(practitioners[slot]):
                email = hire(pos["practitioner"], team, tm)
                workers[service.name].append(email)
                if k < len(roles.team_level):
                    extra.setdefault(email, []).append(roles.team_level[k])
            slot += 1
    # The QA unit: the demo QA lead, QA officers, and the framework's specialist roles.
    qa_ad = ads[-1]
    lead_roles = [framework.qa_lead_role, *_lead_extra_roles(framework, pos)]
    people.append(DemoPerson(DEMO_QA_LEAD_EMAIL, DEMO_QA_LEAD_NAME, (), QA_TEAM, qa_ad, None))
    extra[DEMO_QA_LEAD_EMAIL] = lead_roles
    for _ in range(max(1, staff // 60)):
        hire(pos["qa_officer"] or (framework.qa_lead_role,), QA_TEAM, DEMO_QA_LEAD_EMAIL)
    reviewing = False
    for key in roles.specialists:
        head = any(s in key for s in _HEAD_LIKE)
        in_qa = head or any(s in key for s in _QA_LIKE)
        reviewing = reviewing or not in_qa
        for _ in range(_specialist_count(framework, key, staff)):
            hire(
                (key,), QA_TEAM if in_qa else REVIEWING_TEAM, qa_ad if head else DEMO_QA_LEAD_EMAIL
            )
    # Every role the framework defines has a holder, so every route has someone.
    held = {r for p in people for r in p.roles} | {r for rs in extra.values() for r in rs}
    for key in framework.role_keys:
        if key not in held:
            extra.setdefault(heads[0], []).append(key)
    people = [_finish(p, extra.get(p.email, ()), framework, rng) for p in people]
    support = [DemoService(DIRECTORATE, ()), DemoService(QA_SERVICE, ())]
    teams += [DemoTeam("Directorate Leadership", DIRECTORATE), DemoTeam(QA_TEAM, QA_SERVICE)]
    if reviewing:
        teams.append(DemoTeam(REVIEWING_TEAM, QA_SERVICE))
    team_of = {p.email: p.team for p in people}
    return DemoAuthority(
        framework=framework.name,
        seed=seed,
        services=tuple(services + support),
        teams=tuple(teams),
        people=tuple(people),
        cases=_cases(rng, framework, weights, area_service, workers, team_of, cases, today),
    )


def _lead_extra_roles(fw: Framework, pos: dict[str, tuple[str, ...]]) -> list[str]:
    """Roles that let the demo QA lead audit and moderate too, to try every flow."""
    out: list[str] = []
    audit_roles = [c.role for c in fw.cadences if c.activity == "audit"]
    audit_roles += [r for w in fw.review_windows for r in w.roles]
    preferred = [*pos["service_manager"], *audit_roles]
    first = next((r for r in preferred if r != fw.qa_lead_role), None)
    if first:
        out.append(first)
    senior = set(pos["director"]) | set(pos["assistant_director"])
    moderator = next((r for r in fw.moderation.moderator_roles if r not in senior), None)
    if moderator and moderator != fw.qa_lead_role and moderator not in out:
        out.append(moderator)
    return out


def _finish(p: DemoPerson, more: Iterable[str], fw: Framework, rng: random.Random) -> DemoPerson:
    roles = tuple(dict.fromkeys([*p.roles, *more]))
    capacity = max((fw.role(r).default_capacity for r in roles), default=None)
    if capacity is not None and capacity > 1 and rng.random() < 0.1:
        capacity -= 1  # part-time
    return DemoPerson(p.email, p.name, roles, p.team, p.line_manager_email, capacity)


def _cases(
    rng: random.Random,
    fw: Framework,
    weights: list[float],
    area_service: dict[str, str],
    workers: dict[str, list[str]],
    team_of: dict[str, str],
    total: int,
    today: date,
) -> tuple[DemoCase, ...]:
    """Cases spread over the areas by cycle target, and evenly over each service's workers."""
    areas = [
        a
        for a, n in zip(fw.area_keys, _largest_remainder(total, weights), strict=True)
        for _ in range(n)
    ]
    rng.shuffle(areas)
    width = max(5, len(str(total * 3)))
    numbers = sorted(rng.sample(range(1, 10**width), total))
    queues = {s: rng.sample(w, len(w)) for s, w in workers.items()}
    turn = dict.fromkeys(workers, 0)
    out: list[DemoCase] = []
    for number, area in zip(numbers, areas, strict=True):
        service = area_service[area]
        queue = queues[service]
        worker = queue[turn[service] % len(queue)]
        turn[service] += 1
        out.append(
            DemoCase(
                reference=f"{CASE_PREFIX}{number:0{width}d}",
                service=service,
                team=team_of[worker],
                worker_email=worker,
                area=area,
                status="closed" if rng.random() < CLOSED_SHARE else "open",
                opened_on=today - timedelta(days=rng.randint(7, 3 * 365)),
            )
        )
    return tuple(out)
