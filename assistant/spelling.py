"""English questions as coordinators type them, put right before search: shorthand spelled out
("min members for a cluster?": `spelled_out`) and typos corrected ("wat is the clusterfy acton plan
objectiv": `corrected`).

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
from .safe_yaml import load_shipped
from .settings import shipped

ABBREVIATIONS = shipped("assistant", "en_abbreviations.yaml")

_WORD = re.compile(r"(?<![\w@./-])[a-z]+(?![\w@/-]|\.\w)")  # lowercase words, not parts of addresses
SHORTEST = 4


def spelled_out(question: str) -> str:
    """`question` with the chat shorthand of `en_abbreviations.yaml` written in full: "min" and "Min" (as
    "Minimum"), and a key in capitals only as written ("LT"; "lt" may end a web address)."""
    table = _abbreviations()

    def full(m: re.Match[str]) -> str:
        word = m.group()
        value = table.get(word if word.isupper() and word in table else word.lower())
        if value is None or (word.lower() in table and word not in (word.lower(), word.capitalize(), word.upper())):
            return word
        return value[:1].upper() + value[1:] if word[:1].isupper() and not word.isupper() else value
    return re.sub(r"(?<![\w.@/-])[A-Za-z]+(?![\w@/-]|\.\w)", full, question)


@lru_cache(maxsize=1)
def _abbreviations() -> dict[str, str]:
    data = load_shipped(ABBREVIATIONS.read_text(encoding="utf-8")) or {}
    return {str(k) if str(k).isupper() else str(k).lower(): str(v) for k, v in data.items()}


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
