"""Issue 15, the calibration case: once a month everyone who audits grades the same short
anonymised practice vignette, written by the QA lead; the QA lead sees counts per grade
per domain beside the reference grade, never who graded what.

Through the real endpoints on Slack and on Teams: the QA lead types `calibration`,
sets the case (a date of birth in the vignette is refused), the monthly job at frozen
times sends it to the graders once each, they grade it in a form, and on the close day
the result goes to the QA lead. A second test makes one grader the odd one out and
checks no message lets anyone see what that person (or anyone) graded.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from qa.calibration_case import OVERALL, questions
from qa.framework import CalibrationPolicy, Framework
from reminders.calibration_case import CALIBRATION_CASE
from storage.models import CalibrationAnswer, CalibrationCase, OutboxMessage
from tests.chat import post_command, settle, view_state
from tests.fakes import connector as teams
from tests.fakes.slack_api import new_trigger_id
from tests.reminders.followthrough_chat import (
    PLATFORMS,
    Chat,
    Platform,
    aad,
    chat,
    person,
    teams_and_services,
)
from tests.reminders.tracking_world import LAMBETH, at

# Sent on the 3rd working day (Thursday 3 December 2026), closing 5 working days later
# (Thursday 10 December), to team managers.
FRAMEWORK: Framework = LAMBETH.model_copy(
    update={
        "calibration": CalibrationPolicy(working_day=3, open_working_days=5, roles=["team_manager"])
    }
)
VIGNETTE = (
    "Two siblings, 4 and 7, referred by their school after bruising was seen. "
    "The assessment was completed in 30 working days; the plan has no contingency."
)
KEYS = [k for k, _ in questions(FRAMEWORK)]


def _world(engine: Engine, graders: int) -> dict[str, Any]:
    teams_and_services(engine)
    lead = person(engine, "Lee Lead", ["qa_lead"], team=4)
    names = [f"Grader{i} Manager" for i in range(graders)]
    ids = [person(engine, n, ["team_manager"], team=1) for n in names]
    worker = person(engine, "Sam Worker", ["practitioner"], team=1)
    return {"lead": lead, "graders": ids, "names": names, "worker": worker}


def _type(c: Chat, pid: int, text: str) -> Any:
    """Type a command: Slack's `/qa` reply (ephemeral), or the card Teams was sent back."""
    if c.slack is not None:
        response = post_command(c.client, None, f"U{pid:04d}", text)
        assert response.status_code == 200
        return response.json()
    assert c.connector is not None
    body = teams.message(
        text, service_url=c.connector.url, aad_object_id=aad(pid), conversation_id=f"a:{pid}"
    )
    assert c.client.post("/api/messages", json=body).status_code == 200
    return c.sent(pid)[-1]


def _submit(c: Chat, pid: int, form: Any, values: dict[str, str]) -> Any:
    """Submit a form whose grades are drop-downs (a Slack modal, a Teams card)."""
    if c.slack is None:
        return c.submit(pid, form, values)
    payload = {
        "type": "view_submission",
        "user": {"id": f"U{pid:04d}"},
        "team": {"id": "T0TEAM"},
        "api_app_id": "A0APP",
        "trigger_id": new_trigger_id(),
        "view": {
            "id": "V0VIEW",
            "type": "modal",
            "callback_id": form["callback_id"],
            "private_metadata": form["private_metadata"],
            "state": view_state(form, values),
        },
    }
    response = c._slack_post(payload)
    assert response.status_code == 200
    settle(c.client)
    return response.json() if response.content else None


def _said(c: Chat, pid: int, result: Any) -> str:
    c.deliver()
    return json.dumps(result, ensure_ascii=False) + "\n".join(c.texts(pid))


def _set_case(c: Chat, lead: int, reference: str) -> None:
    shown = _type(c, lead, "calibration")
    assert "No calibration case has gone out yet" in json.dumps(shown)
    assert "The December 2026 case is not set yet" in json.dumps(shown)
    form = c.press(lead, "calibration.set", c.buttons(shown)["calibration.set"])
    assert "The December 2026 calibration case" in json.dumps(form)
    grades = dict.fromkeys(KEYS, reference)
    bad = _submit(c, lead, form, {"vignette": "Child born 03/04/2015, seen at school", **grades})
    assert "date of birth" in json.dumps(bad)
    ok = _submit(c, lead, form, {"vignette": VIGNETTE, **grades})
    assert "The December 2026 calibration case is set" in _said(c, lead, ok)


def _prompts(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.template == "calibration_prompt")
                .order_by(col(OutboxMessage.id))
            )
        )


