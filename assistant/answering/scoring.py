"""How well each unit answers the question: cosine similarity of its embedding (made at ingest) to the
question, plus overlap with the question's terms weighted by how rare each term is among the candidates
(a name every candidate shares says little; a word that means nearly the term, "funds" for "money",
counts by its similarity), plus a share of the previous unit's score (answers often follow the sentence
that names the subject; a heading or caption passes none on), plus a bonus when the unit holds what the
question asks for: a number ("how long", "when"), names ("who"), or for a list question a list whose
heading it names ("Threats")."""

from __future__ import annotations

import math
import re

import numpy as np

from ..keywords import terms
from ..text import is_heading, is_list_item
from ..word_vectors import WordVectors
from .asking import NUMBER, Clues, answer_type_matches, asks_for, asks_for_list, counted, counts, defines
from .lists import intro_of, is_intro, list_end
from .units import Candidate, before, is_enumeration, is_noise

LEXICAL_WEIGHT = 0.5
CONTEXT_WEIGHT = 0.5
RANK_PENALTY = 0.05
LIST_BONUS = 0.2
ANSWER_TYPE_BONUS = 0.1
DEFINITION_BONUS = 0.3  # "What is INOKLASTER?": the sentence that opens with it says what it is
SUBJECT_PENALTY = 0.5  # a document that never names the programme asked about does not say how it works

# How a unit's features weigh in its score. FEATURES describe the unit alone (its `own` score);
# PREVIOUS carries the previous unit's share, since an answer often follows the sentence that names
# its subject. (Weights learned by logistic regression on the dev half's key facts ranked single
# units better but composed worse answers: see docs/evaluation.md.)
FEATURES = ("cos", "lexical", "rank", "list_match", "number_match", "names_match", "log_words", "has_number",
            "list_item", "first_in_chunk", "off_subject", "focus", "defines", "counts")
PREVIOUS = ("prev_cos", "prev_lexical")
WEIGHTS: dict[str, float] = {
    "cos": 1.0, "lexical": LEXICAL_WEIGHT, "rank": -RANK_PENALTY, "list_match": LIST_BONUS,
    "number_match": ANSWER_TYPE_BONUS, "names_match": ANSWER_TYPE_BONUS, "log_words": 0.0, "has_number": 0.0,
    "list_item": 0.0, "first_in_chunk": 0.0, "off_subject": -SUBJECT_PENALTY, "defines": DEFINITION_BONUS,
    "focus": 0.0, "counts": 0.0,  # filters: `Composer` (a "how many" question's lead gives the count)
    "prev_cos": CONTEXT_WEIGHT, "prev_lexical": CONTEXT_WEIGHT * LEXICAL_WEIGHT,
}

# A sentence that leans on the one before ("It…", "This…", "They…", "Such…", "Moreover…") shares its
# relevance; one that names its own subject takes only INDEPENDENT_SHARE of it.
_DEPENDS = re.compile(r"^(It|Its|This|These|That|Those|They|Their|Them|Such|Both|Moreover|Furthermore|Also|"
                      r"In addition|Therefore|Thus|However|Here|There)\b")
INDEPENDENT_SHARE = 0.5


def term_matches(qterms: list[str], unit_terms: dict[int, frozenset[str]],
                 words: WordVectors | None) -> dict[int, dict[str, float]]:
    """For each unit, the question terms it holds: 1 for the term itself, and with `words` the
    similarity of its nearest word for a term it words otherwise ("funds" for "money", 0.67)."""
    if words is None:
        return {u: {t: 1.0 for t in qterms if t in ts} for u, ts in unit_terms.items()}
    vocab = sorted(set().union(*unit_terms.values())) if unit_terms else []
    sims = words.matches(qterms, vocab)
    column = {w: j for j, w in enumerate(vocab)}
    out: dict[int, dict[str, float]] = {}
    for u, ts in unit_terms.items():
        best = sims[:, [column[t] for t in ts]].max(axis=1) if ts else np.zeros(len(qterms))
        out[u] = {t: float(best[i]) for i, t in enumerate(qterms) if best[i] > 0}
    return out


