"""Observations of practice, end to end in Slack and in Teams through the real endpoints.

Lambeth QAF, 5: "Direct Observation of practitioners and managers across all levels
... The Academy will support the direct observation process and monitor compliance and
reporting." A manager types `observe`, presses the card's button, fills in the form
(who by role, setting, date, what went well, what could be better, feedback given and
when, a case reference); text naming a child's details is refused without being echoed;
an unknown case reference is refused; the principal social worker (the Head of the
Academy) is told; the QA lead's `status` counts it by service.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from qa.framework import preset
from storage.models import Observation
from tests.chat import post_event, settle
from tests.fakes import connector as teams
from tests.reminders.followthrough_chat import (
    PLATFORMS,
    Chat,
    Platform,
    aad,
    case,
    chat,
    person,
    teams_and_services,
)
from tests.reminders.tracking_world import LAMBETH, at

WANDSWORTH = preset("wandsworth")
_events = itertools.count(1)


def type_text(c: Chat, pid: int, text: str) -> list[str]:
    """`pid` types `text` in their chat with the bot; what the bot sent back."""
    before = len(c.sent(pid))
    if c.slack is not None:
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": f"D{pid:04d}",
            "user": f"U{pid:04d}",
            "text": text,
            "ts": f"1700000000.{next(_events):06d}",
        }
        response = post_event(c.client, event, event_id=f"Ev{next(_events):08d}")
        assert response.status_code == 200
        settle(c.client)
    else:
        assert c.connector is not None
        activity = teams.message(
            text,
            service_url=c.connector.url,
            aad_object_id=aad(pid),
            conversation_id=f"a:{pid}",
        )
        assert c.client.post("/api/messages", json=activity).status_code == 200
    c.deliver()
    return [str(p) for p in c.sent(pid)[before:]]


def _world(engine: Engine) -> dict[str, int]:
    teams_and_services(engine)
    lead = person(engine, "Quinn Lead", ["qa_lead"], team=4)
    psw = person(engine, "Pia Academy", ["principal_social_worker"], team=4)
    tm = person(engine, "Tom Manager", ["team_manager"], team=1)
    worker = person(engine, "Sam Worker", ["practitioner"], team=1, manager=tm)
    ref = case(engine, "LAM-0001", worker=worker, team=2)
    return {"lead": lead, "psw": psw, "tm": tm, "worker": worker, "case": ref}


GOOD = {
    "observed_role": "practitioner",
    "setting": "Home visit",
    "observed_on": "2026-12-07",
    "went_well": "Warm, clear explanation of the plan; the child's views were sought",
    "could_be_better": "Agree the next visit date before leaving",
    "feedback_given": "yes",
    "feedback_on": "2026-12-08",
    "reference": "lam-0001",
}


def _strings(node: Any) -> list[str]:
    """Every string in a Slack response or a Teams card (the form keeps what was typed
    in its own inputs, for the person to correct; only a warning is checked)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for v in node.values() for t in _strings(v)]
    if isinstance(node, list):
        return [t for v in node for t in _strings(v)]
    return []


def _said(c: Chat, pid: int, result: Any) -> str:
    c.deliver()
    return str(result) + "\n".join(c.texts(pid))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_manager_records_an_observation_and_the_academy_is_told(
    platform: Platform, db_url: str, engine: Engine
) -> None:
    w = _world(engine)
    with chat(platform, db_url=db_url, engine=engine, framework=LAMBETH, now=at(2026, 12, 8)) as c:
        c.greet(w["lead"], w["psw"], w["tm"], w["worker"])

        # A practitioner is not one of the roles that record observations.
        refused = type_text(c, w["worker"], "observe")
        assert any("record observations of practice" in r for r in refused), refused
        assert "Only Team manager, Service manager" in " ".join(refused)

        # `help` lists `observe` for a manager, not for a practitioner.
        assert "observation of practice" in "\n".join(type_text(c, w["tm"], "help"))
        assert "observation of practice" not in "\n".join(type_text(c, w["worker"], "help"))

        # The manager's card, its button, the form.
        type_text(c, w["tm"], "observe")
        prompt = c.sent(w["tm"])[-1]
        assert "Record an observation of practice" in str(prompt)
        form = c.press(w["tm"], "observe.open", c.buttons(prompt)["observe.open"])
        assert "Observation of practice" in str(form)
        assert "Pia Academy" not in str(form)  # by role, never a list of names

        # A date of birth in the free text is refused, and the text is not echoed back.
        bad = c.submit(w["tm"], form, {**GOOD, "went_well": "Child born 03/04/2015 was calm"})
        warned = [t for t in _strings(bad) if "date of birth" in t]
        assert warned and not any("03/04/2015" in t for t in warned)  # the warning
        assert not any("03/04/2015" in t for t in c.texts(w["tm"]))  # nothing sent on
        # An unknown case reference is refused.
        unknown = c.submit(w["tm"], form, {**GOOD, "reference": "LAM-9999"})
        assert "No case has that reference" in str(unknown)
        # Feedback given needs its date; an observation cannot be in the future.
        undated = c.submit(w["tm"], form, {**GOOD, "feedback_on": "", "observed_on": "2026-12-20"})
        assert "Pick the date feedback was given" in str(undated)
        assert "This date is in the future" in str(undated)
        with Session(engine) as s:
            assert s.exec(select(Observation)).all() == []

        ok = c.submit(w["tm"], form, GOOD)
        said = _said(c, w["tm"], ok)
        assert "Observation recorded: Social worker, Home visit, on Monday 7 December" in said
        assert "(case LAM-0001)" in said
        assert "so it can be centrally recorded" in said
        with Session(engine) as s:
            [row] = s.exec(select(Observation)).all()
        assert (row.recorded_by_id, row.team_id, row.case_id) == (w["tm"], 2, w["case"])
        assert row.observed_role == "practitioner" and row.feedback_given
        assert str(row.feedback_on) == "2026-12-08"

        # The principal social worker (Head of the Academy) is told, to record centrally.
        told = "\n".join(str(p) for p in c.sent(w["psw"]))
        assert "Observation of practice recorded by Tom Manager, to record centrally" in told
        assert "case LAM-0001" in told and "Agree the next visit date" in told
        assert c.sent(w["lead"]) == []  # not a role Lambeth's section 5 names
        assert not any("to record centrally" in t for t in c.texts(w["worker"]))

        # The QA lead's status counts it by service, in their private chat.
        status = "\n".join(type_text(c, w["lead"], "status")).replace("*", "")
        assert "Observations of practice this month: 1" in status
        by_service = (
            "Children in Need: 1"
            if platform == "slack"
            else "{'title': 'Children in Need', 'value': '1'}"
        )
        assert by_service in status
        # A manager's status without the role to see them: no observations line.
        assert "Observations of practice" not in "\n".join(type_text(c, w["tm"], "status"))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_observations_are_off_where_the_framework_does_not_describe_them(
    platform: Platform, db_url: str, engine: Engine
) -> None:
    teams_and_services(engine)
    tm = person(engine, "Tom Manager", ["team_manager"], team=1)
    with chat(
        platform, db_url=db_url, engine=engine, framework=WANDSWORTH, now=at(2026, 12, 8)
    ) as c:
        c.greet(tm)
        said = "\n".join(type_text(c, tm, "observe"))
        assert "not recorded in the bot under this framework" in said
