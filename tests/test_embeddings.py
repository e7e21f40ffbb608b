"""The default embedder (int8 ONNX, one text per run): batch-independent, close to the float model,
and an index embedded by another model is embedded again by ingest."""

import logging
from pathlib import Path

import numpy as np
import pytest
from cluster_assistant.assistant.embeddings import embedder_id
from cluster_assistant.assistant.pipeline import Assistant

from .conftest import CORPUS, index, make_assistant, make_settings

TEXTS = [
    "Clusters need support in international marketing and branding.",
    "The Agency for Science, Innovation and Technology (MITA) coordinates cluster policy in Lithuania.",
    "InoLink coached eight clusters; they formulated strategies and joined international consortia.",
]


@pytest.fixture(scope="module")
def float_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The same model without quantisation: its own embedder and store (exported once, ~10 s)."""
    return Assistant(make_settings(tmp_path_factory.mktemp("float"), embedding_quantize=False))


def test_a_text_embeds_the_same_alone_or_among_others(tmp_path: Path) -> None:
    e = make_assistant(tmp_path).embedder
    together = np.array(e.embed_documents(TEXTS))
    alone = np.array([e.embed_query(t) for t in TEXTS])
    assert np.allclose(together, alone, atol=1e-6)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_int8_vectors_stay_close_to_the_float_model(tmp_path: Path, float_assistant: Assistant) -> None:
    texts = TEXTS + [p.read_text()[:1500] for p in sorted(CORPUS.glob("*.md")) if p.name != "README.md"]
    int8 = np.array(make_assistant(tmp_path).embedder.embed_documents(texts))
    full = np.array(float_assistant.embedder.embed_documents(texts))
    cosines = (int8 * full).sum(axis=1)
    assert cosines.min() > 0.98, cosines


def test_an_index_of_another_model_is_embedded_again(tmp_path: Path, float_assistant: Assistant,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.md").write_text("---\ntitle: Communication guide\n---\n# Newsletter\n"
                                   "Send members a monthly newsletter with project news.\n")
    float_settings = make_settings(tmp_path / "data", embedding_quantize=False)
    old = Assistant(float_settings, embedder=float_assistant.embedder)
    first = index(old, [docs])
    assert first.chunks_embedded == old.store.count() > 0

    a = make_assistant(tmp_path / "data")  # the default settings: int8
    assert embedder_id(a.settings) != embedder_id(float_settings)
    with caplog.at_level(logging.WARNING, logger="cluster_assistant.assistant.pipeline"):
        assert "monthly newsletter" in a.answer("How do we send members project news?").answer
    assert "run `cluster-assistant ingest`" in caplog.text and embedder_id(float_settings) in caplog.text

    report = index(a, [docs])
    assert (report.updated, report.chunks_embedded) == (1, a.store.count())
    _, metas = a.store.all_metadata(keys=["embedder"])
    assert {m["embedder"] for m in metas} == {embedder_id(a.settings)}
    assert index(a, [docs]).chunks_embedded == 0


def test_topic_vectors_are_cached_per_embedder(tmp_path: Path) -> None:
    from cluster_assistant.assistant.topics import TopicClassifier, load_taxonomy

    a = make_assistant(tmp_path / "data")
    taxonomy = load_taxonomy(a.settings.taxonomy_file)
    topics = taxonomy.topics
    fresh = TopicClassifier(topics, a.embedder)
    first = TopicClassifier(topics, a.embedder, tmp_path / "cache", "space-a")
    [saved] = list((tmp_path / "cache").glob("topics-*.npz"))
    assert np.allclose(first.matrix, fresh.matrix, atol=1e-6)
    np.savez(saved, vectors=fresh.matrix[::-1])  # the cache is what a second process reads
    assert np.array_equal(TopicClassifier(topics, a.embedder, tmp_path / "cache", "space-a").matrix,
                          fresh.matrix[::-1])
    for damage in (b"damaged", b""):  # a damaged cache is embedded again and rewritten
        saved.write_bytes(damage)
        again = TopicClassifier(topics, a.embedder, tmp_path / "cache", "space-a")
        assert np.allclose(again.matrix, fresh.matrix, atol=1e-6)
        assert np.allclose(np.load(saved)["vectors"], fresh.matrix)
    np.savez(saved, vectors=fresh.matrix[:2])  # readable, but not a row per topic
    assert np.allclose(TopicClassifier(topics, a.embedder, tmp_path / "cache", "space-a").matrix, fresh.matrix,
                       atol=1e-6)
    TopicClassifier(topics, a.embedder, tmp_path / "cache", "space-b")  # another embedder: its own file
    assert len(list((tmp_path / "cache").glob("topics-*.npz"))) == 2
    # The off-the-map texts are cached with them, in a file of their own (the key holds the texts), and
    # read back into the same rows.
    off = taxonomy.off_topics
    both = TopicClassifier(topics, a.embedder, tmp_path / "cache", "space-a", off)
    assert len(list((tmp_path / "cache").glob("topics-*.npz"))) == 3
    again = TopicClassifier(topics, a.embedder, tmp_path / "cache", "space-a", off)
    assert again.off_matrix.shape == (len(off), fresh.matrix.shape[1]) and np.array_equal(again.off_matrix,
                                                                                            both.off_matrix)
    assert np.array_equal(again.matrix, both.matrix) and np.allclose(both.matrix, fresh.matrix, atol=1e-6)
    weather = a.embedder.embed_query("Will it rain in Vilnius tomorrow?")
    assert again.off_topic(weather) > 0.4 and fresh.off_topic(weather) == float("-inf")  # none listed


def test_a_taxonomy_with_bad_off_topics_is_refused_by_name(tmp_path: Path) -> None:
    from cluster_assistant.assistant.topics import load_taxonomy

    path = tmp_path / "taxonomy.yaml"
    path.write_text("topics:\n  a:\n    label: A\n    description: d\noff_topics: 5\n", encoding="utf-8")
    with pytest.raises(ValueError, match="off_topics must be a list of short texts"):
        load_taxonomy(path)
    path.write_text("topics:\n  a:\n    label: A\n    description: d\n", encoding="utf-8")
    assert load_taxonomy(path).off_topics == []


def test_a_damaged_model_file_is_exported_again_with_one_warning(corpus_assistant: Assistant, tmp_path: Path) -> None:
    """`ask` loads the model in a background thread; its failure must reach the user as one line, not a
    traceback. The export is a derived file, so it is made again (issue 17) instead of an error."""
    import os
    import subprocess
    import sys

    from cluster_assistant.assistant.embeddings import OnnxEmbeddings

    model = corpus_assistant.embedder
    assert isinstance(model, OnnxEmbeddings)
    broken = OnnxEmbeddings(model.model_dir, tmp_path / "cache", quantize=True).onnx_path
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"not an onnx model")
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(corpus_assistant.settings.data_dir),
           "ASSISTANT_MODEL_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-m", "cluster_assistant", "ask", "What is INOKLASTER?"], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    warnings = out.stderr.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("WARNING") and "exporting it again" in warnings[0]
    assert str(broken) in warnings[0]
    assert "Traceback" not in out.stderr and "Exception in thread" not in out.stderr
    assert broken.stat().st_size > 1_000_000 and "INOKLASTER" in out.stdout


def test_embedder_id_names_the_model_however_it_is_spelled(tmp_path: Path) -> None:
    a, b = make_settings(tmp_path), make_settings(tmp_path, embedding_model="sentence-transformers/all-MiniLM-L6-v2")
    assert embedder_id(a) == embedder_id(b) == "local:all-MiniLM-L6-v2:int8-per-channel"
    assert embedder_id(make_settings(tmp_path, embedding_backend="torch")) == "local:all-MiniLM-L6-v2:float"
    one = make_settings(tmp_path, embedding_mode="openai", embedding_model="m", openai_base_url="http://127.0.0.1:1")
    two = make_settings(tmp_path, embedding_mode="openai", embedding_model="m", openai_base_url="http://127.0.0.1:2")
    assert embedder_id(one) != embedder_id(two)
