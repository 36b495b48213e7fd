"""The hand-worked month of tests/qa/report_dataset.py, written into the database.

Each row of the dataset becomes what the features would have stored: cases in
services and teams, audits submitted at a time of day, moderations (one of them a
panel), earlier audits of the re-audited cases, allocations, recommendations and
escalations. Around them, rows that must not count: a draft, a returned audit, an
audit completed on 1 April by the local clock (31 March in UTC), an unfinished
moderation, a cancelled recommendation and an escalation that only informed.

So `storage.reporting` on this database must give exactly the rows' summary.
Times near midnight check local dates: London is on GMT until 29 March 2026.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from qa.report_rows import AuditRow
from qa.working_days import Month
from storage.models import (
    Allocation,
    Audit,
    Case,
    Escalation,
    Moderation,
    Person,
    Recommendation,
    Service,
    Team,
)
from tests.qa import report_dataset as data

O, G, R, I = data.O, data.G, data.R, data.I  # noqa: E741
SEEDED_AT = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
STAFF = {  # team -> the auditor's name (names must never reach a summary)
    "A": "Ada Lovelace",
    "B": "Bram Stoker",
    "C": "Cora Pearl",
    "D": "Dev Patel",
}
# Earlier audits of the re-audited March cases (audit number -> overall, final grade).
EARLIER = {7: (I, None), 8: (G, R), 11: (R, None), 12: (G, None)}


@dataclass
class Seeded:
    teams: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)  # team -> auditor id
    cases: dict[int, int] = field(default_factory=dict)  # dataset case id -> case id
    audits: dict[int, int] = field(default_factory=dict)  # dataset audit id -> audit id
    references: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _completed(row_id: int, month: Month) -> datetime:
    """When a dataset audit was submitted: mid-month, with a few at the edges."""
    if row_id == 12:  # 22:30 UTC is 23:30 BST on 31 March: still March
        return datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    if row_id == 200:  # 23:30 UTC on 30 September is 00:30 BST on 1 October
        return datetime(2025, 9, 30, 23, 30, tzinfo=UTC)
    return at(month.first + timedelta(days=row_id % 20), 11)


def seed(session: Session) -> Seeded:
    out = Seeded(names=list(STAFF.values()))
    services = {name: Service(name=name) for name in ("North", "South")}
    session.add_all(services.values())
    session.flush()
    for team, service in (("A", "North"), ("B", "North"), ("C", "South"), ("D", "South")):
        row = Team(name=team, service_id=services[service].id or 0)
        session.add(row)
        session.flush()
        out.teams[team] = row.id or 0
        person = Person(
            email=f"{team.lower()}@council.gov.uk",
            name=STAFF[team],
            roles=["team_manager"],
            team_id=row.id,
            created_at=SEEDED_AT,
            updated_at=SEEDED_AT,
        )
        session.add(person)
        session.flush()
        out.people[team] = person.id or 0
    moderator = out.people["B"]

    def case_for(row: AuditRow) -> int:
        if row.case_id not in out.cases:
            reference = f"{data.CASE_REFERENCE}-{row.case_id}"
            case = Case(
                reference=reference,
                service_id=services[row.service].id or 0,
                team_id=out.teams[row.team],
                area="early_help" if row.case_id % 2 else "cin_cp",
                opened_on=date(2023, 1, 5),
            )
            session.add(case)
            session.flush()
            out.cases[row.case_id] = case.id or 0
            out.references.append(reference)
        return out.cases[row.case_id]

    def audit(row: AuditRow, when: datetime, **extra: object) -> Audit:
        values: dict[str, object] = {
            "case_id": case_for(row),
            "auditor_id": out.people[row.team],
            "status": "submitted",
            "overall_grade": row.overall_grade,
            "domain_grades": dict(row.domain_grades),
            "narrative": {k: v for k, v in row.narrative.items() if v},
            "submitted_at": when,
            "created_at": when - timedelta(days=1),
            "updated_at": when,
        }
        stored = Audit(**{**values, **extra})  # type: ignore[arg-type]
        session.add(stored)
        session.flush()
        return stored

    rows = data.audits()
    march = {r.audit_id: r for r in rows if r.month == data.MARCH}
    for number, (overall, final) in EARLIER.items():  # April 2024: outside every figure
        before = march[number]
        earlier = AuditRow(
            audit_id=0, month=Month(2024, 4), service=before.service, team=before.team,
            domain_grades={}, overall_grade=overall, case_id=before.case_id,
        )  # fmt: skip
        audit(earlier, at(date(2024, 4, 10)), final_grade=final, status="final")
    for row in rows:
        final = row.final_grade if row.grade_change else None
        stored = audit(row, _completed(row.audit_id, row.month), final_grade=final)
        out.audits[row.audit_id] = stored.id or 0
        if row.month == data.MARCH and row.moderated:
            outcome = "regraded" if row.grade_change else "confirmed"
            done = at(date(2026, 3, 28))
            if row.audit_id == 6:  # a panel: a member regraded, the chair confirmed
                session.add(_moderation(stored, moderator, "regraded", O, done, chair=False))
                done += timedelta(hours=1)
            session.add(_moderation(stored, moderator, outcome, row.final_grade, done, chair=True))
    session.add(_moderation(session.get(Audit, out.audits[5]), moderator, None, None, None))
    # Not counted: a draft, a returned audit, and one finished on 1 April, local time.
    first = march[1]
    audit(first, at(date(2026, 3, 12)), status="draft")
    audit(first, at(date(2026, 3, 13)), status="returned")
    audit(first, datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
    _allocations(session, out)
    _recommendations(session, out)
    _escalations(session, out)
    session.flush()
    return out


def _moderation(
    audit: Audit | None,
    moderator: int,
    outcome: str | None,
    grade: str | None,
    done: datetime | None,
    *,
    chair: bool = True,
) -> Moderation:
    assert audit is not None and audit.id is not None
    return Moderation(
        audit_id=audit.id,
        moderator_id=moderator,
        month="2026-03",
        is_chair=chair,
        outcome=outcome,
        moderated_grade=grade if outcome == "regraded" else None,
        status="completed" if done else "assigned",
        due_on=date(2026, 3, 31),
        completed_at=done,
        created_at=at(date(2026, 3, 20)),
    )


def _allocations(session: Session, out: Seeded) -> None:
    """North: 6 completed (on the North audit cases, one by a South worker), one
    allocated, one released; South (no cases: the worker's service): 6 completed,
    2 in progress, 1 proposed. February: North 3 completed, 1 allocated."""
    north_cases = [out.cases[900000 + n] for n in range(1, 7)]
    plan: list[tuple[str, str, int | None, str]] = [
        ("2026-03", "C" if i == 0 else "A", case, "completed") for i, case in enumerate(north_cases)
    ]
    plan += [("2026-03", "B", None, "allocated"), ("2026-03", "B", None, "released")]
    plan += [("2026-03", "C" if i % 2 else "D", None, "completed") for i in range(6)]
    plan += [("2026-03", "D", None, "in_progress")] * 2 + [("2026-03", "C", None, "proposed")]
    plan += [("2026-02", "A", None, "completed")] * 3 + [("2026-02", "B", None, "allocated")]
    for month, team, case, status in plan:
        session.add(
            Allocation(
                month=month,
                person_id=out.people[team],
                case_id=case,
                due_on=date(2026, 3, 25),
                status=status,
                created_at=SEEDED_AT,
                updated_at=SEEDED_AT,
            )
        )


def _recommendations(session: Session, out: Seeded) -> None:
    owner = out.people["A"]
    d = date
    late_night = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # 1 April, local time
    rows: list[tuple[datetime, date, datetime | None, str]] = [
        (at(d(2026, 3, 5)), d(2026, 4, 5), None, "open"),
        (at(d(2026, 3, 10)), d(2026, 3, 20), at(d(2026, 3, 18)), "done"),
        (at(d(2026, 2, 1)), d(2026, 3, 1), None, "open"),
        (at(d(2026, 2, 10)), d(2026, 3, 15), late_night, "done"),
        (at(d(2026, 1, 10)), d(2026, 2, 10), at(d(2026, 3, 2)), "done"),
        (at(d(2026, 3, 20)), d(2026, 3, 31), None, "open"),
        (at(d(2026, 3, 21)), d(2026, 3, 22), None, "cancelled"),  # never counted
    ]
    for created, due, completed, status in rows:
        session.add(
            Recommendation(
                action="Update the plan",
                owner_id=owner,
                due_on=due,
                status=status,
                completed_at=completed,
                created_at=created,
            )
        )


def _escalations(session: Session, out: Seeded) -> None:
    owner = out.people["C"]
    d = date
    rows: list[tuple[datetime, datetime, datetime | None, str]] = [
        (at(d(2026, 3, 1)), at(d(2026, 3, 8), 17), at(d(2026, 3, 7)), "responded"),
        # answered at 23:30 GMT on the deadline day: in time
        (at(d(2026, 3, 10)), at(d(2026, 3, 17), 17), at(d(2026, 3, 17), 23, 30), "responded"),
        (at(d(2026, 3, 20)), at(d(2026, 3, 27), 16), at(d(2026, 3, 30)), "responded"),
        # due at 00:30 BST on 1 April: an April deadline
        (at(d(2026, 3, 25)), datetime(2026, 3, 31, 23, 30, tzinfo=UTC), None, "open"),
        (at(d(2026, 3, 26)), at(d(2026, 3, 31), 16), None, "open"),
        (at(d(2026, 3, 26)), at(d(2026, 3, 30), 16), None, "informed"),  # never counted
    ]
    for created, deadline, responded, status in rows:
        session.add(
            Escalation(
                kind="grade",
                owner_id=owner,
                deadline=deadline,
                status=status,
                responded_at=responded,
                created_at=created,
            )
        )
