"""The offline answerer: no model, no network. It picks the sentences and list items that best
match the question (semantic similarity of unit embeddings made at ingest, plus term overlap),
fills a word budget, keeps lists together, and cites each unit's chunk."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from langchain_core.documents import Document

from ..keywords import terms
from ..schema import Citation
from ..store import Unit
from ..text import is_list_item, squash

_CAPTION = re.compile(r"^(figure|fig\.|table|source|chart|graph|annex|page)\b", re.I)
_PAGE_FOOTER = re.compile(r"^\d+\s*\|\s*page$", re.I)


@dataclass
class Picked:
    chunk_rank: int
    start: int
    text: str
    score: float


def _is_noise(text: str) -> bool:
    words = text.split()
    if _CAPTION.match(text) or _PAGE_FOOTER.match(text):
        return True
    # Headings: short, no sentence punctuation and no verb-like lower-case run.
    return len(words) < 7 and not re.search(r"[.!?;:]$", text) and not is_list_item(text)


def _unit_score(question_terms: set[str], qv: np.ndarray, unit: Unit, chunk_rank: int) -> float:
    sim = float(np.dot(qv, np.asarray(unit.embedding)))
    ut = set(terms(unit.text))
    overlap = len(question_terms & ut) / max(1, len(question_terms))
    return sim + 0.35 * overlap - 0.03 * chunk_rank


def compose(question: str, query_vector: list[float], docs: list[Document], units: list[Unit],
            word_budget: int) -> tuple[str, list[Citation]]:
    """Build the answer text with [n] markers and its citations."""
    rank = {d.metadata["id"]: i for i, d in enumerate(docs)}
    by_chunk: dict[str, list[Unit]] = {}
    for u in units:
        if u.chunk_id in rank:
            by_chunk.setdefault(u.chunk_id, []).append(u)
    for lst in by_chunk.values():
        lst.sort(key=lambda u: u.start)
    qv = np.asarray(query_vector)
    qterms = set(terms(question))
    scored: list[tuple[float, str, int]] = []
    for cid, lst in by_chunk.items():
        for i, u in enumerate(lst):
            if _is_noise(squash(u.text)):
                continue
            scored.append((_unit_score(qterms, qv, u, rank[cid]), cid, i))
    scored.sort(reverse=True)

    picked: dict[tuple[str, int], Picked] = {}
    seen_text: set[str] = set()
    words = 0

    def take(cid: str, i: int, score: float) -> bool:
        nonlocal words
        u = by_chunk[cid][i]
        key = squash(u.text).lower()
        if (cid, i) in picked or key in seen_text:
            return False
        n = len(u.text.split())
        if words and words + n > word_budget * 1.25:
            return False
        picked[(cid, i)] = Picked(rank[cid], u.start, squash(u.text), score)
        seen_text.add(key)
        words += n
        return True

    best = scored[0][0] if scored else 0.0
    for score, cid, i in scored:
        if words >= word_budget:
            break
        if score < best - 0.25 and len(picked) >= 2:
            break  # the rest is much weaker than what we have
        if not take(cid, i, score):
            continue
        # A list intro pulls its items; a list item pulls its intro and siblings.
        lst = by_chunk[cid]
        text = squash(lst[i].text)
        j = i + 1
        if text.endswith(":") or (j < len(lst) and is_list_item(squash(lst[j].text))):
            while j < len(lst) and words < word_budget and (is_list_item(squash(lst[j].text))
                                                             or len(lst[j].text.split()) <= 12):
                take(cid, j, score)
                j += 1

    # Read in document order within each chunk, chunks by rank.
    ordered = sorted(picked.items(), key=lambda kv: (kv[1].chunk_rank, kv[1].start))
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    sentences: list[str] = []
    for (cid, _), p in ordered:
        if cid not in numbers:
            numbers[cid] = len(numbers) + 1
            doc = docs[p.chunk_rank]
            citations.append(citation_for(numbers[cid], doc, p.text))
        sentences.append(f"{p.text} [{numbers[cid]}]")
    return _join(sentences), citations


def citation_for(n: int, doc: Document, quote: str) -> Citation:
    m = doc.metadata
    page = m.get("page")
    return Citation(n=n, doc_id=str(m.get("doc_id", "")), title=str(m.get("title", "")),
                    source=str(m.get("source", "")), page=int(page) if page is not None else None,
                    section=str(m.get("section", "")), quote=quote, chunk_id=str(m.get("id", "")))


def _join(sentences: list[str]) -> str:
    """Prose runs on; list items and whatever follows a colon start a new line."""
    out = ""
    for s in sentences:
        text = s.rsplit(" [", 1)[0]
        prev = out.rsplit(" [", 1)[0] if out else ""
        sep = "\n" if out and (is_list_item(text) or prev.endswith(":")) else " "
        out = out + sep + s if out else s
    return out
