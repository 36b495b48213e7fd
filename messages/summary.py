"""The summary messages' contexts: a `Summary` turned into the plain strings templates show.

Why a module of its own: the job, `qa-bot summary --post` and `--json` all need the
same words for the same figures, and the outbox stores the context as JSON. Every
value here is an aggregate already protected by `qa.reporting` (small numbers shown
as "fewer than 5" or "not shown"); nothing carries a case id, a reference or a name,
and narrative answers appear only as theme names and counts, never quoted.

The chart is not in the context: `chart_spec` says which summary to draw (month, the
day counted to, threshold), and the sender draws it when it sends
(`bot.reports.attachments`), since PNG bytes do not belong in the outbox's JSON and
only `bot/` draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qa.framework import Framework
from qa.report_agreement import AgreementLine
from qa.report_counts import Change, Count, Share
from qa.report_figures import Period, Rows, period_figures
from qa.report_grades import GradeTable
from qa.report_rows import ReportRows
from qa.report_themes import PromptThemes, themes
from qa.report_trends import good_or_better
from qa.reporting import Summary
from qa.working_days import Month, long_date

MAX_SCOPES = 12  # services, teams and areas listed under the table in a channel post
MAX_THEMES = 5  # themes listed for each narrative question
# Trend keys (`qa.report_trends`): the post shows these; the wording is the framework's.
HEADLINES = (
    "allocations_completed",
    "good_overall",
    "moderated",
    "agreed",
    "reaudits_good",
    "escalations_met",
)
GLANCE = ("allocations_completed", "good_overall", "agreed")


def display(count: Count, share: Share | None = None) -> str:
    """ "6 (50%)": a count with its percentage, when the percentage may be shown."""
    if share is None or share.percent is None:
        return count.text
    return f"{count.text} ({share.text})"


def shared(share: Share) -> str:
    """A share with its count, or "n/a" when there was nothing to count."""
    return share.text if share.base.value == 0 else display(share.count, share)


def grade_table(
    t: GradeTable, grades: Sequence[str], month: str, audits_word: str
) -> dict[str, Any]:
    """One grade table: a row per domain (overall first), a cell per column."""
    columns = ["Graded", *grades, "Good or better"]
    rows = []
    for r in t.rows:
        values = [r.total.text, *(display(c.count, c.share) for c in r.cells)]
        values.append(shared(r.good_or_better))
        rows.append(
            {
                "label": r.label,
                "cells": [{"name": n, "value": v} for n, v in zip(columns, values, strict=True)],
            }
        )
    return {
        "caption": f"Grades, {t.scope}, {month}: {t.audits.text} {audits_word}",
        "scope": t.scope,
        "audits": t.audits.text,
        "columns": columns,
        "rows": rows,
    }


def _change(ch: Change) -> str:
    if ch.text in ("no figures", "not shown"):
        return f"{ch.text} for {ch.period}"
    return f"{ch.text} on {ch.period}"


def _themes(found: Sequence[PromptThemes]) -> list[dict[str, Any]]:
    return [
        {
            "prompt": p.prompt,
            "answers": p.answers.text,
            "themes": [{"label": t.label, "answers": t.answers.text} for t in p.themes][
                :MAX_THEMES
            ],
        }
        for p in found
        if p.themes
    ]


_HIDDEN = {
    "authority": ", and small numbers are not shown",
    "service": ", and small numbers for services and teams are not shown",
    "team": ", and small numbers for teams are not shown",
}


def cap(word: str) -> str:
    """ "learning conversations" -> "Learning conversations" (str.capitalize lowers the rest)."""
    return word[:1].upper() + word[1:]


def hidden_note(s: Summary) -> str:
    """What the small-number threshold leaves out, as the end of a sentence; "" if nothing.

    The channel post and the report files say it the same way."""
    return _HIDDEN.get(s.suppressed_from, _HIDDEN["authority"]) if s.threshold > 1 else ""


def lede(s: Summary) -> str:
    return f"{s.authority}. Aggregates only: no case references or names{hidden_note(s)}."


def glance(s: Summary) -> list[str]:
    """The few lines a board member reads first."""
    lines = [f"{s.how_much.audits.text} {s.audits_word} completed in {s.month.name}."]
    for trend in s.trends:
        if trend.key in GLANCE:
            last = trend.changes[0]
            tail = f", {last.text} on {last.period}" if last.points is not None else ""
            lines.append(f"{trend.figure}: {trend.now.text}{tail}.")
    return lines


def chart_spec(s: Summary) -> dict[str, Any]:
    """What the sender needs to draw this summary's chart again, exactly."""
    return {"month": s.month.key, "as_of": s.as_of.isoformat(), "threshold": s.threshold}


