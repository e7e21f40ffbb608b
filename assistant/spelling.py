"""English questions as coordinators type them, put right before search: shorthand spelled out
("min members for a cluster?": `spelled_out`) and typos corrected ("wat is the clusterfy acton plan
objectiv": `corrected`).

A misspelt word matches nothing in the keyword index and pulls the question's vector astray. Only
lowercase words of five letters or more are looked at (names are capitalised or acronyms; "kpis", "wat"
are too short to tell). A word is left alone when the corpus holds it (its stem is an indexed term), or
when pyspellchecker's English dictionary (MIT, offline) knows it ("money", "acton"). Otherwise the corpus
term one edit away (a letter missing, added, changed, or two swapped) that most chunks hold replaces it:
"objectiv" becomes "objective", "partnerhsip" "partnership". Nothing else does: a word the corpus lacks
is rather the user's own ("reskilling", "covid", "interreg" stay; an English near spelling would have
made them "deskilling", "bovid", "interred"), and a short word does not lose a letter to become a
corpus term ("gdpr" is not "gdp"). Two edits away cost 0.8 s a word in pyspellchecker."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from .english_words import dictionary
from .keywords import STOPWORDS, stem
from .safe_yaml import load_shipped
from .settings import shipped

ABBREVIATIONS = shipped("assistant", "en_abbreviations.yaml")

# Lowercase words, not parts of addresses or of contractions ("aren't").
_WORD = re.compile(r"(?<![\w@./'’-])[a-z]+(?![\w@/'’-]|\.\w)")
SHORTEST = 5
_UNITS = {"min"}  # shorthand that is a unit after a number: "10 min" are minutes
_SHORTHAND = re.compile(r"(?<![\w.@/'’-])([A-Za-z]+)(\.(?=\s+[a-z0-9]))?(?![\w@/'’-]|\.\w)")
DROPS_FROM = 7  # letters: a word this long may have one too many ("fundding"); a shorter one keeps them


def spelled_out(question: str) -> str:
    """`question` with the chat shorthand of `en_abbreviations.yaml` written in full: "min" and "Min" (as
    "Minimum"), and a key in capitals only as written ("LT"; "lt" may end a web address). An abbreviation's
    full stop goes with it ("Min. number"); "min" after a number is minutes ("a 10 min pitch")."""
    table = _abbreviations()

    def full(m: re.Match[str]) -> str:
        word = m.group(1)
        value = table.get(word if word.isupper() and word in table else word.lower())
        if value is None or (word.lower() in table and word not in (word.lower(), word.capitalize(), word.upper())) \
                or (word.lower() in _UNITS and re.search(r"\d\s*$", m.string[:m.start()])):
            return m.group(0)
        return value[:1].upper() + value[1:] if word[:1].isupper() and not word.isupper() else value
    return _SHORTHAND.sub(full, question)


@lru_cache(maxsize=1)
def _abbreviations() -> dict[str, str]:
    data = load_shipped(ABBREVIATIONS.read_text(encoding="utf-8")) or {}
    return {str(k) if str(k).isupper() else str(k).lower(): str(v) for k, v in data.items()}


# A name as typed: in capitals or mixed case, five letters or more ("INOKLASTR", "Inolnk").
_NAME = re.compile(r"(?<![\w@./'’-])[A-Za-z]*[A-Z][A-Za-z]*(?![\w@/'’-]|\.\w)")


def corrected_names(question: str, spread: Callable[[str], int], names: frozenset[str]) -> str:
    """`question` with a misspelt name put right: a word in capitals or mixed case that no chunk holds, one
    edit away from exactly one of the `names` the texts write only so (`KeywordIndex.names`, lower case):
    "INOKLASTR" becomes "INOKLASTER". A name the corpus lacks stays, to be reported ("No document mentions
    Latvia")."""
    def fix(m: re.Match[str]) -> str:
        word = m.group()
        low = word.lower()
        if len(word) < SHORTEST or spread(stem(low)) > 0 or low in names:
            return word
        near = sorted(names & dictionary().edit_distance_1(low))
        if len(near) != 1:
            return word
        name = near[0]
        return name.upper() if word.isupper() else name[:1].upper() + name[1:] if word[:1].isupper() else name
    return _NAME.sub(fix, question)


def corrected(question: str, spread: Callable[[str], int]) -> str:
    """`question` with its misspelt words replaced. `spread(term)`: how many chunks hold an indexed term
    (0 for none), as `KeywordIndex.chunks_holding` counts. Lithuanian questions are not for this."""
    def fix(m: re.Match[str]) -> str:
        word = m.group()
        if len(word) < SHORTEST or word in STOPWORDS or spread(stem(word)) > 0:
            return word
        english = dictionary()
        if word in english:
            return word
        held = {s: spread(stem(s)) for s in english.edit_distance_1(word)
                if len(s) >= len(word) or len(word) >= DROPS_FROM}
        ours = sorted((s for s, n in held.items() if n > 0), key=lambda s: (-held[s], s))
        return ours[0] if ours else word
    return _WORD.sub(fix, question)
