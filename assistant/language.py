"""Cross-lingual help for Lithuanian questions: the corpus and the embedding model are English, so
a Lithuanian question is expanded with English equivalents of its domain words (a glossary keyed
by Lithuanian word stems) before retrieval. The answer quotes the English sources."""

from __future__ import annotations

from functools import lru_cache

from .safe_yaml import load_shipped
from .settings import shipped
from .text import WORD

GLOSSARY = shipped("assistant", "lt_glossary.yaml")
_LT_LETTERS = set("ąčęėįšųūž")
# Common Lithuanian words, so that a question typed without diacritics is still recognised.
LT_WORDS = {"kaip", "kokie", "kokios", "koks", "kokia", "kiek", "kas", "kodel", "kada", "kur", "ar", "yra",
            "kokiais", "kokias", "kokioms", "kokiu", "koki", "kuri", "kurie", "kuris", "kurios", "pagal", "apie",
            "ir", "bei", "su", "nuo", "iki", "arba", "kad", "del", "tik", "gali", "galima", "gauti",
            "reikia", "turi", "turetu", "vienas", "viena", "musu", "savo", "jie", "daugiau", "daugiausiai",
            # question words and pronouns as they inflect
            "kokią", "kokį", "kokių", "kokiems", "kurią", "kurį", "kurių", "kuriems", "kuriuos", "kodėl",
            "jis", "ji", "jos", "jų", "šis", "ši", "šie", "šios", "tai", "tas", "vienam", "vienai",
            # everyday function words: neither a topic nor a reason to refuse
            "mūsų", "mano", "jūsų", "tarp", "būti", "turėtų", "galėtų", "toliau", "visoje", "vieni",
            "kitais", "kiti", "imtų", "verta", "reikėtų", "kuo", "tos", "tie", "prie", "ką", "ko",
            "dar", "jau", "labai", "daug", "mažai", "gavo", "duoda", "dirbti", "jiems", "jai", "joms",
            # the question words' other cases, and the verb "to be" as questions use it
            "kokio", "kokiam", "kokioje", "kokiose", "kokiomis", "kurio", "kuriam", "kurioje", "kuriose",
            "kuriomis", "kuriais", "buvo", "turėjo", "turės", "būtų", "esame", "esam", "esu",
            "toje", "tuo", "šiame", "šioje", "tiems", "kurias", "reikės", "reikėjo",
            # asking itself: "Noriu paklausti…", "norėčiau sužinoti…"
            "noriu", "norime", "norėčiau", "norėtume", "klausti", "paklausti", "sužinoti", "žinoti", "suprantu",
            # verbs and pronouns that carry no subject (stop 26): "become", "does", "for the sake of", "itself"
            "tapti", "tampa", "daro", "daryti", "labui", "pats", "pati", "patys", "kitų", "kitos", "kitą", "rodo",
            "reiškia", "kartais", "dažnai", "visada", "niekada"}
SEPARATOR = " | "  # between the English expansion and the Lithuanian question
_PLAIN = str.maketrans("ąčęėįšųūž", "aceeisuuz")


def plain(text: str) -> str:
    """The text as typed without diacritics ("paraiškas" -> "paraiskas"), as many users do."""
    return text.translate(_PLAIN)


# The same words typed without diacritics ("buti", "turejo", "musu").
_LT_WORDS_PLAIN = frozenset(plain(w) for w in LT_WORDS)


def function_word(word: str) -> bool:
    """Is the (lower-case) word one of LT_WORDS, as written or typed without diacritics?"""
    return word in LT_WORDS or word in _LT_WORDS_PLAIN


def _starts(word: str, key: str) -> bool:
    """Does a question word start with a glossary key, as written or, for a word typed without
    diacritics, as the key would be typed so ("paraiskas": "paraišk")? Forms that soften a stem's t or d
    ("partnerysčių", "sričių", "dydžio") have keys of their own: a rule would also take "verčiau" for "vert"."""
    folded = plain(key)  # "lėš" (funds) typed so is "les": too short to tell from other words
    return word.startswith(key) or (word == plain(word) and len(folded) >= 4 and word.startswith(folded))


