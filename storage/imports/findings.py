"""What an import found wrong (problems) or worth a second look (warnings).

Every finding names the file, the spreadsheet row (the header is row 1, so the
numbers match what a person sees in Excel) and the column, because the people who
fix these files are QA leads and business-support staff, not programmers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One thing to tell a person about a file, located for them to find it."""

    file: str
    row: int | None  # None: the whole file; 1: the header row
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            where = self.file
        elif self.row == 1:
            where = f"{self.file} header"
        else:
            where = f"{self.file} row {self.row}"
        if self.column:
            where += f", {self.column}"
        # One finding, one line: a cell's own line breaks are shown, not obeyed.
        message = self.message.replace("\r", "\\r").replace("\n", "\\n")
        return f"{where}: {message}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text": str(self)}


class ImportRejected(Exception):
    """The file cannot be imported; nothing was written. `problems` lists every reason."""

    def __init__(self, problems: list[Finding]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.row or 0, p.file))
        super().__init__("\n".join(str(p) for p in self.problems))


class Findings:
    """Collects problems and warnings for one file, so every check can add to them."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Finding] = []
        self.warnings: list[Finding] = []

    def problem(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Finding(self.file, row, column, message))

    def warn(self, row: int | None, column: str | None, message: str) -> None:
        self.warnings.append(Finding(self.file, row, column, message))

    def reject_if_any(self) -> None:
        if self.problems:
            raise ImportRejected(self.problems)
