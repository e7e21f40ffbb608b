"""Competence-area taxonomy and classification by embedding similarity to topic descriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from langchain_core.embeddings import Embeddings


@dataclass
class Topic:
    id: str
    label: str
    description: str
    examples: list[str] = field(default_factory=list)


def load_taxonomy(path: Path) -> list[Topic]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    topics = [Topic(id=tid, label=t["label"], description=t["description"], examples=list(t.get("examples", [])))
              for tid, t in (data.get("topics") or {}).items()]
    if not topics:
        raise ValueError(f"{path} defines no topics")
    return topics


class TopicClassifier:
    """Cosine similarity to each topic's description and examples (averaged, normalised)."""

    def __init__(self, topics: list[Topic], embedder: Embeddings) -> None:
        self.topics = topics
        vecs = []
        for t in topics:
            e = np.asarray(embedder.embed_documents([t.description, *t.examples]))
            v = e.mean(axis=0)
            vecs.append(v / np.linalg.norm(v))
        self.matrix = np.vstack(vecs)

    def scores(self, vectors: list[list[float]] | np.ndarray) -> np.ndarray:
        return np.asarray(vectors) @ self.matrix.T

    def classify(self, vector: list[float]) -> str:
        return self.topics[int(np.argmax(self.scores([vector])[0]))].id

    def tag(self, vectors: list[list[float]], margin: float = 0.05) -> list[list[str]]:
        """Topics of each chunk: the best one, and any within `margin` of it."""
        out = []
        for row in self.scores(vectors):
            best = float(row.max())
            out.append([self.topics[i].id for i in np.argsort(-row) if row[i] >= best - margin])
        return out