def _agreement_line(line: AgreementLine, label: str | None = None) -> dict[str, Any]:
    return {
        "label": label or line.label,
        "n": line.n.text,
        "exact": line.exact,
        "within_one": line.within_one,
        "kappa": line.kappa,
        "ac1": line.ac1,
    }


def agreement_context(s: Summary) -> dict[str, Any] | None:
    """The authority's agreement figures for the board: the month, the year, the trend."""
    a = s.agreement
    if a is None:
        return None
    return {
        "month": a.month,
        "year": a.year,
        "lines": [_agreement_line(line) for line in a.lines],
        "year_line": _agreement_line(a.year_line, a.year),
        "trend": [_agreement_line(line) for line in a.trend],
        "notes": list(a.notes),
    }


def observations_context(s: Summary) -> dict[str, Any] | None:
    """Observations of practice in the month: the authority and its services (team
    counts, mostly "fewer than 5", stay out of a channel as the grades' do)."""
    o = s.observations
    if o is None:
        return None
    lines = [{"scope": "All services", "count": o.total.text}]
    lines += [{"scope": line.scope, "count": line.count.text} for line in o.services]
    return {"lines": lines[: MAX_SCOPES + 1], "more": max(0, len(lines) - MAX_SCOPES - 1)}


def summary_post_context(s: Summary, *, channel: str) -> dict[str, Any]:
    """The monthly post to a governance channel: aggregates only."""
    word = s.audits_word
    m, b, r = s.moderation, s.better_off, s.recommendations
    # Services and areas only: team figures, mostly "fewer than 5", are in the
    # report's appendix (`qa-bot summary --out`), not in the board's channel.
    tables = [t for t in s.how_well if t.kind != "team"]
    scopes = [
        {"scope": t.scope, "audits": t.audits.text, "good": shared(t.rows[0].good_or_better)}
        for t in tables[1:]
    ]
    return {
        "title": s.title,
        "board": s.board,
        "channel": channel,
        "month": s.month.name,
        "month_key": s.month.key,
        "as_of": s.as_of.isoformat(),
        "month_over": s.as_of >= s.month.last,
        "lede": lede(s),
        "glance": glance(s),
        "audits_word": word,
        "table": grade_table(tables[0], s.grades, s.month.name, word) if tables else None,
        "scopes": scopes[:MAX_SCOPES],
        "scopes_more": max(0, len(scopes) - MAX_SCOPES),
        "allocations": [
            {
                "scope": a.scope,
                "made": a.made.text,
                "completed": a.completed.text,
                "rate": a.completion.text,
            }
            for a in s.how_much.allocations[:MAX_SCOPES]
        ],
        "moderation": [
            {"label": f"{word.capitalize()} moderated", "value": shared(m.moderated)},
            {"label": "Moderator agreed with the grade", "value": shared(m.agreed)},
            {"label": "Grade raised by the moderator", "value": m.raised.text},
            {"label": "Grade lowered by the moderator", "value": m.lowered.text},
        ],
        "outcomes": [
            {"label": f"Repeat {word} (a case seen before)", "value": b.reaudits.text},
            {
                "label": f"Repeat {word} of cases graded below Good now Good or better",
                "value": shared(b.moved_to_good),
            },
            {"label": "Recommendations opened", "value": r.opened.text},
            {"label": "Recommendations completed", "value": r.completed.text},
            {"label": "Recommendations overdue", "value": r.overdue.text},
            {"label": "Escalations answered in time", "value": shared(b.escalations_met)},
        ],
        "trends": [
            {"figure": t.figure, "now": t.now.text, "changes": [_change(c) for c in t.changes]}
            for t in s.trends
            if t.key in HEADLINES
        ],
        "themes": _themes(s.themes),
        "agreement": agreement_context(s),
        "observations": observations_context(s),
        "notes": list(s.notes),
        "chart": chart_spec(s),
    }


