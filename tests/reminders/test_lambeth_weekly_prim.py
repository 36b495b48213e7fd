"""Lambeth QAF 4: "The case is then reviewed by the practice assurance team through
Practice Review Improvement Meetings (PRIMs) at weekly intervals until practice and
decision making is evaluated as 'Good' or better."

The weekly review job at frozen times prompts the practice assurance lead (the owning
role, `escalation.case_review_owner_role`) each week; they record each meeting's
outcome in Slack or in Teams (a grade and a short note, no child-identifying data);
the review ends when a meeting records Good, or when a re-audit grades the case so.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from qa.framework import PRESETS_DIR, FrameworkError, parse_framework
from reminders.case_reviews import WEEKLY_REVIEWS
from reminders.schedule import Ticker
from storage.models import CaseReview, CaseReviewMeeting, OutboxMessage
from tests.reminders.followthrough_chat import (
    PLATFORMS,
    Chat,
    Platform,
    case,
    chat,
    person,
    teams_and_services,
)
from tests.reminders.tracking_world import LAMBETH, LONDON, add_audit, at

LAMBETH_YML = PRESETS_DIR / "lambeth.yml"


def _world(engine: Engine) -> dict[str, int]:
    teams_and_services(engine)
    pal = person(engine, "Pat Assurance", ["practice_assurance_lead"], team=4)
    tm = person(engine, "Tom Manager", ["team_manager"], team=1)
    worker = person(engine, "Sam Worker", ["practitioner"], team=1, manager=tm)
    auditor = person(engine, "Al Auditor", ["service_manager"], team=3)
    prim = case(engine, "LAM-0001", worker=worker)
    reaudited = case(engine, "LAM-0002", worker=worker)
    # Wednesday 2 December 2026: both graded Inadequate.
    add_audit(engine, case=prim, auditor=auditor, grade="inadequate", when=at(2026, 12, 2, 15))
    add_audit(engine, case=reaudited, auditor=auditor, grade="inadequate", when=at(2026, 12, 2, 16))
    return {
        "pal": pal,
        "tm": tm,
        "worker": worker,
        "auditor": auditor,
        "prim": prim,
        "re": reaudited,
    }


def _prompts(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.template == "review_prompt")
                .order_by(col(OutboxMessage.id))
            )
        )


def _reply(c: Chat, pid: int, result: Any) -> str:
    """What the person saw after acting: the card back in place (Teams) and messages."""
    c.deliver()
    return str(result) + "\n".join(c.texts(pid))


def _prompt_for(c: Chat, pid: int, reference: str) -> dict[str, Any]:
    found = [p for p in c.sent(pid) if f"Weekly review of case {reference}" in str(p)]
    assert found, f"no weekly review prompt for {reference}"
    return found[-1]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_lambeth_weekly_prim_until_good(platform: Platform, db_url: str, engine: Engine) -> None:
    w = _world(engine)
    with chat(platform, db_url=db_url, engine=engine, framework=LAMBETH, now=at(2026, 12, 3)) as c:
        c.greet(w["pal"], w["worker"])
        # Thursday 3 December: the reviews start, the first meeting is next week.
        c.run(WEEKLY_REVIEWS, at(2026, 12, 3, 10))
        with Session(engine) as s:
            reviews = s.exec(select(CaseReview).order_by(col(CaseReview.id))).all()
            assert [(r.case_id, r.owner_id, r.grade) for r in reviews] == [
                (w["prim"], w["pal"], "inadequate"),
                (w["re"], w["pal"], "inadequate"),
            ]
        assert _prompts(engine) == []

        # Monday 7 December: this week's prompts, to the practice assurance lead only.
        c.run(WEEKLY_REVIEWS, at(2026, 12, 7, 10))
        c.run(WEEKLY_REVIEWS, at(2026, 12, 7, 14))  # run again: nothing twice
        assert [p.person_id for p in _prompts(engine)] == [w["pal"], w["pal"]]
        c.deliver()
        prompt = _prompt_for(c, w["pal"], "LAM-0001")
        assert "last graded Inadequate" in str(prompt)
        assert "week of Monday 7 December" in str(prompt)
        assert c.texts(w["worker"]) == []

        # Someone outside the practice assurance team cannot record it.
        record = c.buttons(prompt)["review.record"]
        refused = c.press(w["worker"], "review.record", record)
        assert "Only the practice assurance team records this review" in _reply(
            c, w["worker"], refused
        )

        # The meeting's outcome: a grade and a short note; a date of birth is refused.
        form = c.press(w["pal"], "review.record", record)
        assert "Weekly review" in str(form)
        bad = c.submit(w["pal"], form, {"grade": "requires_improvement", "note": "DOB 03/04/2015"})
        assert "date of birth" in str(bad)
        ok = c.submit(
            w["pal"],
            form,
            {"grade": "requires_improvement", "note": "Plan reviewed, visits on track"},
        )
        said = _reply(c, w["pal"], ok)
        assert "Recorded for case LAM-0001: Requires Improvement" in said
        # The week's prompt now shows the outcome, and no button, where it was sent.
        assert "Recorded: Requires Improvement, by Pat Assurance on Monday 7 December" in said
        edited = [p for p in c.sent(w["pal"]) if "Recorded: Requires Improvement" in str(p)]
        assert edited and "review.record" not in str(edited[-1])
        with Session(engine) as s:
            [meeting] = s.exec(
                select(CaseReviewMeeting).where(CaseReviewMeeting.grade.is_not(None))  # type: ignore[union-attr]
            ).all()
            assert (
                meeting.note == "Plan reviewed, visits on track"
                and meeting.recorded_by_id == w["pal"]
            )

        # The second case is re-audited Good on Thursday 10 December: its review ends.
        add_audit(
            engine, case=w["re"], auditor=w["auditor"], grade="good", when=at(2026, 12, 10, 11)
        )
        c.run(WEEKLY_REVIEWS, at(2026, 12, 10, 12))

        # Monday 14 December: one prompt, for the case still below Good.
        c.run(WEEKLY_REVIEWS, at(2026, 12, 14, 10))
        c.deliver()
        week2 = [p for p in _prompts(engine) if "2026-12-14" in str(p.context)]
        assert [p.context["reference"] for p in week2] == ["LAM-0001"]
        assert week2[0].context["grade"] == "Requires Improvement" and week2[0].context["held"] == 1
        prompt = _prompt_for(c, w["pal"], "LAM-0001")
        form = c.press(w["pal"], "review.record", c.buttons(prompt)["review.record"])
        done = c.submit(w["pal"], form, {"grade": "good", "note": "Practice now good"})
        assert "That ends the weekly review" in _reply(c, w["pal"], done)

        # Monday 21 December: both reviews have ended; nobody is prompted.
        before = len(_prompts(engine))
        c.run(WEEKLY_REVIEWS, at(2026, 12, 21, 10))
        assert len(_prompts(engine)) == before
        with Session(engine) as s:
            ended = {r.case_id: r.end_reason for r in s.exec(select(CaseReview))}
        assert ended == {w["prim"]: "meeting_good", w["re"]: "reaudit_good"}


def test_framework_check_refuses_an_owner_for_reviews_that_never_run() -> None:
    text = (LAMBETH_YML.read_text(encoding="utf-8")).replace(
        "case_review_weekly_until_good: true", "case_review_weekly_until_good: false"
    )
    with pytest.raises(FrameworkError) as caught:
        parse_framework(text, filename="lambeth.yml")
    assert "`case_review_owner_role` needs `case_review_weekly_until_good: true`" in str(
        caught.value
    )


def test_the_practice_assurance_team_shares_the_weekly_reviews(engine: Engine) -> None:
    w = _world(engine)
    second = person(engine, "Pip Assurance", ["practice_assurance_lead"], team=4)
    Ticker(
        engine=engine, framework=LAMBETH, tz=LONDON, jobs={"weekly_reviews": WEEKLY_REVIEWS}
    ).run_job(WEEKLY_REVIEWS, now=at(2026, 12, 3, 10))
    with Session(engine) as s:
        owners = [r.owner_id for r in s.exec(select(CaseReview).order_by(col(CaseReview.id)))]
    assert owners == [w["pal"], second]
