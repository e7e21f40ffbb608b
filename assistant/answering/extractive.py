"""The offline answerer: no model, no network.

1. Score every sentence or list item ("unit") of the retrieved chunks: cosine similarity of its
   embedding (made at ingest) to the question, plus overlap with the question's terms weighted by
   how rare each term is among the candidates (a name every candidate shares says little), plus a
   share of the previous unit's score (answers often follow the sentence that names the subject; a
   heading or caption passes none on), plus a bonus when the unit holds what the question asks for:
   a number ("how long", "when"), names ("who"), or for a list question a list whose heading it names
   ("Threats").
2. Take units best first, skipping near-duplicates (by their words), until the word budget is
   filled (larger for list questions, smaller for a number or a name). A unit that points back
   ("Such projects…") brings the unit before it. For list questions a list
   intro (a unit ending in ":", or a heading above list items) brings its items along, and a
   whole list scores as its best member; otherwise a list item taken brings only its intro.
3. Print them chunk by chunk in document order, each list item under its list's intro, and cite
   each unit's page or section with `[n]` (chunks overlap: one page is one source); the quote is
   the best unit taken from there, and names its chunk."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from langchain_core.documents import Document

from ..keywords import terms
from ..language import english_part
from ..schema import Citation
from ..store import Unit
from ..text import heads_list, is_heading, is_list_item, squash

_CAPTION = re.compile(r"^(figure|fig\.|table|source|chart|graph|annex|page)\b", re.I)
_BRACKETED_NUMBER = re.compile(r"\[(\d{1,3})\]")
_PAGE_FOOTER = re.compile(r"^\d+\s*\|\s*page$", re.I)
# Web-page and form leftovers: they can match a question's words but answer nothing.
_BOILERPLATE = re.compile(r"^(please\s+(log\s*in|sign\s+in|register)|stamp of the organi[sz]ation|signature\b|"
                          r"(click|read more|share this)\b)", re.I)
LEXICAL_WEIGHT = 0.5
CONTEXT_WEIGHT = 0.5
RANK_PENALTY = 0.05
LIST_BONUS = 0.2
DUPLICATE_SHARE = 0.8  # a unit with this share of its terms in a taken unit repeats it
_LIST_QUESTION = re.compile(
    r"^(which|what are|what were|list|name)\b|\b(steps|levels|criteria|weaknesses|strengths|threats|"
    r"opportunities|topics|measures|types|areas|actions|stakeholders|activities|priorities|objectives|"
    r"services|results|problems|challenges|barriers|examples|members|regions|technologies|fields)\b", re.I)


ANSWER_TYPE_BONUS = 0.1
# Answer typing, as in classic question answering: a question that asks for a quantity or a date
# prefers units holding a number; one that asks "who" or "which organisations" prefers units naming some.
_NUMBER_QUESTION = re.compile(r"\b(how (many|much|long|large|big|often|old)|when|timeline|what (year|date|amount|"
                              r"budget|share|percentage)|maximum|minimum|per ?cent)\b", re.I)
_NAME_QUESTION = re.compile(r"^(who|whom)\b|\b(which|what) (clusters?|organi[sz]ations?|institutions?|"
                            r"programmes?|models?|stakeholders?|partners?|countries|regions?|projects?|bodies)\b", re.I)
_NUMBER = re.compile(r"\b\d")
_NAME = re.compile(r"\b([A-Z][a-z]+|[A-Z]{2,})\b")


def asks_for(question: str) -> tuple[bool, bool]:
    """Does the question ask for a number, and does it ask for names?"""
    english = english_part(question)
    if english != question:  # a glossary-expanded Lithuanian question: its English part is a bag of terms
        return bool(_NUMBER_QUESTION.search(english)), bool(re.search(r"\bwho\b", english))
    return bool(_NUMBER_QUESTION.search(question)), bool(_NAME_QUESTION.search(question))


def answer_type_bonus(asked: tuple[bool, bool], text: str) -> float:
    """ANSWER_TYPE_BONUS for each kind of thing the question asks for (`asks_for`) that the unit holds:
    a number, or two or more names (capitalised words past the first, acronyms)."""
    number, names = asked
    bonus = 0.0
    if number and _NUMBER.search(text):
        bonus += ANSWER_TYPE_BONUS
    if names and len(_NAME.findall(text, 1)) >= 2:
        bonus += ANSWER_TYPE_BONUS
    return bonus


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


def is_noise(text: str) -> bool:
    """Headings, captions and footers: they match words but say nothing."""
    if _CAPTION.match(text) or _PAGE_FOOTER.match(text) or _BOILERPLATE.match(text):
        return True
    return len(text.split()) < 7 and not re.search(r"[.!?;:]$", text) and not is_list_item(text)


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
    out: dict[str, list[Candidate]] = {}
    for cid, lst in by_chunk.items():
        lst.sort(key=lambda u: u.start)
        out[cid] = [Candidate(cid, rank[cid], i, u.start, squash(u.text), len(u.text.split()),
                              np.asarray(u.embedding), frozenset(terms(u.text))) for i, u in enumerate(lst)]
    return out


def _score(question: str, query_vector: list[float], by_chunk: dict[str, list[Candidate]]) -> None:
    qterms = set(terms(question))
    all_c = [c for lst in by_chunk.values() for c in lst]
    unit_terms = {id(c): c.terms for c in all_c}
    for lst in by_chunk.values():  # a list's heading qualifies each item: "Weaknesses" / "• Lack of trust"
        for c in lst:
            intro = intro_of(lst, c.index) if is_list_item(c.text) else None
            if intro is not None:
                unit_terms[id(c)] = c.terms | intro.terms
    n = max(1, len(all_c))
    idf = {t: math.log(1 + n / (1 + sum(t in ts for ts in unit_terms.values()))) for t in qterms}
    total = sum(idf.values()) or 1.0
    qv = np.asarray(query_vector)
    wants_list = bool(_LIST_QUESTION.search(question))
    asked = asks_for(question)
    for lst in by_chunk.values():
        prev = 0.0
        for c in lst:
            lexical = sum(idf[t] for t in qterms & unit_terms[id(c)]) / total
            own = float(qv @ c.vector) + LEXICAL_WEIGHT * lexical - RANK_PENALTY * c.chunk_rank
            if wants_list and is_enumeration(c.text):
                own += LIST_BONUS
            own += answer_type_bonus(asked, c.text)
            noise = is_noise(c.text)
            c.score = own + CONTEXT_WEIGHT * max(0.0, prev) if not noise else -1.0
            # A heading or caption says nothing, so it passes no share on: "Strengths", embedded in a
            # chunk about threats, lifted the first strength above the threats.
            prev = 0.0 if noise else own
        if wants_list:
            _lift_lists(lst, qterms)


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


def _lift_lists(lst: list[Candidate], qterms: set[str]) -> None:
    """For list questions a list is one answer: its intro and items share the best score among them,
    and ANSWER_TYPE_BONUS more when its heading names what the question asks for: every term of the
    heading is in the question ("Threats" for "What threats …?")."""
    i = 0
    while i < len(lst):
        if is_intro(lst, i):
            j = i + 1
            while j < len(lst) and (in_list(lst[j]) or is_noise(lst[j].text)) and not is_intro(lst, j):
                j += 1  # to the end of the list: prose, or the next list's intro
            if j - i > 2:
                top = max(c.score for c in lst[i:j]) + LIST_BONUS
                if is_heading(lst[i].text) and lst[i].terms and lst[i].terms <= qterms:
                    top += ANSWER_TYPE_BONUS
                for c in lst[i:j]:
                    if not is_noise(c.text) or c is lst[i]:  # a caption in the list stays out
                        c.score = max(c.score, top - 0.01 * (c.index - i))  # keep document order
            i = j
        else:
            i += 1


# A unit that opens by pointing back ("Such small successful achievements will help…", "These
# projects…") is read with the unit before it, which says what it points to. Not "This": it often
# opens a new paragraph ("This action is the core of …"); with it the figures did not move.
_REFERS_BACK = re.compile(r"^(Such|These|Those|They|Their|It|Its|Both)\b")
LIST_BUDGET = 1.4
FACT_BUDGET = 0.8
_FACT_QUESTION = re.compile(r"^(how (many|much|long|often)|when|who|in which year|what year|what (was|is) the "
                            r"(number|amount|budget|share|date|deadline|name))\b", re.I)


def budget_for(question: str, word_budget: int) -> int:
    """Lists need room; a number or a name does not."""
    if _FACT_QUESTION.search(question):
        return int(word_budget * FACT_BUDGET)
    if _LIST_QUESTION.search(question):
        return int(word_budget * LIST_BUDGET)
    return word_budget


def compose(question: str, query_vector: list[float], docs: list[Document], units: list[Unit],
            word_budget: int) -> tuple[str, list[Citation]]:
    """Build the answer text with [n] markers, and its citations."""
    word_budget = budget_for(question, word_budget)
    by_chunk = _candidates(docs, units)
    _score(question, query_vector, by_chunk)
    ranked = sorted((c for lst in by_chunk.values() for c in lst if c.score > 0), key=lambda c: -c.score)
    picked: list[Candidate] = []
    words = 0

    def redundant(c: Candidate) -> bool:
        return any(repeats(c, p) for p in picked)

    def same_text_taken(c: Candidate) -> bool:  # chunks overlap: one unit can come from two of them
        return any(c.text.lower() == p.text.lower() for p in picked)

    def take(c: Candidate, list_item: bool = False) -> bool:
        """Add c if it is new and fits; a list's own item is left out only when it is the same text."""
        nonlocal words
        repeated = same_text_taken(c) if list_item else redundant(c)
        if c in picked or repeated or (words and words + c.words > word_budget * 1.2):
            return False
        picked.append(c)
        words += c.words
        return True

    wants_list = bool(_LIST_QUESTION.search(question))
    for c in ranked:
        if words >= word_budget:
            break
        opens_list = is_intro(by_chunk[c.chunk_id], c.index)
        if opens_list and not wants_list:
            continue  # a whole list is the answer only to a list question; a bullet taken brings its intro
        if not take(c):
            continue
        if _REFERS_BACK.match(c.text) and c.index > 0:  # "Such small successes…" needs what it refers to
            before = by_chunk[c.chunk_id][c.index - 1]
            if not (is_noise(before.text) or is_list_item(before.text) or before.text.endswith(":")):
                take(before)
        if opens_list:  # a list intro brings its items, whatever they score
            for item in items_of(by_chunk[c.chunk_id], c.index):
                if words < word_budget:
                    take(item, list_item=True)
    # No holes in a list: items between two items taken come too ("1.", "2.", "3.", not "1.", "3.").
    for lst in by_chunk.values():
        taken_at = [c.index for c in lst if c in picked and is_list_item(c.text)]
        for i in range(min(taken_at, default=0), max(taken_at, default=-1)):
            if is_list_item(lst[i].text) and lst[i] not in picked and not same_text_taken(lst[i]) and all(
                    is_list_item(x.text) or is_noise(x.text) for x in lst[i:max(taken_at)]):
                picked.append(lst[i])
    # A list item shows under its intro, so that items of different lists never read as one list
    # (and "Weaknesses" stays above the weaknesses).
    for c in list(picked):
        intro = intro_of(by_chunk[c.chunk_id], c.index) if is_list_item(c.text) else None
        if intro is not None and intro not in picked and not redundant(intro):
            picked.append(intro)
    # An intro whose list is not in its chunk ("…outlined in Figure 10 below:") introduces nothing.
    picked = [c for c in picked if not (c.text.endswith(":") and not items_of(by_chunk[c.chunk_id], c.index))]
    # A list shown in part says so: "• …" after its last item shown.
    cut_after: set[int] = set()
    for c in [c for c in picked if is_intro(by_chunk[c.chunk_id], c.index)]:
        items = items_of(by_chunk[c.chunk_id], c.index)
        shown = [item for item in items if item in picked]
        if any(item not in picked and not redundant(item) for item in items):
            cut_after.add(id(shown[-1] if shown else c))
    return _render(picked, by_chunk, docs, cut_after)


