"""The QA lead's moderation summary (issue 15), through the outbox to Slack and Teams.

Camden following the figures: last month moderators changed both of one auditor's
grades and disagreed with both grades of one domain. The monthly `moderation_focus`
job (run at a frozen time after the allocation day) tells the QA lead, in chat, that
the domain and the auditor get a larger share moderated and why, once; with the
option off it says nothing. No case reference is in the message.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.composition import jobs
from qa.framework import Framework
from reminders.jobs import JobContext, JobResult
from storage.models import Audit, Case, Moderation, Person
from tests.chat import all_text, app_client, deliver, slack_settings, teams_settings
from tests.dispatching import LONDON
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_api import FakeSlack
from tests.handlers.moderation_world import ModerationWorld, seed_moderation_world

AFTER_ALLOCATION = datetime(2026, 12, 15, 10, 0, tzinfo=UTC)
LAST_MONTH = datetime(2026, 11, 10, 11, 0, tzinfo=UTC)
LEAD_SLACK, LEAD_AAD = "U0LEAD0001", "cccccccc-0000-0000-0000-000000000001"


def following(framework: Framework, on: bool = True) -> Framework:
    policy = framework.moderation.model_copy(update={"follow_figures": on})
    return framework.model_copy(update={"moderation": policy})


def seed(engine: Engine, now: datetime, *, on: bool = True) -> tuple[ModerationWorld, str, str]:
    """The world, two regraded moderations last month, and the QA lead in chat; the
    auditor's name and the regraded domain's label."""
    world = seed_moderation_world(engine, now, "camden")
    world = replace(world, audit=replace(world.audit, framework=following(world.framework, on)))
    fw = world.framework
    domain = fw.audit_form.domains[0]
    with Session(engine) as session:
        case = session.get(Case, world.audit.case_id)
        assert case is not None
        for _ in range(2):
            audit = Audit(
                case_id=case.id or 0,
                auditor_id=world.audit.auditor_id,
                domain_grades={domain.key: "good"},
                overall_grade="good",
                final_grade="requires_improvement",
                status="final",
                created_at=LAST_MONTH,
                updated_at=LAST_MONTH,
            )
            session.add(audit)
            session.flush()
            answers = {
                "answers": {
                    "grades": {
                        f"mod.{domain.key}.agree": "no",
                        f"mod.{domain.key}.grade": "requires_improvement",
                    }
                }
            }
            session.add(
                Moderation(
                    audit_id=audit.id or 0,
                    moderator_id=world.moderator_ids[0],
                    month="2026-11",
                    answers=answers,
                    outcome="regraded",
                    moderated_grade="requires_improvement",
                    status="completed",
                    due_on=LAST_MONTH.date(),
                    completed_at=LAST_MONTH,
                    created_at=LAST_MONTH,
                )
            )
        people = session.exec(select(Person).where(col(Person.active)).order_by(col(Person.id)))
        lead = next(p for p in people if fw.qa_lead_role in (p.roles or []))
        lead.slack_user_id, lead.teams_user_id = LEAD_SLACK, LEAD_AAD
        auditor = session.get(Person, world.audit.auditor_id)
        assert auditor is not None
        session.add(lead)
        session.commit()
        return world, auditor.name, domain.label


def run_focus(engine: Engine, framework: Framework) -> JobResult:
    with Session(engine) as session:
        ctx = JobContext(session=session, framework=framework, tz=LONDON, now=AFTER_ALLOCATION)
        result = jobs()["moderation_focus"].run(ctx)
        session.commit()
    return result


def to_lead(slack: FakeSlack) -> list[str]:
    return [
        all_text(c.params)
        for c in slack.calls_to("chat.postMessage")
        if c.params.get("channel") in (LEAD_SLACK, f"D{LEAD_SLACK}")
        and "where the figures point" in all_text(c.params)
    ]


def test_slack_the_qa_lead_is_told_where_the_figures_raise_the_share_and_why(
    engine: Engine, slack: FakeSlack, db_url: str, now: datetime
) -> None:
    world, auditor, label = seed(engine, now)
    settings = slack_settings(db_url, slack.url)
    with app_client(settings, engine, AFTER_ALLOCATION, framework=world.framework) as api:
        assert run_focus(engine, world.framework).enqueued == 1
        assert run_focus(engine, world.framework).enqueued == 0, "once a month"
        deliver(api)
    [text] = to_lead(slack)
    assert f"{label}: up to" in text and "agreed with its grade in 0 of 2" in text
    assert f"{auditor}: up to" in text and "changed in 2 of 2" in text
    assert world.audit.reference not in text


def test_teams_the_qa_lead_is_told_too(
    engine: Engine, connector: FakeConnector, db_url: str, now: datetime
) -> None:
    world, auditor, label = seed(engine, now)
    with Session(engine) as session:
        lead = session.exec(select(Person).where(Person.teams_user_id == LEAD_AAD)).one()
        lead.teams_conversation = {
            "serviceUrl": connector.url,
            "conversation": {"id": f"a:chat-{LEAD_AAD}"},
        }
        session.add(lead)
        session.commit()
    settings = teams_settings(db_url, QA_BOT_FRAMEWORK="camden")
    with app_client(settings, engine, AFTER_ALLOCATION, framework=world.framework) as api:
        assert run_focus(engine, world.framework).enqueued == 1
        deliver(api)
    sent = [c for c in connector.messages() if c.conversation_id == f"a:chat-{LEAD_AAD}"]
    [call] = [c for c in sent if "where the figures point" in c.all_text]
    assert f"{auditor}: up to" in call.all_text and "changed in 2 of 2" in call.all_text
    assert label in call.all_text


def test_with_the_option_off_nothing_is_sent(engine: Engine, now: datetime) -> None:
    world, _, _ = seed(engine, now, on=False)
    assert run_focus(engine, world.framework).enqueued == 0
