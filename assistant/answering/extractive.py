"""The offline answerer: no model, no network.

1. Score every sentence or list item ("unit") of the retrieved chunks: cosine similarity of its
   embedding (made at ingest) to the question, plus overlap with the question's terms weighted by
   how rare each term is among the candidates (a name every candidate shares says little; a word
   that means nearly the term, "funds" for "money", counts by its similarity), plus a
   share of the previous unit's score (answers often follow the sentence that names the subject; a
   heading or caption passes none on), plus a bonus when the unit holds what the question asks for:
   a number ("how long", "when"), names ("who"), or for a list question a list whose heading it names
   ("Threats").
2. Take units best first, skipping near-duplicates (by their words), until the word budget is
   filled (larger for list questions, smaller for a number or a name). A unit that points back
   ("Such projects…") brings the unit before it, or, when that one repeats a unit taken from
   another passage, follows that unit; one whose antecedent cannot be shown (a caption) never
   leads. For list questions a list intro (a unit ending in ":", or a heading above list items)
   brings its items along, and a whole list scores as its best member; otherwise a list item
   taken brings only its intro.
3. Print them chunk by chunk in document order, each list item under its list's intro, and cite
   each unit's page or section with `[n]` (chunks overlap: one page is one source); the quote is
   the best unit taken from there, and names its chunk."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
from langchain_core.documents import Document

from ..keywords import terms
from ..language import english_part
from ..schema import Citation
from ..store import Unit
from ..text import BULLET, MARKER, heads_list, is_heading, is_list_item, reader_words, squash, strip_markers, unit_spans
from ..word_vectors import WordVectors

_CAPTION = re.compile(r"^(figure|fig\.|table|source|chart|graph|annex|page)\b", re.I)
_PAGE_FOOTER = re.compile(r"^\d+\s*\|\s*page$", re.I)
# Web-page and form leftovers: they can match a question's words but answer nothing.
_BOILERPLATE = re.compile(r"^(please\s+(log\s*in|sign\s+in|register)|stamp of the organi[sz]ation|signature\b|"
                          r"(click|read more|share this)\b)", re.I)
# The legal page every EU publication prints (its back cover is not indexed: documents.py), and the
# back cover's lines in an index built before that: they match "EU" or "information", answer nothing.
_PUBLICATION_NOTICE = re.compile(r"Publications Office of the European Union|neither the European Commission nor"
                                 r"|reproduction is authori[sz]ed|\bISBN\b|^(?:[–-]\s*)?(?:getting in touch with "
                                 r"the EU|finding information about the EU|Europe Direct is a service|at the following "
                                 r"standard number|by freephone|by email via)", re.I)
LEXICAL_WEIGHT = 0.5
CONTEXT_WEIGHT = 0.5
RANK_PENALTY = 0.05
LIST_BONUS = 0.2
DUPLICATE_SHARE = 0.8  # a unit with this share of its terms in a taken unit repeats it
# A list question asks for several things: "Which development levels…", "What concrete results…",
# "List the…". The plural must head what is asked (within its first words): "the minimum number of
# members" asks for one number.
_LIST_NOUNS = (r"steps|levels|criteria|weaknesses|strengths|threats|opportunities|topics|measures|types|areas|"
               r"actions|stakeholders|activities|priorities|objectives|services|results|problems|challenges|"
               r"barriers|examples|members|regions|technologies|fields|ways|things|tools|lessons|factors|phases")
_LIST_QUESTION = re.compile(rf"^(what are|what were|list|name)\b|^(?:\S+\s+){{0,4}}(?:{_LIST_NOUNS})\b", re.I)


ANSWER_TYPE_BONUS = 0.1
# Answer typing, as in classic question answering: a question that asks for a quantity or a date
# prefers units holding a number; one that asks "who" or "which organisations" prefers units naming some.
_NUMBER_QUESTION = re.compile(r"\b(how (many|much|long|large|big|often|old)|when|timeline|what (year|date|amount|"
                              r"budget|share|percentage)|maximum|minimum|per ?cent|numbers|figures|statistics|"
                              r"cost|costs)\b", re.I)
_NAME_QUESTION = re.compile(r"^(who|whom)\b|\b(which|what) (clusters?|organi[sz]ations?|institutions?|"
                            r"programmes?|models?|stakeholders?|partners?|countries|regions?|projects?|bodies)\b", re.I)
_NUMBER = re.compile(r"\b\d")
_NAME = re.compile(r"\b([A-Z][a-z]+|[A-Z]{2,})\b")


_COUNT_QUESTION = re.compile(r"^\s*how (many|much)\b", re.I)
_COUNT_TERMS = re.compile(r"\bhow (many|much)\b", re.I)


def asks_for_list(question: str) -> bool:
    """Does what is asked name several things? The asking sentences decide, not a preamble ("Our members
    keep skipping activities. How did other clusters keep companies on board?"); "How many members…"
    asks for a count, not for the members."""
    english = english_part(question)
    if english != question:  # a glossary-expanded Lithuanian question: its English part is a bag of terms
        return bool(_LIST_QUESTION.search(english)) and not _COUNT_TERMS.search(english)
    return any(_LIST_QUESTION.search(s) and not _COUNT_QUESTION.match(s) for s in asking_sentences(question))


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
    capitalised words past the first, or acronyms)? Each match weighs ANSWER_TYPE_BONUS (`WEIGHTS`)."""
    number, names = asked
    figure = _NUMBER.search(BULLET.sub("", text))  # a list's "3." is no figure
    return number and bool(figure), names and len(_NAME.findall(text, 1)) >= 2


def is_enumeration(text: str) -> bool:
    """A list item, or a sentence that names several things (commas, semicolons)."""
    return is_list_item(text) or text.count(",") + text.count(";") >= 3


@dataclass
class Candidate:
    chunk_id: str
    chunk_rank: float
    index: int            # position among its chunk's units
    start: int
    text: str
    words: int
    vector: np.ndarray
    terms: frozenset[str]
    score: float = 0.0
    own: float = 0.0      # the score before the previous unit's share: how well the unit alone answers
    features: dict[str, float] = field(default_factory=dict)
    heading: frozenset[str] = frozenset()  # the terms of its section's own heading ("Resources needed")
    named: bool | None = None  # in a list under a bare heading: does the question name that heading?


def is_noise(text: str) -> bool:
    """Headings, captions, footers and publication notices: they match words but say nothing."""
    if _CAPTION.match(text) or _PAGE_FOOTER.match(text) or _BOILERPLATE.match(text) or _PUBLICATION_NOTICE.search(text):
        return True
    return len(text.split()) < 7 and not re.search(r"[.!?;:]$", text) and not is_list_item(text)


# A page's last words run into its footnote, on a line of its own: the note's number, its capitalised
# text, its link ("Clusters are based on\n1 A New Start for Europe: … http://ec.europa.eu/….pdf.").
_FOOTNOTE_LINE = re.compile(r"\n\s*\d{1,3}\s+[A-Z].*(?:https?://|www\.)\S+\s*$", re.S)


def without_footnote(text: str) -> str:
    """The unit's text without a footnote that extraction glued to its end (what is left is then
    often a fragment, and not shown)."""
    m = _FOOTNOTE_LINE.search(text)
    return text[:m.start()] if m and text[:m.start()].strip() else text


def _candidates(docs: list[Document], units: list[Unit]) -> dict[str, list[Candidate]]:
    # A neighbour chunk ranks just after the chunk it borders.
    rank = {d.metadata["id"]: d.metadata.get("neighbour_of", i) + (0.5 if "neighbour_of" in d.metadata else 0)
            for i, d in enumerate(docs)}
    # So does a retrieved chunk that borders a better one: the two are one passage, split by chunking.
    for i, d in enumerate(docs):
        if "neighbour_of" not in d.metadata:
            for nid in (d.metadata.get("prev_id"), d.metadata.get("next_id")):
                if nid in rank:
                    rank[nid] = min(rank[nid], i + 0.5)
    by_chunk: dict[str, list[Unit]] = {}
    for u in units:
        if u.chunk_id in rank:
            by_chunk.setdefault(u.chunk_id, []).append(u)
    heading = {d.metadata["id"]: frozenset(terms(str(d.metadata.get("section") or "").split(" > ")[-1]))
               for d in docs}
    out: dict[str, list[Candidate]] = {}
    for cid, lst in by_chunk.items():
        lst.sort(key=lambda u: u.start)
        texts = [without_footnote(u.text) for u in lst]
        out[cid] = [Candidate(cid, rank[cid], i, u.start, squash(text), len(text.split()),
                              np.asarray(u.embedding), frozenset(terms(text)), heading=heading.get(cid, frozenset()))
                    for i, (u, text) in enumerate(zip(lst, texts, strict=True))]
    return out


# How a unit's features weigh in its score. FEATURES describe the unit alone (its `own` score);
# PREVIOUS carries the previous unit's share, since an answer often follows the sentence that names
# its subject. (Weights learned by logistic regression on the dev half's key facts ranked single
# units better but composed worse answers: see docs/evaluation.md.)
FEATURES = ("cos", "lexical", "rank", "list_match", "number_match", "names_match", "log_words", "has_number",
            "list_item", "first_in_chunk")
PREVIOUS = ("prev_cos", "prev_lexical")
WEIGHTS: dict[str, float] = {
    "cos": 1.0, "lexical": LEXICAL_WEIGHT, "rank": -RANK_PENALTY, "list_match": LIST_BONUS,
    "number_match": ANSWER_TYPE_BONUS, "names_match": ANSWER_TYPE_BONUS, "log_words": 0.0, "has_number": 0.0,
    "list_item": 0.0, "first_in_chunk": 0.0, "prev_cos": CONTEXT_WEIGHT,
    "prev_lexical": CONTEXT_WEIGHT * LEXICAL_WEIGHT,
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
             word_vectors: WordVectors | None = None) -> None:
    """Each candidate's feature values (`Candidate.features`, keyed by FEATURES and PREVIOUS)."""
    qterms = sorted(set(terms(question)))
    all_c = [c for lst in by_chunk.values() for c in lst]
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
    qv = np.asarray(query_vector)
    wants_list = asks_for_list(question)
    number, names = asks_for(question)
    for lst in by_chunk.values():
        prev: dict[str, float] = {"cos": 0.0, "lexical": 0.0}
        for c in lst:
            typed = answer_type_matches((number, names), c.text)
            f = {"cos": float(qv @ c.vector), "lexical": sum(idf[t] * m for t, m in held[id(c)].items()) / total,
                 "rank": c.chunk_rank, "list_match": float(wants_list and is_enumeration(c.text)),
                 "number_match": float(typed[0]), "names_match": float(typed[1]),
                 "log_words": math.log1p(c.words), "has_number": float(bool(_NUMBER.search(c.text))),
                 "list_item": float(is_list_item(c.text)), "first_in_chunk": float(c.index == 0)}
            share = 1.0 if (_DEPENDS.match(c.text) or is_list_item(c.text)) else INDEPENDENT_SHARE
            c.features = {**f, "prev_cos": share * prev["cos"], "prev_lexical": share * prev["lexical"]}
            # A heading or caption says nothing, so it passes no share on: "Strengths", embedded in a
            # chunk about threats, lifted the first strength above the threats.
            prev = {"cos": 0.0, "lexical": 0.0} if is_noise(c.text) else f


def _score(question: str, query_vector: list[float], by_chunk: dict[str, list[Candidate]],
           word_vectors: WordVectors | None = None) -> None:
    features(question, query_vector, by_chunk, word_vectors)
    qterms = set(terms(question))
    for lst in by_chunk.values():
        for c in lst:
            if is_noise(c.text):
                c.own = c.score = -1.0
                continue
            c.own = sum(WEIGHTS[k] * c.features[k] for k in FEATURES)
            c.score = c.own + sum(WEIGHTS[k] * c.features[k] for k in PREVIOUS)
        if asks_for_list(question):
            _lift_lists(lst, qterms, word_vectors)


def is_intro(lst: list[Candidate], i: int) -> bool:
    """Does unit i open a list: "The main figures are:", or a heading ("Weaknesses") above list items?"""
    text = lst[i].text
    if _CAPTION.match(text):  # "Source: EOCIC" above a list is a caption, not its heading
        return False
    return text.endswith(":") or (i + 1 < len(lst) and heads_list(text, lst[i + 1].text))


def in_list(c: Candidate) -> bool:
    """Can this unit belong to a list (an item, or a short line such as a wrapped item)?"""
    return is_list_item(c.text) or c.words <= 15


def intro_of(lst: list[Candidate], i: int) -> Candidate | None:
    """The intro of the list that item i belongs to, if the chunk holds it (past any caption)."""
    j = i - 1
    while j >= 0 and (is_list_item(lst[j].text) or (is_noise(lst[j].text) and not is_intro(lst, j))):
        j -= 1
    return lst[j] if j >= 0 and is_intro(lst, j) else None


def items_of(lst: list[Candidate], i: int) -> list[Candidate]:
    """The items of the list that unit i opens, in this chunk: up to the prose after it, or the next
    list (a list that opens with a list, "Stakeholders:" then "Policy makers:", holds both)."""
    items: list[Candidate] = []
    nested = False
    for item in lst[i + 1:]:
        intro = is_intro(lst, item.index)
        if is_noise(item.text) and not intro:
            continue  # a caption or a footer inside the list is no item
        nested = nested or (intro and not items)
        if not in_list(item) or (intro and items and not nested):
            break
        items.append(item)
    return items


def names(heading: frozenset[str], qterms: set[str], words: WordVectors | None) -> bool:
    """Does the question name every term of a heading, itself or (with `words`) in other words?"""
    if not heading or heading <= qterms:
        return bool(heading)
    if words is None or not qterms:
        return False
    return bool((words.matches(sorted(heading), sorted(qterms)).max(axis=1) > 0).all())


def _lift_lists(lst: list[Candidate], qterms: set[str], words: WordVectors | None = None) -> None:
    """For list questions a list is one answer: its intro and items share the best score among them,
    and ANSWER_TYPE_BONUS more when its heading names what the question asks for: every term of the
    heading is in the question ("Threats" for "What threats …?"), or in other words ("Weaknesses"
    for "What are the weak points…?", with `words`)."""
    i = 0
    while i < len(lst):
        if is_intro(lst, i):
            j = i + 1
            while j < len(lst) and (in_list(lst[j]) or is_noise(lst[j].text)) and not is_intro(lst, j):
                j += 1  # to the end of the list: prose, or the next list's intro
            if j - i > 2:
                headed = is_heading(lst[i].text)
                named = headed and names(lst[i].terms, qterms, words)
                top = max(c.score for c in lst[i:j]) + LIST_BONUS + ANSWER_TYPE_BONUS * named
                top_own = max(c.own for c in lst[i:j]) + LIST_BONUS + ANSWER_TYPE_BONUS
                for c in lst[i:j]:
                    if headed:
                        c.named = named
                    if not is_noise(c.text) or c is lst[i]:  # a caption in the list stays out
                        c.score = max(c.score, top - 0.01 * (c.index - i))  # keep document order
                        if named:  # the list the question names answers it on its own
                            c.own = max(c.own, top_own - 0.01 * (c.index - i))
            i = j
        else:
            i += 1


# A unit that opens by pointing back ("Such small successful achievements will help…", "These
# projects…") is read with the unit before it, which says what it points to. Not "This": it often
# opens a new paragraph ("This action is the core of …"); with it the figures did not move.
_REFERS_BACK = re.compile(r"^(Such|These|Those|They|Their|It|Its|Both)\b")
LIST_BUDGET = 1.25
FACT_BUDGET = 0.8
_FACT_QUESTION = re.compile(r"^(how (many|much|long|often)|when|who|in which year|what year|what (was|is) the "
                            r"(number|amount|budget|share|date|deadline|name))\b", re.I)
# Below the lead's score by more than this, a unit is not worth a reader's time: the answer stops.
RELEVANCE_MARGIN = 0.35
LEAD_POOL = 8
SHORT_ITEM = 6  # words: a shorter list item is a name or a phrase, which answers only as part of its list
_URL = re.compile(r"https?://|www\.", re.I)
_URL_TEXT = re.compile(r"(?:https?://|www\.)\S+", re.I)
_ENDS_SENTENCE = re.compile(r"[.!?;:]['\"”’)]*$")


def budget_for(question: str, word_budget: int) -> int:
    """Lists need room; a number or a name does not."""
    if _FACT_QUESTION.search(question):
        return int(word_budget * FACT_BUDGET)
    if asks_for_list(question):
        return int(word_budget * LIST_BUDGET)
    return word_budget


def is_fragment(text: str) -> bool:
    """Text no reader should meet alone: a footnote's link, or a sentence cut by a page break (it opens
    in lower case, or stops without a full stop)."""
    if _URL.search(text) and (text[:1].isdigit() or reader_words(_URL_TEXT.sub("", text)) <= 3):
        return True  # a footnote's link: "7 https://…", or a bare address
    if is_list_item(text):
        return False
    return text[:1].islower() or not _ENDS_SENTENCE.search(text)


def shown_sentences(answer: str) -> frozenset[str]:
    """The units an answer showed, as `compose(shown=…)` compares them: markers and bullets gone,
    lower case, white space folded."""
    lines = [strip_markers(line) for line in answer.splitlines()]
    return frozenset(_folded(part) for line in lines for part in _SENTENCE_BREAK.split(line) if part.strip())


def _folded(text: str) -> str:
    return " ".join(BULLET.sub("", text).lower().split())


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[\"“(]?[A-Z0-9])")


def compose(question: str, query_vector: list[float], docs: list[Document], units: list[Unit],
            word_budget: int, shown: frozenset[str] = frozenset(),
            word_vectors: WordVectors | None = None) -> tuple[str, list[Citation]]:
    """Build the answer text with [n] markers, and its citations.

    The lead is the unit that answers best; the support follows, most relevant first, until the word
    budget or the relevance floor (RELEVANCE_MARGIN below the lead) stops it. A list shows under its
    intro, with the items that were chosen. Units in `shown` (see `shown_sentences`) are not used.
    `word_vectors`: the corpus's, so that a unit that words a question term otherwise matches it."""
    budget = budget_for(question, word_budget)
    by_chunk = _candidates(docs, units)
    _score(question, query_vector, by_chunk, word_vectors)
    wants_list = asks_for_list(question)
    wants_figure, wants_names = asks_for(question)
    place = _places(docs)
    # A question that names one of the lists under bare headings ("the weak points": "Weaknesses")
    # is not answered with the lists under the other headings of that document ("Opportunities", "Threats").
    named_in = {place[c.chunk_id][0] for lst in by_chunk.values() for c in lst if c.named}

    def usable(c: Candidate) -> bool:
        if shown and not is_intro(by_chunk[c.chunk_id], c.index) and _folded(c.text) in shown:
            return False  # a chat follow-up does not repeat what the reader has just read
        if c.named is False and place[c.chunk_id][0] in named_in:
            return False
        return c.score > 0 and not is_fragment(c.text) and not (is_heading(c.text) and not is_intro(
            by_chunk[c.chunk_id], c.index))

    ranked = sorted((c for lst in by_chunk.values() for c in lst if usable(c)), key=lambda c: -c.score)

    def antecedent(c: Candidate) -> Candidate | None:
        """The sentence before one that points back ("Such projects…"), when a reader can be shown it."""
        lst = by_chunk[c.chunk_id]
        if not _REFERS_BACK.match(c.text) or c.index == 0:
            return None
        prev = lst[c.index - 1]
        if is_noise(prev.text) or is_fragment(prev.text) or is_list_item(prev.text) or is_intro(lst, prev.index):
            return None
        return prev

    # The lead is prose, unless a list is what was asked for.
    def can_lead(c: Candidate) -> bool:  # prose, or a bullet that is a sentence ("• Around 50 clusters operate…")
        if is_intro(by_chunk[c.chunk_id], c.index):
            return False
        if _REFERS_BACK.match(c.text) and antecedent(c) is None:
            return False  # "It shows Lithuania's good position…" after a figure: "it" is nothing here
        return not is_list_item(c.text) or (c.words >= 6 and bool(_ENDS_SENTENCE.search(c.text)) and
                                            not c.text.endswith((":", ";")))

    leads = [c for c in ranked if wants_list or can_lead(c)] or ranked
    if named_in:  # the list the question names is the answer, before any sentence about it
        leads = [c for c in leads if c.named] or leads
    if not leads:
        return "", []
    # Of the best few, the one that answers on its own (for a list question, a list that is asked for).
    lead = max(leads[:LEAD_POOL], key=lambda c: c.own)
    floor = lead.score - RELEVANCE_MARGIN
    order = [lead] + [c for c in ranked if c is not lead]

    groups: list[list[Candidate]] = []  # what is shown, in order: a sentence (or two), or a list
    picked: list[Candidate] = []
    words = 0

    def shown_as(u: Candidate) -> Candidate | None:
        """The unit taken already that says what `u` says, if any."""
        return next((p for p in picked if u.text.lower() == p.text.lower() or
                     (not is_list_item(u.text) and repeats(u, p))), None)

    def repeated(c: Candidate) -> bool:
        return shown_as(c) is not None

    chunk_text = {d.metadata["id"]: d.page_content for d in docs}
    at = {place[cid]: cid for cid in by_chunk}
    where = {d.metadata["id"]: (d.metadata.get("section"), d.metadata.get("page")) for d in docs}

    def goes_on(before: str, after: str) -> bool:
        """Does chunk `after` continue chunk `before` in one section (on the same or the next page)?"""
        (s1, p1), (s2, p2) = where[before], where[after]
        return s1 == s2 and (p1 is None or p2 is None or 0 <= int(p2) - int(p1) <= 1)

    previous = {cid: at.get((place[cid][0], place[cid][1] - 1)) for cid in by_chunk}
    chunk_before = {cid: p for cid, p in previous.items() if p is not None and goes_on(p, cid)}

    def on_the_line_before(lst: list[Candidate], i: int) -> bool:
        """Is unit i an item's second sentence, on the item's line (not a line of its own)?"""
        text, start = chunk_text[lst[i].chunk_id], lst[i].start
        return i > 0 and is_list_item(lst[i - 1].text) and "\n" not in text[start - 1:start]

    def leading_run(lst: list[Candidate]) -> int:
        """How many units a chunk opens with that are list items (or their second sentences)."""
        n = 0
        while n < len(lst) and (is_list_item(lst[n].text) or is_noise(lst[n].text) or on_the_line_before(lst, n)):
            n += 1
        return n

    def intro_for(c: Candidate) -> Candidate | None:
        """The intro of the list an item belongs to: in its chunk, or, for the items a chunk opens with,
        at the end of the chunk before it in the same section (a list cut by a chunk boundary)."""
        lst = by_chunk[c.chunk_id]
        own = intro_of(lst, c.index)
        if own is not None or not is_list_item(c.text) or c.chunk_id not in chunk_before or c.index >= leading_run(lst):
            return own
        before = by_chunk[chunk_before[c.chunk_id]]
        j = len(before) - 1  # back over the items (and their second sentences) the chunk before ends with
        while j >= 0 and (is_list_item(before[j].text) or is_noise(before[j].text) or on_the_line_before(before, j)) \
                and not is_intro(before, j):
            j -= 1
        return before[j] if j >= 0 and is_intro(before, j) else None

    def list_of(u: Candidate) -> tuple[str, int] | None:
        """Which list a unit belongs to (the chunk and place of its start), if it is in one."""
        lst = by_chunk[u.chunk_id]
        if is_intro(lst, u.index):
            return u.chunk_id, u.index
        if not is_list_item(u.text):
            return None
        intro = intro_for(u)
        if intro is not None and intro.chunk_id != u.chunk_id:
            return intro.chunk_id, intro.index
        i = u.index
        while i > 0 and (is_list_item(lst[i - 1].text) or is_noise(lst[i - 1].text)) and not is_intro(lst, i - 1):
            i -= 1
        return u.chunk_id, i - 1 if i > 0 and is_intro(lst, i - 1) else i

    def group_of(key: tuple[str, int] | None) -> list[Candidate] | None:
        return next((g for g in groups if key is not None and id(g[0]) not in alone and list_of(g[0]) == key), None)

    alone: set[int] = set()  # (ids of) a list item that leads an answer to a question not asking for a list

    for first in order:
        if first is not lead and (first.score < floor or words >= budget):
            break
        c = first
        if c in picked or repeated(c):
            continue
        lst = by_chunk[c.chunk_id]
        opens_list = is_intro(lst, c.index)
        if opens_list and not wants_list:
            continue  # a list's intro alone answers nothing; an item taken brings it
        if opens_list:
            new = [c] + [i for i in items_of(lst, c.index) if i.score >= floor and not repeated(i)]
            if len(new) == 1:
                continue  # "…outlined in the figure below:" introduces nothing here
        elif is_list_item(c.text) and first is lead and not wants_list and can_lead(c):
            new = [c]  # the item that answers opens the answer, as a sentence, not under its list's intro
            alone.add(id(c))
        elif is_list_item(c.text) and picked and not (wants_list or wants_names) and \
                reader_words(c.text) < SHORT_ITEM and group_of(list_of(c)) is None and \
                not (wants_figure and c.features.get("number_match")):
            continue  # "• NGOs, social partners;" alone, under its intro, adds nothing to an answer
        elif is_list_item(c.text):
            intro = intro_for(c)
            new = [c] if intro is None or intro in picked else [intro, c]
            if first is lead and wants_list and intro is not None:  # the list that answers comes whole
                rest = [i for i in items_of(by_chunk[intro.chunk_id], intro.index)
                        if i is c or (i.score >= floor and not repeated(i))]
                if intro.chunk_id != c.chunk_id:  # and goes on, all of it, in the items c's chunk opens with
                    rest += [i for i in lst[:leading_run(lst)] if is_list_item(i.text) and not repeated(i)]
                new = [intro] + [i for k, i in enumerate(rest) if all(j.text != i.text for j in rest[:k])]
        elif (before := antecedent(c)) is not None and before not in picked:
            said = shown_as(before)
            prose = None if said is None else next(
                (g for g in groups if said in g and not any(is_list_item(u.text) for u in g)), None)
            if prose is not None and said is not None:
                # What it points to is shown already, in other words ("MITA is responsible for…" from
                # another document): it follows that sentence instead of repeating it.
                if words + reader_words(c.text) <= budget:
                    prose.insert(prose.index(said) + 1, c)
                    picked.append(c)
                    words += reader_words(c.text)
                continue
            new = [before, c]  # "Such small successes…" needs what it refers to
        else:
            new = [c]
        cost = sum(reader_words(u.text) for u in new)
        if picked and words + cost > budget:
            if opens_list:  # a list that does not fit shows as many of its best items as fit
                room = budget - words - reader_words(c.text)
                kept = []
                for item in sorted(new[1:], key=lambda i: -i.score):
                    if reader_words(item.text) <= room:
                        kept.append(item)
                        room -= reader_words(item.text)
                if not kept:
                    continue
                new = [c] + sorted(kept, key=lambda i: i.index)
                cost = sum(reader_words(u.text) for u in new)
            else:
                continue
        existing = group_of(list_of(new[0]))
        if existing is not None:  # another item of a list already shown joins it, in document order
            existing.extend(u for u in new if u not in existing)
            existing.sort(key=lambda u: (place[u.chunk_id][1], u.index))
        else:
            groups.append(new)
        picked += [u for u in new if u not in picked]
        words += cost
    for group in groups:  # no holes in a list: "1.", "2.", "3.", not "1.", "3." (within each chunk)
        items = [c for c in group if is_list_item(c.text)]
        if len(items) > 1:
            shown_items = {c.text for c in items}
            between = []
            for cid in dict.fromkeys(c.chunk_id for c in items):
                mine = [c.index for c in items if c.chunk_id == cid]
                between += [u for u in by_chunk[cid][min(mine) + 1:max(mine)] if is_list_item(u.text)
                            and u not in picked and u.text not in shown_items]
            group[:] = [group[0]] * (group[0] not in items) + sorted(
                items + between, key=lambda u: (place[u.chunk_id][1], u.index))
            picked += between
    return _render(_joined(groups, by_chunk, place), by_chunk, docs, alone)


def _places(docs: list[Document]) -> dict[str, tuple[str, int]]:
    """Each chunk's document and position in it."""
    return {d.metadata["id"]: (str(d.metadata.get("doc_id", "")), int(d.metadata.get("chunk_index", 0)))
            for d in docs}


def _adjacent(place: dict[str, tuple[str, int]], a: str, b: str) -> bool:
    """Are two chunks the same or neighbours in one document (so that they overlap)?"""
    return place[a][0] == place[b][0] and abs(place[a][1] - place[b][1]) <= 1


def _joined(groups: list[list[Candidate]], by_chunk: dict[str, list[Candidate]],
            place: dict[str, tuple[str, int]]) -> list[list[Candidate]]:
    """A list that runs on into the next chunk, under its heading again there ("Threats"), shows
    once: the later items join the first. Lists of one heading further apart ("Players involved:"
    of two actions) stay apart."""
    def heading(g: list[Candidate]) -> str | None:
        head = g[0]
        return head.text if len(g) >= 2 and is_intro(by_chunk[head.chunk_id], head.index) else None

    out: list[list[Candidate]] = []
    for group in groups:
        key = heading(group)
        first = next((g for g in out if key is not None and heading(g) == key
                      and _adjacent(place, g[0].chunk_id, group[0].chunk_id)), None)
        if first is None:
            out.append(group)
        else:
            first.extend(u for u in group[1:] if u.text not in {c.text for c in first})
    return out


def _render(groups: list[list[Candidate]], by_chunk: dict[str, list[Candidate]],
            docs: list[Document], alone: set[int] | None = None) -> tuple[str, list[Citation]]:
    """The answer text with [n] markers, and its citations: one per passage of a page or section.
    A list item in `alone` (by id) shows as a sentence of its own, without its bullet."""
    doc_by_id = {d.metadata["id"]: d for d in docs}
    picked = [c for g in groups for c in g]

    def position(cid: str) -> int:
        return int(doc_by_id[cid].metadata.get("chunk_index", 0))

    def section_of(cid: str) -> tuple[str, str, str]:
        m = doc_by_id[cid].metadata
        return str(m.get("doc_id")), str(m.get("page")), str(m.get("section"))

    # Neighbouring chunks of one section overlap: one passage, one citation. Chunks further apart
    # keep their own, so that every cited sentence stays near its quote.
    # A PDF page is small enough to be one source.
    passage: dict[str, int] = {}
    for cid in sorted({c.chunk_id for c in picked}, key=lambda cid: (section_of(cid), position(cid))):
        paged = doc_by_id[cid].metadata.get("page") is not None
        before = [p for p in passage if section_of(p) == section_of(cid)
                  and (paged or position(cid) - position(p) == 1)]
        passage[cid] = passage[before[-1]] if before else len(passage)

    def place(c: Candidate) -> tuple[str, str, str, int]:
        """Where a reader finds the unit: the page or section, and the passage in it."""
        return (*section_of(c.chunk_id), passage[c.chunk_id])

    # Each place's quote: the best unit taken from it that says something (not a list's intro).
    quote: dict[tuple[str, str, str, int], Candidate] = {}
    for c in sorted(picked, key=lambda c: (is_intro(by_chunk[c.chunk_id], c.index), -c.score)):
        quote.setdefault(place(c), c)
    numbers: dict[tuple[str, str, str, int], int] = {}
    citations: list[Citation] = []

    def cited(c: Candidate) -> str:
        where = place(c)
        if where not in numbers:
            numbers[where] = len(numbers) + 1
            q = quote[where]
            citations.append(citation_for(numbers[where], doc_by_id[q.chunk_id], q.text))
        # A "[12]" in the source (a reference number) must not read as one of our markers.
        text = MARKER.sub(r"(\1)", c.text)
        return f"{text} [{numbers[where]}]"

    lines: list[str] = []  # prose runs on in one paragraph; a list has a line per item
    prose = False
    for group in groups:
        if id(group[0]) in (alone or set()):
            lines.append(BULLET.sub("", cited(group[0])))
            prose = True
            continue
        if len(group) > 1 and any(is_list_item(c.text) for c in group) or is_list_item(group[0].text):
            head, items = (group[0], group[1:]) if not is_list_item(group[0].text) else (None, group)
            if head is not None:
                text = cited(head)
                if is_heading(head.text) and not head.text.endswith(":"):  # "Weaknesses" heads its items
                    text = text.replace(" [", ": [", 1)
                lines.append(text)
            lines += [cited(c) for c in items]
            prose = False
        else:
            text = " ".join(cited(c) for c in group)
            if prose:
                lines[-1] += " " + text
            else:
                lines.append(text)
            prose = True
    return "\n".join(lines), citations


def repeats(new: Candidate, taken: Candidate) -> bool:
    """Does `new` say nothing that `taken` did not: the same text (chunks overlap), or most of its
    terms inside `taken`? Lexical on purpose: unit vectors are pooled in their chunk's context, so
    neighbouring sentences embed alike. A longer sentence that adds to a taken one is no repeat, and
    a unit of one or two terms (a list item such as "- Funding.") repeats only as the same text."""
    if new.text.lower() == taken.text.lower():
        return True
    return len(new.terms) >= 3 and len(new.terms & taken.terms) >= DUPLICATE_SHARE * len(new.terms)


def citation_for(n: int, doc: Document, quote: str) -> Citation:
    m = doc.metadata
    page = m.get("page")
    return Citation(n=n, doc_id=str(m.get("doc_id", "")), title=str(m.get("title", "")),
                    source=str(m.get("source", "")), page=int(page) if page is not None else None,
                    section=str(m.get("section", "")), quote=quote, chunk_id=str(m.get("id", "")))
