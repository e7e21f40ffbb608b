"""Hybrid retrieval: dense (Chroma) and keyword (BM25) scores, fused by a weighted sum."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document

from .answering.asking import counted, counts
from .keywords import KeywordIndex, names_in, terms
from .language import english_part, untranslated
from .text import is_list_item, unit_spans

if TYPE_CHECKING:
    from .settings import Settings
    from .store import Store
    from .word_vectors import WordVectors


@dataclass
class Retrieved:
    docs: list[Document]          # best first; metadata has dense, keyword, fused scores
    query_vector: list[float]
    relevance: float              # how well the best evidence matches the question, 0..1
    neighbours: list[Document] = field(default_factory=list)  # chunks next to the top ones (see neighbours())
    unknown_names: list[str] = field(default_factory=list)     # names in the question the corpus lacks
    lacking: list[str] = field(default_factory=list)  # asked for, given nowhere (`details_lacking`, `sums_lacking`)
    nearest: float = 0.0          # the cosine of the chunk nearest the question, in any document (no filter)

    @property
    def context(self) -> list[Document]:
        """Everything the answerer may read and cite: the top chunks, then their neighbours."""
        return self.docs + self.neighbours


def ends_in_list(text: str) -> bool:
    """Does the text end inside a list (its last unit a list item)?"""
    spans = unit_spans(text)
    return bool(spans) and is_list_item(text[spans[-1][0]:spans[-1][1]])


def fuse(dense: dict[str, float], keyword: dict[str, float], dense_weight: float) -> dict[str, float]:
    """dense_weight × cosine + (1 - dense_weight) × BM25, each divided by its best score among the
    candidates (a chunk one search did not find scores 0 there). A convex combination of normalised
    scores, not reciprocal-rank fusion: it keeps how far apart the candidates are (the README has the
    measurements)."""

    def normalised(scores: dict[str, float]) -> dict[str, float]:
        top = max(scores.values(), default=0.0)
        return {cid: max(0.0, sc) / top for cid, sc in scores.items()} if top > 0 else {}

    by_vector, by_keyword = normalised(dense), normalised(keyword)
    return {cid: dense_weight * by_vector.get(cid, 0.0) + (1 - dense_weight) * by_keyword.get(cid, 0.0)
            for cid in dense | keyword}


def make_filter(topic: str | None = None, kind: str | None = None) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if topic:
        clauses.append({f"topic_{topic}": True})
    if kind:
        clauses.append({"kind": kind})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


WORDS_MATCH = 0.4  # a chunk holding half the question's terms: its words are the documents' words
PARAPHRASE_DENSE_WEIGHT = 0.6  # the dense share of fusion for a question worded otherwise
RELEVANCE_DENSE = 0.7  # the dense share of the relevance that decides a refusal
COUNT_SLOTS = 2  # of the k chunks: the best that count what a "how many" question asks about
SHORT_QUESTION = 7  # content terms: in a question this short, one unknown name is its subject


_LONG_ACRONYM = re.compile(r"^[A-Z]{4,}$")  # "EUIPO", "COSME": a body or a programme; "CEO", "CRM" are words
_SHOUTED = frozenset({"ASAP", "FYI", "NOTE", "URGENT", "PLEASE", "HELP", "THANKS", "TODO", "IMPORTANT", "BTW"})


def _names_a_body(name: str) -> bool:
    """An acronym of four capitals or more, not a word typed in capitals ("ASAP") nor a plural ("KPIS")."""
    return bool(_LONG_ACRONYM.match(name)) and name not in _SHOUTED and not (name.endswith("S") and len(name) <= 4)


def about_unknown(unknown: list[str], question: str) -> bool:
    """Is the question about a name no document mentions? A name of several words ("Enterprise
    Estonia", "ESCA Gold Label") or an acronym of four capitals or more ("how long does EUIPO take?") is
    a subject; one unknown word is, in a short question ("What support programme do clusters in Latvia
    get?"); in a long one ("I need an argument for a sceptical CEO: why would a small firm gain from
    joining a network?") it is a detail."""
    if any(" " in name or _names_a_body(name) for name in unknown):
        return True
    return bool(unknown) and len(set(terms(question))) <= SHORT_QUESTION


# Details of a fixed form: a question that asks for one ("what's their email?", "where can I find MITA's phone
# number?") is answered only by a text that holds one. The detail must be what is asked, owned and at the end
# or with "address"/"number"/"of"/"for": "the role of email in communication", "an email template", "email or
# phone?", "Should we collect members' email addresses?" ask for none.
_ASKING = (r"\b(?:what(?:'s|’s|\s+is|\s+are)|where\s+(?:can|do|could|should)\s+(?:i|we)\s+(?:find|get)|give\s+me|"
           r"send\s+me|tell\s+me|do\s+you\s+have|is\s+there)\b[^?.!]{0,60}?")
_OWNED = r"\b(?:the|their|his|her|its|your|an?|whose|[\w-]+['’]s)\s+(?:contact\s+)?"
_ENDS_ASK = r"(?=\s*(?:[?.!,;]|$)|\s+(?:of|for|at|and)\b)"
_DETAILS = {
    "email address": (re.compile(rf"{_ASKING}{_OWNED}e-?mail(?:\s+address)?{_ENDS_ASK}", re.I),
                      re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    "phone number": (re.compile(rf"{_ASKING}{_OWNED}(?:tele)?phone(?:\s+number)?{_ENDS_ASK}", re.I),
                     re.compile(r"\+\d[\d\s()-]{6,}\d|\b(?:tel|phone|telephone)\.?:?\s*\(?\d[\d\s()-]{5,}\d", re.I)),
}
# "What is the membership fee of the Lithuanian Plastics Cluster?", "How much does LITEK charge?": a sum
# of money asked about a named subject; the documents that name it must hold one somewhere ("100 000 per
# cluster", "25 thousand €", "500 USD", "1,2 mln. eurų").
_ASKS_SUM = re.compile(r"\bhow\s+much\b[^?]*\b(?:cost|costs|charge|charges|pay|fee|fees|price)\b|\b(?:what(?:'s|’s)?|"
                       r"which)(?:\s+(?:is|are|was|were))?\s+(?:the\s+|its\s+|their\s+|a\s+)?(?:[\w-]+\s+){0,2}"
                       r"(?:fee|fees|price|prices|cost|costs|budget)\s+(?:of|for|to)\b", re.I)
_CURRENCY = r"(?:€|\$|£|\bEUR|\bUSD|\bLTL\b|\bLt\b|\beur(?:o|os|ų|ai)?\b|\blit(?:ai|ų)\b|\bdollars?\b|\bpounds?\b)"
# A fee given as a share or waived is an answer too: "0.1% of their turnover", "free of charge". Runs of
# figures are read possessively and never across spaces, so a page of figures is read in one pass.
_SUM = re.compile(rf"{_CURRENCY}\s?\d|\d[\d.,]*+\s?(?:{_CURRENCY}|%|(?:thousand|million|billion|mln|bn|"
                  r"tūkst|k)\b)|\b\d{1,3}(?:[ ,]\d{3})++\b|\b\d{1,3}(?:\.\d{3}){2,}+\b|\bfree\s+of\s+charge\b|"
                  r"\bno\s+(?:membership\s+)?fees?\b", re.I)


def details_lacking(question: str, texts: list[str]) -> list[str]:
    """The details of a fixed form the question asks for that none of `texts` holds."""
    return [what for what, (asked, form) in _DETAILS.items()
            if asked.search(question) and not any(form.search(t) for t in texts)]


def term_coverage(question: str, text: str, misses: int = 0) -> float:
    """Share of the question's content terms found in `text`; `misses` more terms count as absent."""
    q = set(terms(question))
    if not q:
        return 0.0
    return len(q & set(terms(text))) / (len(q) + misses)


class HybridRetriever:
    def __init__(self, settings: Settings, store: Store, keywords: KeywordIndex,
                 words: WordVectors | None = None) -> None:
        """`words`: the corpus's word vectors; the keyword search then also looks for the corpus words
        nearest a paraphrased question's own, and nearest any word the documents never use
        (`looked_up`, `WordVectors.related`)."""
        self.settings, self.store, self.keywords, self.words = settings, store, keywords, words

    def retrieve(self, question: str, query_vector: list[float], where: dict[str, Any] | None = None,
                 search: str | None = None) -> Retrieved:
        """`search`: what BM25 matches, when more than the question (its acronyms added); relevance and
        unknown names judge the question alone."""
        s = self.settings
        dense = self.store.search(query_vector, s.fetch_k, where)
        allowed = None
        if where is not None:
            allowed = self.store.ids_where(where)
        # When few of the question's words are the documents' words (a paraphrase), keywords say
        # little: the meaning (dense) leads, and the keyword search adds the corpus's words for
        # what the question says in its own (`looked_up`).
        wanted = english_part(question)
        overlap = max((term_coverage(wanted, doc.page_content) for doc, _ in dense), default=0.0)
        paraphrase = overlap < WORDS_MATCH
        weight = max(s.dense_weight, PARAPHRASE_DENSE_WEIGHT) if paraphrase else s.dense_weight
        related = self.words.related(self.looked_up(search or question, paraphrase)) if self.words else None
        lexical = self.keywords.search(search or question, s.fetch_k, allowed, related)
        dense_score = {doc.metadata["id"]: score for doc, score in dense}
        kw_score = dict(lexical)
        fused = fuse(dense_score, kw_score, weight)
        by_id = {doc.metadata["id"]: doc for doc, _ in dense}
        top_ids = sorted(fused, key=fused.__getitem__, reverse=True)[: s.k]
        things = counted(wanted)
        if things:  # "How many clusters…?": the chunks that give such a count have a place, however much else matches
            by_id.update(self.store.get([cid for cid in fused if cid not in by_id]))
            counting = [cid for cid in sorted(fused, key=fused.__getitem__, reverse=True)
                        if cid in by_id and counts(things, " ".join(by_id[cid].page_content.split()))][:COUNT_SLOTS]
            extra = [cid for cid in counting if cid not in top_ids]
            if extra:  # they take the places of the lowest chunks that give no count
                kept = [cid for cid in top_ids if cid in counting]
                others = [cid for cid in top_ids if cid not in counting][:max(0, s.k - len(kept) - len(extra))]
                top_ids = sorted(kept + others + extra, key=fused.__getitem__, reverse=True)
        missing = [cid for cid in top_ids if cid not in by_id]
        by_id.update(self.store.get(missing))
        docs = []
        for cid in top_ids:
            if cid not in by_id:
                continue  # deleted between the two searches
            doc = by_id[cid]
            doc.metadata.update(dense=dense_score.get(cid, 0.0), keyword=kw_score.get(cid, 0.0), fused=fused[cid])
            docs.append(doc)
        best_dense = max((sc for _, sc in dense), default=0.0)
        # Under a filter, how near the question is to the documents at all (`Assistant._on_the_map`).
        nearest = best_dense if where is None else max((sc for _, sc in self.store.search(query_vector, 1)),
                                                        default=0.0)
        # A Lithuanian question is covered by its English terms; the words the glossary could not
        # translate count as missing (its own words never match English chunks), and so do names no
        # document mentions.
        unknown = self.keywords.unknown_names(question)
        wanted = english_part(question)
        misses = len(untranslated(question)) + len(unknown)
        best_cover = max((term_coverage(wanted, d.page_content + " " + str(d.metadata.get("title", "")), misses)
                          for d in docs), default=0.0)
        # Paraphrased questions share few words with their answer: the meaning (dense) weighs most.
        relevance = RELEVANCE_DENSE * best_dense + (1 - RELEVANCE_DENSE) * best_cover
        neighbours = self.neighbours(docs)
        lacking = details_lacking(wanted, [d.page_content for d in docs + neighbours]) + self.sums_lacking(question)
        if about_unknown(unknown, wanted) or lacking:  # about something no document mentions, or gives
            relevance = 0.0
        return Retrieved(docs=docs, query_vector=query_vector, relevance=relevance, neighbours=neighbours,
                         unknown_names=unknown, lacking=lacking, nearest=nearest)

    def sums_lacking(self, question: str) -> list[str]:
        """For a question asking for a fee, a price or a cost of a named subject: "sum of money for X" when no
        document naming X holds a sum (their texts are read a page at a time, until one does)."""
        if not _ASKS_SUM.search(question):
            return []
        named = self.keywords.named_subjects(question)
        for _, docs in named:
            if any(_SUM.search(text) for text in self.store.texts_where({"doc_id": {"$in": sorted(docs)}})):
                return []
        return [f"sum of money for {' or '.join(name for name, _ in named)}"] if named else []

    def looked_up(self, search: str, paraphrase: bool) -> list[str]:
        """The question's terms whose nearest corpus words the keyword search adds: all of a paraphrase's,
        and of any English question the words the documents never use ("Can members reuse the cluster's
        messaging?"), names left out. A Lithuanian question's English words come from the glossary, in the
        documents' own vocabulary already."""
        if paraphrase:
            return terms(search)
        if english_part(search) != search:
            return []
        named = set(terms(" ".join(names_in(search))))  # "Latvia" is no word to find in other words
        return [t for t in terms(search) if t not in named and not self.keywords.chunks_holding(t)]

    def neighbours(self, docs: list[Document]) -> list[Document]:
        """The chunks just before and after each top chunk in its document: an answer often
        continues past a chunk boundary (the sentence after the one that names the subject). One
        hop more where a list runs on: the chunk after a neighbour that ends inside a list."""
        have = {d.metadata["id"] for d in docs}
        origin: dict[str, int] = {}  # neighbour id -> rank of the best top chunk it borders
        for i, d in enumerate(docs):
            for nid in (d.metadata.get("prev_id"), d.metadata.get("next_id")):
                if nid and nid not in have:
                    origin.setdefault(str(nid), i)
        out = []
        for cid, doc in self.store.get(list(origin)).items():
            doc.metadata["neighbour_of"] = origin[cid]
            out.append(doc)
        # A list that runs past the end of a neighbour goes on in the chunk after it (the SWOT's
        # last threat): that chunk is read too, and ranks with the start of the list.
        fetched = {d.metadata["id"]: d for d in out}
        more: dict[str, int] = {}
        for d in out:
            nid, rank = d.metadata.get("next_id"), d.metadata["neighbour_of"]
            if not nid or nid in have or not ends_in_list(d.page_content):
                continue
            if nid in fetched:
                fetched[nid].metadata["neighbour_of"] = min(fetched[nid].metadata["neighbour_of"], rank)
            else:
                more[str(nid)] = min(more.get(str(nid), rank), rank)
        for cid, doc in self.store.get(list(more)).items():
            doc.metadata["neighbour_of"] = more[cid]
            out.append(doc)
        return sorted(out, key=lambda d: d.metadata["neighbour_of"])
