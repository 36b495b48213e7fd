"""What the demo's past auditors, moderators and managers wrote: small phrase banks.

Why: the board summary groups the month's narrative answers into themes and quotes
short excerpts, and a demo of it is only convincing with text that reads like an
auditor's. Every phrase is strengths-based and restorative (what is working, then what
would help), names nobody and holds no date or number, so `qa.privacy.find_sensitive`
never flags it; each sentence starts with an everyday word and has no other capital
letter, so the summary may quote it (`qa.report_themes.is_quotable`).

Texts depend on the grade's *band*: `good` (Good or better), `mixed` (below Good but
not the worst grade) or `poor` (the worst grade). Narrative prompts differ between
frameworks, so each prompt is sorted into a kind by the words in its key and label.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

from qa.framework import Prompt

Band = Literal["good", "mixed", "poor"]
Bank = dict[Band, tuple[str, ...]]

_STRENGTHS: Bank = {
    "good": (
        "The child's views are clear throughout the record and shape the plan.",
        "Visits are regular and purposeful, and the child is seen alone.",
        "The worker has built a trusting relationship with the family, who say they feel "
        "listened to.",
        "Planning is specific and reviewed on time, so everyone knows what will happen next.",
        "There is thoughtful direct work that helps the child make sense of their story.",
        "There is visible management oversight, with clear direction after each supervision.",
        "Work with the school and health partners is well coordinated.",
        "The assessment is analytical and draws well on the family's history.",
    ),
    "mixed": (
        "The worker knows the child well and visits are regular.",
        "There is a warm relationship with the family, and the parents engage with the plan.",
        "Some direct work has taken place and the child's wishes are recorded.",
        "All partners attend meetings and share information in good time.",
        "The assessment gathers the right information from the family and partners.",
        "Recording is up to date, so the child's current situation is easy to follow.",
    ),
    "poor": (
        "The worker has kept in contact with the family during a difficult period.",
        "Some visits have taken place and the child has been seen.",
        "The family are willing to work with the service.",
        "Both school and health raised concerns promptly, which shows the safety net is working.",
        "There is a recent assessment that starts to describe the child's needs.",
    ),
}

_EVIDENCE: Bank = {
    "good": (
        "The case record, the plan and the latest review all tell the same story.",
        "We heard from the family, who described the support as helpful.",
        "The supervision notes show decisions and the reasons for them.",
        "The child's own words are recorded after each visit.",
        "The review minutes show progress against each action in the plan.",
    ),
    "mixed": (
        "The case record and a conversation with the worker.",
        "The plan and the review minutes, although some actions are not yet updated.",
        "The supervision notes record decisions but not always the reasons for them.",
        "A conversation with the family, who were positive about the worker.",
    ),
    "poor": (
        "The case record, which has gaps in recent months.",
        "A conversation with the worker, who was open about the pressures on the case.",
        "The plan, which has not been reviewed within timescales.",
        "The feedback shared by partner agencies during the audit.",
    ),
}

_WORRIES: Bank = {
    "good": (
        "There is little to worry about; the plan will need updating as the child's needs change.",
        "Very little: the next step is to sustain the progress made.",
        "Nothing significant, though the move to a new school will need careful planning.",
    ),
    "mixed": (
        "The plan has some actions without clear timescales, which risks drift.",
        "The child's views are not always recorded after visits.",
        "There are gaps in the chronology that make patterns of risk harder to see.",
        "Some visits were missed during staff changes.",
    ),
    "poor": (
        "The risk to the child is not yet clearly analysed in the assessment.",
        "There has been drift: actions from the last review are still outstanding.",
        "The child has not been seen alone for several months.",
        "There is little evidence of management oversight of key decisions.",
        "Not all partners are clear about their part in the safety plan.",
    ),
}

_IMPROVE: Bank = {
    "good": (
        "We should keep doing what works, continuing the direct work and reviewing the plan "
        "with the family.",
        "To build on this, we could share the practice in the team as an example of strong work.",
        "We need to keep recording the child's own words after each visit.",
    ),
    "mixed": (
        "We need to make the plan specific, with an owner and a timescale for each action.",
        "The child's views should be recorded after every visit and reflected in the plan.",
        "The chronology needs updating so that patterns are easy to see.",
        "The supervision record should give the reasons for decisions as well as the decisions.",
    ),
    "poor": (
        "The assessment needs updating with a clear analysis of risk and what needs to change.",
        "We need to see the child alone and record their wishes and feelings.",
        "The team manager should review the plan soon, with clear actions and timescales.",
        "A multi-agency meeting is needed so that partners agree the safety plan.",
    ),
}

_IMPACT: Bank = {
    "good": (
        "There is clear evidence the child is better off: they are settled, attending school "
        "and say they feel safe.",
        "The family say things are calmer at home and the plan is helping.",
    ),
    "mixed": (
        "In some ways: attendance has improved, but the plan needs to show more impact.",
        "The child is safer than at the start, though progress is slow.",
    ),
    "poor": (
        "It is not yet clear that the child is better off; the plan needs to focus on outcomes.",
        "Not yet, because actions from the plan have drifted.",
    ),
}

_THEMES = (
    "The voice of the child in planning.",
    "The quality of management oversight and supervision.",
    "The timeliness of assessments.",
    "Work with partners to keep children safe.",
    "Recording and chronologies.",
    "The child's identity and culture in direct work.",
)

_EVIDENCE_NOTES: Bank = {
    "good": (
        "Clear and well evidenced in the record.",
        "Strong practice; the child's needs are well understood.",
        "Good analysis that is updated as things change.",
        "Consistent, timely and focused on the child.",
    ),
    "mixed": (
        "Some good practice, but not yet consistent.",
        "The basics are in place; the analysis could go further.",
        "Timescales are mostly met; some actions drift.",
    ),
    "poor": (
        "Limited evidence in the record.",
        "Not timely, and the child's needs are not clear.",
        "Gaps that leave the risk unclear.",
    ),
}

FEEDBACK_NOTES = (
    "Helpful conversation; the worker reflected on what is working.",
    "The family were positive about the support.",
    "The young person shared their views about the plan.",
    "We agreed the next steps together.",
)

CHECKLIST_ACTIONS = (
    "Update before the next review.",
    "Discuss in the next supervision.",
    "Record the child's views after the next visit.",
)

# (action, intended impact) pairs, by band.
RECOMMENDATIONS: dict[Band, tuple[tuple[str, str], ...]] = {
    "good": (
        (
            "Share this work in the team meeting as an example of good practice.",
            "Other workers learn from what works.",
        ),
        (
            "Keep the plan under review as the child moves school.",
            "The progress made is sustained.",
        ),
        (
            "Ask the family for feedback at the next review.",
            "The family's experience informs the plan.",
        ),
    ),
    "mixed": (
        (
            "Update the plan so that each action has an owner and a timescale.",
            "The family know what will happen next and by when.",
        ),
        (
            "Complete direct work with the child and record their wishes and feelings.",
            "The child's voice shapes the plan.",
        ),
        (
            "Update the chronology and use it in the next review.",
            "Patterns of risk are easier to see and act on.",
        ),
        (
            "Record the reasons for decisions in supervision.",
            "Decisions are clear to anyone reading the record.",
        ),
    ),
    "poor": (
        (
            "Review the assessment with a clear analysis of risk.",
            "Help is focused on what needs to change.",
        ),
        (
            "Hold a multi-agency meeting to agree the safety plan.",
            "Partners share one plan and the child is safer.",
        ),
        (
            "See the child alone at every visit and record what they say.",
            "The child is heard and their experience is understood.",
        ),
        (
            "Update the plan so that each action has an owner and a timescale.",
            "The family know what will happen next and by when.",
        ),
    ),
}

IMPACT_NOTES = (
    "Done: the plan is updated and shared with the family.",
    "Done and discussed in supervision.",
    "Completed; the child's views are now recorded in the plan.",
    "Done; partners have agreed the updated plan.",
)

MODERATION_COMMENTS = {
    "confirmed": (
        "I agree with the grade: the evidence supports it and the feedback is clear.",
        "A fair and well evidenced audit; the grade stands.",
        "Agreed. The recommendations are the right ones for this child.",
    ),
    "lowered": (
        "The evidence points to a lower grade: the plan does not yet show impact for the child.",
        "A lower grade fits better, as risk is not clearly analysed in the assessment.",
    ),
    "raised": (
        "The evidence supports a higher grade: direct work is strong and the child's views "
        "shape the plan.",
        "A higher grade fits better, given the progress recorded at the last review.",
    ),
    "returned": (
        "Please add evidence for the planning and oversight grades before this is finalised.",
        "The narrative and the grades do not yet match; please look again at the evidence.",
    ),
}

ESCALATION_RESPONSES = (
    "Discussed with the team manager; the plan has been updated and a review is booked.",
    "The case was reviewed in supervision; actions agreed with the worker and the family.",
    "Senior oversight added, and a multi-agency meeting has been arranged.",
    "Remedial actions agreed with the service manager; progress will be checked in two weeks.",
)

CASELOAD_RESPONSES = (
    "Approved: the team manager will audit the whole caseload this month.",
    "Agreed; the whole caseload audit is booked with the service manager.",
)

# Narrative prompt kinds, found by word prefixes in the prompt's key and label; the
# first kind that matches wins, so "better off" is found before "better".
_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("impact", ("better off", "better_off", "impact", "difference")),
    ("theme", ("theme", "focus")),
    ("summary", ("summary", "findings", "overall")),
    ("evidence", ("evidence", "how do we know")),
    ("worries", ("worr", "concern", "risk")),
    ("improve", ("better", "improve", "next", "need", "change", "develop")),
    ("strengths", ("well", "good", "strength", "positive", "going")),
)
_BANKS: dict[str, Bank] = {
    "impact": _IMPACT,
    "evidence": _EVIDENCE,
    "worries": _WORRIES,
    "improve": _IMPROVE,
    "strengths": _STRENGTHS,
}


def prompt_kind(prompt: Prompt) -> str:
    """What a narrative prompt asks for: strengths, worries, improve, impact...

    The key decides when it can (`working_well`), else the label: a label may mention
    several things ("the quality and impact of practice: what is working well?").
    """
    for text in (f"{prompt.key.replace('_', ' ')} {prompt.key}", prompt.label):
        low = text.lower()
        kind = next((k for k, words in _KINDS if any(w in low for w in words)), None)
        if kind:
            return kind
    return "general"


def _sentences(rng: random.Random, options: Sequence[str], n: int) -> str:
    return " ".join(rng.sample(list(options), min(n, len(options))))


def narrative(rng: random.Random, prompt: Prompt, band: Band) -> str:
    """An answer to `prompt` for an audit in `band`: one to three sentences."""
    kind = prompt_kind(prompt)
    if kind == "theme":
        return rng.choice(_THEMES)
    if kind in ("summary", "general"):
        return f"{rng.choice(_STRENGTHS[band])} {rng.choice(_IMPROVE[band])}"
    return _sentences(rng, _BANKS[kind][band], rng.choice((1, 2, 2)))


def evidence_note(rng: random.Random, band: Band) -> str:
    return rng.choice(_EVIDENCE_NOTES[band])
