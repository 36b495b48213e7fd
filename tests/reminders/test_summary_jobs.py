"""The summary jobs at frozen times: once on the day, never on others, caught up once.

`post_summary` runs on the framework's summary day (the 3rd working day, 09:00 local):
one message per governance channel for last month. `weekly_tracking` and
`quarterly_analysis` send managers and the Director their figures. Every run is a
reconciler, so ticks before, after and again change nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.composition import jobs as all_jobs
from qa.framework import Framework, GovernanceChannel, load_framework
from reminders.jobs import Job
from reminders.schedule import Ticker
from reminders.summary import (
    POST_SUMMARY,
    QUARTERLY_ANALYSIS,
    WEEKLY_TRACKING,
    latest_due_month,
    small_number_threshold,
    weekly_day,
)
from storage.models import OutboxMessage, Person
from tests.storage.report_seed import Seeded, seed

LONDON = ZoneInfo("Europe/London")


def framework(**summary: Any) -> Framework:
    fw = load_framework("tests/data/framework-small.yml")
    return fw.model_copy(update={"summary": fw.summary.model_copy(update=summary)})


def with_channels(fw: Framework, *keys: str) -> Framework:
    channels = [
        GovernanceChannel(key=k, name=f"Board {k}", addresses={"slack": f"C{k}"}) for k in keys
    ]
    return fw.model_copy(update={"governance": channels})


def ticker(engine: Engine, fw: Framework, job: Job) -> Ticker:
    return Ticker(engine=engine, framework=fw, tz=LONDON, jobs={job.name: job})


def messages(engine: Engine, template: str | None = None) -> list[OutboxMessage]:
    with Session(engine) as s:
        rows = s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
    return [m for m in rows if template is None or m.template == template]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    with Session(engine) as session:
        out = seed(session)
        session.commit()
    return out


def test_the_jobs_are_registered_with_the_product() -> None:
    jobs = all_jobs()
    assert {"post_summary", "weekly_tracking", "quarterly_analysis"} <= set(jobs)


# -- the monthly post ---------------------------------------------------------------------


def test_the_summary_is_queued_once_at_nine_on_the_third_working_day(engine: Engine) -> None:
    # December 2026: Tuesday 1, Wednesday 2, Thursday 3 is the third working day (GMT).
    t = ticker(engine, framework(), POST_SUMMARY)
    for now in (utc(2026, 12, 1, 9, 1), utc(2026, 12, 2, 9, 1), utc(2026, 12, 3, 8, 59)):
        t.tick(now)
        assert messages(engine) == []
    t.tick(utc(2026, 12, 3, 9, 1))
    (posted,) = messages(engine)
    assert (posted.template, posted.channel) == ("summary_post", "board")
    assert posted.idempotency_key == "summary:board:2026-11"
    assert posted.context["month"] == "November 2026"
    for now in (utc(2026, 12, 3, 9, 30), utc(2026, 12, 4, 9, 1), utc(2026, 12, 7, 9, 1)):
        t.tick(now)
    assert len(messages(engine)) == 1


def test_a_summary_day_missed_while_down_is_caught_up_once(engine: Engine) -> None:
    t = ticker(engine, framework(), POST_SUMMARY)
    t.tick(utc(2026, 11, 4, 9, 1))  # October's summary, on Wednesday 4 November
    t.tick(utc(2026, 12, 2, 12, 0))  # then down over Thursday 3 December
    report = t.tick(utc(2026, 12, 8, 10, 0))
    assert [name for name, _ in report.ran] == ["post_summary"]
    t.tick(utc(2026, 12, 8, 10, 1))
    keys = [m.idempotency_key for m in messages(engine)]
    assert keys == ["summary:board:2026-10", "summary:board:2026-11"]


def test_bank_holidays_move_the_summary_day(engine: Engine, seeded: Seeded) -> None:
    # April 2026: Good Friday (3rd) and Easter Monday (6th) are bank holidays, so the
    # third working day is Tuesday 7 April, 09:00 BST (08:00 UTC).
    t = ticker(engine, framework(), POST_SUMMARY)
    t.tick(utc(2026, 4, 6, 12, 0))
    assert messages(engine) == []
    t.tick(utc(2026, 4, 7, 8, 1))
    (posted,) = messages(engine)
    assert posted.idempotency_key == "summary:board:2026-03"


def test_the_post_holds_the_per_domain_table_and_aggregates_only(
    engine: Engine, seeded: Seeded
) -> None:
    ticker(engine, framework(), POST_SUMMARY).run_job(POST_SUMMARY, now=utc(2026, 4, 7, 8, 1))
    (posted,) = messages(engine)
    context = posted.context
    table = context["table"]
    assert [r["label"] for r in table["rows"]] == ["Overall grade", "Assessment", "Planning"]
    assert table["columns"][1:5] == ["Outstanding", "Good", "Requires Improvement", "Inadequate"]
    overall = {c["name"]: c["value"] for c in table["rows"][0]["cells"]}
    # The authority's own grade mix is shown in full (suppression is for teams).
    assert overall["Outstanding"] == "2 (17%)" and overall["Good or better"] == "8 (67%)"
    assert context["chart"] == {"month": "2026-03", "as_of": "2026-03-31", "threshold": 5}
    text = json.dumps(context)
    for secret in [*seeded.names, *seeded.references, "CR-778899", "Tallulah"]:
        assert secret not in text


def test_the_post_lists_services_and_leaves_teams_to_the_report_s_appendix(
    engine: Engine, seeded: Seeded
) -> None:
    """Issue 17: the board read lines of team figures, most of them 'fewer than 5'."""
    by_team = framework(group_by=["service", "team", "domain"])
    ticker(engine, by_team, POST_SUMMARY).run_job(POST_SUMMARY, now=utc(2026, 4, 7, 8, 1))
    (posted,) = messages(engine)
    scopes = [s["scope"] for s in posted.context["scopes"]]
    assert scopes and all(s.startswith("Service: ") for s in scopes), scopes


def test_one_message_per_channel_it_is_posted_to(engine: Engine) -> None:
    every = with_channels(framework(), "qa", "sam")
    ticker(engine, every, POST_SUMMARY).run_job(POST_SUMMARY, now=utc(2026, 12, 3, 9, 1))
    assert sorted(m.channel or "" for m in messages(engine)) == ["qa", "sam"]
    only = with_channels(framework(post_to=["sam"]), "qa", "sam")
    ticker(engine, only, POST_SUMMARY).run_job(POST_SUMMARY, now=utc(2027, 1, 6, 9, 1))
    assert [m.idempotency_key for m in messages(engine)][-1:] == ["summary:sam:2026-12"]
    assert len(messages(engine)) == 3


def test_the_month_due_is_last_month_from_the_summary_day(engine: Engine) -> None:
    fw = framework()
    assert latest_due_month(fw, utc(2026, 12, 3, 8, 59), LONDON).key == "2026-10"
    assert latest_due_month(fw, utc(2026, 12, 3, 9, 0), LONDON).key == "2026-11"


def test_the_channel_threshold_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QA_BOT_SMALL_NUMBER_THRESHOLD", raising=False)
    assert small_number_threshold() == 5
    monkeypatch.setenv("QA_BOT_SMALL_NUMBER_THRESHOLD", "10")
    assert small_number_threshold() == 10
    monkeypatch.setenv("QA_BOT_SMALL_NUMBER_THRESHOLD", "0")
    assert small_number_threshold() == 5  # never below the safe default by mistake


# -- weekly tracking and the quarterly analysis -------------------------------------------------


def test_each_manager_gets_their_teams_figures_on_monday(engine: Engine, seeded: Seeded) -> None:
    fw = framework(weekly_tracking_roles=["team_manager"], weekly_tracking_weekday="mon")
    t = ticker(engine, fw, WEEKLY_TRACKING)
    t.tick(utc(2026, 3, 15, 12, 0))  # Sunday
    t.tick(utc(2026, 3, 16, 8, 59))
    assert messages(engine) == []
    t.tick(utc(2026, 3, 16, 9, 1))  # Monday 16 March, 09:00 GMT
    t.tick(utc(2026, 3, 17, 9, 1))
    sent = messages(engine, "weekly_tracking")
    assert len(sent) == 4  # one manager in each of the four teams
    mine = next(m for m in sent if m.person_id == seeded.people["A"])
    assert mine.idempotency_key == f"weekly_tracking:{seeded.people['A']}:2026-W12"
    assert mine.context["scope"] == "Team: A" and mine.context["month"] == "March 2026"
    facts = {f["label"]: f["value"] for f in mine.context["facts"]}
    assert facts["Audits completed"] == "3"  # team A's three, every number shown to them
    assert all(name not in json.dumps(mine.context) for name in seeded.names[1:])


def test_weekly_tracking_moves_past_a_bank_holiday(engine: Engine) -> None:
    fw = framework(weekly_tracking_roles=["team_manager"])
    assert weekly_day(fw, date(2026, 4, 8)) == date(2026, 4, 7)  # Easter Monday: Tuesday
    assert weekly_day(fw, date(2026, 3, 18)) == date(2026, 3, 16)
    assert not WEEKLY_TRACKING.on(framework(), date(2026, 3, 16))  # no roles: never


def test_the_director_gets_the_quarterly_analysis_in_its_months(
    engine: Engine, seeded: Seeded
) -> None:
    with Session(engine) as s:
        director = Person(
            email="director@council.gov.uk", name="Morgan Director", roles=["director"],
            created_at=utc(2024, 1, 1), updated_at=utc(2024, 1, 1),
        )  # fmt: skip
        s.add(director)
        s.commit()
        director_id = director.id
    fw = framework(quarterly_analysis_roles=["director"], quarterly_analysis_months=[4])
    t = ticker(engine, fw, QUARTERLY_ANALYSIS)
    t.tick(utc(2026, 4, 6, 12, 0))
    t.tick(utc(2026, 4, 7, 8, 1))  # the summary day of April, 09:00 BST
    t.tick(utc(2026, 5, 7, 8, 1))  # May is not one of its months
    (sent,) = messages(engine, "quarterly_analysis")
    assert sent.person_id == director_id
    assert sent.idempotency_key == f"quarterly_analysis:{director_id}:2026-03"
    assert sent.context["period"] == "January to March 2026"
    assert sent.context["scope"] == "All services"
    assert [m["month"] for m in sent.context["months"]] == [
        "January 2026",
        "February 2026",
        "March 2026",
    ]
    text = json.dumps(sent.context)
    assert all(secret not in text for secret in [*seeded.names, *seeded.references])


def test_the_post_carries_the_authority_s_agreement_with_n_and_the_trend(
    engine: Engine, seeded: Seeded
) -> None:
    """March's four moderated overall grades (tests/qa/report_dataset.py): (R, G),
    (I, I), (O, O), (G, R). Exact 2/4 = 50%, within one 4/4 = 100%.
    Kappa: both raters use each grade once, so pe = (1/16) * (sum of all 16 quadratic
    weights = 104/9) = 13/18; po = (8/9 + 1 + 1 + 8/9) / 4 = 17/18;
    kappa = (17/18 - 13/18) / (5/18) = 0.80. AC1: every mean share 1/4, so
    pe = (4 * 3/16) / 3 = 1/4 and AC1 = (1/2 - 1/4) / (3/4) = 0.33.
    The seeded moderations answered no domain questions: the domains say n 0, n/a."""
    ticker(engine, framework(), POST_SUMMARY).run_job(POST_SUMMARY, now=utc(2026, 4, 7, 8, 1))
    (posted,) = messages(engine)
    agreement = posted.context["agreement"]
    assert agreement["lines"][0] == {
        "label": "Overall grade",
        "n": "4",
        "exact": "50%",
        "within_one": "100%",
        "kappa": "0.80",
        "ac1": "0.33",
    }
    assert agreement["lines"][1]["label"] == "Assessment" and agreement["lines"][1]["n"] == "0"
    assert agreement["lines"][1]["kappa"] == "n/a"
    trend = agreement["trend"]
    assert [t["label"] for t in trend][-2:] == ["February 2026", "March 2026"]
    assert len(trend) == 12 and trend[-1]["n"] == "4" and trend[-2]["n"] == "0"
    assert agreement["year_line"]["label"] == "April 2025 to March 2026"


def test_agreement_is_suppressed_when_the_framework_protects_the_authority_s_figures(
    engine: Engine, seeded: Seeded
) -> None:
    fw = framework(suppress_from="authority")
    ticker(engine, fw, POST_SUMMARY).run_job(POST_SUMMARY, now=utc(2026, 4, 7, 8, 1))
    (posted,) = messages(engine)
    overall = posted.context["agreement"]["lines"][0]
    assert overall["n"] == "fewer than 5"
    assert {overall[k] for k in ("exact", "within_one", "kappa", "ac1")} == {"not shown"}
