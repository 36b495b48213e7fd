"""Moderation rows: who is picked, once per round, and what an outcome does to the audit.

A small handmade authority (tests/data/framework-small.yml, City of London for the
panel) so that every exclusion is visible: the case's team, its team manager, the
author's line manager, a moderator already at capacity, someone on leave.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from qa.dialog import END, DialogState
from qa.framework import Framework, load_framework
from qa.moderation import sample_fraction
from qa.moderation_dialog import moderation_result
from qa.working_days import Month
from storage.agreement import agreement_rows
from storage.models import Absence, Allocation, Audit, Moderation, Recommendation, Team
from storage.moderation_inputs import moderators, submitted_audits
from storage.moderation_outcomes import finish
from storage.moderations import Candidates, consider, current_round
from tests.handlers.helpers import case, person, small_framework

TZ = ZoneInfo("Europe/London")
TRAIL = ("grades", "overall", "recommendations", "outcome", "actions", "review")


class Place:
    """The small authority: ids of the people who matter."""

    def __init__(self, session: Session, now: datetime, framework: Framework) -> None:
        self.now, self.framework = now, framework
        kase = case(session, "CASE-0000042")
        session.add(Team(id=2, name="Early Help 2", service_id=1))
        session.flush()
        self.case_id = kase.id or 0
        hos = "head_of_service" if "head_of_service" in framework.role_keys else "reviewer"
        self.line_manager = person(session, now, "lm@x.gov.uk", [hos], team_id=2)
        self.auditor = person(
            session, now, "auditor@x.gov.uk", ["team_manager"], team_id=2,
            line_manager_id=self.line_manager.id,
        )  # fmt: skip
        self.case_manager = person(session, now, "tm@x.gov.uk", ["team_manager", hos], team_id=1)
        self.in_team = person(session, now, "inteam@x.gov.uk", [hos], team_id=1)
        self.free = person(session, now, "free@x.gov.uk", [hos])
        self.away = person(session, now, "away@x.gov.uk", [hos])
        session.add(
            Absence(
                person_id=self.away.id or 0,
                starts_on=now.date(),
                ends_on=now.date() + timedelta(days=5),
            )
        )
        session.flush()

    def audit(
        self, session: Session, grade: str = "inadequate", at: datetime | None = None
    ) -> Audit:
        at = at or self.now
        row = Audit(
            case_id=self.case_id,
            auditor_id=self.auditor.id or 0,
            step=END,
            answers=DialogState("audit", END, ("review",)).to_json(),
            domain_grades={d.key: grade for d in self.framework.audit_form.domains},
            overall_grade=grade,
            status="submitted",
            history=[{"event": "submitted", "at": at.isoformat(), "by": self.auditor.id}],
            submitted_at=at,
            created_at=at,
            updated_at=at,
        )
        session.add(row)
        session.flush()
        return row


@pytest.fixture
def small(engine: Engine, now: datetime) -> Iterator[tuple[Session, Place]]:
    with Session(engine) as session:
        yield session, Place(session, now, small_framework())


def run(
    session: Session, place: Place, *audits: Audit, now: datetime | None = None
) -> list[Moderation]:
    candidates = Candidates(audits, now or place.now, TZ)
    done = consider(session=session, framework=place.framework, candidates=candidates)
    return done.created


def finished(
    framework: Framework, audit: Audit, *, outcome: str, grade: str | None = None,
    owner: int = 0, reason: str = "",
) -> DialogState:  # fmt: skip
    """A moderation dialog at its end, as the handlers would have walked it."""
    answers: dict[str, dict[str, object]] = {
        "grades": {f"mod.{k}.agree": "yes" for k in audit.domain_grades},
        "overall": {"mod.overall.agree": "no" if grade else "yes"},
        "recommendations": {"mod.recommendations.agree": "yes"},
        "outcome": {"mod.outcome": outcome, **({"mod.outcome.reason": reason} if reason else {})},
        "actions": {},
        "review": {},
    }
    if grade:
        answers["overall"].update({"mod.overall.grade": grade, "mod.overall.why": "Drift."})
    if owner:
        answers["actions"] = {"act.1.action": "Strategy discussion", "act.1.owner": owner,
                              "act.1.due": "2027-01-12"}  # fmt: skip
    return DialogState("moderation", END, TRAIL, answers)  # type: ignore[arg-type]


def decide(session: Session, place: Place, row: Moderation, **kw: object) -> None:
    audit = session.get(Audit, row.audit_id)
    assert audit is not None
    state = finished(place.framework, audit, **kw)  # type: ignore[arg-type]
    result = moderation_result(state, place.framework, overall_grade=audit.overall_grade or "")
    finish(
        session=session, moderation=row, audit=audit, state=state, result=result,
        now=place.now, actor="test",
    )  # fmt: skip


# -- selection and assignment --------------------------------------------------------------


def test_nobody_too_close_to_the_case_or_the_author_is_picked(
    small: tuple[Session, Place],
) -> None:
    session, place = small
    [row] = run(session, place, place.audit(session))
    assert row.moderator_id == place.free.id
    assert row.month == "2026-12" and row.due_on == date(2026, 12, 15) and not row.is_chair
    [sub] = submitted_audits(session=session, audits=[session.get(Audit, row.audit_id)], tz=TZ)  # type: ignore[list-item]
    assert place.case_manager.id in sub.case_team_manager_ids
    assert sub.auditor_line_manager_id == place.line_manager.id


def test_considering_again_makes_nothing_new(small: tuple[Session, Place]) -> None:
    session, place = small
    audit = place.audit(session)
    assert len(run(session, place, audit)) == 1
    assert run(session, place, audit) == []
    assert run(session, place, audit, now=place.now + timedelta(days=3)) == []
    assert len(session.exec(select(Moderation)).all()) == 1


def test_a_moderator_at_capacity_is_passed_over_and_nobody_left_means_unassigned(
    small: tuple[Session, Place],
) -> None:
    session, place = small
    for _ in range(4):  # the small framework's Heads of Service moderate 4 a month
        session.add(
            Moderation(audit_id=place.audit(session).id or 0, moderator_id=place.free.id or 0,
                       month="2026-12", due_on=date(2026, 12, 15), created_at=place.now)
        )  # fmt: skip
    session.flush()
    [mod] = [
        m
        for m in moderators(
            session=session,
            framework=place.framework,
            month=Month(2026, 12),
            today=place.now.date(),
        )
        if m.id == place.free.id
    ]
    assert mod.capacity_left == 0 and mod.assigned_this_month == 4
    candidates = Candidates([place.audit(session)], place.now, TZ)
    done = consider(session=session, framework=place.framework, candidates=candidates)
    assert done.created == [] and len(done.unassigned) == 1
    assert "no capacity left" in done.unassigned[0].reason


def test_a_good_audit_is_sampled_by_its_month_and_an_edit_to_inadequate_is_selected(
    small: tuple[Session, Place],
) -> None:
    session, place = small
    audit = place.audit(session, "good")
    sampled = sample_fraction(Month(2026, 12), audit.id or 0) < 0.25
    assert bool(run(session, place, audit)) == sampled
    if not sampled:
        audit.overall_grade = "inadequate"  # the author's edit, re-submitted
        assert len(run(session, place, audit)) == 1


def test_a_panel_has_a_chair_and_the_author_sits_out(engine: Engine, now: datetime) -> None:
    framework = load_framework("city-of-london")
    with Session(engine) as session:
        place = Place(session, now, framework)
        chair = person(session, now, "chair@x.gov.uk", ["independent_chair"])
        place.auditor.roles = ["team_manager", "head_of_service"]  # on the panel, but the author
        session.add(place.auditor)
        rows = run(session, place, place.audit(session, "good"))
        by_person = {r.moderator_id: r for r in rows}
        assert by_person[chair.id or 0].is_chair
        assert place.auditor.id not in by_person
        assert sum(r.is_chair for r in rows) == 1 and len(rows) >= 3
        # A member's view decides nothing; the chair's decision is final.
        member = next(r for r in rows if not r.is_chair)
        decide(session, place, member, outcome="confirmed")
        audit = session.get(Audit, member.audit_id)
        assert audit is not None and audit.status == "submitted" and audit.final_grade is None
        decide(session, place, by_person[chair.id or 0], outcome="regraded", grade="inadequate")
        assert (audit.status, audit.final_grade) == ("final", "inadequate")
        statuses = {r.id: r.status for r in session.exec(select(Moderation))}
        assert (
            statuses[member.id] == "completed"
            and statuses[by_person[chair.id or 0].id] == "completed"
        )
        assert {
            s for i, s in statuses.items() if i not in (member.id, by_person[chair.id or 0].id)
        } == {"withdrawn"}
        # The panel is one agreement pair, the chair's: Good given, Inadequate decided.
        month = Month.of(now.date())
        pairs = agreement_rows(session, framework, tz=TZ, first=month, last=month).rows
        assert [r.overall for r in pairs] == [("good", "inadequate")]


# -- outcomes --------------------------------------------------------------------------


def test_a_regrade_makes_the_grade_final_and_its_actions_recommendations(
    small: tuple[Session, Place],
) -> None:
    session, place = small
    session.add(
        Allocation(month="2026-12", person_id=place.free.id or 0, activity="moderation",
                   due_on=date(2026, 12, 18), created_at=place.now, updated_at=place.now)
    )  # fmt: skip
    [row] = run(session, place, place.audit(session, "outstanding"))
    decide(session, place, row, outcome="regraded", grade="requires_improvement",
           owner=place.case_manager.id or 0)  # fmt: skip
    audit = session.get(Audit, row.audit_id)
    assert audit is not None
    assert (audit.status, audit.final_grade, audit.overall_grade) == (
        "final", "requires_improvement", "outstanding",
    )  # fmt: skip
    assert audit.history[-1]["event"] == "moderated" and audit.history[-1]["round"] == 1
    [rec] = session.exec(select(Recommendation)).all()
    assert (rec.source, rec.owner_id, rec.raised_by_id) == (
        "moderation", place.case_manager.id, place.free.id,
    )  # fmt: skip
    slot = session.exec(select(Allocation).where(Allocation.activity == "moderation")).one()
    assert slot.status == "completed"


def test_a_returned_audit_opens_a_new_round_with_the_same_moderator(
    small: tuple[Session, Place],
) -> None:
    session, place = small
    audit = place.audit(session)
    [first] = run(session, place, audit)
    decide(session, place, first, outcome="returned", reason="Add the visit evidence.")
    assert audit.status == "returned" and audit.step == "review"
    assert audit.history[-1]["moderations"] == [first.id]
    assert current_round(session=session, audit=audit) == (2, [])
    assert run(session, place, audit) == [], "nothing until the author resubmits"
    later = place.now + timedelta(days=2)
    audit.status = "submitted"
    audit.history = [*audit.history, {"event": "submitted", "at": later.isoformat(), "by": 1}]
    [second] = run(session, place, audit, now=later)
    assert second.moderator_id == first.moderator_id and second.due_on == date(2026, 12, 17)
    assert current_round(session=session, audit=audit) == (2, [second])
    assert run(session, place, audit, now=later) == []
    rounds = session.exec(
        select(Moderation).where(Moderation.audit_id == audit.id).order_by(col(Moderation.id))
    ).all()
    assert [(r.id, r.outcome) for r in rounds] == [(first.id, "returned"), (second.id, None)]


def test_camden_good_audits_fill_free_moderator_slots_and_no_more(
    engine: Engine, now: datetime
) -> None:
    """Camden QAF 5.2.2: "a selection" of Good and RI fills the slots the moderators have.

    Only `free` may moderate these audits (the others are too close to the case or the
    author, or away), and the small framework gives a Head of Service 4 a month.
    """
    fw = small_framework()
    fw = fw.model_copy(update={"moderation": fw.moderation.model_copy(update={"fill_slots": True})})
    with Session(engine) as session:
        place = Place(session, now, fw)
        goods = [place.audit(session, "good", at=now + timedelta(minutes=i)) for i in range(6)]
        rows = run(session, place, *goods)
        assert sorted(r.audit_id for r in rows) == [g.id for g in goods[:4]]
        assert {r.moderator_id for r in rows} == {place.free.id}
        # the slots are full: an Inadequate is still selected (and waits for a slot)
        candidates = Candidates([*goods, place.audit(session)], now, TZ)
        done = consider(session=session, framework=fw, candidates=candidates)
        assert done.created == [] and len(done.unassigned) == 1
