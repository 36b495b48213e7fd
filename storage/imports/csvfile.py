"""Reading an import file into rows of cells, with the header checked.

Files come from spreadsheets and case-recording systems, so this is forgiving where
it is safe to be (a UTF-8 byte-order mark, spaces around cells and names, blank
rows, column names in any case) and precise where it is not: a byte that is not
UTF-8 is reported with its row, column and value rather than silently replaced,
because a mangled name or case reference would be stored for years.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from storage.imports.findings import Findings, ImportRejected

# Cells a spreadsheet would treat as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# Control characters other than tab, line feed and carriage return (which a quoted
# cell may hold): PostgreSQL refuses NUL outright, and none belongs in a name or id.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape_for_export(value: object) -> str:
    """`value` made safe to write into a CSV a spreadsheet will open.

    Imported text is stored exactly as given; this is for the way out: a text cell
    starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`
    so that Excel shows it as text instead of running it as a formula.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


@dataclass(frozen=True)
class CsvRow:
    number: int  # the spreadsheet row: the header is row 1
    cells: dict[str, str]
    unreadable: frozenset[str] = frozenset()  # columns whose bytes were not UTF-8


@dataclass(frozen=True)
class CsvTable:
    file: str
    columns: list[str]
    rows: list[CsvRow]


_ESCAPED = re.compile("[\udc80-\udcff]")


def _bad_bytes(text: str) -> list[tuple[int, int]]:
    """(character position, byte value) of each undecodable byte (surrogate-escaped)."""
    return [(m.start(), ord(m.group()) - 0xDC00) for m in _ESCAPED.finditer(text)]


def _decode(data: bytes, found: Findings) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        found.problem(
            None,
            None,
            "the file is saved as UTF-16 ('Unicode Text'); save it as 'CSV UTF-8' instead",
        )
        found.reject_if_any()
    # surrogateescape keeps each bad byte, so it can be reported where it sits.
    return data.decode("utf-8-sig", errors="surrogateescape")


def _check_header(raw: list[str], expected: list[str], required: set[str], found: Findings) -> None:
    names = [c.strip().lower() for c in raw]
    if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
        sep = "semicolons" if ";" in names[0] else "tabs"
        found.problem(1, None, f"the columns are separated by {sep}; save the file as CSV (commas)")
        return
    seen: set[str] = set()
    for name in names:
        if not name:
            found.problem(1, None, "a column has no name; remove it or name it")
        elif name in seen:
            found.problem(1, name, "this column appears twice; keep one")
        elif name not in expected:
            close = difflib.get_close_matches(name, expected, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            found.problem(
                1,
                name,
                f"'{name}' is not a column of this file{hint} (expected: {', '.join(expected)})",
            )
        seen.add(name)
    for name in expected:
        if name in required and name not in seen:
            found.problem(1, None, f"the column '{name}' is missing")


def read_table(
    source: Path | bytes,
    *,
    file: str,
    expected: list[str],
    required: set[str],
    found: Findings,
) -> CsvTable:
    """The file's rows, each cell stripped, keyed by column name.

    Header problems and undecodable files are raised at once (`ImportRejected`): no
    row can be read reliably without them. Bad bytes inside cells are added to
    `found` and the cell is blanked, so every other check still runs.
    """
    if isinstance(source, Path):
        if source.suffix.lower() in {".xlsx", ".xls", ".xlsm", ".ods"}:
            found.problem(None, None, "spreadsheets are not read directly; save it as 'CSV UTF-8'")
            found.reject_if_any()
        data = source.read_bytes()
    else:
        data = source
    text = _decode(data, found)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        found.problem(None, None, f"this is not a readable CSV file ({exc})")
        raise ImportRejected(found.problems) from exc
    if not records or not any(c.strip() for c in records[0]):
        found.problem(
            None,
            None,
            f"the file is empty; the first row must name the columns ({', '.join(expected)})",
        )
        found.reject_if_any()
    header = records[0]
    any_bad = _ESCAPED.search(text) is not None  # the usual case: look no further
    for cell in header:
        for _pos, byte in _bad_bytes(cell):
            found.problem(1, None, f"byte 0x{byte:02X} is not UTF-8; save the file as 'CSV UTF-8'")
    found.reject_if_any()
    _check_header(header, expected, required, found)
    found.reject_if_any()
    columns = [c.strip().lower() for c in header]
    rows: list[CsvRow] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(c.strip() for c in record):
            continue  # a blank row, as spreadsheets leave at the end
        if len(record) > len(columns):
            found.problem(
                number,
                None,
                f"this row has {len(record)} cells but the header names "
                f"{len(columns)} columns; is there a comma inside a cell without quotes?",
            )
            continue
        cells = {name: "" for name in expected}
        unreadable: set[str] = set()
        for name, raw in zip(columns, record, strict=False):
            bad = _bad_bytes(raw) if any_bad else None
            if bad:
                pos, byte = bad[0]
                found.problem(
                    number,
                    name,
                    f"byte 0x{byte:02X} (character {pos + 1}) is not UTF-8; "
                    "save the file as 'CSV UTF-8'",
                )
                unreadable.add(name)
                continue
            control = _CONTROL.search(raw)
            if control:  # a NUL or other control character: no database or sheet keeps it
                found.problem(
                    number,
                    name,
                    f"character {control.start() + 1} is a control character "
                    f"(0x{ord(control.group()):02X}); remove it and save the file again",
                )
                unreadable.add(name)
                continue
            cells[name] = raw.strip()
        rows.append(CsvRow(number, cells, frozenset(unreadable)))
    if not rows:
        found.warn(None, None, "the file has a header but no rows")
    return CsvTable(file=file, columns=columns, rows=rows)
