"""Competence-area taxonomy and classification by embedding similarity to topic descriptions."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from .safe_yaml import load_shipped
from .saved_arrays import load_arrays, save_arrays
from .vector_centre import centred

log = logging.getLogger(__name__)


@dataclass
class Topic:
    id: str
    label: str
    description: str
    examples: list[str] = field(default_factory=list)


@dataclass
class Taxonomy:
    topics: list[Topic]
    off_topics: list[str]  # everyday subjects no document is about (see `TopicClassifier.off_topic`)


def load_taxonomy(path: Path) -> Taxonomy:
    data = load_shipped(path.read_text(encoding="utf-8")) or {}
    topics = [Topic(id=tid, label=t["label"], description=t["description"], examples=list(t.get("examples", [])))
              for tid, t in (data.get("topics") or {}).items()]
    if not topics:
        raise ValueError(f"{path} defines no topics")
    off = data.get("off_topics") or []
    if not isinstance(off, list) or not all(isinstance(x, str) and x.strip() for x in off):
        raise ValueError(f"{path}: off_topics must be a list of short texts")
    return Taxonomy(topics, off)


# Reading a question's area also from the sentences nearest it: dev topic accuracy 0.613 -> 0.662, and 0.637-0.675
# for weights 0.2-0.4 and 3-8 sentences (docs/evaluation.md, stop 26).
EVIDENCE_WEIGHT = 0.3
EVIDENCE_UNITS = 5


def nearest_units(query_vector: list[float], unit_vectors: list[np.ndarray], n: int = EVIDENCE_UNITS) -> np.ndarray:
    """The `n` vectors nearest the question's (all of them when fewer)."""
    if not unit_vectors:
        return np.empty((0, len(query_vector)))
    rows = np.vstack(unit_vectors)
    return rows[np.argsort(-(rows @ np.asarray(query_vector)))[:n]]


# The competence areas of the eval dataset (evals/dataset.yaml): the taxonomy's topics, with member
# engagement counted as cluster management.
AREAS = ("communication", "rnd", "internationalisation", "management", "funding")


def area_of(topic: str | None) -> str:
    """The dataset's area for a taxonomy topic; "" for no topic or an unknown one."""
    return "management" if topic == "engagement" else topic if topic in AREAS else ""


class TopicClassifier:
    """Cosine similarity to each topic's description and examples (averaged, normalised); and to the
    everyday subjects off the corpus's map (`off_topics`, one row each)."""

    def __init__(self, topics: list[Topic], embedder: Embeddings, cache_dir: Path | None = None,
                 space: str = "", off_topics: list[str] | None = None) -> None:
        """`cache_dir` keeps the topic vectors between processes (a cold `ask` saves ~60 ms), keyed
        by the topics' texts and `space`, the embedder's id."""
        self.topics = topics
        off = list(off_topics or [])
        texts = [[t.description, *t.examples] for t in topics] + [[x] for x in off]
        cache = None
        if cache_dir is not None:
            key = hashlib.sha1(json.dumps([space, texts]).encode()).hexdigest()[:16]
            cache = cache_dir / f"topics-{key}.npz"
            saved = load_arrays(cache, "topic vectors")
            cached = (saved or {}).get("vectors")
            if cached is not None and cached.ndim == 2 and cached.shape[0] == len(texts) and np.isfinite(cached).all():
                self._split(cached)
                return
            if saved is not None:
                log.warning("the topic vectors file %s holds no row per topic; computing it again", cache)
        both = self._embed(texts, embedder)
        self._split(both)
        if cache is not None:
            with contextlib.suppress(OSError):  # a read-only cache folder costs only the speed-up
                save_arrays(cache, vectors=both)

    def _split(self, rows: np.ndarray) -> None:
        self.matrix, self.off_matrix = rows[:len(self.topics)], rows[len(self.topics):]

    def off_topic(self, vector: list[float] | np.ndarray) -> float:
        """How near the vector is to the nearest everyday subject off the map (-inf with none listed)."""
        if not len(self.off_matrix):
            return float("-inf")
        return float((self.off_matrix @ np.asarray(vector)).max())

    @staticmethod
    def _embed(texts: list[list[str]], embedder: Embeddings) -> np.ndarray:
        flat = np.asarray(embedder.embed_documents([x for group in texts for x in group]))  # one call: one pool
        vecs, i = [], 0
        for group in texts:
            v = flat[i:i + len(group)].mean(axis=0)
            vecs.append(v / np.linalg.norm(v))
            i += len(group)
        return np.vstack(vecs)

    def nearest_area(self, vector: list[float] | np.ndarray) -> float:
        """How near the vector is to the nearest competence area (its description and examples together)."""
        return float((self.matrix @ np.asarray(vector)).max()) if len(self.matrix) else float("-inf")

    def scores(self, vectors: list[list[float]] | np.ndarray, centre: np.ndarray | None = None) -> np.ndarray:
        """Each vector's cosine to each area (one row per vector); with the corpus `centre` subtracted from
        both first, what a text says beyond what every text here shares decides (`vector_centre`)."""
        return centred(np.asarray(vectors), centre) @ centred(self.matrix, centre).T

    def classify(self, vector: list[float], centre: np.ndarray | None = None,
                 evidence: np.ndarray | None = None) -> str:
        """The area nearest the question's vector (`scores`). `evidence`: the vectors of the sentences the
        documents hold nearest the question (`nearest_units`), whose mean scores weigh EVIDENCE_WEIGHT: a
        question says in a few words what its answer says in the area's own ("Who do I go to at national level
        for help setting up a cluster?" read alone is internationalisation; the sentences nearest it are on
        MITA's cluster facilitation)."""
        row = self.scores([vector], centre)[0]
        if evidence is not None and len(evidence):
            row = (1 - EVIDENCE_WEIGHT) * row + EVIDENCE_WEIGHT * self.scores(evidence, centre).mean(axis=0)
        return self.topics[int(np.argmax(row))].id

    def tag(self, vectors: list[list[float]] | np.ndarray, centre: np.ndarray | None = None,
            margin: float = 0.05) -> list[list[str]]:
        """Topics of each chunk: the best one, and any within `margin` of it. With the corpus `centre`, as
        `classify` compares a question: without it, nearly every chunk of a corpus about clusters is
        nearest one area (R&D: 122 of 137 chunks here; member engagement: 1)."""
        out = []
        scores = self.scores(vectors, centre)
        for row in scores:
            best = float(row.max())
            out.append([self.topics[i].id for i in np.argsort(-row) if row[i] >= best - margin])
        return out
