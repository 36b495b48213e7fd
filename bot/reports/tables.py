"""The summary laid out as sections of tables, once, for every file format.

HTML, Markdown and CSV all read this layout, so the three always carry the same
figures under the same names, and every figure in the chart is also in a table
(docs/ux.md: charts carry a table of the same figures). Wording for the board lives here.
"""

from __future__ import annotations

from dataclasses import dataclass

from messages.summary import cap, hidden_note
from qa.reporting import AgreementLine, Count, GradeTable, Share, Summary, Trend
from qa.working_days import long_date


@dataclass(frozen=True)
class Cell:
    """A figure: a count, a percentage, or a count with its percentage."""

    text: str
    percent: str | None = None  # shown beside the count: "5 (42%)"

    @property
    def display(self) -> str:
        if self.percent is None or self.percent in ("not shown", "n/a"):
            return self.text
        return f"{self.text} ({self.percent})"


@dataclass(frozen=True)
class Table:
    caption: str
    scope: str  # what the figures cover, for the CSV: "All services", "March 2026"
    corner: str  # the heading of the row-heading column
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]  # (row heading, one cell per column)
    rows_are_scopes: bool = False  # each row is a service: the CSV's scope, not its figure


@dataclass(frozen=True)
class Quotes:
    theme: str
    excerpts: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    level: int  # 2 or 3
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    quotes: tuple[Quotes, ...] = ()


def _n(count: Count) -> Cell:
    return Cell(count.text)


def _share(share: Share) -> Cell:
    return Cell(share.count.text, share.text)


def _pct(share: Share) -> Cell:
    return Cell(share.text)


def _change_cells(trend: Trend) -> tuple[Cell, ...]:
    cells = [Cell(trend.now.text)]
    for ch in trend.changes:
        was = f" (was {ch.then.text})" if ch.then.shown else ""
        cells.append(Cell(ch.text + (was if ch.points is not None else "")))
    return tuple(cells)


def lede(s: Summary) -> str:
    """The line under the title: whose figures, to when, and what is left out."""
    return (
        f"{s.authority}. Figures to {long_date(s.as_of)}. Aggregates only: no case "
        f"references or names{hidden_note(s)}."
    )


def glance(s: Summary) -> tuple[str, ...]:
    """A few lines for the top of the report and the channel post."""
    month = s.month.name
    lines = [f"{s.how_much.audits.text} {s.audits_word} completed in {month}."]
    for trend in s.trends:
        if trend.key in ("allocations_completed", "good_overall", "agreed"):
            last = trend.changes[0]
            tail = f", {last.text} on {last.period}" if last.points is not None else ""
            lines.append(f"{trend.figure}: {trend.now.text}{tail}.")
    return tuple(lines)


def _grade_table(t: GradeTable, grades: tuple[str, ...], month: str, word: str) -> Table:
    rows = tuple(
        (
            r.label,
            (
                _n(r.total),
                *(_share(c.share) for c in r.cells),
                _share(r.good_or_better),
            ),
        )
        for r in t.rows
    )
    return Table(
        caption=f"Grades, {t.scope}, {month}: {t.audits.text} {word}, number (percentage)",
        scope=t.scope,
        corner="Domain",
        columns=("Graded", *grades, "Good or better"),
        rows=rows,
    )


def _how_much(s: Summary) -> Section:
    """Two counts that differ for good reasons, each named for what it counts."""
    month, word = s.month.name, s.audits_word
    whole = s.how_much.allocations[0] if s.how_much.allocations else None
    lines = [
        f"{s.how_much.audits.text} {word} were completed in {month}, whenever they were allocated."
    ]
    if whole is not None:
        lines.append(
            f"{whole.made.text} {word} were allocated for {month}; {whole.completed.text} of "
            f"those are completed so far ({whole.completion.text}). Moderations are counted "
            "under Moderation, not here."
        )
    return Section(
        "how-much",
        "How much did we do?",
        2,
        tuple(lines),
        (
            Table(
                f"{cap(word)} allocated for {month}, and how many of those are completed",
                month,
                "Service",
                (f"{cap(word)} allocated", "Of those, completed", "Completion rate"),
                tuple(
                    (a.scope, (_n(a.made), _n(a.completed), _pct(a.completion)))
                    for a in s.how_much.allocations
                ),
                rows_are_scopes=True,
            ),
        ),
    )


AGREEMENT_COLUMNS = (
    "Moderated (n)",
    "Same grade",
    "Within one grade",
    "Weighted kappa",
    "AC1",
)


def _agreement_row(line: AgreementLine) -> tuple[str, tuple[Cell, ...]]:
    return (
        line.label,
        (
            _n(line.n),
            Cell(line.exact),
            Cell(line.within_one),
            Cell(line.kappa),
            Cell(line.ac1),
        ),
    )


