"""The inspection pack's rows, read from the database: the year to a month.

The same queries as the board summary (`storage.reporting.report_rows`, and
`storage.agreement.agreement_rows` for the moderated grades), over the twelve months
the pack covers; `qa.inspection_pack` does the counting.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session

from qa.framework import Framework
from qa.inspection_pack import PACK_MONTHS, Pack, inspection_pack
from qa.working_days import Month
from storage.agreement import agreement_rows
from storage.reporting import report_rows

__all__ = ["load_pack"]


def load_pack(
    *,
    session: Session,
    framework: Framework,
    last: Month,
    tz: ZoneInfo,
    today: date,
    threshold: int,
) -> Pack:
    """`qa.inspection_pack.inspection_pack` for the twelve months to `last`."""
    first = last.shift(1 - PACK_MONTHS)
    rows = report_rows(session=session, framework=framework, first=first, last=last, tz=tz)
    agreement = agreement_rows(session=session, framework=framework, tz=tz, first=first, last=last)
    return inspection_pack(
        framework, last, rows, threshold=threshold, today=today, agreement=agreement.rows
    )
