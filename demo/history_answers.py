"""A past audit's answers, as the audit dialog would have saved them.

Why: `Audit.answers` holds the dialog's whole state (`qa.dialog.DialogState`), so a
past audit can be reopened, exported and read back with `qa.forms.result` like any
other. The answers here are keyed as the form's fields are (`domain.<key>.grade`,
`rec.<n>.owner`...), filed under the step that asks them, with the trail a person
clicking Next all the way would leave.

One thing is left for the storage layer: a recommendation's owner is a person id in
the dialog, and this module knows people by email. `with_person_ids` swaps them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from demo.history_text import CHECKLIST_ACTIONS, FEEDBACK_NOTES, Band, evidence_note, narrative
from qa.dialog import END, Dialog, DialogState, Move
from qa.forms import METHODS
from qa.framework import Framework
from qa.validation import JSON

OWNER_SUFFIX = ".owner"
_SPOKEN_YES = {"child": 0.6, "young": 0.6}  # prompts about the child: not always possible


@dataclass(frozen=True)
class Recommendation:
    """A recommendation written in the audit (its slot number `n` in the form)."""

    n: int
    level: str
    action: str
    impact: str
    owner: str  # email
    due_on: date


def _spoken(rng: random.Random, key: str) -> str:
    chance = next((v for k, v in _SPOKEN_YES.items() if k in key), 0.85)
    roll = rng.random()
    if roll < chance:
        return "yes"
    return "not_applicable" if roll < chance + (1 - chance) / 2 else "no"


def _checklist_answer(rng: random.Random, options: list[str], band: Band) -> int:
    """The index of the answer: the first option (Yes) mostly, less so below Good."""
    weights = {"good": [80, 14, 2, 4], "mixed": [55, 30, 10, 5], "poor": [30, 35, 30, 5]}[band]
    weights = (weights + [2] * len(options))[: len(options)]
    return rng.choices(range(len(options)), weights)[0]


def flat_answers(
    rng: random.Random,
    framework: Framework,
    *,
    area: str,
    domain_grades: Mapping[str, str],
    overall: str,
    bands: Mapping[str, Band],
    recommendations: tuple[Recommendation, ...],
    submitted_on: date,
) -> dict[str, JSON]:
    """Every answer of a finished audit, by field key (owners as emails)."""
    form = framework.audit_form
    band = bands[overall]
    out: dict[str, JSON] = {}
    options = list(form.checklist_options)
    for item in framework.checklist_for(area):
        i = _checklist_answer(rng, options, band)
        out[f"checklist.{item.key}.answer"] = options[i]
        if 0 < i < len(options) - 1 and rng.random() < 0.6:
            out[f"checklist.{item.key}.action"] = rng.choice(CHECKLIST_ACTIONS)
    for d in framework.domains_for(area):
        grade = domain_grades[d.key]
        out[f"domain.{d.key}.grade"] = grade
        out[f"domain.{d.key}.evidence"] = evidence_note(rng, bands[grade])
    for p in framework.feedback_for(area):
        g = f"feedback.{p.key}"
        spoken = _spoken(rng, p.key)
        out[f"{g}.spoken"] = spoken
        if spoken == "yes":
            out[f"{g}.date"] = (submitted_on - timedelta(days=rng.randint(1, 12))).isoformat()
            out[f"{g}.method"] = rng.choice(METHODS).value
            if rng.random() < 0.35:
                out[f"{g}.note"] = rng.choice(FEEDBACK_NOTES)
    for p in framework.narrative_for(area):
        out[f"narrative.{p.key}"] = narrative(rng, p, band)
    out["overall.grade"] = overall
    levels = form.recommendation_levels
    for r in recommendations:
        if len(levels) > 1:
            out[f"rec.{r.n}.level"] = r.level
        out[f"rec.{r.n}.action"] = r.action
        out[f"rec.{r.n}.impact"] = r.impact
        out[f"rec.{r.n}{OWNER_SUFFIX}"] = r.owner
        out[f"rec.{r.n}.due"] = r.due_on.isoformat()
    out["recommendations.more.1"] = "no"
    return out


def trail(dialog: Dialog) -> list[str]:
    """The steps from the start to the end, adding no more recommendation pages."""
    steps, key = [], dialog.start
    while key != END:
        steps.append(key)
        key = dialog.step(key).goes_to[-1]
    return steps


def state_json(
    dialog: Dialog, answers: Mapping[str, JSON], *, at: int | None = None
) -> dict[str, Any]:
    """The dialog state holding `answers`: finished, or (`at`) stopped at that step."""
    steps = trail(dialog)
    done = steps if at is None else steps[:at]
    step = END if at is None else steps[at]
    by_step = {
        s: {f.key: answers[f.key] for f in dialog.step(s).fields if f.key in answers} for s in done
    }
    path = [*done, step]
    moves = tuple(Move("next", a, b) for a, b in pairwise(path))
    return DialogState(dialog.name, step, tuple(done), by_step, (), moves).to_json()


def with_person_ids(state: Mapping[str, Any], ids: Mapping[str, int]) -> dict[str, Any]:
    """`state` with each recommendation owner's email replaced by that person's id."""
    answers = {
        step: {k: ids[v] if k.endswith(OWNER_SUFFIX) and isinstance(v, str) else v
               for k, v in values.items()}
        for step, values in state.get("answers", {}).items()
    }  # fmt: skip
    return {**state, "answers": answers}
