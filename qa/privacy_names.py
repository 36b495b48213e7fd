"""Personal names in free text, found with a shipped name list and a few rules of context.

Why a list and not a model: nothing may leave the server, and a list is small,
explainable and testable. The forenames and surnames are Faker's en_GB lists (drawn
from ONS name tables; Faker is a dependency for this alone), plus a short supplement
of forenames common among children born recently (`qa/data/forenames_recent.txt`),
because the children in the cases are younger than Faker's population.

Why rules of context: many names are also ordinary words ("Mark", "Grace", "May",
"Will", "Hope") and audit prose is full of capitalised role titles ("Head of
Service") and grades ("Good"). So a capitalised word is a name when

1. it follows a title: "Mrs Begum", "Dr Okafor";
2. it is a forename and the next word is a capitalised surname: "May Smith";
3. it is a forename that is not an everyday word: "Jamie", "Olivia";
4. it is a forename that is also a word ("Grace", "Will") and is capitalised where
   a sentence does not begin, so it cannot be the word: "spoke to Grace";
5. it is a surname that is not an everyday word or a place, and not at the start of
   a sentence: "the Patel family". A surname that is also a word ("Hall", "Young",
   "Sutton") counts only after a forename or a title.

Forenames that are places or adjectives ("Victoria", "Christian", "Jordan") and
month names count only with a surname or a title. Lower-case words are never
names: "we will", "in may" are words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources

__all__ = ["name_spans"]


def _words(text: str) -> frozenset[str]:
    """A word list written as prose, one space apart, for easy reading and editing."""
    return frozenset(text.split())


_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "master"})

# Forenames that are everyday words: a name only where a sentence does not begin (rule 4).
_WORDLIKE = _words(
    """mark jack grace dawn holly jade amber heather hazel carol frank max guy glen jay dean
    robin sally kim will hope joy bill ray rose lily ivy ruby daisy poppy willow violet
    bonnie sonny teddy ben sam terry joe tom billy rita gail jill pat sue rob don art
    penny"""
)
# Forenames that are also places, adjectives or months: only with a surname or title.
_WEAK = _words(
    """christian victoria georgia chelsea jordan leigh lynn norman stanley florence harper
    mason may june april august justin"""
)
# Surnames that are everyday words or places: only after a forename or a title.
_SURNAME_WORDS = _words(
    """savage winter day long farmer rice ford short archer green hardy dean dale lane bray
    pope steele wade lord noble carpenter skinner birch barber bird white brown black kirk
    bishop rose mills potter butcher fry stone cook ward parsons lamb palmer north frost
    power price hale hall knight heath bond law little perry west mason finch smart bull
    gray baker young ball sharp swift miles field fisher french hill kent grant fox wright
    hart berry todd woods wood king marshall cole banks hope hunter reed read newman moss
    booth waters page hunt bell wall cross may wells summers walker turner chambers gill
    marsh porter warren norton carter shaw holland sutton preston bolton hyde middleton
    ashton weston newton burton clayton thornton houghton morley hamilton crawford
    richmond lancaster chester ingram gardner cooper taylor mann joyce john james thomas
    george henry gordon douglas oliver lewis martin stanley norman vincent russell duncan
    cameron graham craig ross owen allan bruce francis dennis howard lucas barry kelly
    ryan connor bryan jordan lee leonard lawrence gregory alexander bradley daniels
    giles tyler lambert power"""
)
# Capitalised words never read as a name, whatever follows: sentence openers, grades,
# months and days, and the words of role titles.
_NEVER = _words(
    """the a an this that these those and or but of in on to at by for with from as when if
    then so we he she they it his her their our my your i no not all some each every good
    outstanding inadequate requires improvement head service services team manager
    director assistant social worker officer principal independent reviewing chair lead
    board panel family families child children mum mother dad father carer carers
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday"""
)

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\n•*\-–—(\"“])\s*$")


@cache
def _names() -> tuple[frozenset[str], frozenset[str]]:
    """(forenames, surnames), lower-case: Faker's en_GB lists plus the shipped supplement."""
    from faker.providers.person.en_GB import Provider

    fore = {n.lower() for n in Provider.first_names}
    text = resources.files("qa").joinpath("data/forenames_recent.txt").read_text("utf-8")
    fore |= {ln.strip().lower() for ln in text.splitlines() if ln.strip() and ln[0] != "#"}
    sur = {n.lower() for n in Provider.last_names}
    return frozenset(fore), frozenset(sur)


def _bare(word: str) -> str:
    """The word without a possessive: "Jamie's" -> "jamie"."""
    return re.sub(r"['’]s$", "", word).lower()


def _capitalised(word: str) -> bool:
    return word[0].isupper() and not word.isupper()


def name_spans(text: str) -> Iterator[tuple[int, int]]:
    """The (start, end) of each word in `text` that reads as a personal name."""
    fore, sur = _names()
    words = list(_WORD.finditer(text))
    for i, m in enumerate(words):
        word = m.group()
        if not _capitalised(word):
            continue
        bare = _bare(word)
        if bare in _NEVER and bare not in _WEAK:
            continue
        prev = words[i - 1] if i else None
        after_title = (
            prev is not None
            and _bare(prev.group()) in _TITLES
            and _capitalised(prev.group())
            and text[prev.end() : m.start()].strip(". ") == ""
        )
        nxt = words[i + 1] if i + 1 < len(words) else None
        next_is_surname = (
            nxt is not None
            and _capitalised(nxt.group())
            and _bare(nxt.group()) in sur
            and text[m.end() : nxt.start()].strip() == ""
        )
        prev_is_forename = (
            prev is not None
            and _capitalised(prev.group())
            and _bare(prev.group()) in fore
            and text[prev.end() : m.start()].strip() == ""
        )
        starts_sentence = _SENTENCE_END.search(text, 0, m.start()) is not None
        paired = after_title or (bare in fore and next_is_surname)
        paired = paired or (bare in sur and prev_is_forename and bare not in _NEVER - _WEAK)
        if paired or (bare not in _WEAK and _alone_is_name(bare, fore, sur, starts_sentence)):
            yield m.span()


def _alone_is_name(bare: str, fore: frozenset[str], sur: frozenset[str], starts: bool) -> bool:
    """Rules 3 to 5: a word read as a name without a title or a partner."""
    if bare in fore:
        return bare not in _WORDLIKE or not starts
    return bare in sur and bare not in _SURNAME_WORDS and not starts