def _agreement(s: Summary) -> list[Section]:
    """How far grades stand up to moderation: the authority's figures and their trend."""
    a = s.agreement
    if a is None:
        return []
    about = (
        f"Each {s.audit_word}'s grades against the grades after moderation. n is the number "
        "of grades moderated; 'same grade' and 'within one grade' are shares of n. Weighted "
        "kappa (quadratic weights) and Gwet's AC1 measure agreement beyond chance: 1 is "
        "perfect, 0 no better than chance. When nearly every grade is the same, kappa can "
        "fall towards 0 while agreement is high; AC1 does not, so read the two together."
    )
    return [
        Section(
            "agreement",
            "How far can the grades be trusted?",
            2,
            (about, *a.notes),
            (
                Table(
                    f"Agreement between auditors and moderators, {a.month}",
                    "All services",
                    "Grade",
                    AGREEMENT_COLUMNS,
                    tuple(_agreement_row(line) for line in a.lines),
                ),
                Table(
                    "Agreement on the overall grade, month by month",
                    "All services",
                    "Month",
                    AGREEMENT_COLUMNS,
                    (
                        *(_agreement_row(line) for line in a.trend),
                        _agreement_row(
                            AgreementLine(
                                a.year,
                                a.year_line.n,
                                a.year_line.exact,
                                a.year_line.within_one,
                                a.year_line.kappa,
                                a.year_line.ac1,
                            )
                        ),
                    ),
                ),
            ),
        )
    ]


def _appendix(s: Summary) -> list[Section]:
    """Team tables, at the back: most of their cells are small, and the board reads the
    authority and its services first."""
    teams = [t for t in s.how_well if t.kind == "team"]
    if not teams:
        return []
    note = (
        f"Grades for each team, {s.month.name}. Team numbers from 1 to {s.threshold - 1} are "
        f"shown as 'fewer than {s.threshold}', because a team's count can point at a worker."
        if s.threshold > 1
        else f"Grades for each team, {s.month.name}."
    )
    return [
        Section(
            "appendix-teams",
            "Appendix: team figures",
            2,
            (note,),
            tuple(_grade_table(t, s.grades, s.month.name, s.audits_word) for t in teams),
        )
    ]


def sections(s: Summary) -> tuple[Section, ...]:
    month = s.month.name
    word = s.audits_word
    main_tables = [t for t in s.how_well if t.kind != "team"]
    out = [
        Section("at-a-glance", "At a glance", 2, glance(s)),
        _how_much(s),
        Section(
            "how-well",
            "How well did we do it?",
            2,
            (
                f"For each domain, the number and percentage of {word} rated at each grade. "
                "The overall grade is the grade after moderation."
                + (
                    " Team figures are in the appendix."
                    if len(main_tables) < len(s.how_well)
                    else ""
                ),
            ),
            tuple(_grade_table(t, s.grades, month, word) for t in main_tables),
        ),
    ]
    m, b, r = s.moderation, s.better_off, s.recommendations
    out.append(
        Section(
            "moderation",
            "Moderation",
            2,
            tables=(
                Table(
                    f"Moderation, {month}",
                    "All services",
                    "Figure",
                    ("Value",),
                    (
                        (f"{word.capitalize()} moderated", (_share(m.moderated),)),
                        ("Moderator agreed with the grade", (_share(m.agreed),)),
                        ("Grade raised by the moderator", (_n(m.raised),)),
                        ("Grade lowered by the moderator", (_n(m.lowered),)),
                    ),
                ),
            ),
        )
    )
    out.extend(_agreement(s))
    out.append(
        Section(
            "better-off",
            "Is anyone better off?",
            2,
            tables=(
                Table(
                    f"Outcomes, {month}",
                    "All services",
                    "Figure",
                    ("Value",),
                    (
                        (f"Repeat {word} (a case seen before)", (_n(b.reaudits),)),
                        (
                            f"Repeat {word} of cases graded below Good",
                            (_n(b.moved_to_good.base),),
                        ),
                        ("Of those, now Good or better", (_share(b.moved_to_good),)),
                        ("Recommendations opened", (_n(r.opened),)),
                        ("Recommendations completed", (_n(r.completed),)),
                        ("Recommendations overdue", (_n(r.overdue),)),
                        ("Escalations due", (_n(b.escalations_met.base),)),
                        ("Escalations answered in time", (_share(b.escalations_met),)),
                    ),
                ),
            ),
        )
    )
    out.append(
        Section(
            "compare",
            "How does this compare?",
            2,
            (
                f"{month} against last month, the quarter before and the same month last "
                "year, in percentage points.",
            ),
            (
                Table(
                    f"Trends: {month} compared",
                    "All services",
                    "Figure",
                    (month, *(f"Change on {p}" for p in s.compared_with)),
                    tuple((t.figure, _change_cells(t)) for t in s.trends),
                ),
                Table(
                    "Good or better (overall grade), month by month",
                    "All services",
                    "Month",
                    ("Graded", "Good or better"),
                    tuple(
                        (p.label, (_n(p.good_or_better.base), _share(p.good_or_better)))
                        for p in s.good_or_better_by_month
                    ),
                ),
            ),
        )
    )
    out.append(
        Section(
            "themes",
            f"What the {word} tell us",
            2,
            (
                "The month's answers to each narrative question, grouped by the words they "
                "use. An answer can fall under more than one theme. A few short excerpts are "
                f"quoted where {s.threshold} or more answers share a theme, and never any "
                "that could identify someone.",
            ),
        )
    )
    for i, p in enumerate(s.themes):
        out.append(
            Section(
                f"theme-{i + 1}",
                p.prompt,
                3,
                (f"{p.answers.text} answers.",),
                (
                    Table(
                        f"Themes: {p.prompt}",
                        month,
                        "Theme",
                        ("Answers",),
                        tuple((t.label, (_n(t.answers),)) for t in p.themes),
                    ),
                )
                if p.themes
                else (),
                tuple(Quotes(t.label, t.excerpts) for t in p.themes if t.excerpts),
            )
        )
    out.append(Section("about", "About these figures", 2, s.notes))
    out.extend(_appendix(s))
    return tuple(out)
