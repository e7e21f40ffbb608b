"""Ingest killed with SIGKILL at random points: the next run completes and the index is consistent."""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from cluster_assistant.assistant.catalog import list_sources
from cluster_assistant.assistant.chunking import ChunkSpec, chunk_document
from cluster_assistant.assistant.documents import load_file
from cluster_assistant.assistant.ingest import discover
from cluster_assistant.assistant.keywords import KeywordIndex, index_version
from cluster_assistant.assistant.store import UNIT_VECTORS, units_of

from .conftest import CORPUS, PDF_SAMPLES, make_assistant

TRIALS = 4


def _ingest_cmd(folder: Path) -> list[str]:
    return [sys.executable, "-m", "cluster_assistant", "ingest", str(folder)]


def test_sigkill_mid_ingest_then_recovery(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    shutil.copytree(CORPUS, folder)
    shutil.copy(PDF_SAMPLES / "pdflatex-4-pages.pdf", folder)
    data = tmp_path / "data"
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data)}
    rng = random.Random(1234)
    edited = [folder / "clusters-knowledge-gaps.md", folder / "mita-innovation-networks.md"]
    for trial in range(TRIALS):
        if trial:  # change documents between runs, so every later run has writing to do when killed
            for doc in edited:
                doc.write_text(doc.read_text() + f"\nA note added in trial {trial}.\n")
        proc = subprocess.Popen(_ingest_cmd(folder), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.5, 5.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = subprocess.run(_ingest_cmd(folder), env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    again = subprocess.run(_ingest_cmd(folder), env=env, capture_output=True, text=True, timeout=600)
    assert "chunks embedded: 0" in again.stdout

    a = make_assistant(data)
    ids, metas = a.store.all_metadata()
    assert len(ids) == len(set(ids))
    # Exactly the chunks the current files produce: none missing, none stale or duplicated.
    spec = ChunkSpec(a.settings.chunk_tokens, a.settings.chunk_overlap, a.settings.embedding_max_tokens)
    expected = {c.id for f in discover([folder])[0] for c in chunk_document(load_file(f), spec)}
    assert set(ids) == expected
    # Every chunk has its sentence units, and they read back.
    assert all(m.get(UNIT_VECTORS) is True for m in metas)
    got = a.store.get(ids)
    units = units_of(list(got.values()))
    assert {u.chunk_id for u in units} == set(ids)
    assert all(u.text and u.text in got[u.chunk_id].page_content for u in units)
    # `sources` and the keyword index agree with the store.
    assert {r["doc_id"] for r in list_sources(a.store)} == {m["doc_id"] for m in metas}
    kw = KeywordIndex.load(data / "keywords")  # what the last ingest saved, not a fresh build
    assert kw is not None and kw.version == index_version(a.store)
    assert sorted(kw.ids) == sorted(ids)
    assert any("trial" in d.page_content for d in a.store.get(ids).values())
