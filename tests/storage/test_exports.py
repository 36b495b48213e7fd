"""Subject-access and case exports: everything about one person or case, nothing else."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.exports import SCHEMA_VERSION, case_export, note_export, person_export
from storage.models import AuditLogEntry
from tests.storage.dp_records import FREE_TEXT, People, Trail, history, people


@pytest.fixture
def world(engine: Engine, now: datetime) -> tuple[People, Trail, Trail]:
    with Session(engine) as session:
        who = people(session, now)
        first = history(session, who, reference="EH-001", at=now - timedelta(days=30))
        second = history(session, who, reference="EH-002", at=now - timedelta(days=3), text="x")
        session.commit()
    return who, first, second


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [r["id"] for r in rows]


def log_subjects(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(r["record_type"], r["record_id"]) for r in document["audit_log"]}


def test_a_subject_access_export_holds_the_persons_record_and_their_own_work(
    engine: Engine, now: datetime, world: tuple[People, Trail, Trail]
) -> None:
    _who, first, second = world
    with Session(engine) as session:
        doc = person_export(session=session, email="ann.auditor@council.gov.uk", now=now)

    assert doc is not None
    assert doc["schema_version"] == SCHEMA_VERSION and doc["kind"] == "subject_access"
    assert doc["person"]["name"] == "Ann Auditor"
    assert [a["reason"] for a in doc["absences"]] == ["leave"]
    assert ids(doc["allocations"]) == [first.allocation, second.allocation]
    assert ids(doc["audits"]) == [first.audit, second.audit]
    # Their own audit, answers and all: it is their data.
    assert FREE_TEXT in json.dumps(doc["audits"][0]["answers"])
    assert ids(doc["recommendations"]) == [first.recommendation, second.recommendation]
    assert doc["moderations"] == [] and doc["escalations"] == []
    json.dumps(doc)  # JSON all the way down


def test_the_audit_log_rows_are_those_where_they_acted_or_were_the_subject(
    engine: Engine, now: datetime, world: tuple[People, Trail, Trail]
) -> None:
    who, first, _second = world
    with Session(engine) as session:
        doc = person_export(session=session, email="ann.auditor@council.gov.uk", now=now)

    assert doc is not None
    subjects = log_subjects(doc)
    assert ("person", str(who.auditor)) in subjects
    assert ("audit", str(first.audit)) in subjects
    assert ("allocation", str(first.allocation)) in subjects
    assert ("recommendation", str(first.recommendation)) in subjects  # raised by them
    assert ("person", str(who.worker)) not in subjects
    assert ("escalation", str(first.escalation)) not in subjects  # the director's
    assert ("case", str(first.case)) not in subjects


def test_a_workers_export_has_the_actions_they_own_and_the_cases_they_hold(
    engine: Engine, now: datetime, world: tuple[People, Trail, Trail]
) -> None:
    _who, first, second = world
    with Session(engine) as session:
        doc = person_export(session=session, email="Will.Worker@Council.gov.uk", now=now)

    assert doc is not None
    assert doc["subject"]["email"] == "will.worker@council.gov.uk"
    assert ids(doc["recommendations"]) == [first.recommendation, second.recommendation]
    assert ids(doc["recommendation_updates"]) == [first.update, second.update]
    assert doc["cases_as_worker"] == ["EH-001", "EH-002"]
    assert doc["audits"] == []  # audits of their cases belong to the case export


def test_an_unknown_email_or_reference_exports_nothing(
    engine: Engine, now: datetime, world: tuple[People, Trail, Trail]
) -> None:
    with Session(engine) as session:
        assert person_export(session=session, email="nobody@council.gov.uk", now=now) is None
        assert case_export(session=session, reference="EH-999", now=now) is None


def test_a_case_export_holds_its_whole_trail_and_nothing_of_another_case(
    engine: Engine, now: datetime, world: tuple[People, Trail, Trail]
) -> None:
    _who, first, second = world
    with Session(engine) as session:
        doc = case_export(session=session, reference="eh-001", now=now)

    assert doc is not None
    assert doc["kind"] == "case" and doc["subject"]["reference"] == "EH-001"
    assert doc["case"]["id"] == first.case
    assert ids(doc["allocations"]) == [first.allocation]
    assert ids(doc["audits"]) == [first.audit]
    assert ids(doc["moderations"]) == [first.moderation]
    assert ids(doc["recommendations"]) == [first.recommendation]
    assert ids(doc["recommendation_updates"]) == [first.update]
    assert ids(doc["escalations"]) == [first.escalation]
    assert log_subjects(doc) == {
        ("case", str(first.case)),
        ("allocation", str(first.allocation)),
        ("audit", str(first.audit)),
        ("moderation", str(first.moderation)),
        ("recommendation", str(first.recommendation)),
        ("recommendation_update", str(first.update)),
        ("escalation", str(first.escalation)),
    }
    assert str(second.audit) not in {
        r["record_id"] for r in doc["audit_log"] if r["record_type"] == "audit"
    }
    json.dumps(doc)


def test_making_an_export_is_itself_recorded_with_ids_only(
    engine: Engine, now: datetime, world: tuple[People, Trail, Trail]
) -> None:
    who, _first, _second = world
    with Session(engine) as session:
        doc = person_export(session=session, email="ann.auditor@council.gov.uk", now=now)
        assert doc is not None
        note_export(session=session, now=now, document=doc, actor="cli")
        session.commit()
        row = session.exec(
            select(AuditLogEntry).where(AuditLogEntry.action == "export.subject_access")
        ).one()

    assert (row.record_type, row.record_id, row.actor) == ("person", str(who.auditor), "cli")
    assert "ann" not in json.dumps(row.after).lower()
