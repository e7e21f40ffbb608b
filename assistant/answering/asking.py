"""What a question asks for: a list, a number, names; and so how many words its answer may take."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..keywords import STOPWORDS, names_in, terms
from ..language import english_part, is_lithuanian
from ..text import BULLET, unit_spans

# A list question asks for several things: "Which development levels…", "What concrete results…",
# "List the…". The plural must head what is asked (within a few words of "what" or "which"): "the
# minimum number of members" asks for one number, "Apart from what members chip in, where else…?" for
# sources of money.
_LIST_NOUNS = (r"steps|levels|criteria|weaknesses|strengths|threats|opportunities|topics|measures|types|areas|"
               r"actions|stakeholders|activities|priorities|objectives|services|results|problems|challenges|"
               r"barriers|examples|members|regions|technologies|fields|ways|things|tools|lessons|factors|phases")
_LIST_QUESTION = re.compile(rf"^(what are|what were|list|name)\b|(?:^|,\s*)(?:(?:in|on|for|from|by)\s+)?"
                            rf"(?:what|which)\s+(?:\S+\s+){{0,3}}(?:{_LIST_NOUNS})\b", re.I)
# A glossary-expanded Lithuanian question's English part is a bag of terms: its plural among the first.
_LIST_TERMS = re.compile(rf"^(?:\S+\s+){{0,4}}(?:{_LIST_NOUNS})\b", re.I)
_COUNT_QUESTION = re.compile(r"^\s*how (many|much)\b", re.I)
# "min members for a cluster?", "the number of members": a quantity of the things, not the things.
_COUNTED = re.compile(rf"\b(?:min|max|minimum|maximum|average|number of|total)\s+(?:{_LIST_NOUNS})\b", re.I)
_COUNT_TERMS = re.compile(r"\bhow (many|much)\b", re.I)

# Answer typing, as in classic question answering: a question that asks for a quantity or a date
# prefers units holding a number; one that asks "who" or "which organisations" prefers units naming some.
_NUMBER_QUESTION = re.compile(r"\b(how (many|much|long|large|big|often|old)|when|timeline|what (year|date|amount|"
                              r"budget|share|percentage)|maximum|minimum|min|max|per ?cent|numbers|figures|statistics|"
                              r"cost|costs)\b", re.I)
_NAME_QUESTION = re.compile(r"^(who|whom)\b|\b(which|what) (clusters?|organi[sz]ations?|institutions?|"
                            r"programmes?|models?|stakeholders?|partners?|countries|regions?|projects?|bodies)\b", re.I)
NUMBER = re.compile(r"\b\d")
# "How many", "how long": the word after "how" says what kind of answer is asked, not what it is about.
_HOW_WORD = re.compile(r"\bhow\s+(?:many|much|long|large|big|often|old|far|soon)\b", re.I)
_NAME = re.compile(r"\b([A-Z][a-z]+|[A-Z]{2,})\b")
_WORDS = re.compile(r"[\w&-]+")


@dataclass(frozen=True)
class Clues:
    """What the pipeline learnt about a question with the corpus's help, for the answerer to weigh."""

    subjects: list[frozenset[str]] = field(default_factory=list)  # each rare name asked: the documents naming it
    parts: list[tuple[str, list[float]]] = field(default_factory=list)  # each part of a many-part question, its vector
    focus: frozenset[str] | None = None  # the terms that pick out what it is about (`KeywordIndex.focus`)
    defined: list[str] = field(default_factory=list)  # what "What is X?" asks about, in its forms (`defined_name`)


LIST_BUDGET = 1.25
FACT_BUDGET = 0.8
_FACT_QUESTION = re.compile(r"^(how (many|much|long|often)|when|who|in which year|what year|what (was|is) the "
                            r"(number|amount|budget|share|date|deadline|name))\b", re.I)


