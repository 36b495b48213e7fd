"""`storage.agreement` with blind moderation (issue 15): the blind grades are the pairs.

The dataset is tests/handlers/agreement_dataset.py; here its returned audit (no
overall pair, the moderator's domain grades) is given blind grades, as a blind
moderation stores them (the dialog's `blind` step), and the pairs follow them.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.models import Moderation
from tests.handlers.agreement_dataset import G, I, R, add_moderations
from tests.handlers.status_dataset import seed
from tests.storage.test_agreement_rows import _rows


def test_blind_grades_replace_the_moderators_later_view_even_when_returned(
    engine: Engine,
) -> None:
    seed(engine)
    add_moderations(engine)
    before = _rows(engine)
    assert before[4][1] is None and before[4][2] == {"assessment": (G, G), "planning": (G, I)}
    with Session(engine) as session:
        returned = session.exec(select(Moderation).where(Moderation.outcome == "returned")).one()
        answers = dict(returned.answers or {})
        steps = dict(answers.get("answers", {}))
        steps["blind"] = {"blind.assessment": R, "blind.overall": I}
        returned.answers = {**answers, "answers": steps}
        session.add(returned)
        session.commit()
    after = _rows(engine)
    assert after[:4] == before[:4], "moderations without blind grades are as they were"
    assert after[4][1] == (G, I), "the blind overall grade counts, though the audit was returned"
    assert after[4][2] == {"assessment": (G, R), "planning": (G, I)}
