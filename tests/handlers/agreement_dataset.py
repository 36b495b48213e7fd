"""Moderated audits on top of `status_dataset`, whose agreement figures are worked by hand.

Today is 10 December 2026; the period is January to December 2026. Grades index
O=0, G=1, R=2, I=3 on the small framework's scale; domains assessment and planning.

| audit | case  | auditor | overall | moderation (deciding)       | assessment | planning |
|-------|-------|---------|---------|-----------------------------|------------|----------|
| 1     | EH-1  | Tom     | G       | confirmed (chair; a panel   | G -> G     | G -> G   |
|       |       |         |         | member regraded: not used)  |            |          |
| 2     | EH-2  | Tom     | G       | regraded to R               | G -> R     | R -> R   |
| 3     | EH2-1 | Tess    | O       | confirmed                   | O -> O     | G -> G   |
| 4     | CLA-1 | Tess    | R       | regraded to I               | R -> I     | R -> R   |
| 5     | CLA-2 | Tess    | G       | returned (no overall pair)  | G -> G     | G -> I   |
| 6     | EH-3  | Tom     | G       | regraded, December 2025     | outside the period     |

Overall pairs (G,G) (G,R) (O,O) (R,I), n = 4: exact 2/4 = 50%; within one 4/4 = 100%.
Quadratic weights on four grades: d0 1, d1 8/9, d2 5/9, d3 0.
po = (1 + 8/9 + 1 + 8/9) / 4 = 17/18. Auditor's shares O 1/4, G 1/2, R 1/4, I 0;
moderator's 1/4 each. pe = 1/4 * sum_i r_i * (row sum of weights): the row sums are
22/9, 30/9, 30/9, 22/9, so pe = 1/4 * (1/4*22/9 + 1/2*30/9 + 1/4*30/9) = 7/9;
kappa = (17/18 - 14/18) / (4/18) = 0.75.
AC1: pa = 1/2; mean shares O 1/4, G 3/8, R 1/4, I 1/8; sum pi(1 - pi) = 46/64;
pe = (46/64) / 3 = 23/96; AC1 = (48/96 - 23/96) / (73/96) = 25/73 = 0.34.
Assessment, n = 5: exact 3/5 = 60%, within one 100%. Planning, n = 5: exact 80%,
within one 80%. Early Help (audits 1-3), n = 3: exact 2/3 = 67%.
Per auditor: Tom n = 2 and Tess n = 2, each 50% exact.

Line management: Tom reports to Hana (head of service), Pat to Tom; Tess to nobody.
So the QA lead sees Tom and Tess, Hana sees Tom, Tom sees nobody (Pat audits nothing),
and the director (sees everything, manages nobody) sees no one's figures.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.models import Audit, Case, Moderation, Person
from tests.handlers.status_dataset import NOW

O, G, R, I = "outstanding", "good", "requires_improvement", "inadequate"  # noqa: E741


def _id(session: Session, email: str) -> int:
    person = session.exec(select(Person).where(Person.email == email)).one()
    assert person.id is not None
    return person.id


def add_moderations(engine: Engine) -> None:
    """Add the table above to a database seeded by `status_dataset.seed`."""
    with Session(engine) as session:
        tom, tess = _id(session, "tom@t.gov.uk"), _id(session, "tess@t.gov.uk")
        hana, dee = _id(session, "hana@t.gov.uk"), _id(session, "dee@t.gov.uk")
        pat = _id(session, "pat@t.gov.uk")
        for person_id, boss in ((tom, hana), (pat, tom)):
            row = session.get(Person, person_id)
            assert row is not None
            row.line_manager_id = boss
            session.add(row)
        cases = {c.reference: c.id or 0 for c in session.exec(select(Case))}

        def moderated(
            ref: str,
            auditor: int,
            overall: str,
            domains: dict[str, str],
            decisions: list[tuple[int, bool, str, str | None, dict[str, str], datetime]],
        ) -> None:
            audit = Audit(
                case_id=cases[ref],
                auditor_id=auditor,
                status="final",
                overall_grade=overall,
                domain_grades=domains,
                submitted_at=datetime(2026, 6, 1, 10, tzinfo=UTC),
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(audit)
            session.flush()
            assert audit.id is not None
            for moderator, chair, outcome, grade, theirs, done in decisions:
                grades: dict[str, str] = {}
                for key, given in domains.items():
                    agree = theirs.get(key, given) == given
                    grades[f"mod.{key}.agree"] = "yes" if agree else "no"
                    if not agree:
                        grades[f"mod.{key}.grade"] = theirs[key]
                session.add(
                    Moderation(
                        audit_id=audit.id,
                        moderator_id=moderator,
                        month=f"{done.year}-{done.month:02d}",
                        is_chair=chair,
                        answers={
                            "answers": {"grades": grades, "outcome": {"mod.outcome": outcome}}
                        },
                        outcome=outcome,
                        moderated_grade=grade,
                        status="completed",
                        due_on=done.date(),
                        completed_at=done,
                        created_at=NOW,
                    )
                )

        june, nov = datetime(2026, 6, 10, 10, tzinfo=UTC), datetime(2026, 11, 3, 10, tzinfo=UTC)
        later = datetime(2026, 11, 20, 10, tzinfo=UTC)
        both = {"assessment": G, "planning": G}
        moderated(
            "EH-1", tom, G, both,
            [
                (hana, True, "confirmed", None, {}, june),
                (dee, False, "regraded", R, {"assessment": I}, later),
            ],
        )  # fmt: skip
        moderated(
            "EH-2", tom, G, {"assessment": G, "planning": R},
            [(hana, False, "regraded", R, {"assessment": R}, nov)],
        )  # fmt: skip
        moderated(
            "EH2-1", tess, O, {"assessment": O, "planning": G},
            [(hana, False, "confirmed", None, {}, nov)],
        )  # fmt: skip
        moderated(
            "CLA-1", tess, R, {"assessment": R, "planning": R},
            [(hana, False, "regraded", I, {"assessment": I}, later)],
        )  # fmt: skip
        moderated(
            "CLA-2", tess, G, both,
            [(hana, False, "returned", None, {"planning": I}, later)],
        )  # fmt: skip
        moderated(
            "EH-3", tom, G, both,
            [(hana, False, "regraded", I, {}, datetime(2025, 12, 15, 10, tzinfo=UTC))],
        )  # fmt: skip
        session.commit()