def _render(picked: list[Candidate], by_chunk: dict[str, list[Candidate]], docs: list[Document],
            cut_after: set[int]) -> tuple[str, list[Citation]]:
    """The answer text with [n] markers, and its citations: one per passage of a page or section."""
    doc_by_id = {d.metadata["id"]: d for d in docs}

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

    # Places in rank order (of their best chunk), units in document order within a place.
    place_rank: dict[tuple[str, str, str, int], float] = {}
    for c in picked:
        place_rank[place(c)] = min(place_rank.get(place(c), c.chunk_rank), c.chunk_rank)
    picked.sort(key=lambda c: (place_rank[place(c)], position(c.chunk_id), c.start))

    # Each place's quote: the best unit taken from it that says something (not a list's intro).
    quote: dict[tuple[str, str, str, int], Candidate] = {}
    for c in sorted(picked, key=lambda c: (is_intro(by_chunk[c.chunk_id], c.index), -c.score)):
        quote.setdefault(place(c), c)
    numbers: dict[tuple[str, str, str, int], int] = {}
    citations: list[Citation] = []
    parts: list[str] = []
    for k, c in enumerate(picked):
        where = place(c)
        if where not in numbers:
            numbers[where] = len(numbers) + 1
            q = quote[where]
            citations.append(citation_for(numbers[where], doc_by_id[q.chunk_id], q.text))
        prev = picked[k - 1] if k else None
        sep = " "
        if prev and (is_list_item(c.text) or is_list_item(prev.text) or prev.text.endswith(":")
                     or is_intro(by_chunk[c.chunk_id], c.index)):
            sep = "\n"  # lists and their intros on lines of their own
        # A "[12]" in the source (a reference number) must not read as one of our markers.
        text = _BRACKETED_NUMBER.sub(r"(\1)", c.text)
        parts.append(("" if not parts else sep) + f"{text} [{numbers[where]}]")
        if id(c) in cut_after:
            parts.append(f"\n• … [{numbers[where]}]")
    return "".join(parts), citations


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
