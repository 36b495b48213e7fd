"""City of London's framework as written (docs/frameworks/city-of-london.md), per rule.

Each test loads the shipped preset and checks the rule's effect: the review dialog, the
allocation engine over a year, the calendar over a year, or a review submitted in Slack
and in Teams.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from qa.dialog import Dialog
from qa.forms import build_audit_dialog
from qa.framework import preset
from qa.grading import escalations_for
from qa.working_days import Month
from tests.handlers.moderation_world import moderations
from tests.qa.allocation_authorities import department, months_from, simulate
from tests.qa.preset_chat import PLATFORMS, Platform, preset_chat
from tests.qa.preset_year import reminders_over_a_year

NAME = "city-of-london"


def _dialog() -> Dialog:
    fw = preset(NAME)
    return build_audit_dialog(fw, fw.area_keys[0], case_reference="REF-1")


def test_city_of_london_no_escalation_deadlines() -> None:
    """Neither edition escalates by grade: every review is moderated and tracked."""
    fw = preset(NAME)
    assert fw.escalation.grades == []
    for grade in fw.grade_keys:
        assert (
            escalations_for(
                fw,
                grade=grade,
                audit_id=1,
                service_ad_ids=[],
                role_holders={"head_of_service": [2], "head_of_safeguarding": [3]},
                now=datetime(2026, 12, 1, 10, tzinfo=UTC),
                tz=ZoneInfo("Europe/London"),
            )
            == ()
        )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_city_of_london_review_in_chat_asks_the_template_and_escalates_nothing(
    platform: Platform,
    db_url: str,
    engine: Engine,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Requires Improvement review submitted in chat answered the identity check and
    the template's own free text only; it goes to the chaired panel, and nobody is asked
    for remedial action by a deadline (the old preset sent 14-day requests)."""
    with preset_chat(
        platform,
        NAME,
        db_url=db_url,
        engine=engine,
        now=now,
        monkeypatch=monkeypatch,
        reach=["head_of_service", "head_of_safeguarding"],
    ) as chat:
        chat.submit_audit("requires_improvement")
        chat.deliver()
        answers = chat.the_audit().answers["answers"]
        assert "checklist.identity_recorded.answer" in answers["checklist"]
        assert sorted(answers["narrative"]) == ["narrative.summary", "narrative.theme"]
        assert chat.escalations() == [] and chat.queued("escalation_request") == []
        rows = moderations(engine)
        assert [r.is_chair for r in rows].count(True) == 1
        chair = next(r.moderator_id for r in rows if r.is_chair)
        assert any("Moderate" in t for t in chat.texts_to(chair))


def test_city_of_london_ethnicity_religion_and_additional_needs_check() -> None:
    """Per "Evidencing Anti-Racist Practice", the backgrounds and needs must be clear,
    "or are raised as a recommendation"; the reviewer is asked, with an action beside it."""
    step = _dialog().step("checklist")
    labels = {f.key: f.label for f in step.fields}
    label = labels["checklist.identity_recorded.answer"]
    assert "ethnic and religious backgrounds" in label and "additional needs" in label
    assert "recommendation" in label
    assert "checklist.identity_recorded.action" in labels


def test_city_of_london_practice_standards_as_written() -> None:
    labels = [i.label for i in preset(NAME).audit_form.checklist]
    assert labels[:7] == [
        "Basic Details are up to date on the system",
        "Visits are undertaken in expected/statutory timescales",
        "Child(ren) are seen alone where required",
        "Is the recording updated on the file in line with Practice Standards",
        "Supervision is provided in line with expected frequency",
        "There is evidence of management oversight and supervision driving positive "
        "outcomes for children",
        "There is an up to date (within the last 3 months) Chronology on file",
    ]


QUESTIONS = {
    "Journey of the Child": [
        "Where allocated, does the Independent Chair ensure that plans address",
        "Feedback from children and their families about the effectiveness",
    ],
    "Identification of needs, provision of support, and outcomes": [
        "Are the details set out on the MARF proportionately and accurately",
    ],
    "Management oversight, influence, and direction": [
        "Where requires is the local authority acting as an active, strong",
    ],
    "Understanding of Identity and impact on practice": [
        "Does the work embed the aspirations of the Anti-Racism Practice Standards",
    ],
    "Impact and quality of multi-agency work, involvement of partners and community services": [
        "including Independent Visitors as appropriate",
    ],
}


def test_city_of_london_section_questions_as_written_not_condensed() -> None:
    """Appendix 1, sections 1-5: the questions are shown to the reviewer in full."""
    step = _dialog().step("domains")
    help_of = {g.label: g.help for g in step.groups}
    assert list(help_of) == list(QUESTIONS)
    for section, phrases in QUESTIONS.items():
        for phrase in phrases:
            assert phrase in help_of[section], (section, phrase)


def test_city_of_london_no_invented_prompts() -> None:
    """Only the template's free text: the theme and the summary of findings (section 7),
    with what the reviewer should weigh, as written."""
    narrative = preset(NAME).audit_form.narrative
    assert [p.key for p in narrative] == ["theme", "summary"]
    summary = narrative[1].label
    for consideration in (
        "the help provided has improved outcomes",
        "other agencies have contributed to improving outcomes",
        "professional curiosity is evidenced",
        "systemic thinking and practice has been applied",
        "management grip is demonstrated",
    ):
        assert consideration in summary


def test_city_of_london_reviews_only_in_the_two_windows_over_a_year() -> None:
    fw = preset(NAME)
    authority = department(
        fw, services=1, teams_per_service=1, workers_per_team=5, cases_per_worker=6
    )
    y = simulate(fw, authority, months_from(Month(2024, 10), 12))
    busy = {m.month for m, plan in y.plans.items() if plan.allocations}
    assert busy == {4, 5, 10, 11}


def test_city_of_london_achieving_excellence_board_sits_quarterly() -> None:
    """2023 Timeline: the Board in March, June, September and December."""
    dues = reminders_over_a_year(preset(NAME))
    board = {d.month.month for d in dues if d.activity == "Achieving Excellence Board"}
    assert board == {3, 6, 9, 12}
    follow_ups = {d.month.month for d in dues if d.kind == "follow_up"}
    assert follow_ups == {6, 12}
