"""Findings to the worker and line manager, the QA lead's closing block, and feedback
on amended findings: City of London (2024, Appendix 1) and Wandsworth (QAF 29, 32),
through the real endpoints on Slack and Teams (docs/frameworks/*.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

import tests.bot.test_moderation_slack as slack_driver
import tests.bot.test_moderation_teams as teams_driver
from qa.framework import PRESETS_DIR, Framework, FrameworkError, parse_framework, preset
from storage.closing import line_manager_of
from storage.models import AuditClosing, Case, Moderation, Person
from tests.bot.test_audit_teams import inputs, text_of
from tests.bot.test_moderation_slack import SlackModeration
from tests.bot.test_moderation_teams import find_action
from tests.bot.test_slack_events import all_text
from tests.handlers.audit_world import AAD_AUDITOR, SLACK_AUDITOR
from tests.handlers.moderation_world import aad_id, moderation_answers, moderations, slack_id
from tests.qa.preset_chat import PLATFORMS, Platform, PresetChat, preset_chat

CITY, WANDSWORTH = "city-of-london", "wandsworth"
FINDINGS_KEYS = {
    "first_name",
    "role",
    "reference",
    "auditor",
    "grade",
    "moderated",
    "domains",
    "recommendations",
    "more",
}


def _worker_and_manager(engine: Engine, case_id: int) -> tuple[int, int]:
    with Session(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.worker_id is not None
        manager = line_manager_of(session=session, person_id=case.worker_id)
        assert manager is not None and manager.id is not None
        return case.worker_id, manager.id


def _reach(chat: PresetChat, *person_ids: int) -> None:
    """Give these people chat ids (and a Teams conversation) so messages reach them."""
    with Session(chat.engine) as session:
        for pid in person_ids:
            person = session.get(Person, pid)
            assert person is not None
            person.slack_user_id, person.teams_user_id = slack_id(pid), aad_id(pid)
            if isinstance(chat.driver, teams_driver.TeamsModeration):
                person.teams_conversation = {
                    "serviceUrl": chat.driver.connector.url,
                    "conversation": {"id": f"a:chat-{aad_id(pid)}"},
                }
            session.add(person)
        session.commit()


def _chair(engine: Engine) -> Moderation:
    return next(r for r in moderations(engine) if r.is_chair)


# -- City of London ----------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_city_of_london_findings_to_worker_and_line_manager(
    platform: Platform,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Appendix 1: "Date sent to the allocated worker and line manager". Once the panel's
    chair decides (every review is moderated), the case's allocated worker and their
    line manager each get the findings: the case reference, the grades and the
    recommendations, nothing about the child; not before, not the reviewer, once."""
    with preset_chat(
        platform, CITY, db_url=db_url, engine=engine, now=now, monkeypatch=monkeypatch
    ) as chat:
        worker, manager = _worker_and_manager(engine, chat.world.audit.case_id)
        _reach(chat, worker, manager)
        chat.submit_audit("requires_improvement")
        chat.deliver()
        assert chat.queued("findings") == [], "not before the moderation decides"
        chat.moderate(_chair(engine), outcome="confirmed")
        chat.deliver()
        sent = chat.queued("findings")
        assert sorted(m.person_id or 0 for m in sent) == sorted([worker, manager])
        assert chat.world.audit.auditor_id not in {m.person_id for m in sent}
        for m in sent:
            assert set(m.context) == FINDINGS_KEYS
            assert m.context["reference"] == chat.world.audit.reference
            assert m.context["grade"] == "Requires Improvement" and m.context["moderated"]
            assert len(m.context["recommendations"]) == 2
        for pid in (worker, manager):
            [text] = [t for t in chat.texts_to(pid) if "findings" in t]
            assert chat.world.audit.reference in text and "Requires Improvement" in text
            assert "Recommendation 1" in text
        with Session(engine) as session:
            row = session.exec(select(AuditClosing)).one()
            assert row.findings_sent_at == now


def _closing_request(chat: PresetChat, lead: int) -> Any:
    if isinstance(chat.driver, SlackModeration):
        found = [m for m in chat.driver.sent_to(slack_id(lead)) if "closing block" in m["text"]]
    else:
        found = [
            card
            for call in chat.driver.sent_to(aad_id(lead))
            for card in call.cards
            if find_action(card, "closing.open")
        ]
    assert found, "the QA lead was asked to complete the closing block"
    return found[-1]