def features(question: str, query_vector: list[float], by_chunk: dict[str, list[Candidate]],
             word_vectors: WordVectors | None = None, clues: Clues | None = None,
             chunk_before: dict[str, str] | None = None) -> None:
    """Each candidate's feature values (`Candidate.features`, keyed by FEATURES and PREVIOUS). From the
    `clues`: "off_subject" is the share of the rare names asked whose documents the unit's is not among;
    "focus" how nearly the unit holds one of the terms that pick out what the question is about (1 when
    none is given: no filter); "defines" whether it says what a "What is X?" question asks about."""
    clues = clues or Clues()
    qterms = sorted(set(terms(question)))
    all_c = [c for lst in by_chunk.values() for c in lst]
    # Only a subject some candidate's document names re-ranks them; none such does not empty the answer.
    subjects = [docs for docs in clues.subjects if any(c.doc in docs for c in all_c)]
    # A unit is read under its section's heading ("Resources needed": "Required resources are a mentor…").
    unit_terms = {id(c): c.terms | c.heading for c in all_c}
    for lst in by_chunk.values():  # a list's heading qualifies each item: "Weaknesses" / "• Lack of trust"
        for c in lst:
            intro = intro_of(lst, c.index) if is_list_item(c.text) else None
            if intro is not None:
                unit_terms[id(c)] = unit_terms[id(c)] | intro.terms
    held = term_matches(qterms, unit_terms, word_vectors)
    n = max(1, len(all_c))
    # How rare a term is among the candidates, counting the units that word it otherwise too.
    idf = {t: math.log(1 + n / (1 + sum(t in m for m in held.values()))) for t in qterms}
    total = sum(idf.values()) or 1.0
    focus = (clues.focus or frozenset()) & set(qterms)  # a part of the question has the part's focus
    qv = np.asarray(query_vector)
    wants_list = asks_for_list(question)
    number, names = asks_for(question)
    things = counted(question)
    own: dict[int, dict[str, float]] = {}
    for lst in by_chunk.values():
        for c in lst:
            typed = answer_type_matches((number, names), c.text)
            own[id(c)] = {
                "cos": float(qv @ c.vector), "lexical": sum(idf[t] * m for t, m in held[id(c)].items()) / total,
                "rank": c.chunk_rank, "list_match": float(wants_list and is_enumeration(c.text)),
                "number_match": float(typed[0]), "names_match": float(typed[1]),
                "log_words": math.log1p(c.words), "has_number": float(bool(NUMBER.search(c.text))),
                "list_item": float(is_list_item(c.text)), "first_in_chunk": float(c.index == 0),
                "defines": float(bool(clues.defined) and defines(clues.defined, c.text)),
                "counts": float(counts(things, c.text)),
                "focus": max((held[id(c)].get(t, 0.0) for t in focus), default=0.0) if focus else 1.0,
                "off_subject": sum(c.doc not in docs for docs in subjects) / len(subjects) if subjects else 0.0}
    nothing = {"cos": 0.0, "lexical": 0.0}
    for lst in by_chunk.values():
        for c in lst:
            # A heading or caption says nothing, so it passes no share on: "Strengths", embedded in a
            # chunk about threats, lifted the first strength above the threats.
            prev = before(c, by_chunk, chunk_before)
            carried = own[id(prev)] if prev is not None and not is_noise(prev.text) else nothing
            share = 1.0 if (_DEPENDS.match(c.text) or is_list_item(c.text)) else INDEPENDENT_SHARE
            c.features = {**own[id(c)], "prev_cos": share * carried["cos"], "prev_lexical": share * carried["lexical"]}


def score(question: str, query_vector: list[float], by_chunk: dict[str, list[Candidate]],
          word_vectors: WordVectors | None = None, clues: Clues | None = None,
          chunk_before: dict[str, str] | None = None) -> None:
    """Set each candidate's `own` score and its `score` (with the previous unit's share, across a chunk
    boundary where `chunk_before` names the chunk before); noise gets -1."""
    features(question, query_vector, by_chunk, word_vectors, clues, chunk_before)
    qterms = set(terms(question))
    for lst in by_chunk.values():
        for c in lst:
            if is_noise(c.text):
                c.own = c.score = -1.0
                continue
            c.own = sum(WEIGHTS[k] * c.features[k] for k in FEATURES)
            c.score = c.own + sum(WEIGHTS[k] * c.features[k] for k in PREVIOUS)
        if asks_for_list(question):
            lift_lists(lst, qterms, word_vectors)


def names(heading: frozenset[str], qterms: set[str], words: WordVectors | None) -> bool:
    """Does the question name every term of a heading, itself or (with `words`) in other words?"""
    if not heading or heading <= qterms:
        return bool(heading)
    if words is None or not qterms:
        return False
    return bool((words.matches(sorted(heading), sorted(qterms)).max(axis=1) > 0).all())


def lift_lists(lst: list[Candidate], qterms: set[str], words: WordVectors | None = None) -> None:
    """For list questions a list is one answer (when its intro holds the question's focus, or its heading
    is named): its intro and items share the best score among them,
    and ANSWER_TYPE_BONUS more when its heading names what the question asks for: every term of the
    heading is in the question ("Threats" for "What threats …?"), or in other words ("Weaknesses"
    for "What are the weak points…?", with `words`)."""
    i = 0
    while i < len(lst):
        if not is_intro(lst, i):
            i += 1
            continue
        j = list_end(lst, i)
        headed = is_heading(lst[i].text)
        named = headed and names(lst[i].terms, qterms, words)
        # A list whose intro does not hold what the question is about is not its answer, however well
        # one item matches: "…policy and development are:" / "• … the different level of maturity" for
        # "What are the 4 cluster maturity levels?"
        about = named or lst[i].features["focus"] > 0
        if j - i > 2 and headed:  # "Strengths" for a threats question: a sibling list, left out (`Composer.usable`)
            for c in lst[i:j]:
                c.named = named
        if j - i > 2 and about:
            top = max(c.score for c in lst[i:j]) + LIST_BONUS + ANSWER_TYPE_BONUS * named
            top_own = max(c.own for c in lst[i:j]) + LIST_BONUS + ANSWER_TYPE_BONUS
            for c in lst[i:j]:
                if not is_noise(c.text) or c is lst[i]:  # a caption in the list stays out
                    c.score = max(c.score, top - 0.01 * (c.index - i))  # keep document order
                    if named:  # the list the question names answers it on its own
                        c.own = max(c.own, top_own - 0.01 * (c.index - i))
        i = j
