"""Checking one row's cells: each check says what is wrong in words a person can act on.

A check that fails records a problem against the row and column and returns None,
and marks the row as unusable; the caller carries on so that one run of the import
reports every problem in the file, not just the first.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date

from storage.imports.bulk import Progress
from storage.imports.csvfile import FORMULA_PREFIXES, CsvRow, CsvTable
from storage.imports.findings import Findings

PROGRESS_EVERY = 1000

_EMAIL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UK_DATE = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")


def suggestion(value: str, known: Iterable[str], labels: Mapping[str, str] | None = None) -> str:
    """ "; did you mean 'x'?" for the nearest known name (or a label's key), else ""."""
    known = list(known)
    low = value.lower()
    by_lower = {k.lower(): k for k in known}
    for label, key in (labels or {}).items():
        by_lower.setdefault(label.lower(), key)
    guess = by_lower.get(low) or by_lower.get(re.sub(r"[\s-]+", "_", low))
    if guess is None:
        close = difflib.get_close_matches(low, list(by_lower), n=1, cutoff=0.6)
        guess = by_lower[close[0]] if close else None
    return f"; did you mean '{guess}'?" if guess else ""


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value)) and ".." not in value


class Cells:
    """The cells of one row, read through checks; `ok` is False once any check failed."""

    def __init__(self, row: CsvRow, found: Findings) -> None:
        self.row = row
        self.found = found
        self.ok = True

    def bad(self, column: str, message: str) -> None:
        self.found.problem(self.row.number, column, message)
        self.ok = False

    def text(self, column: str, *, required: bool, warn_formula: bool = True) -> str | None:
        """The cell as typed (stripped); a formula-like start is kept, with a warning."""
        if column in self.row.unreadable:
            self.ok = False
            return None
        value = self.row.cells[column]
        if not value:
            if required:
                self.bad(column, "this cell is empty but is needed")
            return None
        if warn_formula and value.startswith(FORMULA_PREFIXES):
            self.found.warn(
                self.row.number,
                column,
                f"'{value}' starts with '{value[0]}'; it is stored as text, exactly as "
                "written, and escaped if it is ever exported to a spreadsheet",
            )
        return value

    def email(self, column: str, *, required: bool) -> str | None:
        """A work email, lower-cased: it is a person's identity, whatever the case."""
        value = self.text(column, required=required, warn_formula=False)
        if value is None:
            return None
        if value.startswith(FORMULA_PREFIXES):
            self.bad(
                column,
                f"'{value}' is not an email address: it starts with '{value[0]}', which a "
                "spreadsheet would run as a formula",
            )
            return None
        if not is_email(value):
            self.bad(column, f"'{value}' is not an email address (like name@council.gov.uk)")
            return None
        return value.lower()

    def choice(
        self,
        column: str,
        known: list[str],
        *,
        what: str,
        labels: Mapping[str, str] | None = None,
    ) -> str | None:
        """One of `known` exactly; otherwise the nearest name is suggested."""
        value = self.text(column, required=True, warn_formula=False)
        if value is None:
            return None
        if value in known:
            return value
        self.bad(
            column,
            f"'{value}' is not {what}{suggestion(value, known, labels)} "
            f"(known: {', '.join(known)})",
        )
        return None

    def key_list(
        self, column: str, known: list[str], *, what: str, labels: Mapping[str, str]
    ) -> list[str] | None:
        """`;`-separated keys, each one of `known`; repeats dropped, order kept."""
        value = self.text(column, required=True, warn_formula=False)
        if value is None:
            return None
        keys: list[str] = []
        for part in (p.strip() for p in value.split(";")):
            if not part or part in keys:
                continue
            if part not in known:
                self.bad(
                    column,
                    f"'{part}' is not {what}{suggestion(part, known, labels)} "
                    f"(known: {', '.join(known)}; separate several with ';')",
                )
                continue
            keys.append(part)
        if not keys and self.ok:
            self.bad(column, "no role is given; name at least one")
        return keys if self.ok else None

    def whole_number(self, column: str, *, low: int, high: int, hint: str) -> int | None:
        value = self.text(column, required=False, warn_formula=False)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            self.bad(column, f"'{value}' is not a whole number; {hint}")
            return None
        if not low <= number <= high:
            self.bad(column, f"{number} is not between {low} and {high}; {hint}")
            return None
        return number

    def matching(self, column: str, pattern: re.Pattern[str], *, what: str) -> str | None:
        value = self.text(column, required=False, warn_formula=False)
        if value is None:
            return None
        if not pattern.match(value):
            self.bad(column, f"'{value}' is not {what}; leave it empty if unknown")
            return None
        return value

    def iso_date(self, column: str, *, latest: date) -> date | None:
        """A date written YYYY-MM-DD; a UK-style date gets the ISO form suggested."""
        value = self.text(column, required=True, warn_formula=False)
        if value is None:
            return None
        parsed: date | None = None
        if _ISO_DATE.match(value):
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                self.bad(column, f"'{value}' is not a real date")
                return None
        if parsed is None:
            hint = "for example 2024-04-03"
            uk = _UK_DATE.match(value)
            if uk:
                day, month, year = (int(g) for g in uk.groups())
                with contextlib.suppress(ValueError):  # 31/02/2024: no guess
                    hint = f"did you mean {date(year, month, day).isoformat()}?"
            self.bad(column, f"'{value}' is not a date written as YYYY-MM-DD ({hint})")
            return None
        if parsed > latest:
            self.bad(column, f"{parsed.isoformat()} is in the future")
            return None
        if parsed.year < 1900:
            self.bad(column, f"{parsed.isoformat()} is too long ago to be right")
            return None
        return parsed


def checked_rows(
    table: CsvTable, found: Findings, progress: Progress | None
) -> Iterator[tuple[CsvRow, Cells]]:
    """Each row of `table` and its cells to check, telling `progress` every
    `PROGRESS_EVERY` rows (a file of many thousand rows takes long enough that a person
    should see it moving)."""
    for i, row in enumerate(table.rows, start=1):
        if progress is not None and i % PROGRESS_EVERY == 0:
            progress(f"checking {table.file}", i, len(table.rows))
        yield row, Cells(row, found)