def _complete_closing(chat: PresetChat, lead: int, answers: dict[str, str]) -> dict[str, str]:
    """Press *Complete closing*, check what the form shows, submit `answers` over it;
    what the form showed filled in (field key -> value)."""
    request = _closing_request(chat, lead)
    if isinstance(chat.driver, SlackModeration):
        user = slack_id(lead)
        chat.driver.click(user, "closing.open", SlackModeration.button(request, "closing.open"))
        view = chat.driver.last_view("views.open")
        assert view["callback_id"] == "closing.submit"
        shown: dict[str, str] = {}
        for block in view["blocks"]:
            element = block.get("element", {})
            if "initial_date" in element:
                shown[block["block_id"]] = element["initial_date"]
            if "initial_option" in element:
                shown[block["block_id"]] = element["initial_option"]["value"]
        body = chat.driver.submit(user, view, {**shown, **answers})
        assert "errors" not in body, body
        return shown
    user = aad_id(lead)
    data = find_action(request, "closing.open")
    assert data is not None
    form = chat.driver.execute(data, user)
    submit = find_action(form.get("actions", []), "closing.submit")
    assert submit is not None
    shown = {k: v for k, v in inputs(form).items() if v}
    card = chat.driver.execute({**submit, **inputs(form), **answers}, user)
    assert "attention" not in text_of(card)
    return shown


