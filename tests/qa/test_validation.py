"""Field validation: every refusal says what to do, in words for a person."""

from __future__ import annotations

from datetime import date

import pytest

from qa.validation import Context, Field, Option, draft_value, validate

TODAY = date(2026, 12, 1)  # a Tuesday
CTX = Context(today=TODAY, known_people={7: "Sam Owner"})
GRADES = (Option("good", "Good", "Child is safe"), Option("inadequate", "Inadequate"))
DUE = Field("due", "Due date", "date", dates="future_working_day", max_months_ahead=24)
OWNER = Field("owner", "Owner", "person", missing="Choose who will do this")


def errors(fields: list[Field], values: dict[str, object], **kw: object) -> dict[str, str]:
    return validate(fields, values, CTX, **kw)[1]  # type: ignore[arg-type]


def test_a_missing_grade_names_the_domain() -> None:
    planning = Field("domain.planning.grade", "Planning", "grade", GRADES)
    assert errors([planning], {}) == {"domain.planning.grade": "Choose a grade for Planning"}


def test_an_optional_field_may_be_left_blank() -> None:
    note = Field("note", "Note", "text", required=False)
    assert errors([note], {"note": "   "}) == {}


@pytest.mark.parametrize(
    ("due", "message"),
    [
        ("2026-11-30", "Pick a due date after today (1 December 2026)"),
        ("2026-12-01", "Pick a due date after today (1 December 2026)"),
        ("2026-12-05", "Pick a due date on a working day (5 December is a Saturday)"),
        ("2026-12-25", "Pick a due date on a working day (25 December is a bank holiday)"),
        ("2026-12-28", "Pick a due date on a working day (28 December is a bank holiday)"),
        ("2029-01-02", "Pick a due date no later than 1 December 2028"),
        ("not a date", "Pick a date from the calendar (or write it as DD/MM/YYYY)"),
    ],
)
def test_a_due_date_must_be_a_future_working_day(due: str, message: str) -> None:
    assert errors([DUE], {"due": due}) == {"due": message}


def test_a_due_date_on_a_working_day_passes_in_either_written_form() -> None:
    assert validate([DUE], {"due": "2026-12-14"}, CTX)[0] == {"due": "2026-12-14"}
    assert validate([DUE], {"due": "14/12/2026"}, CTX)[0] == {"due": "2026-12-14"}
    assert validate([DUE], {"due": date(2026, 12, 14)}, CTX)[0] == {"due": "2026-12-14"}


def test_bank_holidays_are_working_days_when_the_framework_says_so() -> None:
    no_holidays = Field("due", "Due date", "date", dates="future_working_day", bank_holidays=False)
    assert errors([no_holidays], {"due": "2026-12-25"}) == {}


def test_a_conversation_date_cannot_be_in_the_future() -> None:
    when = Field("when", "When?", "date", dates="not_future")
    assert errors([when], {"when": "2026-12-01"}) == {}
    assert errors([when], {"when": "2026-12-02"}) == {
        "when": "This date is in the future: pick today (1 December 2026) or earlier"
    }


def test_an_owner_must_be_someone_on_the_list() -> None:
    assert validate([OWNER], {"owner": "7"}, CTX)[0] == {"owner": 7}
    assert errors([OWNER], {"owner": 8}) == {"owner": "Choose someone from the list"}
    assert errors([OWNER], {"owner": True}) == {"owner": "Choose someone from the list"}
    assert errors([OWNER], {}) == {"owner": "Choose who will do this"}


def test_a_choice_outside_the_options_is_refused() -> None:
    grade = Field("g", "Overall", "grade", GRADES)
    assert errors([grade], {"g": "excellent"}) == {"g": "Choose one of the options given"}


def test_text_over_the_limit_says_how_long_it_is() -> None:
    action = Field("a", "Action", "text", max_length=10)
    assert errors([action], {"a": "x" * 12}) == {"a": "Keep this under 10 characters (it has 12)"}
    assert errors([action], {"a": 12}) == {"a": "Write Action as text"}


def test_multi_accepts_a_list_or_comma_separated_text_in_option_order() -> None:
    who = Field("who", "Who", "multi", (Option("child", "Child"), Option("family", "Family")))
    assert validate([who], {"who": "family,child"}, CTX)[0] == {"who": ["child", "family"]}
    assert validate([who], {"who": ["family"]}, CTX)[0] == {"who": ["family"]}
    assert errors([who], {"who": ["dog"]}) == {"who": "Choose from the options given"}


def test_required_if_depends_on_the_other_answer() -> None:
    agree = Field("agree", "Agree?", "choice", (Option("yes", "Yes"), Option("no", "No")))
    grade = Field("grade", "Your grade", "grade", GRADES, required_if=("agree", ("no",)))
    assert errors([agree, grade], {"agree": "yes"}) == {}
    assert errors([agree, grade], {"agree": "no"}) == {"grade": "Choose a grade for Your grade"}


def test_a_blank_optional_group_is_skipped_and_a_half_filled_one_is_not() -> None:
    fields = [
        Field("r.1.action", "Action", "text", group="r.1", missing="Say what needs to happen"),
        Field("r.1.owner", "Owner", "person", group="r.1", missing="Choose who will do this"),
        Field("r.1.due", "Due date", "date", group="r.1", dates="future_working_day"),
    ]
    assert errors(fields, {}, optional_groups={"r.1"}) == {}
    assert errors(fields, {"r.1.owner": 7}, optional_groups={"r.1"}) == {
        "r.1.action": "Say what needs to happen",
        "r.1.due": "Pick a date for Due date",
    }


def test_errors_come_in_field_order() -> None:
    fields = [Field(k, k, "text") for k in ("c", "a", "b")]
    assert list(errors(fields, {})) == ["c", "a", "b"]


def test_draft_keeps_what_was_typed_even_when_it_does_not_pass() -> None:
    assert draft_value(DUE, "2026-12-25", CTX) == "2026-12-25"
    assert draft_value(OWNER, 99, CTX) == 99
    assert draft_value(OWNER, "", CTX) is None
    assert draft_value(OWNER, object(), CTX) is None


def test_a_choice_field_needs_options() -> None:
    with pytest.raises(ValueError, match="no options"):
        Field("x", "X", "choice")
