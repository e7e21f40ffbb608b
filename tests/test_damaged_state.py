"""Broken state (issue 17, defect 3 and the store messages of 8): every derived file (keyword index,
topic vectors, ONNX export, tokenizer cache) that cannot be read is rebuilt with a warning; a
damaged store or a full disk gets one line naming the store and what to do."""

from __future__ import annotations

import logging
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cluster_assistant.assistant.keywords import KeywordIndex, index_version
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.bots.cli import main

from .conftest import index, make_assistant

QUESTION = "How often do coordinators meet?"


@pytest.fixture
def ingested(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("Cluster coordinators meet every quarter to review the action plan.\n")
    (folder / "guide.md").write_text("# Guide\nSend members a monthly newsletter with project news.\n")
    data = tmp_path / "data"
    index(make_assistant(data), [folder])
    return data


@pytest.mark.parametrize("name", ["bm25_data.npy", "bm25_indptr.npy", "bm25_indices.npy", "bm25_vocab.json",
                                  "ids.json"])
def test_a_zero_byte_keyword_index_file_is_rebuilt_with_a_warning(ingested: Path, name: str,
                                                                  caplog: pytest.LogCaptureFixture,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """`: > bm25_data.npy` made ask, ingest and slack exit 1 with "No data left in file"."""
    (ingested / "keywords" / name).write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        assert main(["--data-dir", str(ingested), "ask", QUESTION]) == 0
    assert "every quarter" in capsys.readouterr().out
    assert any("cannot be used" in r.getMessage() and "rebuilding it from the store" in r.getMessage()
               and str(ingested / "keywords") in r.getMessage() for r in caplog.records)
    healed = KeywordIndex.load(ingested / "keywords")  # saved again: the next process loads it
    assert healed is not None and len(healed.ids) == 2


def test_a_truncated_index_array_is_rebuilt_by_ingest(ingested: Path, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    path = ingested / "keywords" / "bm25_indptr.npy"
    path.write_bytes(path.read_bytes()[:-8])  # a valid header, one pointer short
    with caplog.at_level(logging.WARNING):
        assert main(["--data-dir", str(ingested), "ingest", str(tmp_path / "docs")]) == 0
    assert any("bm25_indptr.npy" in r.getMessage() for r in caplog.records)
    a = make_assistant(ingested)
    kw = KeywordIndex.load(ingested / "keywords")
    assert kw is not None and kw.version == index_version(a.store) and kw.search("quarter", 2)


def test_damaged_topic_vectors_are_computed_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    a = make_assistant(tmp_path / "data", model_cache_dir=tmp_path / "cache")
    first = a.classifier.matrix
    (cached,) = (tmp_path / "cache" / "topics").glob("topics-*.npz")
    cached.write_bytes(b"")
    b = make_assistant(tmp_path / "data", model_cache_dir=tmp_path / "cache")
    with caplog.at_level(logging.WARNING):
        assert b.classifier.matrix.shape == first.shape
    assert any(str(cached) in r.getMessage() and "computing it again" in r.getMessage() for r in caplog.records)
    assert cached.stat().st_size > 0


def test_a_damaged_onnx_export_is_exported_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """It said "delete that file and run again"; a derived file is rebuilt instead (~15 s, needs torch)."""
    from cluster_assistant.assistant.embeddings import OnnxEmbeddings
    from cluster_assistant.assistant.model_files import resolve_model_dir

    folder = resolve_model_dir("all-MiniLM-L6-v2")
    assert folder is not None
    emb = OnnxEmbeddings(folder, tmp_path / "cache", quantize=True, workers=1)
    emb.onnx_path.parent.mkdir(parents=True)
    emb.onnx_path.write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        vector = emb.embed_query("cluster members")
    assert len(vector) == 384
    assert any("exporting it again" in r.getMessage() for r in caplog.records)
    assert emb.onnx_path.stat().st_size > 1_000_000


def test_a_damaged_tokenizer_cache_is_written_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from cluster_assistant.assistant.token_counting import CL100K_SHA256, CL100K_URL, _install_cl100k_cache

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    target = tmp_path / hashlib.sha1(CL100K_URL.encode()).hexdigest()
    target.write_bytes(b"")  # tiktoken would go to the network for a fresh copy
    _install_cl100k_cache()
    assert hashlib.sha256(target.read_bytes()).hexdigest() == CL100K_SHA256


@pytest.mark.parametrize("damage", [b"", b"\x00garbage that is no SQLite file" * 10], ids=["truncated", "garbage"])
def test_a_damaged_store_database_names_the_store_and_what_to_do(ingested: Path, damage: bytes,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    db = ingested / "chroma" / "chroma.sqlite3"
    if damage:
        db.write_bytes(damage)
    else:  # a file cut short mid-page
        db.write_bytes(db.read_bytes()[:50_000])
    assert main(["--data-dir", str(ingested), "ask", QUESTION]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert f"the store at {ingested / 'chroma'}" in err and "damaged" in err
    assert "mv " in err and "cluster-assistant ingest" in err


def test_a_full_disk_names_the_store_and_the_disk(tmp_path: Path, corpus_assistant: Assistant) -> None:
    """A file-size limit makes SQLite's writes fail as a full disk does (no root needed for a tmpfs).
    `corpus_assistant` has exported the embedding model to its cache first: under the limit the child
    could not write that export, on a fresh machine or when this test runs alone."""
    assert corpus_assistant.embedder.embed_query("warm") is not None
    folder = tmp_path / "big"
    folder.mkdir()
    for i in range(3):
        (folder / f"doc{i}.txt").write_text(" ".join(f"Cluster sentence {j} of document {i} is about members."
                                                     for j in range(1500)))

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    done = subprocess.run([sys.executable, "-m", "cluster_assistant", "ingest", str(folder)], preexec_fn=limit,
                          env={**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "data")}, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 1
    err = done.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert f"the store at {tmp_path / 'data' / 'chroma'}" in err and "the disk holding it is full" in err
    assert "MB free" in err
