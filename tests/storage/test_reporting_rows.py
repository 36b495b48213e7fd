"""The summary's rows from the database: the same figures as the hand-worked rows.

tests/storage/report_seed.py stores the month of tests/qa/report_dataset.py the way
the features would have; `storage.reporting` must read it back into rows whose
summary is exactly the summary of the hand-written rows, in a fixed handful of
queries, with local dates and the rows that must not count left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session

from qa.framework import Framework, load_framework
from qa.reporting import summary
from qa.working_days import Month
from storage.reporting import ReportRows, load_summary, report_rows
from tests.qa import report_dataset as data
from tests.storage.report_seed import Seeded, seed

LONDON = ZoneInfo("Europe/London")
SPAN = (Month(2025, 3), data.MARCH)


@pytest.fixture(scope="module")
def small() -> Framework:
    return load_framework("tests/data/framework-small.yml")


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    with Session(engine) as session:
        out = seed(session)
        session.commit()
    return out


@pytest.fixture
def session(engine: Engine, seeded: Seeded) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


def rows_of(session: Session, fw: Framework, **kw: Any) -> ReportRows:
    return report_rows(session=session, framework=fw, first=SPAN[0], last=SPAN[1], tz=LONDON, **kw)


def test_the_summary_from_the_database_is_the_summary_of_the_hand_worked_rows(
    session: Session, small: Framework
) -> None:
    for threshold in (1, 5):
        expected = summary(
            small, data.MARCH, data.audits(), data.allocations(), data.recommendations(),
            data.escalations(), threshold=threshold, today=data.TODAY,
        )  # fmt: skip
        stored = load_summary(
            session=session, framework=small, month=data.MARCH, tz=LONDON,
            today=data.TODAY, threshold=threshold,
        )  # fmt: skip
        # The agreement figures come from the moderation rows, which the hand-worked
        # rows do not carry; everything else is the same summary.
        assert replace(stored, agreement=None) == expected
        assert stored.agreement is not None
        assert stored.agreement.lines[0].n.value == expected.moderation.agreed.base.value == 4
    everyone = stored.how_well[0].rows[0]
    assert everyone.good_or_better.text == "67%" and stored.how_much.audits.text == "12"


def test_the_rows_are_read_in_six_queries(engine: Engine, seeded: Seeded, small: Framework) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as s:
            rows_of(s, small)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([q for q in statements if q.lstrip().upper().startswith("SELECT")]) == 6


def test_moderation_regrading_panels_and_re_audits_become_row_fields(
    session: Session, seeded: Seeded, small: Framework
) -> None:
    by_id = {a.audit_id: a for a in rows_of(session, small).audits}
    row = {n: by_id[seeded.audits[n]] for n in (3, 4, 5, 6, 8, 9, 12)}
    assert (row[3].moderated, row[3].moderation_agreed, row[3].grade_change) == (True, False, 1)
    assert row[3].grade == "good" and row[3].overall_grade == "requires_improvement"
    assert (row[9].grade_change, row[9].grade) == (-1, "requires_improvement")
    assert row[4].moderation_agreed is True and row[4].final_grade == "inadequate"
    assert row[6].moderation_agreed is True  # the panel's chair confirmed; a member did not
    assert row[5].moderated is False  # its moderation is only assigned
    assert row[8].reaudit_of_grade == "requires_improvement"  # the grade after moderation
    assert row[12].reaudit_of_grade == "good" and row[12].month == data.MARCH  # 23:30 BST
    assert row[3].reaudit_of_grade is None
    assert (row[3].service, row[3].team, row[3].area) == ("North", "A", "Early Help")
    assert by_id[seeded.audits[200]].month == Month(2025, 10)  # 00:30 BST on 1 October


def test_what_must_not_count_is_left_out(session: Session, small: Framework) -> None:
    rows = rows_of(session, small)
    assert sum(a.month == data.MARCH for a in rows.audits) == 12  # no draft, return, April
    march_deadlines = [e for e in data.escalations() if e.deadline <= data.MARCH.last]
    assert sorted((e.created_on, e.deadline, e.responded_on) for e in rows.escalations) == sorted(
        (e.created_on, e.deadline, e.responded_on) for e in march_deadlines
    )  # the one due at 00:30 BST on 1 April is April's
    assert sorted((r.opened_on, r.due_on, r.completed_on) for r in rows.recommendations) == sorted(
        (r.opened_on, r.due_on, r.completed_on) for r in data.recommendations()
    )
    assert all(r.completed_on != date(2026, 3, 31) for r in rows.recommendations)


def test_a_teams_rows_are_its_own_work(session: Session, seeded: Seeded, small: Framework) -> None:
    rows = rows_of(session, small, teams=[seeded.teams["A"]])
    assert {a.team for a in rows.audits} == {"A"}
    march = [a for a in rows.audits if a.month == data.MARCH]
    assert len(march) == 3
    # Three on team A's cases (one of them done by a team C worker): an item is its case's.
    made = [al for al in rows.allocations if al.month == data.MARCH]
    assert len(made) == 3 and {al.service for al in made} == {"North"}
    assert rows.escalations == ()  # owned by team C's worker, with no case


def test_no_name_or_reference_is_in_any_row(
    session: Session, seeded: Seeded, small: Framework
) -> None:
    text = repr(rows_of(session, small))
    for secret in [*seeded.names, *seeded.references]:
        assert secret not in text


def test_a_span_that_ends_before_it_begins_is_refused(session: Session, small: Framework) -> None:
    with pytest.raises(ValueError, match="ends"):
        report_rows(
            session=session, framework=small, first=data.MARCH, last=Month(2026, 1), tz=LONDON
        )