def asks_for_list(question: str) -> bool:
    """Does what is asked name several things? The asking sentences decide, not a preamble ("Our members
    keep skipping activities. How did other clusters keep companies on board?"); "How many members…"
    asks for a count, not for the members."""
    english = english_part(question)
    if english != question:  # a glossary-expanded Lithuanian question: its English part is a bag of terms
        return bool(_LIST_TERMS.search(english)) and not _COUNT_TERMS.search(english)
    return any(_LIST_QUESTION.search(s) and not _COUNT_QUESTION.match(s) and not _COUNTED.search(s)
               for s in asking_sentences(question))


# "What is INOKLASTER exactly?", "what's the EOCIC?", "What exactly is INOKLASTER": a question (or a
# part of one, `question_parts`) that asks what a named thing is.
_DEFINITION = re.compile(r"^\s*(?i:(?:so\s+|and\s+)?(?:what|who)(?:\s+exactly)?(?:'s|’s|\s+is|\s+are|\s+was|\s+were)\s+"
                         r"(?:the\s+|an?\s+)?)(?P<name>[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){0,3})"
                         r"(?i:\s+exactly|\s+all\s+about|\s+about)?\s*[?.!]*\s*$")
# "What does INOKLASTER fund?", "what does the EOCIC do?": what a named thing does is said where it is defined.
_PURPOSE = re.compile(r"^\s*(?i:(?:so\s+|and\s+)?what\s+(?:does|do|did|will|can)\s+(?:the\s+)?)"
                      r"(?P<name>[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){0,3})"
                      r"(?i:\s+(?:do|fund|support|offer|finance|cover|provide|give|run|pay\s+for))\b")
_LEADING = 2  # words: a unit that names the thing this early is about it ("Measure INOKLASTER supports…")


def defined_name(question: str, acronyms: dict[str, str] | None = None) -> list[str]:
    """For a question asking what a named thing is or does ("What does INOKLASTER fund?"), the name and, for an
    acronym the documents define, its spelled-out form ("EOCIC", "European Observatory for Clusters and Industrial
    Change"); else []."""
    m = _DEFINITION.match(question) or _PURPOSE.match(question)
    if m is None:
        return []
    name = m.group("name")
    if name.lower() in STOPWORDS:  # "What is This?"
        return []
    return [name] + [full for short, full in (acronyms or {}).items() if short == name]


def defines(names: list[str], text: str) -> bool:
    """Does the unit say what one of `names` is: it opens with it ("Measure INOKLASTER supports…", "The
    European Observatory for Clusters and Industrial Change (#EOCIC) is…"), or says "… is INOKLASTER"?"""
    plain = BULLET.sub("", text).strip()
    lowered = re.sub(r"^(?:the|a|an)\s+", "", plain.lower())
    leading = [w.lower() for w in _WORDS.findall(plain)[:_LEADING]]
    for name in names:
        low = name.lower()
        opens = lowered.startswith(low) if " " in low else low in leading
        if opens or re.search(rf"\b(?:is|are)\s+(?:the\s+)?{re.escape(low)}\b", lowered):
            return True
    return False


def subject_terms(question: str) -> list[str]:
    """The question's terms less the words that only say what kind of answer is asked ("how many")."""
    return terms(_HOW_WORD.sub("how", question))


def asking_sentences(question: str) -> list[str]:
    """The sentences that ask: from the first that ends in "?" to the end ("How did they do it? List the
    steps."), or all of them when none does. What comes before only sets the scene."""
    parts = [question[s:e] for s, e in unit_spans(question)]
    first = next((i for i, p in enumerate(parts) if p.rstrip().endswith("?")), None)
    return parts if first is None else parts[first:]


def asks_for(question: str) -> tuple[bool, bool]:
    """Does the question ask for a number, and does it ask for names?"""
    english = english_part(question)
    if english != question:  # a glossary-expanded Lithuanian question: its English part is a bag of terms
        return bool(_NUMBER_QUESTION.search(english)), bool(re.search(r"\bwho\b", english))
    return bool(_NUMBER_QUESTION.search(question)), bool(_NAME_QUESTION.search(question))


def answer_type_matches(asked: tuple[bool, bool], text: str) -> tuple[bool, bool]:
    """Does the unit hold what the question asks for (`asks_for`): a number, and names (two or more
    capitalised words past the first, or acronyms)?"""
    number, names = asked
    figure = NUMBER.search(BULLET.sub("", text))  # a list's "3." is no figure
    return number and bool(figure), names and len(_NAME.findall(text, 1)) >= 2