def _prompt(c: Chat, pid: int) -> dict[str, Any]:
    """The calibration prompt `pid` was sent."""
    return [p for p in c.sent(pid) if "calibration case: grade" in json.dumps(p)][-1]


def _grade(c: Chat, pid: int, grade: str) -> str:
    prompt = _prompt(c, pid)
    form = c.press(pid, "calibration.grade", c.buttons(prompt)["calibration.grade"])
    assert "Two siblings" in json.dumps(form)
    return _said(c, pid, _submit(c, pid, form, dict.fromkeys(KEYS, grade)))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_monthly_calibration_case_end_to_end(
    platform: Platform, db_url: str, engine: Engine
) -> None:
    w = _world(engine, graders=10)
    people = [w["lead"], *w["graders"], w["worker"]]
    with chat(
        platform, db_url=db_url, engine=engine, framework=FRAMEWORK, now=at(2026, 12, 1)
    ) as c:
        c.greet(*people)
        assert "calibration" in json.dumps(_type(c, w["lead"], "help"))
        assert "calibration" not in json.dumps(_type(c, w["graders"][0], "help"))
        refused = json.dumps(_type(c, w["graders"][0], "calibration"))
        assert "Only the QA lead sets the calibration case" in refused
        _set_case(c, w["lead"], "good")

        # Wednesday 2 December: before the send day, nothing goes out.
        c.run(CALIBRATION_CASE, at(2026, 12, 2))
        assert _prompts(engine) == []
        # Thursday 3 December: one prompt per team manager; run again, nothing twice.
        c.run(CALIBRATION_CASE, at(2026, 12, 3))
        c.run(CALIBRATION_CASE, at(2026, 12, 3, 15))
        assert sorted(p.person_id or 0 for p in _prompts(engine)) == sorted(w["graders"])
        c.deliver()
        assert c.texts(w["worker"]) == []
        assert not [t for t in c.texts(w["lead"]) if "calibration case: grade" in t]
        # Once sent it can no longer be changed.
        late = _type(c, w["lead"], "calibration")
        assert "The January 2027 case is not set yet" in json.dumps(late)

        # Six give the reference grade, two Requires Improvement, two Inadequate.
        grades = ["good"] * 6 + ["requires_improvement"] * 2 + ["inadequate"] * 2
        for pid, grade in zip(w["graders"], grades, strict=True):
            assert "your grades of the December 2026 calibration case are in" in _grade(
                c, pid, grade
            )
        prompt = _prompt(c, w["graders"][0])
        again = c.press(
            w["graders"][0], "calibration.grade", c.buttons(prompt)["calibration.grade"]
        )
        assert "You have already graded" in _said(c, w["graders"][0], again)
        refused = c.press(w["worker"], "calibration.grade", c.buttons(prompt)["calibration.grade"])
        assert "The calibration case is for those who audit" in _said(c, w["worker"], refused)

        # On demand, before it closes: the result so far.
        so_far = json.dumps(_type(c, w["lead"], "calibration"), ensure_ascii=False)
        assert "Calibration case, December 2026: so far" in so_far
        assert "Good: 6 (reference)" in so_far

        # Thursday 10 December: grading closes, the result goes to the QA lead once.
        c.run(CALIBRATION_CASE, at(2026, 12, 10))
        c.run(CALIBRATION_CASE, at(2026, 12, 10, 15))
        c.deliver()
        results = [t for t in c.texts(w["lead"]) if "December 2026: result" in t]
        assert len(results) == 1
        text = results[0]
        assert "10 graded it of 10 asked" in text
        assert "Quality of assessment" in text and "Overall" in text
        assert text.count("(reference: Good)") == len(KEYS)
        assert "Good: 6 (reference)" in text and "Gave the reference grade: 60%" in text
        assert "Requires Improvement: fewer than 5" in text and "Inadequate: fewer than 5" in text
        for pid in w["graders"]:
            assert not [t for t in c.texts(pid) if "December 2026: result" in t]
        # The QA lead's status carries the overall line; a grader's status does not.
        status = json.dumps(_type(c, w["lead"], "status"), ensure_ascii=False)
        assert "Calibration case" in status and "December 2026: 10 graded it" in status
        assert "gave your reference overall grade (Good): 60%" in status
        closed = c.press(
            w["graders"][1], "calibration.grade", c.buttons(prompt)["calibration.grade"]
        )
        assert "has closed" in _said(c, w["graders"][1], closed)

    with Session(engine) as s:
        [case] = s.exec(select(CalibrationCase)).all()
        assert case.reference == dict.fromkeys(KEYS, "good") and case.vignette == VIGNETTE
        answers = s.exec(select(CalibrationAnswer)).all()
        assert len(answers) == 10 and all(set(a.grades) == set(KEYS) for a in answers)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_no_message_says_who_graded_what(platform: Platform, db_url: str, engine: Engine) -> None:
    """Five give Good, one (the odd one out) Inadequate: the QA lead's result cannot show
    that one grade, nor the Good count it could be worked out from, nor any name; and no
    grader is sent anything about another's grades."""
    w = _world(engine, graders=6)
    with chat(
        platform, db_url=db_url, engine=engine, framework=FRAMEWORK, now=at(2026, 12, 1)
    ) as c:
        c.greet(w["lead"], *w["graders"])
        _set_case(c, w["lead"], "good")
        c.run(CALIBRATION_CASE, at(2026, 12, 3))
        c.deliver()
        *usual, odd = w["graders"]
        for pid in usual:
            _grade(c, pid, "good")
        _grade(c, odd, "inadequate")
        on_demand = json.dumps(_type(c, w["lead"], "calibration"), ensure_ascii=False)
        status = json.dumps(_type(c, w["lead"], "status"), ensure_ascii=False)
        assert "gave your reference overall grade (Good): not shown" in status
        c.run(CALIBRATION_CASE, at(2026, 12, 10))
        c.deliver()
        to_lead = [on_demand, status, *c.texts(w["lead"])]
        final = [t for t in to_lead if "December 2026: result" in t]
        assert final, to_lead
        for text in to_lead:
            assert "Inadequate: 1" not in text and "Good: 5" not in text
            assert "83%" not in text and "17%" not in text
            for name in w["names"]:
                assert name.split()[0] not in text
        assert "Inadequate: fewer than 5" in final[0] and "Good: not shown (reference)" in final[0]
        assert "Gave the reference grade: not shown" in final[0]
        # Each grader hears only about their own grading.
        for pid, name in zip(w["graders"], w["names"], strict=True):
            for text in c.texts(pid):
                others = [n.split()[0] for n in w["names"] if n != name]
                assert not [o for o in others if o in text]
                assert "Inadequate" not in text or pid == odd
    with Session(engine) as s:
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.template == "calibration_result"))
        for row in rows:
            blob = json.dumps(row.context)
            assert not any(n.split()[0] in blob for n in w["names"])
    assert OVERALL in KEYS


