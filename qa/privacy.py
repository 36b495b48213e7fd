"""Data minimisation: spot personal details typed into free text before they are kept.

Audit answers are shown again in chat (the review step, the author's feedback, the
monthly summary's narrative), and chat is no place for a child's name, a family's
address or phone number, a date of birth or an NHS number (docs/domain.md
section 2). This check runs on free text only: a date *field* such as a
recommendation's due date is not free text.

It warns; it does not refuse. A person confirms and goes on, because a false alarm
must never block an audit; but a false alarm on ordinary words ("Head of Service",
"Good", "in May") teaches people to click past the warning, so every rule prefers
to miss an odd case than to cry wolf. Names are found by `qa.privacy_names`; the
other kinds by the patterns below. Messages name the kind of detail, never the text.
Everything runs here, on the server: no text is sent anywhere to be checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from qa.privacy_names import name_spans

__all__ = ["Finding", "Kind", "find_sensitive", "is_valid_nhs_number", "warning", "warnings_for"]

Kind = Literal[
    "name", "address", "postcode", "email", "nhs_number", "date_of_birth", "date", "phone"
]

# When two findings overlap, the first kind here wins (an NHS number is not also a
# phone; "12 Acacia Road" is an address, not a name).
_PRIORITY: tuple[Kind, ...] = (
    "email",
    "postcode",
    "address",
    "nhs_number",
    "date_of_birth",
    "date",
    "phone",
    "name",
)

_DESCRIBE: dict[Kind, str] = {
    "name": "a name",
    "address": "an address",
    "postcode": "a postcode",
    "email": "an email address",
    "nhs_number": "an NHS number",
    "date_of_birth": "a date of birth",
    "date": "a full date (it could be a date of birth)",
    "phone": "a phone number",
}

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORD = r"(?:st|nd|rd|th)?"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_NHS = re.compile(r"(?<![\d])(\d{3})([ -]?)(\d{3})\2(\d{4})(?![\d])")
_NUMERIC_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?!\d|[/.-]\d)")
_ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d])")
_WORD_DATE = re.compile(
    rf"\b(\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}\b"
    rf"|\b{_MONTH}\s+\d{{1,2}}{_ORD},?\s+\d{{4}}\b",
    re.IGNORECASE,
)
_DOB_CUE = re.compile(
    r"\b(?:d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|born)(?:\s+(?:on|in))?\s*[:\-]?\s*",
    re.IGNORECASE,
)
_PARTIAL_DATE = re.compile(
    rf"(?:\d{{1,2}}{_ORD}\s+(?:of\s+)?)?{_MONTH},?\s+\d{{4}}\b|\d{{1,2}}[/.-]\d{{1,2}}(?:[/.-]\d{{2,4}})?\b"
    r"|\d{1,2}[/.-]\d{4}\b|(?:19|20)\d{2}\b",
    re.IGNORECASE,
)
# A full UK postcode in capitals ("NW1 8XY", "SW1A 1AA"): the outward code's letters and
# digits in the Royal Mail's shapes, an optional space, then digit and two letters.
# Capitals only: "a1 2nd" in prose is not a postcode.
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d{1,2}|\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRV-Y])"
    r" ?\d[ABD-HJLNP-UW-Z]{2})\b"
)
_STREET = (
    r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Drive|Dr|Way|Court|Ct|Crescent|Cres"
    r"|Place|Pl|Gardens|Gdns|Grove|Terrace|Square|Sq|Hill|Park|Mews|Walk|Rise|Row|Parade"
    r"|Estate|House|Mansions|Villas|Green|Vale|View|Yard)"
)
# A house number and a street: "12 Acacia Road", "Flat 3, 41b Mill Lane". The street's
# words are capitalised, so "3 visits in the road" is prose.
_ADDRESS = re.compile(
    rf"(?:\b(?:Flat|Apartment|Apt|Unit)\s+\d+[A-Za-z]?,?\s+)?"
    rf"\b\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'’-]+\s+){{1,3}}{_STREET}\b\.?"
)
_PHONE = re.compile(r"(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|\(?0)(?:[\s\-()]?\d){9,10}(?![\d])")


# How a warning lists the kinds: a name first, then as before.
_ORDER: tuple[Kind, ...] = (
    "name",
    "address",
    "postcode",
    "email",
    "nhs_number",
    "date_of_birth",
    "date",
    "phone",
)


@dataclass(frozen=True)
class Finding:
    """A personal detail found in text: its kind and where it is (start, end)."""

    kind: Kind
    span: tuple[int, int]


def is_valid_nhs_number(digits: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _is_date(day: int, month: int, year: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _numeric_dates(text: str) -> Iterable[Finding]:
    for m in _NUMERIC_DATE.finditer(text):
        a, sep, b, year = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        if sep == "." and len(year) == 2:  # "4.2.10" is a section number, not a date
            continue
        y = int(year) if len(year) == 4 else 2000 + int(year)
        if _is_date(a, b, y) or _is_date(b, a, y):
            yield Finding("date", m.span())
    for m in _ISO_DATE.finditer(text):
        if _is_date(int(m.group(3)), int(m.group(2)), int(m.group(1))):
            yield Finding("date", m.span())
    for m in _WORD_DATE.finditer(text):
        yield Finding("date", m.span())


def _dates_of_birth(text: str) -> Iterable[Finding]:
    for cue in _DOB_CUE.finditer(text):
        m = _PARTIAL_DATE.match(text, cue.end())
        if m:
            yield Finding("date_of_birth", (cue.start(), m.end()))


def _phones(text: str) -> Iterable[Finding]:
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if m.group().startswith("+"):
            digits = digits[2:]
            digits = digits if digits.startswith("0") else "0" + digits
        if len(digits) in (10, 11) and digits[1] != "0":
            yield Finding("phone", m.span())


def _candidates(text: str) -> Iterable[Finding]:
    for m in _EMAIL.finditer(text):
        yield Finding("email", m.span())
    for m in _POSTCODE.finditer(text):
        yield Finding("postcode", m.span())
    for m in _ADDRESS.finditer(text):
        yield Finding("address", m.span())
    for span in name_spans(text):
        yield Finding("name", span)
    for m in _NHS.finditer(text):
        if is_valid_nhs_number(m.group(1) + m.group(3) + m.group(4)):
            yield Finding("nhs_number", m.span())
    yield from _dates_of_birth(text)
    yield from _numeric_dates(text)
    yield from _phones(text)


def find_sensitive(text: str) -> list[Finding]:
    """Personal details in `text`, in reading order; overlaps resolved by kind."""
    kept: list[Finding] = []
    for f in sorted(_candidates(text), key=lambda f: (_PRIORITY.index(f.kind), f.span)):
        if all(f.span[1] <= k.span[0] or f.span[0] >= k.span[1] for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.span)


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def warning(findings: Iterable[Finding]) -> str:
    """One sentence naming the kinds found, never the text itself.

    A name gets its own advice first, because the fix is different: people are known
    in chat by the case reference, not left out altogether.
    """
    kinds = sorted({f.kind for f in findings}, key=_ORDER.index)
    if not kinds:
        return ""
    what = _join([_DESCRIBE[k] for k in kinds])
    if "name" in kinds:
        rest = "" if kinds == ["name"] else ", and leave personal details in the case record"
        return f"This looks like {what}: use the case reference instead{rest}."
    return f"This looks like {what}: please leave personal details in the case record."


def warnings_for(texts: Mapping[str, str]) -> dict[str, str]:
    """A warning for each free-text answer (key -> text) that holds personal details."""
    out: dict[str, str] = {}
    for key, text in texts.items():
        found = find_sensitive(text)
        if found:
            out[key] = warning(found)
    return out