def weekly_context(s: Summary, *, first_name: str, scope: str) -> dict[str, Any]:
    """A manager's weekly figures for their team or service, the month so far."""
    word = s.audits_word
    overall = s.how_well[0].rows[0] if s.how_well else None
    allocation = s.how_much.allocations[0]
    return {
        "first_name": first_name,
        "scope": scope,
        "month": s.month.name,
        "as_of": s.as_of.isoformat(),
        "audits_word": word,
        "facts": [
            {"label": f"{cap(word)} completed", "value": s.how_much.audits.text},
            {"label": f"{cap(word)} allocated for {s.month.name}", "value": allocation.made.text},
            {
                "label": "Of those, completed so far",
                "value": display(allocation.completed, allocation.completion),
            },
            {
                "label": "Good or better (overall grade)",
                "value": shared(overall.good_or_better) if overall else "0",
            },
            {"label": f"{word.capitalize()} moderated", "value": shared(s.moderation.moderated)},
            {"label": "Recommendations overdue", "value": s.recommendations.overdue.text},
            {
                "label": "Escalations answered in time",
                "value": shared(s.better_off.escalations_met),
            },
        ],
        "grades": [
            {"grade": c.grade, "value": display(c.count, c.share)}
            for c in (overall.cells if overall else ())
        ],
    }


def quarter_months(last: Month) -> tuple[Month, Month, Month]:
    return last.shift(-2), last.shift(-1), last


def quarter_label(months: Sequence[Month]) -> str:
    first, last = months[0], months[-1]
    return f"{first.name.split()[0]} to {last.name}"


def quarterly_context(
    framework: Framework, last: Month, rows: ReportRows, *, threshold: int, first_name: str
) -> dict[str, Any]:
    """The Director's quarterly analysis: the three months to `last`, as one period."""
    return period_context(
        framework, quarter_months(last), rows, threshold=threshold, first_name=first_name
    )


def period_label(months: Sequence[Month]) -> str:
    """ "November 2026" for one month, "September to November 2026" for several."""
    return months[0].name if len(months) == 1 else quarter_label(months)


def report_context(
    framework: Framework,
    months: Sequence[Month],
    rows: ReportRows,
    *,
    threshold: int,
    first_name: str | None,
    title: str,
    scope: str,
) -> dict[str, Any]:
    """A report on the framework's own rhythm (`summary.reports`): `months` as one period.

    The same figures as the quarterly analysis, for any run of months (a month, a
    quarter, a review window), titled as the framework names the report, to a channel
    (no first name) or to a named role's holder (their scope). Aggregates only.
    """
    context = period_context(
        framework, months, rows, threshold=threshold, first_name=first_name or ""
    )
    table = context["table"]
    if table is not None:  # the rows are the reader's scope already: say so in the caption
        word = framework.vocabulary.audits
        caption = f"Grades, {scope}, {context['period']}: {table['audits']} {word}"
        context["table"] = table | {"scope": scope, "caption": caption}
    return context | {"title": title, "scope": scope, "first_name": first_name}


def period_context(
    framework: Framework,
    months: Sequence[Month],
    rows: ReportRows,
    *,
    threshold: int,
    first_name: str,
) -> dict[str, Any]:
    """Figures for `months` (consecutive, oldest first) as one period, and month by month."""
    months = tuple(months)
    last = months[-1]
    label = period_label(months)
    index = Rows.index(rows.audits, rows.allocations, rows.recommendations, rows.escalations)
    figures = period_figures(
        framework, index, Period(label, months, last.last), threshold=threshold
    )
    word = framework.vocabulary.audits
    grades = [g.label for g in framework.grades]
    each = [
        period_figures(framework, index, Period(m.name, (m,), m.last), threshold=threshold)
        for m in months
    ]
    recs = figures.better_off.recommendations
    assert recs is not None  # detail=True counts them
    mod, better = figures.moderation, figures.better_off
    return {
        "first_name": first_name,
        "period": label,
        "audits_word": word,
        "facts": [
            {"label": f"{word.capitalize()} completed", "value": figures.how_much.audits.text},
            {
                "label": "Allocations completed",
                "value": figures.how_much.allocations[0].completion.text,
            },
            {"label": f"{word.capitalize()} moderated", "value": shared(mod.moderated)},
            {"label": "Moderator agreed with the grade", "value": shared(mod.agreed)},
            {"label": "Re-audits now Good or better", "value": shared(better.moved_to_good)},
            {"label": "Recommendations overdue", "value": recs.overdue.text},
            {"label": "Escalations answered in time", "value": shared(better.escalations_met)},
        ],
        "table": grade_table(figures.how_well[0], grades, label, word)
        if figures.how_well
        else None,
        "months": [
            {
                "month": m.name,
                "graded": good_or_better(f).base.text,
                "good": shared(good_or_better(f)),
            }
            for m, f in zip(months, each, strict=True)
        ],
        "themes": _themes(themes(framework, index.in_months(months), threshold=threshold)),
        "notes": [
            f"Small numbers: counts below {threshold} are shown as 'fewer than {threshold}'."
            if threshold > 1
            else "Every number is shown.",
            f"Figures for {label}, to {long_date(last.last)}.",
        ],
    }
