"""The month's narrative answers, gathered into themes for the board to read.

Each narrative prompt ("What is working well?", "What are we worried about?") is read
separately. An answer belongs to a theme when it uses one of the theme's keywords (a
word starting so: "plan" finds "planning"); one answer may belong to several themes,
and one that matches none is counted under "Other points". The keywords are a small
lexicon a QA lead can read and change (`DEFAULT_LEXICON`, or the `lexicon` argument:
prompt key -> theme -> keywords, with "*" for every prompt), so a theme's count can
always be explained by pointing at words.

Quoting is careful, because answers are free text and may name a child or a worker.
A theme is quoted only when at least `threshold` answers fall in it, with at most
`MAX_EXCERPTS` short excerpts. An answer in which `qa.privacy.find_sensitive` finds
anything, or with an "@", is never quoted, not even in part. From the others, one
sentence is quoted only if it has no digits (case references, ages, dates) and every
capitalised word in it is an everyday word from `OPENERS` (a capitalised word may be a
name, and a list of names cannot be known). Excerpts are in audit order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from qa.framework import Framework
from qa.privacy import find_sensitive
from qa.report_counts import Count
from qa.report_rows import AuditRow

__all__ = ["DEFAULT_LEXICON", "Lexicon", "PromptThemes", "Theme", "themes"]

Lexicon = Mapping[str, Mapping[str, Sequence[str]]]

MAX_EXCERPTS = 3
MAX_EXCERPT_CHARS = 140
OTHER = "Other points"

DEFAULT_LEXICON: Lexicon = {
    "*": {
        "Voice of the child": ["voice", "wishes", "feelings", "views", "direct work", "listen"],
        "Relationships with the family": ["relationship", "engag", "family", "parent", "carer"],
        "Assessment and analysis": ["assessment", "analys", "chronolog", "genogram", "history"],
        "Planning": ["plan", "smart", "outcome", "action"],
        "Risk and safety": ["risk", "safe", "harm", "protect", "neglect"],
        "Management oversight": ["oversight", "supervision", "manager", "management"],
        "Working with partners": ["partner", "multi-agency", "school", "health", "police"],
        "Timeliness": ["timely", "timescale", "delay", "drift", "overdue", "late"],
        "Recording": ["record", "case note", "up to date", "write", "written"],
        "Identity and diversity": ["identity", "culture", "ethnic", "faith", "graces", "race"],
        "Visits and seeing the child": ["visit", "seen", "contact"],
    }
}

# Capitalised words that may start a quoted sentence: everyday words, never names.
OPENERS = frozenset(
    """a all also an and any as at both but by clear direct during each evidence every
    excellent for further good great her his however i if in it its more most much
    no not nothing on once one our overall planning positive practice recording she
    some strong that the their there these they this those though to too very views
    visits we what when where whilst while with work""".split()  # noqa: SIM905
)

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


@dataclass(frozen=True)
class Theme:
    label: str
    answers: Count
    excerpts: tuple[str, ...]


@dataclass(frozen=True)
class PromptThemes:
    key: str
    prompt: str  # the prompt as the framework asks it
    answers: Count
    themes: tuple[Theme, ...]  # most answers first


def _pattern(keywords: Iterable[str]) -> re.Pattern[str]:
    words = sorted((re.escape(k.strip()) for k in keywords if k.strip()), key=len, reverse=True)
    return (
        re.compile(r"\b(?:" + "|".join(words) + ")", re.IGNORECASE) if words else re.compile("$^")
    )


def may_quote(answer: str) -> bool:
    """An answer that may be quoted from at all: no personal detail anywhere in it."""
    return "@" not in answer and not find_sensitive(answer)


def is_quotable(sentence: str) -> bool:
    """A sentence that cannot point at a person (see the module's docstring)."""
    if any(ch.isdigit() for ch in sentence) or not may_quote(sentence):
        return False
    for word in _WORD.findall(sentence):
        stem = re.split(r"['’]", word)[0]
        if word[0].isupper() and stem.lower() not in OPENERS and not stem.isupper():
            return False
    return True


def _excerpt(text: str, pattern: re.Pattern[str]) -> str | None:
    if not may_quote(text):
        return None
    for sentence in _SENTENCE.split(" ".join(text.split())):
        if not pattern.search(sentence) or not is_quotable(sentence):
            continue
        if len(sentence) <= MAX_EXCERPT_CHARS:
            return sentence
        return sentence[: MAX_EXCERPT_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return None


def _theme(label: str, texts: list[str], pattern: re.Pattern[str] | None, threshold: int) -> Theme:
    count = Count(len(texts), threshold)
    excerpts: list[str] = []
    if len(texts) >= threshold:
        for text in texts:
            found = _excerpt(text, pattern or re.compile(r"\w"))
            if found and found not in excerpts:
                excerpts.append(found)
            if len(excerpts) == MAX_EXCERPTS:
                break
    return Theme(label, count, tuple(excerpts))


def themes(
    framework: Framework,
    audits: Iterable[AuditRow],
    *,
    threshold: int,
    lexicon: Lexicon | None = None,
) -> tuple[PromptThemes, ...]:
    """The themes of each narrative prompt's answers, in the framework's prompt order."""
    lexicon = DEFAULT_LEXICON if lexicon is None else lexicon
    ordered = sorted(audits, key=lambda a: a.audit_id)
    out = []
    for prompt in framework.audit_form.narrative:
        texts = [t for a in ordered if (t := a.narrative.get(prompt.key, "").strip())]
        words = lexicon.get(prompt.key, lexicon.get("*", {}))
        patterns = {label: _pattern(kws) for label, kws in words.items()}
        matched: dict[str, list[str]] = {label: [] for label in patterns}
        other: list[str] = []
        for text in texts:
            hits = [label for label, p in patterns.items() if p.search(text)]
            for label in hits:
                matched[label].append(text)
            if not hits:
                other.append(text)
        found = [_theme(lb, ts, patterns[lb], threshold) for lb, ts in matched.items() if ts]
        # Most answers first; small themes after, in lexicon order, so that the order
        # tells nothing about how small.
        found.sort(key=lambda t: (not t.answers.shown, -t.answers.value * t.answers.shown))
        if other:
            found.append(_theme(OTHER, other, None, threshold))
        out.append(
            PromptThemes(prompt.key, prompt.label, Count(len(texts), threshold), tuple(found))
        )
    return tuple(out)
