"""The English dictionary (pyspellchecker's, offline): what spelling correction and name finding check words
against."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def dictionary() -> Any:
    """pyspellchecker's English dictionary, loaded once (~0.2 s)."""
    try:
        from spellchecker import SpellChecker
    except ImportError as e:  # a dependency of the project: only a broken install lacks it
        raise RuntimeError("pyspellchecker is missing: pip install pyspellchecker") from e
    return SpellChecker(distance=1)


def is_english_word(word: str) -> bool:
    """Is `word` (lower case) in the English dictionary? "nuts" and "pest", which a corpus may also write as
    acronyms ("NUTS 2 regions"), are everyday words, not names."""
    return word in dictionary()
