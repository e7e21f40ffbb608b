"""The corpus centre: the mean chunk vector, subtracted before a question is compared with the areas."""

from pathlib import Path

import numpy as np
import pytest
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.assistant.topics import Topic, TopicClassifier
from cluster_assistant.assistant.vector_centre import FILE, centred, corpus_centre

from .conftest import index, make_assistant


def test_the_centre_is_the_mean_chunk_vector_saved_for_this_content(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    a = make_assistant(tmp_path / "data")
    assert corpus_centre(a.store, a.settings.keywords_dir) is None  # nothing stored: nothing to subtract
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fees.md").write_text("# Fees\n\nMembers pay a yearly fee of 300 euro to the cluster office.\n")
    (docs / "fairs.md").write_text("# Fairs\n\nThe cluster takes its members to two trade fairs abroad each year.\n")
    index(a, [docs])
    assert (a.settings.keywords_dir / FILE).is_file()  # ingest saved it
    got = a.store.collection.get(include=["embeddings"])
    mean = np.asarray(got["embeddings"], dtype=np.float32).mean(axis=0)
    centre = a.derived()[2]
    assert centre is not None and np.allclose(centre, mean, atol=1e-6)

    (a.settings.keywords_dir / FILE).write_bytes(b"PK\x03\x04 cut short")
    again = corpus_centre(a.store, a.settings.keywords_dir)
    assert "cannot be used" in caplog.text and FILE in caplog.text
    assert again is not None and np.allclose(again, mean, atol=1e-6)

    (docs / "fees.md").unlink()
    index(a, [docs])  # new content: a new centre, not the saved one
    now = np.asarray(a.store.collection.get(include=["embeddings"])["embeddings"]).mean(axis=0)
    assert np.allclose(a.derived()[2], now, atol=1e-6) and not np.allclose(now, mean, atol=1e-6)


def test_centred_vectors_are_unit_length_and_no_centre_changes_nothing() -> None:
    v = np.array([[0.6, 0.8, 0.0], [1.0, 0.0, 0.0]])
    c = np.array([0.5, 0.5, 0.0])
    out = centred(v, c)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0)
    assert np.allclose(out[0], (v[0] - c) / np.linalg.norm(v[0] - c))
    assert centred(v, None) is v


def test_the_area_is_chosen_after_the_centre_is_subtracted(corpus_assistant: Assistant) -> None:
    """In a corpus that talks of news everywhere, a question that leans a little to news is asked
    for what it says beyond that: funding."""
    topics = [Topic("funding", "Funding", "money, fees, grants and budgets of a cluster"),
              Topic("communication", "Communication", "newsletters, social media and events that tell members news")]
    classifier = TopicClassifier(topics, corpus_assistant.embedder)
    f, c = classifier.matrix
    question = (f + 1.2 * c) / np.linalg.norm(f + 1.2 * c)
    assert classifier.classify(list(question)) == "communication"
    assert classifier.classify(list(question), 0.5 * c) == "funding"
    centre = corpus_assistant.derived()[2]
    assert centre is not None and centre.shape == (384,)


def test_the_sample_reads_every_chunk_of_a_small_store_and_spreads_over_a_large_one(tmp_path: Path) -> None:
    """Chunk vectors written straight into a real Chroma collection; each one's angle tells which it is
    (unit vectors: the cosine space keeps them as they are)."""
    a = make_assistant(tmp_path / "data")
    total = 1200
    angles = np.arange(total) / total * (np.pi / 2)
    vectors = np.zeros((total, 8), dtype=np.float32)
    vectors[:, 0], vectors[:, 1] = np.cos(angles), np.sin(angles)
    a.store.collection.add(ids=[f"c{i:04d}" for i in range(total)], embeddings=vectors.tolist(),
                           documents=[f"chunk {i}" for i in range(total)])

    def which(rows: np.ndarray) -> list[int]:
        return sorted(int(round(x)) for x in np.arctan2(rows[:, 1], rows[:, 0]) / (np.pi / 2) * total)

    every = a.store.sample_vectors(n=5000)
    assert len(every) == total and which(every) == list(range(total))
    some = a.store.sample_vectors(n=1000, page=250)
    seen = which(some)
    assert len(seen) == 1000 and seen[0] == 0 and seen[-1] == total - 1  # from both ends, not the first 1000
