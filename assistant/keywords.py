"""BM25 keyword index: built with bm25s, persisted next to the store as plain numpy arrays, and
rebuilt only when the store's content version changes, never per query."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .acronyms import find_acronyms
from .chunking import doc_id_of, indexed_text
from .english_words import is_english_word
from .language import english_part, is_lithuanian
from .text import WORD

if TYPE_CHECKING:
    from .store import Store

STOPWORDS = frozenset("""
a about above after again all also am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers how i if in into is it its itself just me more most my no nor not now of off
on once only or other our ours out over own same she should so some such than that the their theirs
them then there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours tell give list describe explain please mean
means according document documents kind kinds main
""".split())  # noqa: SIM905 (a word list reads better as text)


def stem(word: str) -> str:
    """A light English stemmer for plurals, harmless for names: "policies" -> "policy", "phases" ->
    "phase", "approaches" -> "approach"; "focus", "analysis" and "business" stay as they are."""
    if len(word) <= 4 or word.endswith(("ss", "us", "is")) or not word.endswith("s"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


# Bump when terms() (or what the index records) changes: a keyword index persisted by an earlier
# version is built again. 3: the index records the corpus's acronyms. 4: a range of numbers ("2007-2013")
# is its numbers. 5: a hyphenated word is also its parts. 6: the index records the names the corpus writes
# only in capitals ("InoLink", "EOCIC"), so that "inolink" typed in lower case still names its subject.
TERMS_VERSION = 6


def index_version(store: Store) -> str:
    """The version a keyword index must carry to serve the store's current content."""
    return f"{store.content_version()}.terms{TERMS_VERSION}"


SUBJECT_SPREAD = 0.15  # of the chunks: a name in more (Lithuania, clusters) names no one subject
FOCUS_SPREAD = 0.5  # of the chunks: a term in more of them is what the whole corpus is about
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_LINK = re.compile(r"(?:https?://|www\.|\S+@)\S+", re.I)
_RANGE = re.compile(r"\d+(?:-\d+)+")  # "2007-2013" is the years 2007 and 2013, as "2007–2013" reads


def terms(text: str) -> list[str]:
    """The words that search and scoring match: lower case, without stop words, plurals stemmed. A
    range of numbers is its numbers; a hyphenated word is itself and its parts ("kick-off" meets "kick off
    meeting", "cross-sectoral" meets "cross sectoral")."""
    out = []
    for w in (m.group(0).lower() for m in WORD.finditer(text)):
        if _RANGE.fullmatch(w):
            out += w.split("-")
        elif w not in STOPWORDS:
            out.append(stem(w))
            if "-" in w:
                out += [stem(p) for p in w.split("-") if len(p) > 2 and p not in STOPWORDS]
    return out


def names_in(question: str) -> list[str]:
    """The names a question holds: runs of capitalised words that do not open a sentence, and acronyms
    ("World Cup", "Latvia, Estonia": two). In Lithuanian, and in a glossary-expanded question's English
    bag of terms, only acronyms and mixed case count ("InoLink")."""
    english = english_part(question)
    bag = english != question  # a glossary-expanded question: its English part is a bag of terms
    if bag:
        question = english
    lithuanian = is_lithuanian(question)
    out: list[str] = []
    run: list[str] = []
    end = 0
    for m in [*WORD.finditer(question), None]:
        w = m.group(0) if m else ""
        gap = question[end:m.start()] if m else ""
        opens = not bag and m is not None and (not question[:m.start()].strip() or bool(
            re.search(r"[.!?:;—–]\s*[\"“'(]?\s*$", gap)))
        acronym = len(w) > 1 and (w.isupper() or any(c.isupper() for c in w[1:]))
        capitalised = not opens and w[:1].isupper() and not lithuanian
        if m is not None and (acronym or capitalised) and not w.isdigit() and w.lower() not in STOPWORDS:
            if gap.strip() and run:
                out.append(" ".join(run))
                run = []
            run.append(w)
        elif run:
            out.append(" ".join(run))
            run = []
        end = m.end() if m else end
    return out


