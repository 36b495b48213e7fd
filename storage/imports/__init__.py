"""Loading people and cases from CSV files: checked whole, then written all at once.

`import_staff` and `import_cases` read a file, check every row (and every reference
to what is already in the database), and either raise `ImportRejected` with every
problem, located by row and column, having written nothing, or write every change in
one transaction with an audit-log row each. Re-importing the same file writes
nothing. `escape_for_export` makes stored text safe to put back into a spreadsheet.
"""

from storage.imports.bulk import Progress
from storage.imports.cases import import_cases
from storage.imports.csvfile import escape_for_export
from storage.imports.findings import Finding, ImportRejected
from storage.imports.plan import Change, Counts, ImportResult
from storage.imports.staff import import_staff

__all__ = [
    "Change",
    "Counts",
    "Finding",
    "ImportRejected",
    "ImportResult",
    "Progress",
    "escape_for_export",
    "import_cases",
    "import_staff",
]
