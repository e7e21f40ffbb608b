"""The units an extractive answer is made of: the sentences and list items of the retrieved chunks,
and what may never be shown of them (headings, captions, notices, fragments)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from langchain_core.documents import Document

from ..keywords import terms
from ..store import Unit
from ..text import BULLET, is_heading, is_list_item, reader_words, squash

_CAPTION = re.compile(r"^(figure|fig\.|table|source|chart|graph|annex|page)\b", re.I)
_PAGE_FOOTER = re.compile(r"^\d+\s*\|\s*page$", re.I)
# Web-page and form leftovers: they can match a question's words but answer nothing.
_BOILERPLATE = re.compile(r"^(please\s+(log\s*in|sign\s+in|register)|stamp of the organi[sz]ation|signature\b|"
                          r"(click|read more|share this)\b)", re.I)
# A document pointing the reader elsewhere in it or beyond it says nothing itself: "More information on the activities
# carried out by the EOCIC is available at the end of this report." led "What does the EOCIC do?".
_POINTER = re.compile(r"^(?:more|further|additional)\s+(?:information|details)\b[^.]{0,120}?\b(?:is|are|can\s+be)\s+"
                      r"(?:available|found|provided|given)\b[^.]*[.:]?$", re.I)
# The legal page every EU publication prints (its back cover is not indexed: documents.py), and the
# back cover's lines in an index built before that: they match "EU" or "information", answer nothing.
_PUBLICATION_NOTICE = re.compile(r"Publications Office of the European Union|neither the European Commission nor"
                                 r"|reproduction is authori[sz]ed|\bISBN\b|^(?:[–-]\s*)?(?:getting in touch with "
                                 r"the EU|finding information about the EU|Europe Direct is a service|at the following "
                                 r"standard number|by freephone|by email via)", re.I)
# A page's last words run into its footnote, on a line of its own: the note's number, its capitalised
# text, its link ("Clusters are based on\n1 A New Start for Europe: … http://ec.europa.eu/….pdf.").
_FOOTNOTE_LINE = re.compile(r"\n\s*\d{1,3}\s+[A-Z].*(?:https?://|www\.)\S+\s*$", re.S)
# A heading run into the next one's number: "1. Introduction 1.1.", "Competition to create “Innovation
# Partnerships” 4.1.": a name or a quote before the number. A sentence ending in a figure has a verb or a
# word such as "by" there: "Its quotient is 1.2.", "Turnover increased by 2.5.", "See section 4.1.".
_HEADING_RUN_ON = re.compile(r"^(?:\d+(?:\.\d+)*\.?\s+)?(?P<head>[^.!?;:]{0,80}?(?:\b[A-Z][\w-]*|[”\"’)]))"
                             r"\s+\d+(?:\.\d+)+\.$")
VERB = re.compile(r"\b(?:is|are|was|were|has|have|had|be|will|would|reached|rose|fell)\b", re.I)
# A footnote's own text, set on a line of its own at the page's foot: its bare number, then a capitalised word
# ("18 European Cluster Collaboration Platform, Official Website.", "4 Call for proposals on …"). A list
# item has a full stop or bracket after its number ("1. To boost…"); prose rarely opens with a bare number
# and a capitalised word, and a count is followed by its noun in lower case ("23 million SMEs").
_FOOTNOTE_TEXT = re.compile(r"^\d{1,2}\s+[A-Z][a-z]")
_URL = re.compile(r"https?://|www\.", re.I)
_URL_TEXT = re.compile(r"(?:https?://|www\.)\S+", re.I)
ENDS_SENTENCE = re.compile(r"[.!?;:]['\"”’)]*$")
# A numbered label's number is no sentence end, though the units were cut there: "… Priority axis 1." /
# "Strengthening Research and Development and Innovation; and Investment priority: 1.2." / "Stimulating…".
# Such units are read as one (`candidates`, `goes_on`); re-cutting the stored units would move chunk boundaries.
# Only a programme's own labels: "… in Chapter 3." ends a sentence that refers to a chapter.
_LABEL_NUMBER = re.compile(r"\b(?:axis|priority|measure)\s*:?\s*\d{1,3}(?:\.\d{1,3})*\.$", re.I)
DUPLICATE_SHARE = 0.8  # a unit with this share of its terms in a taken unit repeats it


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
    doc: str = ""         # its document's id


def is_caption(text: str) -> bool:
    return bool(_CAPTION.match(text))


def is_noise(text: str) -> bool:
    """Headings, captions, footers, publication notices and pointers elsewhere ("More information … is available
    at the end of this report."): they match words but say nothing."""
    if any(p.match(text) for p in (_CAPTION, _PAGE_FOOTER, _BOILERPLATE, _POINTER)) or _PUBLICATION_NOTICE.search(text):
        return True
    run_on = _HEADING_RUN_ON.match(text)
    if run_on and len(run_on["head"].split()) <= 8 and not VERB.search(run_on["head"]):
        return True
    return len(text.split()) < 7 and not re.search(r"[.!?;:]$", text) and not is_list_item(text)


def is_fragment(text: str) -> bool:
    """Text no reader should meet alone: a footnote (its link or its text), or a sentence cut by a page
    break (it opens in lower case, or stops without a full stop)."""
    footnote = text[:1].isdigit() and not is_list_item(text)  # "7 https://…", not the plan's step "5. The Ministry…"
    if _URL.search(text) and (footnote or reader_words(_URL_TEXT.sub("", text)) <= 3):
        return True  # a footnote's link, or a bare address
    if is_list_item(text):
        return False
    return text[:1].islower() or not ENDS_SENTENCE.search(text) or bool(_FOOTNOTE_TEXT.match(text))


def reads_as_sentence(item: str) -> bool:
    """Is a list item a sentence on its own ("• Around 50 clusters operate in Lithuania.")? Six words or more,
    ended as a sentence, not by ":" or ";". (Lower-case items read on from their intro: `render`.)"""
    body = BULLET.sub("", item)
    return len(body.split()) >= 6 and bool(ENDS_SENTENCE.search(body)) and not body.endswith((":", ";"))


def is_enumeration(text: str) -> bool:
    """A list item, or a sentence that names several things (commas, semicolons)."""
    return is_list_item(text) or text.count(",") + text.count(";") >= 3


def without_footnote(text: str) -> str:
    """The unit's text without a footnote that extraction glued to its end (what is left is then
    often a fragment, and not shown)."""
    m = _FOOTNOTE_LINE.search(text)
    return text[:m.start()] if m and text[:m.start()].strip() else text


def repeats(new: Candidate, taken: Candidate) -> bool:
    """Does `new` say nothing that `taken` did not: the same text (chunks overlap), or most of its
    terms inside `taken`? Lexical on purpose: unit vectors are pooled in their chunk's context, so
    neighbouring sentences embed alike. A longer sentence that adds to a taken one is no repeat, and
    a unit of one or two terms (a list item such as "- Funding.") repeats only as the same text."""
    return new.text.lower() == taken.text.lower() or says_again(new.terms, taken.terms)


def says_again(new: frozenset[str], said: frozenset[str]) -> bool:
    """Are most of a unit's terms (`new`, three or more) among `said`: it adds nothing to it."""
    return len(new) >= 3 and len(new & said) >= DUPLICATE_SHARE * len(new)


def candidates(docs: list[Document], units: list[Unit]) -> dict[str, list[Candidate]]:
    """The retrieved chunks' units, per chunk in reading order, each with its chunk's rank."""
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
    doc = {d.metadata["id"]: str(d.metadata.get("doc_id", "")) for d in docs}
    out: dict[str, list[Candidate]] = {}
    for cid, lst in by_chunk.items():
        lst.sort(key=lambda u: u.start)
        parts = joined_sentences([(without_footnote(u.text), np.asarray(u.embedding), u.start) for u in lst])
        out[cid] = [Candidate(cid, rank[cid], i, start, squash(text), len(text.split()), vector,
                              frozenset(terms(text)), heading=heading.get(cid, frozenset()), doc=doc.get(cid, ""))
                    for i, (text, vector, start) in enumerate(parts)]
    return out


def goes_on(before: str, text: str) -> bool:
    """Does unit `text` continue the sentence of the unit `before` it, which a line end cut: after a
    numbered label's number ("… Priority axis 1." / "Strengthening…"), after a semicolon ("New and emerging
    technologies;" / "Digitalisation; …"), or after a colon when it goes on in lower case or as a run of
    semicolons ("…stages in their development:" / "building international activity.")? A list item or a
    heading never does."""
    if is_list_item(text) or is_list_item(before):
        return False
    if _LABEL_NUMBER.search(before):  # its title goes on, heading-like or not: "Strengthening RDI"
        return True
    if is_heading(text):
        return False
    return before.endswith(";") or (before.endswith(":") and (text[:1].islower() or text.endswith(";")))


def joined_sentences(units: list[tuple[str, np.ndarray, int]]) -> list[tuple[str, np.ndarray, int]]:
    """The units (text, vector, start) with each one whose sentence goes on in the next (`goes_on`) joined
    to it: one sentence, its vector their mean."""
    out: list[tuple[str, np.ndarray, int]] = []
    for text, vector, start in units:
        if out and goes_on(out[-1][0], text):
            last_text, last_vector, last_start = out[-1]
            mean = last_vector + vector
            out[-1] = (f"{last_text} {text}", mean / (np.linalg.norm(mean) or 1.0), last_start)
        else:
            out.append((text, vector, start))
    return out


def before(c: Candidate, by_chunk: dict[str, list[Candidate]],
           chunk_before: dict[str, str] | None = None) -> Candidate | None:
    """The unit a reader reads just before `c`: the one before it in its chunk or, for a chunk's first
    unit, the last of the chunk that `chunk_before` (`lists.Layout.chunk_before`: the same section, the
    chunk before in the document) names. Chunking splits a passage anywhere ("4 levels of cluster
    development are foreseen…" / "The clusters will be divided into the emerging, formed, developing, and
    mature."); chunks overlap, so the unit before a repeated one is the one to take."""
    if c.index:
        return by_chunk[c.chunk_id][c.index - 1]
    earlier = by_chunk.get((chunk_before or {}).get(c.chunk_id, ""), [])
    same = [u.index for u in earlier if u.text == c.text]
    end = same[-1] if same else len(earlier)  # the copy the overlap made is the last one
    return earlier[end - 1] if end else None


def places(docs: list[Document]) -> dict[str, tuple[str, int]]:
    """Each chunk's document and position in it."""
    return {d.metadata["id"]: (str(d.metadata.get("doc_id", "")), int(d.metadata.get("chunk_index", 0)))
            for d in docs}