def _holds(text: str, phrase: str) -> str | None:
    """The glossary phrase as `text` holds it (with diacritics, or typed without), or None."""
    if phrase in text:
        return phrase
    if plain(phrase) != phrase and plain(phrase) in text:
        return plain(phrase)
    return None


def is_lithuanian(text: str) -> bool:
    words = [w.lower() for w in WORD.findall(text)]
    if not words:
        return False
    stems = _lithuanian_stems()
    hits = sum(function_word(w) or any(ch in _LT_LETTERS for ch in w) or w.startswith(stems) for w in words)
    return hits / len(words) >= 0.25


# Glossary keys that also start English words ("termino": terminology): they translate, but mark nothing.
_STARTS_ENGLISH = frozenset({"termino"})


@lru_cache(maxsize=1)
def _lithuanian_stems() -> tuple[str, ...]:
    """Long glossary stems that no English word of theirs starts with ("klaster", not "mentor"): a
    word with such a stem is Lithuanian even when typed without diacritics."""
    out = []
    for key, value in _glossary():
        # Six letters at least: shorter ones start English words too ("param", "brand", "met").
        if " " not in key and len(key) >= 6 and not any(w.lower().startswith(key) for w in value.split()) \
                and key not in _STARTS_ENGLISH:
            out.append(key)
    return tuple(out)


@lru_cache(maxsize=1)
def _word_keys() -> tuple[str, ...]:
    """The glossary's one-word keys (its phrases aside)."""
    return tuple(key for key, _ in _glossary() if " " not in key)


@lru_cache(maxsize=1)
def _glossary() -> list[tuple[str, str]]:
    data = load_shipped(GLOSSARY.read_text(encoding="utf-8")) or {}
    # Longest keys first, so "klasterizac" wins over "klaster".
    return sorted(((str(k).lower(), str(v)) for k, v in data.items()), key=lambda kv: -len(kv[0]))


def expand(question: str) -> str:
    """The question itself, plus the English words of its Lithuanian terms (when it is Lithuanian)."""
    if not is_lithuanian(question):
        return question
    lowered = question.lower()
    english: list[str] = []
    for key, value in _glossary():  # phrases first (longest keys first); a phrase's words are used up
        if " " in key:
            held = _holds(lowered, key)
            if held:
                english.append(value)
                lowered = lowered.replace(held, " ")
            continue
        if any(_starts(w, key) for w in WORD.findall(lowered)):
            english.append(value)
    # Names (INOKLASTER, InoLink, EOCIC) are kept: they match lexically in any language.
    names = [w for w in WORD.findall(question) if len(w) > 2 and (w.isupper() or any(c.isupper() for c in w[1:]))
             and not any(_starts(w.lower(), k) for k in _word_keys())]  # "MVĮ" is a glossary word (SMEs), not a name
    return " ".join(dict.fromkeys([*names, *" ".join(english).split()])) + SEPARATOR + question


def untranslated(search: str) -> list[str]:
    """The content words of an expanded Lithuanian question that the glossary could not translate:
    a question about strawberries is not covered just because its word for "clusters" is."""
    head, sep, tail = search.partition(SEPARATOR)
    if not sep or not is_lithuanian(tail):
        return []
    lowered = tail.lower()
    for key, _ in _glossary():
        if " " in key:
            held = _holds(lowered, key)
            if held:
                lowered = lowered.replace(held, " ")
    names = set(head.split())
    return [w for w in WORD.findall(lowered) if len(w) > 3 and not function_word(w)
            and not any(_starts(w, k) for k in _word_keys()) and not any(n.lower() == w for n in names)
            and not w.isdigit()]


def with_english(search: str, words: list[str]) -> str:
    """The search string with `words` added to its English part."""
    if not words:
        return search
    head, sep, tail = search.partition(SEPARATOR)
    if sep and is_lithuanian(tail):
        return " ".join([head, *words]) + sep + tail
    return " ".join([search, *words])


def english_part(search: str) -> str:
    """What of a search string can match the English sources: the English words of an expanded
    Lithuanian question (its own words never match), any other text whole."""
    head, sep, tail = search.partition(SEPARATOR)
    return head if sep and is_lithuanian(tail) else search