@pytest.mark.parametrize("platform", PLATFORMS)
def test_without_the_framework_option_there_is_no_calibration_case(
    platform: Platform, db_url: str, engine: Engine
) -> None:
    w = _world(engine, graders=1)
    with chat(platform, db_url=db_url, engine=engine, framework=LAMBETH, now=at(2026, 12, 1)) as c:
        c.greet(w["lead"])
        assert "calibration" not in json.dumps(_type(c, w["lead"], "help"))
        said = json.dumps(_type(c, w["lead"], "calibration"))
        assert "This framework has no monthly calibration case" in said
        c.run(CALIBRATION_CASE, at(2026, 12, 3))
    assert _prompts(engine) == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_qa_lead_is_reminded_to_set_a_case_nobody_has_set(
    platform: Platform, db_url: str, engine: Engine
) -> None:
    w = _world(engine, graders=1)
    with chat(
        platform, db_url=db_url, engine=engine, framework=FRAMEWORK, now=at(2026, 11, 27)
    ) as c:
        c.greet(w["lead"], *w["graders"])
        # Friday 27 November is four working days before Thursday 3 December: too early.
        c.run(CALIBRATION_CASE, at(2026, 11, 27))
        c.deliver()
        assert c.texts(w["lead"]) == []
        # Monday 30 November: three working days before; once only, to the QA lead only.
        c.run(CALIBRATION_CASE, at(2026, 11, 30))
        c.run(CALIBRATION_CASE, at(2026, 11, 30, 15))
        c.deliver()
        nudges = [p for p in c.sent(w["lead"]) if "case is not set yet" in json.dumps(p)]
        assert len(nudges) == 1 and c.texts(w["graders"][0]) == []
        said = json.dumps(nudges[0], ensure_ascii=False)
        assert "The December 2026 case is not set yet" in said
        assert "No calibration case has gone out yet" not in said
        form = c.press(w["lead"], "calibration.set", c.buttons(nudges[0])["calibration.set"])
        assert "The December 2026 calibration case" in json.dumps(form)
        ok = _submit(c, w["lead"], form, {"vignette": VIGNETTE, **dict.fromkeys(KEYS, "good")})
        assert "The December 2026 calibration case is set" in _said(c, w["lead"], ok)
        # Set: no more reminders.
        c.run(CALIBRATION_CASE, at(2026, 12, 1))
        c.deliver()
        assert len([t for t in c.texts(w["lead"]) if "case is not set yet" in t]) == 1
