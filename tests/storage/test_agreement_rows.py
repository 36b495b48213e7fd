"""`storage.agreement`: the pairs of grades, read from the moderation rows.

The dataset is tests/handlers/agreement_dataset.py (its table says what each audit
gives); here each rule of the module's docstring is checked on its own row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from qa.framework import load_framework
from qa.working_days import Month
from storage.agreement import agreement_rows
from storage.models import Audit, Moderation
from tests.handlers.agreement_dataset import G, I, O, R, add_moderations
from tests.handlers.status_dataset import seed

LONDON = ZoneInfo("Europe/London")
SMALL = load_framework("tests/data/framework-small.yml")
YEAR = (Month(2026, 1), Month(2026, 12))


Pairs = list[tuple[str, tuple[str, str] | None, dict[str, tuple[str, str]]]]


def _rows(
    engine: Engine, team_ids: list[int] | None = None, span: tuple[Month, Month] = YEAR
) -> Pairs:
    """(service, overall pair, domain pairs) for each row, in audit order."""
    with Session(engine) as session:
        found = agreement_rows(
            session=session, framework=SMALL, tz=LONDON, first=span[0], last=span[1],
            team_ids=team_ids,
        )  # fmt: skip
    return [(r.service, r.overall, dict(r.domains)) for r in found.rows]


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed(engine)
    add_moderations(engine)
    return engine


def test_each_moderated_audit_is_one_row_from_its_deciding_moderation(seeded: Engine) -> None:
    rows = _rows(seeded)
    assert [overall for _, overall, _ in rows] == [(G, G), (G, R), (O, O), (R, I), None]
    # The panel member's regrade of the first audit is not used: the chair's confirm is.
    assert rows[0][2] == {"assessment": (G, G), "planning": (G, G)}
    assert rows[1][2] == {"assessment": (G, R), "planning": (R, R)}
    # Returned: no overall pair, but the moderator's domain grades still count.
    assert rows[4][2] == {"assessment": (G, G), "planning": (G, I)}


def test_only_the_teams_asked_for_and_the_months_asked_for(seeded: Engine) -> None:
    assert [s for s, _, _ in _rows(seeded, team_ids=[3])] == ["Children Looked After"] * 2
    june = _rows(seeded, span=(Month(2026, 6), Month(2026, 6)))
    assert [overall for _, overall, _ in june] == [(G, G)]
    last_december = _rows(seeded, span=(Month(2025, 12), Month(2025, 12)))
    assert [overall for _, overall, _ in last_december] == [(G, I)]


def test_a_moderation_finished_after_midnight_local_time_counts_in_the_local_month(
    seeded: Engine,
) -> None:
    """23:30 UTC on 31 May is 00:30 on 1 June in London (BST)."""
    with Session(seeded) as session:
        chair = session.exec(select(Moderation).where(Moderation.is_chair)).one()
        chair.completed_at = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
        session.add(chair)
        session.commit()
    june = _rows(seeded, span=(Month(2026, 6), Month(2026, 6)))
    assert [overall for _, overall, _ in june] == [(G, G)]
    assert _rows(seeded, span=(Month(2026, 5), Month(2026, 5))) == []


def test_a_grade_off_the_scale_is_left_out_and_counted(seeded: Engine) -> None:
    with Session(seeded) as session:
        audit = session.exec(select(Audit).join(Moderation).where(Audit.overall_grade == O)).one()
        audit.overall_grade = "excellent"  # an older framework's grade
        session.add(audit)
        session.commit()
        found = agreement_rows(
            session=session, framework=SMALL, tz=LONDON, first=YEAR[0], last=YEAR[1]
        )
    assert found.left_out == 1
    assert (O, O) not in [r.overall for r in found.rows]
