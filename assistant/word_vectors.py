"""Which words mean nearly the same: each corpus word embedded alone by the sentence model.

Coordinators ask in their own words ("money", "openings", "weak spot") where the documents say
"funds", "opportunities", "weaknesses". Shared words alone miss those; the sentence model, given one
word, places such pairs close (cosine 0.6–0.9, against 0.2–0.35 for unrelated words). Two uses:
- retrieval: a paraphrased question's keyword search also looks for the corpus words nearest each
  of its words (query expansion from the corpus's own vocabulary);
- answering: a question word matches a sentence's word that means nearly the same, weighted by
  how similar the two are.

The vectors of one keyword index's vocabulary are saved next to it, so a cold `ask` only loads
them; ingest embeds only words it has not embedded before."""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .saved_arrays import load_arrays, save_arrays

log = logging.getLogger(__name__)

SOFT_MATCH = 0.55        # answering: a question word matches a unit's word at least this similar
FAMILY_MATCH = 0.8       # how similar two words of one family (`family`) count, whatever their cosine
RELATED_MIN = 0.6        # retrieval: corpus words at least this similar join a paraphrase's search
RELATED_PER_TERM = 5     # ... at most this many per question word
MAX_WORDS = 50_000       # a huge corpus embeds its most widespread words only
_WORD = re.compile(r"[^\W\d_]{3,}(?:-[^\W\d_]+)*")  # letters (a hyphen inside): no numbers, codes or stubs
FILE = "word_vectors.npz"
_MEMORY: dict[str, dict[str, np.ndarray]] = {}  # per vector space: words embedded in this process (float16)
MEMORY_WORDS = 100_000  # ~77 MB; then it starts again: a bot that runs for months keeps a bounded cache
# The sentence model puts a word close to its opposite ("weak" and "strong" 0.79, "small" and "large"
# 0.76): context, not meaning, is what the two share. Such pairs (as word beginnings, so "strongly"
# and "strengths" count) never stand in for each other.
_OPPOSITES = (("weak", "strong"), ("weak", "strength"), ("small", "large"), ("small", "big"), ("low", "high"),
              ("public", "private"), ("success", "fail"), ("intern", "extern"), ("nation", "internation"),
              ("import", "export"), ("increas", "decreas"), ("positiv", "negativ"), ("advantage", "disadvantage"),
              ("opportunit", "threat"), ("short", "long"), ("local", "global"), ("good", "bad"), ("best", "worst"),
              ("easy", "difficult"), ("major", "minor"), ("maxim", "minim"), ("first", "last"), ("young", "old"),
              ("new", "old"), ("past", "future"), ("gain", "loss"), ("profit", "loss"), ("rural", "urban"))


def is_word(term: str) -> bool:
    return bool(_WORD.fullmatch(term))


def opposite(a: str, b: str) -> bool:
    """Do the two words begin as a pair of opposites do (`_OPPOSITES`)?"""
    return any((a.startswith(x) and b.startswith(y)) or (a.startswith(y) and b.startswith(x)) for x, y in _OPPOSITES)


