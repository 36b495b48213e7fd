"""Lambeth QAF 8: "A report of Quality Assurance alerts raised by Independent
Chairs/Reviewing officers is circulated to all Assistant Directors and the Director of
Children's Social Care on a weekly basis. The monthly and quarterly QA report captures
the impact of Quality Assurance alerts".

An IRO raises an alert in Slack or in Teams (typed `alert`, a form); the case's team
manager is asked, acts on it and says what changed; the IRO is told. The weekly job at
a frozen time sends the week's alerts to every Assistant Director and the Director, and
the monthly report counts the alerts raised, acted on and open.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from qa.framework import PRESETS_DIR, FrameworkError, parse_framework
from reminders.qa_alerts import WEEKLY_ALERTS
from reminders.schedule import Ticker
from reminders.summary import FRAMEWORK_REPORTS
from storage.db import session_scope
from storage.models import Case, OutboxMessage, QaAlert
from storage.qa_alerts import act_on, raise_alert
from storage.retention import apply_retention
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
from tests.reminders.tracking_world import LAMBETH, LONDON, at

LAMBETH_YML = PRESETS_DIR / "lambeth.yml"


def _world(engine: Engine) -> dict[str, int]:
    teams_and_services(engine)
    ad = person(engine, "Ada Director", ["assistant_director"], team=3)
    director = person(engine, "Dee Director", ["director"], team=4)
    sm = person(engine, "Sid Manager", ["service_manager"], team=3)
    iro = person(engine, "Ivy Reviewer", ["iro"], team=4)
    chair = person(engine, "Cal Chair", ["cp_chair"], team=4)
    tm = person(engine, "Tom Manager", ["team_manager"], team=1, manager=sm)
    worker = person(engine, "Sam Worker", ["practitioner"], team=1, manager=tm)
    first = case(engine, "LAM-0001", worker=worker)
    second = case(engine, "LAM-0002", worker=worker)
    third = case(engine, "LAM-0003", worker=worker)
    return {
        "ad": ad,
        "director": director,
        "sm": sm,
        "iro": iro,
        "chair": chair,
        "tm": tm,
        "worker": worker,
        "first": first,
        "second": second,
        "third": third,
    }


def _type(c: Chat, pid: int, text: str, n: int) -> None:
    """A direct message typed to the bot."""
    if c.slack is not None:
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": f"D{pid:04d}",
            "user": f"U{pid:04d}",
            "text": text,
            "ts": f"1700000{n:03d}.000100",
        }
        assert post_event(c.client, event, event_id=f"Ev{pid}{n}").status_code == 200
        settle(c.client)
        return
    assert c.connector is not None
    activity = teams.message(
        text, service_url=c.connector.url, aad_object_id=aad(pid), conversation_id=f"a:{pid}"
    )
    assert c.client.post("/api/messages", json=activity).status_code == 200


def _last_with(c: Chat, pid: int, words: str) -> dict[str, Any]:
    found = [p for p in c.sent(pid) if words in json.dumps(p, ensure_ascii=False)]
    assert found, f"nothing with {words!r} was sent to {pid}"
    return found[-1]


def _seen(c: Chat, pid: int, result: Any) -> str:
    c.deliver()
    return json.dumps(result, ensure_ascii=False) + "\n".join(c.texts(pid))


def _outbox(engine: Engine, template: str) -> list[OutboxMessage]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.template == template)
                .order_by(col(OutboxMessage.id))
            )
        )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_lambeth_qa_alert_raised_and_acted_on(
    platform: Platform, db_url: str, engine: Engine
) -> None:
    w = _world(engine)
    now = at(2026, 12, 8, 11)
    with chat(platform, db_url=db_url, engine=engine, framework=LAMBETH, now=now) as c:
        c.greet(w["iro"], w["tm"], w["worker"])

        # A social worker is not one of the roles that raise QA alerts.
        _type(c, w["worker"], "alert", 1)
        assert "yours is not one of them" in _seen(c, w["worker"], None)

        # The IRO's help lists `alert`; the social worker's does not.
        _type(c, w["iro"], "help", 3)
        assert "QA alert on a case, for its team manager" in _seen(c, w["iro"], None)
        _type(c, w["worker"], "help", 4)
        assert "QA alert on a case, for its team manager" not in _seen(c, w["worker"], None)

        # The IRO types `alert` and presses the button it answers with: the form.
        _type(c, w["iro"], "alert", 2)
        c.deliver()
        start = _last_with(c, w["iro"], "Raise a QA alert")
        form = c.press(w["iro"], "alert.raise", c.buttons(start)["alert.raise"])
        assert "Case reference" in json.dumps(form)

        # A reference the bot does not know, and a note with a date of birth, are refused;
        # the note is not echoed back.
        unknown = c.submit(
            w["iro"], form, {"reference": "LAM-9999", "concern": "safety", "note": "Visits missed"}
        )
        assert "No case has that reference" in json.dumps(unknown)
        dob = c.submit(
            w["iro"], form, {"reference": "LAM-0001", "concern": "safety", "note": "DOB 03/04/2015"}
        )
        assert "date of birth" in json.dumps(dob) and "03/04/2015" not in json.dumps(dob)
        assert _outbox(engine, "alert_request") == []

        ok = c.submit(
            w["iro"],
            form,
            {"reference": "lam-0001", "concern": "safety", "note": "Plan not reviewed since RCPC"},
        )
        said = _seen(c, w["iro"], ok)

        assert "QA alert raised on case LAM-0001: Safety and risk" in said
        assert "Tom Manager is asked to act on it by Friday 18 December" in said

        # The case's team manager is asked, with the note and an *Acted on* button.
        request = _last_with(c, w["tm"], "QA alert on case LAM-0001")
        assert "Plan not reviewed since RCPC" in json.dumps(request)
        acted_on = c.buttons(request)["alert.act"]

        # Somebody else cannot close it.
        refused = c.press(w["worker"], "alert.act", acted_on)
        assert "Only the person asked to act on this alert" in _seen(c, w["worker"], refused)

        # Acted on: what changed; the alert is closed and the IRO is told.
        c.clock.now = at(2026, 12, 9, 15)
        act = c.press(w["tm"], "alert.act", acted_on)
        assert "What changed" in json.dumps(act)
        done = c.submit(w["tm"], act, {"note": "Plan reviewed with the family; visits weekly"})
        assert "the QA alert on case LAM-0001 is closed" in _seen(c, w["tm"], done)
        told = _last_with(c, w["iro"], "was acted on by Tom Manager")
        assert "Plan reviewed with the family; visits weekly" in json.dumps(told)

        # Pressed again: nothing more is sent, the alert stays closed once.
        again = c.press(w["tm"], "alert.act", acted_on)
        assert "has already been acted on" in _seen(c, w["tm"], again)
        assert len(_outbox(engine, "alert_acted")) == 1
        requests = [m.idempotency_key for m in _outbox(engine, "alert_request")]
        assert requests == ["qa-alert:1", "qa-alert:1:edit:acted"]
        # The request now says it was acted on, without its button, where it was sent.
        edited = _last_with(c, w["tm"], "Acted on by Tom Manager on Wednesday 9 December")
        assert "alert.act" not in json.dumps(edited)
        with Session(engine) as s:
            [alert] = s.exec(select(QaAlert)).all()
        assert (alert.case_id, alert.raised_by_id, alert.kind) == (w["first"], w["iro"], "safety")
        assert alert.acted_by_id == w["tm"] and alert.due_on == date(2026, 12, 18)
        assert alert.action_note == "Plan reviewed with the family; visits weekly"


def _alerts(engine: Engine, w: dict[str, int]) -> None:
    """Four alerts: a late one from November, two the week of 7 December, one the next."""
    policy = LAMBETH.qa_alerts
    assert policy is not None
    raised = [
        (w["third"], "plan", w["chair"], at(2026, 11, 20, 10), None),
        (w["first"], "safety", w["iro"], at(2026, 12, 8, 10), at(2026, 12, 9, 10)),
        (w["second"], "drift", w["chair"], at(2026, 12, 10, 10), None),
        (w["second"], "plan", w["iro"], at(2026, 12, 14, 8), None),
    ]
    with session_scope(engine) as s:
        for case_id, kind, by, when, acted in raised:
            row = s.get(Case, case_id)
            assert row is not None
            alert = raise_alert(
                session=s,
                policy=policy,
                case=row,
                kind=kind,
                note="A concern",
                raised_by_id=by,
                now=when,
                today=when.date(),
            )
            if acted is not None:
                act_on(session=s, alert=alert, note="Done", person_id=w["tm"], now=acted)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_lambeth_qa_alerts_weekly_report_to_ads_and_director(
    platform: Platform, db_url: str, engine: Engine
) -> None:
    w = _world(engine)
    _alerts(engine, w)
    now = at(2026, 12, 14, 10)
    with chat(platform, db_url=db_url, engine=engine, framework=LAMBETH, now=now) as c:
        c.greet(w["ad"], w["director"], w["sm"])
        # Monday 14 December, after the summary time: last week's alerts; run again, once.
        c.run(WEEKLY_ALERTS, at(2026, 12, 14, 10))
        c.run(WEEKLY_ALERTS, at(2026, 12, 14, 16))
        sent = _outbox(engine, "alert_weekly")
        assert sorted(m.person_id or 0 for m in sent) == sorted([w["ad"], w["director"]])
        context = sent[0].context
        assert (context["raised"], context["acted_on"], context["open"]) == (2, 1, 1)
        assert context["by_service"] == [{"label": "Children in Need", "count": 2}]
        assert [a["reference"] for a in context["alerts"]] == ["LAM-0001", "LAM-0002"]
        assert [(a["reference"], a["asked"]) for a in context["late"]] == [
            ("LAM-0003", "Tom Manager")
        ]
        c.deliver()
        for reader in (w["ad"], w["director"]):
            text = "\n".join(c.texts(reader))
            assert "QA alerts: week of Monday 7 December" in text
            assert "LAM-0002" in text and "LAM-0003" in text
        assert c.texts(w["sm"]) == []

        # The next Monday: the next week's report, once more to each.
        c.run(WEEKLY_ALERTS, at(2026, 12, 21, 10))
        before = {m.id for m in sent}
        later = [m for m in _outbox(engine, "alert_weekly") if m.id not in before]
        assert len(later) == 2 and later[0].context["raised"] == 1


def test_lambeth_monthly_report_counts_qa_alerts(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_BOT_SMALL_NUMBER_THRESHOLD", "1")
    w = _world(engine)
    _alerts(engine, w)
    ticker = Ticker(
        engine=engine,
        framework=LAMBETH,
        tz=LONDON,
        jobs={FRAMEWORK_REPORTS.name: FRAMEWORK_REPORTS},
    )
    # The third working day of January 2027: December's monthly report.
    ticker.run_job(FRAMEWORK_REPORTS, now=at(2027, 1, 6, 10))
    to_ad = [
        m
        for m in _outbox(engine, "framework_report")
        if m.person_id == w["ad"] and m.context["title"] == "Monthly audit report"
    ]
    assert to_ad, "the Assistant Director gets the monthly report"
    facts = {f["label"]: f["value"] for f in to_ad[0].context["facts"]}
    assert facts["QA alerts raised"] == "3"
    assert facts["QA alerts acted on"] == "1"
    assert facts["QA alerts still open"] == "2"


def test_camden_has_no_qa_alerts_and_the_lambeth_roles_must_exist() -> None:
    camden = parse_framework((PRESETS_DIR / "camden.yml").read_text(encoding="utf-8"))
    assert camden.qa_alerts is None
    text = LAMBETH_YML.read_text(encoding="utf-8").replace(
        "raised_by: [iro, cp_chair]", "raised_by: [iro, chair]"
    )
    with pytest.raises(FrameworkError) as caught:
        parse_framework(text, filename="lambeth.yml")
    assert "chair" in str(caught.value)


def test_lambeth_qa_alerts_weekly_report_waits_for_a_bank_holiday_monday(
    engine: Engine,
) -> None:
    """Monday 28 December 2026 is a bank holiday: the report goes on Tuesday 29th."""
    w = _world(engine)
    _alerts(engine, w)
    assert not WEEKLY_ALERTS.on(LAMBETH, date(2026, 12, 28))
    assert WEEKLY_ALERTS.on(LAMBETH, date(2026, 12, 29))
    assert WEEKLY_ALERTS.on(LAMBETH, date(2026, 12, 21))
    ticker = Ticker(
        engine=engine, framework=LAMBETH, tz=LONDON, jobs={WEEKLY_ALERTS.name: WEEKLY_ALERTS}
    )
    ticker.run_job(WEEKLY_ALERTS, now=at(2026, 12, 28, 10))
    keys = {m.idempotency_key for m in _outbox(engine, "alert_weekly")}
    assert keys == {f"qa-alerts-weekly:{p}:2026-12-21" for p in (w["ad"], w["director"])}
    ticker.run_job(WEEKLY_ALERTS, now=at(2026, 12, 29, 10))
    later = {m.idempotency_key for m in _outbox(engine, "alert_weekly")} - keys
    assert later == {f"qa-alerts-weekly:{p}:2026-12-28" for p in (w["ad"], w["director"])}


def test_qa_alert_notes_are_blanked_after_the_retention_period(engine: Engine) -> None:
    """Notes about a case are free text: blanked with the audits' free text, counts kept."""
    w = _world(engine)
    _alerts(engine, w)
    months = LAMBETH.retention.audits_months
    later = at(2026, 12, 14, 10) + timedelta(days=31 * months + 31)
    with session_scope(engine) as s:
        apply_retention(session=s, framework=LAMBETH, now=later, actor="test")
    with Session(engine) as s:
        alerts = s.exec(select(QaAlert)).all()
    assert len(alerts) == 4
    assert {(a.note, a.action_note) for a in alerts} == {("", "")}
    assert {a.kind for a in alerts} == {"plan", "safety", "drift"}
