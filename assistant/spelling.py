"""Typos in English questions, put right before search ("wat is the clusterfy acton plan objectiv").

A misspelt word matches nothing in the keyword index and pulls the question's vector astray. A word is
left alone when the corpus holds it (its stem is an indexed term: "InoLink", "klasterių" never reach
here), when it is a name (capitalised or an acronym), when it is short (three letters or fewer), or
when pyspellchecker's English dictionary (MIT, offline) knows it ("money", "tips", "acton"). Otherwise
a spelling one edit away (a letter missing, added, changed, or two swapped) wins: the corpus's own terms
first, the one most chunks hold; then English words, the most frequent. "objectiv" becomes "objective",
"partnerhsip" "partnership"; "cepelinai" has no near spelling and stays. (Two edits away cost 0.8 s a
word in pyspellchecker.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from .keywords import STOPWORDS, stem

_WORD = re.compile(r"(?<![\w@./-])[a-z]+(?![\w@/-]|\.\w)")  # lowercase words, not parts of addresses
SHORTEST = 4


@lru_cache(maxsize=1)
def _dictionary() -> Any:
    try:
        from spellchecker import SpellChecker
    except ImportError as e:  # a dependency of the project: only a broken install lacks it
        raise RuntimeError("pyspellchecker is missing: pip install pyspellchecker") from e
    return SpellChecker(distance=1)


def corrected(question: str, spread: Callable[[str], int]) -> str:
    """`question` with its misspelt words replaced. `spread(term)`: how many chunks hold an indexed term
    (0 for none), as `KeywordIndex.chunks_holding` counts. Lithuanian questions are not for this."""
    def fix(m: re.Match[str]) -> str:
        word = m.group()
        if len(word) < SHORTEST or word in STOPWORDS or spread(stem(word)) > 0:
            return word
        english = _dictionary()
        if word in english:
            return word
        options = _ranked(english.edit_distance_1(word), spread, english)
        return options[0] if options else word
    return _WORD.sub(fix, question)


def _ranked(spellings: set[str], spread: Callable[[str], int], english: Any) -> list[str]:
    """The corpus's terms among `spellings`, most widely held first; failing those, English words."""
    held = {s: spread(stem(s)) for s in spellings}
    ours = sorted((s for s, n in held.items() if n > 0), key=lambda s: (-held[s], s))
    if ours:
        return ours
    return sorted(english.known(spellings), key=lambda s: (-english.word_usage_frequency(s), s))