@dataclass
class Columns:
    """A BM25 index as bm25s computes it: for each term, the chunks containing it and their scores
    (a CSC matrix). A query sums a few columns, which takes numpy alone: readers never import bm25s
    and scipy (about 0.3 s of a cold `ask`)."""

    data: np.ndarray     # scores, column after column
    indices: np.ndarray  # chunk positions, aligned with data
    indptr: np.ndarray   # column t is data[indptr[t]:indptr[t + 1]]
    num_docs: int
    vocab: dict[str, int]

    def scores(self, tokens: list[str], related: dict[str, float] | None = None) -> np.ndarray:
        """BM25 of each chunk for `tokens`, plus each `related` term's scores times its weight."""
        out = np.zeros(self.num_docs, dtype=np.float32)
        weighted = [(t, 1.0) for t in tokens] + list((related or {}).items())
        for t, weight in weighted:  # a repeated query term counts again, as in bm25s
            s, e = self.span(t)
            out[self.indices[s:e]] += weight * self.data[s:e]  # a column names each chunk once
        return out

    def span(self, term: str) -> tuple[int, int]:
        """Where `term`'s column lies in `data` and `indices`; (0, 0) for a term no chunk holds (and for
        bm25s's "", which has no column)."""
        col = self.vocab.get(term)
        if col is None or col + 1 >= len(self.indptr):
            return 0, 0
        return int(self.indptr[col]), int(self.indptr[col + 1])

    def by_spread(self) -> list[str]:
        """The vocabulary, words in the most chunks first."""
        spread = {t: int(self.indptr[c + 1] - self.indptr[c])
                  for t, c in self.vocab.items() if c + 1 < len(self.indptr)}
        return sorted(spread, key=lambda t: -spread[t])


_ARRAYS = ("data", "indices", "indptr")
log = logging.getLogger(__name__)


def _check(c: Columns, ids: object) -> None:
    """Raise ValueError unless the arrays fit together: a file cut short or swapped for another must
    not give wrong scores or an IndexError at query time."""
    if not isinstance(ids, list) or len(ids) != c.num_docs or not isinstance(c.vocab, dict):
        raise ValueError("the ids do not match the index")
    if not (c.data.ndim == c.indices.ndim == c.indptr.ndim == 1) or len(c.data) != len(c.indices):
        raise ValueError("the score and position arrays differ in length")
    # bm25s adds "" to the vocabulary without a column of its own: one pointer per term, or one more.
    if len(c.indptr) - len(c.vocab) not in (0, 1) or (len(c.indptr) and int(c.indptr[-1]) != len(c.data)):
        raise ValueError("the column pointers do not match the vocabulary")
    if c.indices.dtype.kind not in "iu" or c.indptr.dtype.kind not in "iu":
        raise ValueError("the position arrays are not integers")


