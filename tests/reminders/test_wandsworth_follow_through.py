"""Wandsworth QAF 35: "Individual case audits are completed by Service Managers giving
assurance that audit recommendations have been followed through".

The monthly allocation job, at a frozen time, gives the service manager a case whose
recommendations are open (or recently completed) to check, never a case nobody has
audited, and says why in the prompt they read in Slack and in Teams.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from qa.allocation import allocate
from qa.framework import PRESETS_DIR, Framework, FrameworkError, parse_framework, preset
from qa.working_days import Month
from reminders.allocations import ALLOCATE_MONTH
from storage.allocations import build_inputs
from storage.db import session_scope
from storage.models import Allocation, Recommendation
from tests.reminders.followthrough_chat import (
    PLATFORMS,
    Platform,
    case,
    chat,
    person,
    teams_and_services,
)
from tests.reminders.tracking_world import add_audit, add_recommendation, at

WANDSWORTH = preset("wandsworth")
LONDON = ZoneInfo("Europe/London")


def _world(engine: Engine) -> dict[str, int]:
    teams_and_services(engine)
    hos = person(engine, "Hana Standards", ["head_of_safeguarding"], team=4)
    sm = person(engine, "Sol Manager", ["service_manager"], team=3)
    w1 = person(engine, "Wren Worker", ["practitioner"], team=1)
    w2 = person(engine, "Wade Worker", ["practitioner"], team=2)
    followed = case(engine, "WAN-0001", worker=w1)  # audited, a recommendation still open
    never = case(engine, "WAN-0002", worker=w2)  # nobody has audited it
    done = case(engine, "WAN-0003", worker=w2, team=2)  # a recommendation completed long ago
    add_audit(
        engine, case=followed, auditor=hos, grade="requires_improvement", when=at(2026, 9, 14)
    )
    add_recommendation(
        engine, owner=w1, due=date(2026, 11, 13), created=at(2026, 9, 14), case=followed
    )
    add_audit(engine, case=done, auditor=hos, grade="good", when=at(2026, 3, 2))
    rec = add_recommendation(
        engine, owner=w2, due=date(2026, 5, 1), created=at(2026, 3, 2), case=done
    )
    with session_scope(engine) as s:
        row = s.get(Recommendation, rec)
        assert row is not None
        row.status, row.completed_at = "done", at(2026, 4, 20)
        s.add(row)
    return {"hos": hos, "sm": sm, "followed": followed, "never": never, "done": done}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_wandsworth_follow_through_audits_pick_cases_with_recommendations(
    platform: Platform, db_url: str, engine: Engine
) -> None:
    w = _world(engine)
    # 1 December 2026 is the first working day; Wandsworth allocates at 09:00.
    with chat(
        platform, db_url=db_url, engine=engine, framework=WANDSWORTH, now=at(2026, 12, 1, 9, 30)
    ) as c:
        c.greet(w["sm"])
        c.run(ALLOCATE_MONTH, at(2026, 12, 1, 9, 30))
        with Session(engine) as s:
            mine = s.exec(select(Allocation).where(Allocation.person_id == w["sm"])).all()
        assert [a.case_id for a in mine] == [w["followed"]]
        assert "to check 1 recommendation followed through" in mine[0].reason
        c.deliver()
        [prompt] = c.texts(w["sm"])
        assert "WAN-0001" in prompt and "followed through" in prompt
        assert "WAN-0002" not in prompt and "WAN-0003" not in prompt
        # Run again: nothing new, nothing sent twice.
        c.run(ALLOCATE_MONTH, at(2026, 12, 1, 11))
        c.deliver()
        assert len(c.texts(w["sm"])) == 1


def test_without_follow_through_the_service_manager_gets_a_never_audited_case(
    engine: Engine,
) -> None:
    """The contrast: the same authority with the cadence picking as before."""
    w = _world(engine)
    cadences = [
        c.model_copy(update={"pick": "ranked"}) if c.role == "service_manager" else c
        for c in WANDSWORTH.cadences
    ]
    ranked = Framework.model_validate(
        {**WANDSWORTH.model_dump(), "cadences": [c.model_dump() for c in cadences]}
    )
    with Session(engine) as s:
        inputs = build_inputs(session=s, framework=ranked, month=Month(2026, 12), tz=LONDON)
    plan = allocate(inputs)
    assert [a.case_id for a in plan.allocations if a.person_id == w["sm"]] == [w["never"]]


def test_no_case_to_follow_through_is_a_shortfall_not_a_fresh_case(engine: Engine) -> None:
    w = _world(engine)
    with session_scope(engine) as s:
        for rec in s.exec(select(Recommendation)):
            s.delete(rec)
    with Session(engine) as s:
        inputs = build_inputs(session=s, framework=WANDSWORTH, month=Month(2026, 12), tz=LONDON)
    plan = allocate(inputs)
    assert [a for a in plan.allocations if a.person_id == w["sm"]] == []
    assert any(
        "no case has recommendations to follow through" in f.message for f in plan.shortfalls
    )


def test_framework_check_refuses_follow_through_on_anything_but_an_audit() -> None:
    text = (PRESETS_DIR / "wandsworth.yml").read_text(encoding="utf-8")
    text = text.replace(
        "    activity: audit\n    count: 1\n    every_months: 1\n    pick: follow_through",
        "    activity: moderation\n    count: 1\n    every_months: 1\n    pick: follow_through",
    )
    with pytest.raises(FrameworkError) as caught:
        parse_framework(text, filename="wandsworth.yml")
    assert "`pick: follow_through` needs `activity: audit`, not `moderation`" in str(caught.value)
