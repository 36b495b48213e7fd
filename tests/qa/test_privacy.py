"""The data-minimisation check: personal details in free text are found, prose is not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.privacy import find_sensitive, is_valid_nhs_number, warning, warnings_for


def kinds(text: str) -> list[str]:
    return [f.kind for f in find_sensitive(text)]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("DOB: 12/03/2015", "date_of_birth"),
        ("d.o.b. 01.02.2010", "date_of_birth"),
        ("date of birth 3 May 2012", "date_of_birth"),
        ("she was born in March 2015", "date_of_birth"),
        ("reviewed on 12/03/2015", "date"),
        ("reviewed on 12.03.2015.", "date"),
        ("reviewed on 12 March 2015", "date"),
        ("reviewed on 1st of Sept 2015", "date"),
        ("reviewed on March 12th, 2015", "date"),
        ("reviewed on 2015-03-12", "date"),
        ("mum's mobile is 07700 900123", "phone"),
        ("call 07700900123", "phone"),
        ("ring +44 (0)20 7946 0000", "phone"),
        ("ring +44 7700 900123", "phone"),
        ("school office 020 7946 0000", "phone"),
        ("nursery on 0113 496 0000", "phone"),
        ("email anna.smith@example.org", "email"),
        ("NHS number 943 476 5919", "nhs_number"),
        ("NHS number 943-476-5919", "nhs_number"),
        ("NHS number 9434765919", "nhs_number"),
    ],
)
def test_personal_details_are_found(text: str, kind: str) -> None:
    assert kinds(text) == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "Section 47 enquiry completed within 15 working days",
        "Child seen alone on 3 of the last 4 visits",
        "See paragraph 4.2.10 of the procedures",
        "The baby was born 3 weeks early and is thriving",
        "DOB is recorded correctly on the system",
        "CP plan reviewed on 12/3 with the core group",
        "Supervision every 4 weeks; chronology updated in May",
        "NHS number 943 476 5918 is not a valid one",
    ],
)
def test_ordinary_audit_prose_is_left_alone(text: str) -> None:
    assert kinds(text) == []


def test_an_nhs_number_is_not_also_reported_as_a_phone_number() -> None:
    assert is_valid_nhs_number("0000000000")
    assert kinds("0000000000") == ["nhs_number"]


def test_findings_say_where_they_are() -> None:
    text = "Contact 07700 900123 or a@b.org"
    spans = [text[slice(*f.span)] for f in find_sensitive(text)]
    assert spans == ["07700 900123", "a@b.org"]


def test_the_warning_names_the_kind_never_the_text() -> None:
    found = find_sensitive("Call 07700 900123 or email anna@example.org")
    message = warning(found)
    assert message == (
        "This looks like an email address and a phone number: "
        "please leave personal details in the case record."
    )
    assert "07700" not in message and "anna" not in message
    assert warning([]) == ""


def test_warnings_are_given_per_field() -> None:
    out = warnings_for({"a": "All fine", "b": "DOB 12/03/2015"})
    assert out == {"b": "This looks like a date of birth: please leave personal details in the "
                        "case record."}  # fmt: skip


def _check_digit(nine: str) -> int:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    return (11 - total % 11) % 11


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@given(
    nine=nine_digits.filter(lambda n: _check_digit(n) != 10), sep=st.sampled_from(["", " ", "-"])
)
def test_valid_nhs_numbers_are_found(nine: str, sep: str) -> None:
    number = nine + str(_check_digit(nine))
    written = f"{number[:3]}{sep}{number[3:6]}{sep}{number[6:]}"
    assert "nhs_number" in kinds(f"Health visitor noted {written} on the file")


@given(
    first=st.sampled_from("123456789"),
    rest=st.text(alphabet="0123456789", min_size=9, max_size=9),
    sep=st.sampled_from(["", " ", "-"]),
)
def test_ten_digits_failing_the_checksum_are_not_found(first: str, rest: str, sep: str) -> None:
    number = first + rest
    if is_valid_nhs_number(number):
        return
    written = f"{number[:3]}{sep}{number[3:6]}{sep}{number[6:]}"
    assert find_sensitive(f"Reference {written} noted") == []


_PROSE = (
    "the child young person family worker manager plan assessment review visit visits "
    "seen alone supervision chronology recording oversight timely drift delay risk "
    "strengths worries voice direct work school health multi-agency core group meeting "
    "conference strategy section 47 CP CIN CLA IRO PLO care leaver pathway plan was is "
    "were not well good clear evidence shows needs to happen by within weeks months days "
    "every 3 6 12 15 20 last next March May June September December Monday a an and of "
    "on in at for with about because since we are worried what working"
)
WORDS = _PROSE.split()


@given(st.lists(st.lists(st.sampled_from(WORDS), min_size=3, max_size=15), min_size=1))
def test_ordinary_audit_sentences_produce_no_findings(sentences: list[list[str]]) -> None:
    text = " ".join(" ".join(words).capitalize() + "." for words in sentences)
    assert find_sensitive(text) == []


# Names, addresses and postcodes (issue 17, item 7): the example that got through.


def test_the_name_address_and_postcode_that_got_through_are_caught() -> None:
    text = "Jamie Smith was seen at home, 12 Acacia Road, NW1 8XY, with his mum."
    found = {(f.kind, text[slice(*f.span)]) for f in find_sensitive(text)}
    assert found == {
        ("name", "Jamie"),
        ("name", "Smith"),
        ("address", "12 Acacia Road"),
        ("postcode", "NW1 8XY"),
    }
    message = warning(find_sensitive(text))
    assert message.startswith("This looks like a name, an address and a postcode: use the case")
    assert "Jamie" not in message and "Acacia" not in message


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Jamie said he felt safe at home", "name"),
        ("Olivia's school reported good attendance", "name"),
        ("Spoke to Grace about the plan", "name"),
        ("Met with Mark on Tuesday", "name"),
        ("Worker visited Will at school", "name"),
        ("Mrs Begum attended the core group", "name"),
        ("Dr Okafor is the GP", "name"),
        ("the Patel family have moved", "name"),
        ("May Smith attended the meeting", "name"),
        ("Postcode SW1A 1AA", "postcode"),
        ("moved to E1 6AN last week", "postcode"),
        ("lives at 4 Mill Lane now", "address"),
        ("Flat 3, 41b Harrow Road", "address"),
        ("new address is 221B Baker Street", "address"),
    ],
)
def test_names_and_addresses_are_found(text: str, kind: str) -> None:
    assert kind in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "The Head of Service agreed the grade was Good.",
        "Will the plan be reviewed? We will check in May.",
        "May we review this in June with the Team Manager and the IRO?",
        "Mark the plan as complete once the core group has met.",
        "Grace and patience were shown by the worker.",
        "Hope is evident in the plan. Good direct work with the family.",
        "The family are Christian and attend church weekly.",
        "Review by the Independent Reviewing Officer; Principal Social Worker oversight.",
        "Early Help assessment by the Family Support Worker was Outstanding.",
        "Child Protection Plan; Children in Need plan; Looked After Children review.",
        "Requires Improvement overall; Inadequate recording of the chronology.",
        "Visited 3 times in the road outside school; 2 home visits in March.",
        "Strategy meeting held on Monday; Section 47 within 15 working days.",
        "A1 and B2 priorities agreed at the Board in August.",
    ],
)
def test_ordinary_words_and_role_titles_are_not_names(text: str) -> None:
    assert kinds(text) == []


def test_a_name_warning_asks_for_the_case_reference() -> None:
    assert warning(find_sensitive("Spoke to Jamie after school")) == (
        "This looks like a name: use the case reference instead."
    )