@pytest.mark.parametrize("platform", PLATFORMS)
def test_city_of_london_closing_block(
    platform: Platform,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Appendix 1, "To be completed by Head of Safeguarding & Quality Assurance": once the
    review is moderated, the Head of Safeguarding & QA is asked in chat; the form asks
    the block's four questions as written, with the day the findings went and the panel
    already filled in; what they record is kept, and the request says it is done."""
    fw = preset(CITY)
    assert fw.closing is not None and fw.closing.role == "head_of_safeguarding"
    assert [q.label for q in fw.closing.questions] == [
        "Date sent to the allocated worker and line manager",
        "Date uploaded to Mosaic",
        "Date Recommendation Review Tracker Meeting to be held",
        "Was this audit reviewed by the Moderation Panel?",
    ]
    with preset_chat(
        platform,
        CITY,
        db_url=db_url,
        engine=engine,
        now=now,
        monkeypatch=monkeypatch,
        reach=["head_of_safeguarding"],
    ) as chat:
        worker, manager = _worker_and_manager(engine, chat.world.audit.case_id)
        _reach(chat, worker, manager)
        leads = chat.holders("head_of_safeguarding")
        lead = leads[0]
        chat.submit_audit("good")
        chat.deliver()
        assert chat.queued("closing_request") == [], "not before the moderation decides"
        chat.moderate(_chair(engine), outcome="confirmed")
        chat.deliver()
        assert sorted(m.person_id or 0 for m in chat.queued("closing_request")) == leads
        shown = _complete_closing(
            chat, lead, {"uploaded_to_mosaic": "2026-12-01", "tracker_meeting": "2027-01-12"}
        )
        assert shown == {"sent_to_worker": "2026-12-01", "moderation_panel": "yes"}
        chat.deliver()
        with Session(engine) as session:
            row = session.exec(select(AuditClosing)).one()
            assert row.answers == {
                "sent_to_worker": "2026-12-01",
                "uploaded_to_mosaic": "2026-12-01",
                "tracker_meeting": "2027-01-12",
                "moderation_panel": "yes",
            }
            assert row.closed_by_id == lead and row.closed_at == now
        edits = [m for m in chat.queued("closing_request") if (m.context or {}).get("update_of")]
        assert edits and edits[-1].context["item"]["state"]["what"] == "closed"
        assert edits[-1].status == "sent", "the request was edited where it was sent"
        if isinstance(chat.driver, SlackModeration):
            updated = [all_text(c.params) for c in chat.driver.slack.calls_to("chat.update")]
        else:
            updated = [str(c.body) for c in chat.driver.connector.calls_to("update")]
        assert any("Closing block completed by" in t for t in updated)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_city_of_london_closing_block_is_for_the_qa_lead_only(
    platform: Platform,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A closing request's button pressed by someone else records nothing."""
    with preset_chat(
        platform,
        CITY,
        db_url=db_url,
        engine=engine,
        now=now,
        monkeypatch=monkeypatch,
        reach=["head_of_safeguarding"],
    ) as chat:
        lead = chat.holders("head_of_safeguarding")[0]
        chat.submit_audit("good")
        chat.moderate(_chair(engine), outcome="confirmed")
        chat.deliver()
        request = _closing_request(chat, lead)
        auditor = chat.world.audit.auditor_id
        if isinstance(chat.driver, SlackModeration):
            before = len(chat.driver.slack.calls_to("views.open"))
            chat.driver.click(
                SLACK_AUDITOR,
                "closing.open",
                SlackModeration.button(request, "closing.open"),
            )
            assert len(chat.driver.slack.calls_to("views.open")) == before
        else:
            data = find_action(request, "closing.open")
            assert data is not None
            card = chat.driver.execute(data, AAD_AUDITOR)
            assert "for the QA lead to complete" in text_of(card)
        assert auditor != lead
        with Session(engine) as session:
            row = session.exec(select(AuditClosing)).one()
            assert row.closed_at is None and row.answers == {}


# -- Wandsworth ------------------------------------------------------------------------


def _sampled(share: float) -> Framework:
    fw = preset(WANDSWORTH)
    return fw.model_copy(
        update={"moderation": fw.moderation.model_copy(update={"sample_share": share})}
    )


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("dip_sampled", [False, True])
def test_wandsworth_findings_to_worker_and_line_manager_for_supervision(
    platform: Platform,
    dip_sampled: bool,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """32: recommendations are "discussed between the team manager and social worker in
    supervision": the social worker and their line manager get the findings when the
    audit is final: at once when it is not dip sampled for moderation, else after."""
    with preset_chat(
        platform,
        WANDSWORTH,
        db_url=db_url,
        engine=engine,
        now=now,
        monkeypatch=monkeypatch,
        framework=_sampled(1.0 if dip_sampled else 0.0),
    ) as chat:
        worker, manager = _worker_and_manager(engine, chat.world.audit.case_id)
        _reach(chat, worker, manager)
        chat.submit_audit("requires_improvement")
        chat.deliver()
        if dip_sampled:
            assert chat.queued("findings") == []
            [row] = moderations(engine)
            chat.moderate(row, outcome="confirmed")
            chat.deliver()
        else:
            assert moderations(engine) == []
        sent = chat.queued("findings")
        assert sorted(m.person_id or 0 for m in sent) == sorted([worker, manager])
        assert {m.context["moderated"] for m in sent} == {dip_sampled}
        assert {m.context["role"] for m in sent} == {"worker", "line_manager"}
        for pid in (worker, manager):
            assert any(chat.world.audit.reference in t for t in chat.texts_to(pid))
        assert chat.queued("closing_request") == [], "Wandsworth has no closing block"


def _regrade_the_domain(grade: str) -> Any:
    """Moderation answers that disagree with the (one) domain grade, confirm the rest."""

    def answers(step: Any, **kwargs: Any) -> dict[str, Any]:
        values = moderation_answers(step, **kwargs)
        keys = {f.key for f in step.fields}
        if "mod.practice.agree" in keys:
            values["mod.practice.agree"] = "no"
            values["mod.practice.grade"] = grade
            values["mod.practice.why"] = "The evidence supports a different grade here."
        return values

    return answers


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("amended", ["domain_grade", "actions"])
def test_wandsworth_feedback_when_findings_amended_with_the_grade_unchanged(
    platform: Platform,
    amended: str,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """29: "Peer auditors are given feedback if their findings or grades are amended
    through moderation": the overall grade confirmed, but a domain regraded or actions
    added, the auditor is told, and sees the domain grade that changed."""
    if amended == "domain_grade":
        fake = _regrade_the_domain("inadequate")
        monkeypatch.setattr(slack_driver, "moderation_answers", fake)
        monkeypatch.setattr(teams_driver, "moderation_answers", fake)
    with preset_chat(
        platform,
        WANDSWORTH,
        db_url=db_url,
        engine=engine,
        now=now,
        monkeypatch=monkeypatch,
        framework=_sampled(1.0),
    ) as chat:
        chat.submit_audit("good")
        [row] = moderations(engine)
        extra = {"actions": 1} if amended == "actions" else {}
        chat.moderate(row, outcome="confirmed", **extra)
        chat.deliver()
        assert chat.the_audit().status == "final" and chat.the_audit().final_grade == "good"
        auditor = chat.world.audit.auditor_id
        told = chat.queued("moderation_outcome")
        assert [m.person_id for m in told] == [auditor]
        [text] = [t for t in chat.texts_to(auditor) if "moderated" in t]
        assert "is confirmed" in text
        if amended == "domain_grade":
            assert "changed" in text and "Inadequate" in text
        else:
            assert "1 action arising" in text


# -- where the framework is silent ------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_camden_sends_no_findings_and_asks_no_closing_block(
    platform: Platform,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Camden's framework sends no findings to the worker or line manager and has no
    closing block: a moderated learning conversation sends neither."""
    fw = preset("camden")
    assert fw.findings.send_to == [] and fw.closing is None
    assert preset("lambeth").findings.send_to == [] and preset("lambeth").closing is None
    with preset_chat(
        platform, "camden", db_url=db_url, engine=engine, now=now, monkeypatch=monkeypatch
    ) as chat:
        worker, manager = _worker_and_manager(engine, chat.world.audit.case_id)
        _reach(chat, worker, manager)
        chat.submit_audit("inadequate")
        [row] = moderations(engine)
        chat.moderate(row, outcome="confirmed")
        chat.deliver()
        assert chat.the_audit().status == "final"
        assert chat.queued("findings") == [] and chat.queued("closing_request") == []
        with Session(engine) as session:
            assert session.exec(select(AuditClosing)).all() == []


def test_findings_and_closing_keys_are_checked() -> None:
    """A recipient the bot does not know, or a closing role the file does not define, is
    refused with the line; a file without either key loads as before (nothing sent)."""
    text = (PRESETS_DIR / "wandsworth.yml").read_text(encoding="utf-8")
    bad = text.replace("send_to: [worker, line_manager]", "send_to: [worker, director]")
    with pytest.raises(FrameworkError) as refused:
        parse_framework(bad, filename="wandsworth.yml")
    assert "findings" in str(refused.value) and "send_to" in str(refused.value)
    city = (PRESETS_DIR / "city-of-london.yml").read_text(encoding="utf-8")
    wrong_role = city.replace("  role: head_of_safeguarding\n", "  role: head_of_qa\n", 1)
    with pytest.raises(FrameworkError) as refused:
        parse_framework(wrong_role, filename="city-of-london.yml")
    assert "head_of_qa" in str(refused.value)
    start = city.index("\nfindings:\n")
    end = city.index("\nreminders:")
    older = parse_framework(city[:start] + city[end:], filename="older.yml")
    assert older.findings.send_to == [] and older.closing is None


@pytest.mark.parametrize("platform", PLATFORMS)
def test_wandsworth_findings_follow_the_line_chain_past_a_manager_who_left(
    platform: Platform,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker's line manager has left: the findings go to the next manager up the
    line-management chain, not nowhere."""
    with preset_chat(
        platform,
        WANDSWORTH,
        db_url=db_url,
        engine=engine,
        now=now,
        monkeypatch=monkeypatch,
        framework=_sampled(0.0),
    ) as chat:
        worker, gone_manager = _worker_and_manager(engine, chat.world.audit.case_id)
        with Session(engine) as session:
            left = session.get(Person, gone_manager)
            assert left is not None and left.line_manager_id is not None
            above = left.line_manager_id
            left.active = False
            session.add(left)
            session.commit()
        assert above != chat.world.audit.auditor_id
        _reach(chat, worker, above)
        chat.submit_audit("good")
        chat.deliver()
        sent = chat.queued("findings")
        assert sorted(m.person_id or 0 for m in sent) == sorted([worker, above])
        assert any(chat.world.audit.reference in t for t in chat.texts_to(above))