class KeywordIndex:
    def __init__(self, ids: list[str], columns: Columns, version: str,
                 acronyms: dict[str, str] | None = None, names: Iterable[str] = ()) -> None:
        self.ids, self.columns, self.version = ids, columns, version
        self.acronyms = acronyms or {}  # defined in the indexed texts: {"KETs": "Key Enabling Technologies"}
        self.names = frozenset(names)  # words the texts write only in capitals or mixed case, lower-cased
        self.position = {cid: i for i, cid in enumerate(ids)}

    @classmethod
    def build(cls, ids: list[str], texts: Iterable[str], version: str) -> KeywordIndex:
        """Index `texts` (one per id) with bm25s. Each text is turned into compact token ids as it
        arrives, so a generator keeps memory at the size of the index, not of the corpus (100k chunks)."""
        import bm25s
        from bm25s.tokenization import Tokenized

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each build at DEBUG
        vocab: dict[str, int] = {}
        acronyms: dict[str, str] = {}
        cased: set[str] = set()
        lower: set[str] = set()

        def tokens(text: str) -> array[int]:
            for acronym, name in find_acronyms(text).items():
                acronyms.setdefault(acronym, name)
            for w in WORD.findall(_LINK.sub(" ", text)):  # "www.mita.lt" writes no name in lower case
                if w.islower():
                    lower.add(w)
                elif len(w) > 2 and (w.isupper() or any(c.isupper() for c in w[1:])):
                    cased.add(w.lower())
            return array("i", [vocab.setdefault(t, len(vocab)) for t in terms(text) or ["_empty_"]])

        docs = [tokens(text) for text in texts]
        if len(docs) != len(ids):
            raise ValueError(f"{len(ids)} ids for {len(docs)} texts")
        if not docs:
            return cls(ids, Columns(np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int32), 0, {}),
                       version)
        bm25 = bm25s.BM25()
        bm25.index(Tokenized(ids=docs, vocab=vocab), show_progress=False)
        m = bm25.scores
        names = {w for w in cased - lower if not is_english_word(w)}  # "NUTS 2" makes no name of "nuts"
        return cls(ids, Columns(m["data"], m["indices"], m["indptr"], int(m["num_docs"]), dict(bm25.vocab_dict)),
                   version, acronyms, names)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
        tmp.mkdir(parents=True, exist_ok=True)
        try:
            for a in _ARRAYS:
                np.save(tmp / f"bm25_{a}.npy", getattr(self.columns, a))
            (tmp / "bm25_vocab.json").write_text(json.dumps(self.columns.vocab))
            (tmp / "ids.json").write_text(json.dumps({"version": self.version, "ids": self.ids,
                                                      "num_docs": self.columns.num_docs, "acronyms": self.acronyms,
                                                      "names": sorted(self.names)}))
        except OSError:  # a full disk: leave no half-written folder behind
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        # Swap file by file: readers see either the old or the new ids.json last.
        for f in tmp.iterdir():
            if f.name != "ids.json":
                f.replace(folder / f.name)
        (tmp / "ids.json").replace(folder / "ids.json")
        tmp.rmdir()
        for stale in [*folder.glob("*.index.npy"), *folder.glob("*.index.json")]:  # bm25s files of earlier versions
            stale.unlink(missing_ok=True)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex | None:
        """The saved index, or None when there is none or it cannot be used: a damaged file (a
        zero-byte or truncated array) or an older format is then rebuilt from the store, with a
        warning naming the file."""
        meta_file = folder / "ids.json"
        if not meta_file.is_file():
            return None
        current = meta_file
        try:
            meta = json.loads(meta_file.read_text())
            arrays = []
            for a in _ARRAYS:
                current = folder / f"bm25_{a}.npy"
                arrays.append(np.load(current, mmap_mode="r"))
            current = folder / "bm25_vocab.json"
            vocab = json.loads(current.read_text())
            current = folder
            data, indices, indptr = arrays
            columns = Columns(data, indices, indptr, int(meta["num_docs"]), vocab)
            ids, version = meta["ids"], str(meta["version"])
            names = meta.get("names", [])
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ValueError("the names are no list of words")
            _check(columns, ids)
        except (OSError, ValueError, KeyError, EOFError, TypeError) as e:  # EOFError: "No data left in file"
            log.warning("the keyword index file %s cannot be used (%s); rebuilding it from the store", current,
                        str(e) or type(e).__name__)
            return None
        return cls(ids, columns, version, meta.get("acronyms", {}), names)

    @classmethod
    def for_store(cls, store: Store, folder: Path) -> KeywordIndex:
        """The persisted index if it matches the store's content, else a fresh build (saved)."""
        version = index_version(store)
        idx = cls.load(folder)
        if idx is not None and idx.version == version and len(idx.ids) == store.count():
            return idx

        ids: list[str] = []

        def texts() -> Iterator[str]:  # page by page: never every text in memory at once
            for cid, text, meta in store.iter_texts():
                ids.append(cid)
                yield indexed_text(text, meta)

        idx = cls.build(ids, texts(), version)
        with contextlib.suppress(OSError):  # a read-only data dir: still usable in memory
            idx.save(folder)
        return idx

    def unknown_names(self, question: str) -> list[str]:
        """Names in the question (capitalised words not opening a sentence, acronyms, years) that no indexed
        chunk contains: a question about Latvia, a "Gold Label" or 2025 is not covered by a corpus without
        them. A hyphenated name is known when its parts are ("EU-level")."""
        out = [name for name in names_in(question) if not all(self._known(w) for w in name.split())]
        # A year outside the span the documents speak of is a subject the corpus lacks too: "the deadline of
        # the 2025 call" (a year inside it may fall in one of their ranges: "2018" in "2014–2020").
        years = _YEAR.findall(question)
        span = self.years if years else None
        return out + [y for y in dict.fromkeys(years) if span is None or not span[0] <= int(y) <= span[1]]

    def subjects(self, question: str) -> list[frozenset[str]]:
        """For each name in the question that few chunks hold (in at most SUBJECT_SPREAD of them: "InoLink",
        "EOCIC", not "Lithuania"), the documents that mention it. A question that names a programme asks
        about that programme: "who runs InoLink and what does it cost?" is not answered with another
        programme's costs."""
        return [docs for _, docs in self.named_subjects(question)]

    def named_subjects(self, question: str) -> list[tuple[str, frozenset[str]]]:
        """`subjects`, each with its name; a name typed in lower case ("how much did inolink cost?") counts when
        the texts write it only in capitals or mixed case."""
        out: list[tuple[str, frozenset[str]]] = []
        said = names_in(question)
        # In lower case, or capitalised as the first word ("Inolink budget?", as a phone types it).
        typed = [w.lower() for w in WORD.findall(english_part(question))
                 if (w.islower() or w[1:].islower()) and w.lower() in self.names
                 and w.lower() not in {n.lower() for n in said}]
        for name in dict.fromkeys([*said, *typed]):
            spread = [self._chunks_with(stem(w.lower())) for w in name.split()]
            if all(spread):  # known, word by word
                rarest = min(spread, key=len)
                if len(rarest) <= SUBJECT_SPREAD * len(self.ids):
                    out.append((name, frozenset(doc_id_of(self.ids[i]) for i in rarest)))
        return out

    def focus(self, question_terms: list[str]) -> frozenset[str]:
        """The terms that pick out what a question is about: those at most FOCUS_SPREAD of the chunks hold
        ("facilitation", not "cluster" or "Lithuania"), and those no chunk holds, which a unit may word
        otherwise ("money": "funds")."""
        most = FOCUS_SPREAD * len(self.ids)
        return frozenset(t for t in question_terms if self.chunks_holding(t) <= most)

    def chunks_holding(self, term: str) -> int:
        """How many chunks hold `term` (a term as `terms` makes it): the length of its column."""
        start, end = self.columns.span(term)
        return end - start

    def _chunks_with(self, term: str) -> list[int]:
        start, end = self.columns.span(term)
        return self.columns.indices[start:end].tolist()

    def _known(self, word: str) -> bool:
        vocab = self.columns.vocab
        return stem(word.lower()) in vocab or ("-" in word and all(
            stem(part) in vocab or part in STOPWORDS for part in word.lower().split("-") if part))

    @cached_property
    def years(self) -> tuple[int, int] | None:
        """The span of time the texts speak of: their first and last year (read once, when a question
        names a year)."""
        found = [int(t) for t in self.columns.vocab if len(t) == 4 and _YEAR.fullmatch(t)]
        return (min(found), max(found)) if found else None

    def search(self, query: str, k: int, allowed: set[str] | None = None,
               related: dict[str, float] | None = None) -> list[tuple[str, float]]:
        """The k best chunks by BM25 (among `allowed`). `related`: more terms, each with a weight
        below 1 (words that mean nearly what the query's words mean)."""
        q = terms(query)
        if not self.ids or not q:
            return []
        scores = self.columns.scores(q, related)
        if allowed is not None:
            mask = np.zeros(len(self.ids), dtype=scores.dtype)
            for cid in allowed:
                if cid in self.position:
                    mask[self.position[cid]] = 1
            scores = scores * mask
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