# "How many clusters operate in Latvia?", "the minimum number of members": what is counted. The noun is the
# last plural of the few words that follow, before a function word ("how many cluster stars does…": stars).
_COUNTED_THING = re.compile(r"\b(?:how\s+many|number\s+of)\s+((?:[a-z][\w-]*\s*){1,3})", re.I)
_NUMBER_WORDS = frozenset({"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                           "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "hundred", "dozen"})
_TOKEN = re.compile(r"\w[\w/.,-]*\w|\w")
_CLAUSE_BREAK = re.compile(r"[,;:()–—.!?]\s|\s[–—]\s|[;:()•]")
COUNT_REACH = 4  # words: "20 or fewer cluster stars", "50 clusters", "5 members"


def counted(question: str) -> list[str]:
    """The words for the things a question asks to count, as asked ("How many clusters…" and "how many
    members": clusters, members). A glossary-expanded Lithuanian question is a bag of terms: none."""
    if english_part(question) != question:
        return []
    out = []
    for m in _COUNTED_THING.finditer(question):
        words = []
        for w in m.group(1).split():
            if w.lower() in STOPWORDS:
                break
            words.append(w.lower())
        plural = [w for w in words if w.endswith("s") and not w.endswith("ss")]
        if words:
            out.append(plural[-1] if plural else words[0])
    return list(dict.fromkeys(out))


def counts(things: list[str], text: str) -> bool:
    """Does the unit give a count of one of `things`: a figure followed by the thing within a few words of
    the same clause ("Around 50 clusters operate…"; not "13 members, the largest clusters…"), not across
    "of" or "per" ("1/3 of clusters" is a share, "25 thousand € per project" a sum)?"""
    if not things:
        return False
    for clause in _CLAUSE_BREAK.split(BULLET.sub("", text).lower()):
        tokens = _TOKEN.findall(clause)
        for i, tok in enumerate(tokens):
            if not (tok[0].isdigit() and "/" not in tok) and tok not in _NUMBER_WORDS:
                continue
            for w in tokens[i + 1:i + 1 + COUNT_REACH]:
                if w in ("of", "per"):
                    break
                if w in things:  # as asked: "4 European Cluster Policy Forum events" counts no clusters
                    return True
    return False


def budget_for(question: str, word_budget: int) -> int:
    """Lists need room; a number or a name does not."""
    if _FACT_QUESTION.search(question):
        return int(word_budget * FACT_BUDGET)
    if asks_for_list(question):
        return int(word_budget * LIST_BUDGET)
    return word_budget


# Two questions in one: "Who runs InoLink and what does it cost?", "What is INOKLASTER; who approves it?"
_PART_BREAK = re.compile(r"(?:,\s*|\s+)(?:and|but|also|plus)\s+(?=(?:who|whom|what|when|where|which|why|how|is|are|"
                         r"was|were|does|do|did|can|could|should|will)\b)|;\s+", re.I)


def question_parts(question: str) -> list[str]:
    """The questions a question asks, each with the names the question holds ("what does it cost?" is
    about InoLink): clauses joined by "and" before a question word, and asking sentences of their own. A
    sentence that does not ask ("I need numbers for our board.") or asks too little alone ("How
    exactly?", "Is there a diagnostic?") belongs to the part before it. A question that asks one thing
    is its one part."""
    if english_part(question) != question or is_lithuanian(question):  # its English part is a bag of terms
        return [question]
    parts: list[str] = []
    for sentence in asking_sentences(question):
        clauses = [c.strip() for c in _PART_BREAK.split(sentence) if terms(c)]
        if not clauses:
            continue
        if parts and (not sentence.rstrip().endswith("?") or len(terms(clauses[0])) < 2):
            parts[-1] = f"{parts[-1]} {clauses.pop(0)}"
        parts += clauses
    if len(parts) < 2:
        return [question]
    named = names_in(question)
    return [p if any(n in p for n in named) else " ".join([p, *named]) for p in parts]