class WordVectors:
    """The normalised vectors of a vocabulary's words; other words are embedded when asked for."""

    def __init__(self, words: list[str], matrix: np.ndarray, embedder: Any, space: str) -> None:
        self.words, self.matrix, self.embedder, self.space = words, matrix, embedder, space
        self.row = {w: i for i, w in enumerate(words)}

    @classmethod
    def for_vocabulary(cls, vocabulary: Iterable[str], embedder: Any, folder: Path, space: str) -> WordVectors:
        """The vectors of the vocabulary's words (see `is_word`; the first MAX_WORDS, so pass the most
        widespread first), from the file in `folder` when it holds them, else embedded and saved."""
        words = [w for w in vocabulary if is_word(w)][:MAX_WORDS]
        saved = _load(folder, space)
        if saved is not None and saved.words == words:
            saved.embedder = embedder
            return saved
        known = dict(zip(saved.words, saved.matrix, strict=True)) if saved is not None else {}
        memory = _remember(space)
        new = [w for w in words if w not in known and w not in memory]
        if new:
            memory.update(zip(new, _embed(embedder, new), strict=True))
        out = cls(words, _stack([known[w] if w in known else memory[w] for w in words]), embedder, space)
        with contextlib.suppress(OSError):  # a read-only data dir: still usable in memory
            save_arrays(folder / FILE, space=np.array(space), words=np.array(words, dtype=str),
                        matrix=out.matrix.astype(np.float16))  # half the size; cosines move by ~1e-3
        return out

    def kin(self, word: str) -> list[str]:
        """The vocabulary's words of the word's `family`. (Stemming a large vocabulary would cost a cold
        question about a second; a stem is the start of its words, so only words that start alike are.)"""
        root = family(word)
        return [w for w in self.by_start.get(root[:3], ()) if family(w) == root]

    @functools.cached_property
    def by_start(self) -> dict[str, list[str]]:
        """The vocabulary's words by their first three letters."""
        out: dict[str, list[str]] = {}
        for w in self.words:
            out.setdefault(w[:3], []).append(w)
        return out

    def vectors(self, words: list[str]) -> np.ndarray:
        """One row per word: from the vocabulary, or embedded now (a question's own words)."""
        memory = _remember(self.space)
        new = sorted({w for w in words if w not in self.row and w not in memory})
        if new:
            memory.update(zip(new, _embed(self.embedder, new), strict=True))
        return _stack([self.matrix[self.row[w]] if w in self.row else memory[w] for w in words])

    def related(self, terms: Iterable[str]) -> dict[str, float]:
        """Corpus words that mean nearly what one of `terms` means (at least RELATED_MIN, at most
        RELATED_PER_TERM per term, no opposites), each weighted by its similarity: "money" finds
        "funds" and "financial"; and the words of a term's family at FAMILY_MATCH."""
        asked = sorted({t for t in terms if is_word(t)})
        if not asked or not self.words:
            return {}
        sims = self.vectors(asked) @ self.matrix.T
        out: dict[str, float] = {}
        for term in asked:  # "coordinates": "coordinated", which the model puts at a cosine of 0.3
            for word in self.kin(term):
                if word not in asked:
                    out[word] = max(out.get(word, 0.0), FAMILY_MATCH)
        for i, term in enumerate(asked):
            near = np.argpartition(-sims[i], min(len(self.words) - 1, 4 * RELATED_PER_TERM))[:4 * RELATED_PER_TERM + 1]
            taken = 0
            for j in near[np.argsort(-sims[i, near])]:
                word, sim = self.words[j], float(sims[i, j])
                if sim < RELATED_MIN or taken == RELATED_PER_TERM:
                    break
                if word in asked or opposite(term, word):
                    continue
                out[word] = max(out.get(word, 0.0), sim)
                taken += 1
        return out

    def matches(self, asked: list[str], words: list[str]) -> np.ndarray:
        """Similarity of each asked word (rows) to each word (columns), 0 below SOFT_MATCH; 1 for the
        same word. Words of digits or codes match only themselves."""
        out = np.zeros((len(asked), len(words)), dtype=np.float32)
        a = [i for i, w in enumerate(asked) if is_word(w)]
        b = [j for j, w in enumerate(words) if is_word(w)]
        if a and b:
            sims = self.vectors([asked[i] for i in a]) @ self.vectors([words[j] for j in b]).T
            out[np.ix_(a, b)] = np.where(sims >= SOFT_MATCH, sims, 0.0)
            for i, j in zip(*np.nonzero(out), strict=True):  # "weak" never matches "strong"
                if opposite(asked[i], words[j]):
                    out[i, j] = 0.0
        kin: dict[str, list[int]] = {}
        for j in b:
            kin.setdefault(family(words[j]), []).append(j)
        for i in a:
            near = kin.get(family(asked[i]), [])
            out[i, near] = np.maximum(out[i, near], FAMILY_MATCH)
        column: dict[str, list[int]] = {}
        for j, w in enumerate(words):
            column.setdefault(w, []).append(j)
        for i, w in enumerate(asked):
            out[i, column.get(w, [])] = 1.0
        return out


@functools.lru_cache(maxsize=65536)
def family(word: str) -> str:
    """The word's Snowball (Porter2) stem: "coordinates", "coordinated", "coordination" share one.
    The keyword index keeps its light plural stemmer (the full stemmer cost answers: docs/evaluation.md);
    here a shared stem only counts as a near word."""
    return str(_english_stemmer().stemWord(word))


def _english_stemmer() -> Any:
    """This thread's stemmer (PyStemmer, Snowball in C: the pure-Python snowballstemmer imports every
    language's stemmer, ~75 ms on a cold question). A stemmer keeps its state while it stems, so threads
    (the Slack bot's workers) may not share one."""
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        try:
            import Stemmer
        except ImportError as e:  # a dependency of the project: only a broken install lacks it
            raise RuntimeError("PyStemmer is missing: pip install PyStemmer") from e
        stemmer = _STEMMERS.english = Stemmer.Stemmer("english")
    return stemmer


_STEMMERS = threading.local()


def _stack(rows: list[np.ndarray]) -> np.ndarray:
    return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 0), dtype=np.float32)


def _remember(space: str) -> dict[str, np.ndarray]:
    """This process's words of one vector space. A full cache is replaced, not cleared: a thread
    still reading the old one (a Slack worker) finds its words there."""
    memory = _MEMORY.setdefault(space, {})
    if len(memory) > MEMORY_WORDS:
        memory = _MEMORY[space] = {}
    return memory


def _embed(embedder: Any, words: list[str]) -> np.ndarray:
    """Normalised, in float16 as the saved file keeps them: a question scores the same in the process
    that ingested as in any other."""
    vecs = _stack([np.asarray(v, dtype=np.float32) for v in embedder.embed_documents(words)])
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return (vecs / np.where(norms > 0, norms, 1.0)).astype(np.float16)


def _load(folder: Path, space: str) -> WordVectors | None:
    """The saved vectors, or None when there are none, they come from another model, or the file is
    damaged (the words are then embedded again, with a warning naming the file)."""
    saved = load_arrays(folder / FILE, "word vectors")
    if saved is None or str(saved.get("space")) != space:
        return None
    words, matrix = [str(w) for w in saved.get("words", [])], saved.get("matrix")
    if matrix is None or matrix.ndim != 2 or len(matrix) != len(words) or not np.isfinite(matrix).all():
        log.warning("the word vectors file %s does not match its words; embedding them again", folder / FILE)
        return None
    return WordVectors(words, matrix.astype(np.float32), None, space)
