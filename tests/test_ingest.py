"""Incremental, idempotent ingestion into a real embedded Chroma store."""

import os
import shutil
from pathlib import Path

import pytest
from cluster_assistant.assistant.keywords import KeywordIndex, index_version
from cluster_assistant.assistant.store import StoreBusy

from .conftest import PDF_SAMPLES, index, make_assistant


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "guide.md").write_text(
        "---\ntitle: Communication guide\nkind: training\n---\n# Communication guide\n"
        "## Internal\nSend members a monthly newsletter with project news.\n"
        "## External\nPublish success stories of member companies on the cluster website.\n")
    (folder / "notes.txt").write_text("Cluster coordinators meet every quarter to review the action plan.\n")
    shutil.copy(PDF_SAMPLES / "pdflatex-4-pages.pdf", folder / "latex.pdf")
    return folder


def _ids_by_doc(assistant) -> dict[str, set[str]]:
    ids, metas = assistant.store.all_metadata()
    out: dict[str, set[str]] = {}
    for cid, m in zip(ids, metas, strict=True):
        out.setdefault(m["doc_id"], set()).add(cid)
    return out


def test_reingest_embeds_nothing_and_ids_are_stable(docs: Path, tmp_path: Path, backend: dict) -> None:
    a = make_assistant(tmp_path / "data", **backend)
    first = index(a, [docs])
    assert (first.seen, first.added, first.failed) == (3, 3, [])
    assert first.chunks_embedded == a.store.count() > 3
    before = _ids_by_doc(a)
    again = index(a, [docs])
    assert (again.unchanged, again.added, again.updated, again.chunks_embedded) == (3, 0, 0, 0)
    assert _ids_by_doc(a) == before
    assert "chunks embedded: 0" in again.summary()


def test_changed_file_replaces_exactly_its_chunks(docs: Path, tmp_path: Path, backend: dict) -> None:
    a = make_assistant(tmp_path / "data", **backend)
    index(a, [docs])
    before = _ids_by_doc(a)
    guide = docs / "guide.md"
    guide.write_text(guide.read_text().replace("monthly newsletter", "weekly podcast"))
    report = index(a, [docs])
    assert (report.updated, report.unchanged) == (1, 2)
    after = _ids_by_doc(a)
    assert after["latex"] == before["latex"] and after["notes"] == before["notes"]
    assert after["guide"] != before["guide"]
    # Only the edited section was re-embedded; the unchanged section kept its chunk.
    assert report.chunks_embedded == len(after["guide"] - before["guide"]) == 1
    texts = a.store.get(sorted(after["guide"]))
    assert any("weekly podcast" in d.page_content for d in texts.values())
    assert not any("monthly newsletter" in d.page_content for d in texts.values())


def test_deleted_file_chunks_go_away(docs: Path, tmp_path: Path, backend: dict) -> None:
    a = make_assistant(tmp_path / "data", **backend)
    index(a, [docs])
    (docs / "notes.txt").unlink()
    report = index(a, [docs])
    assert report.removed == 1
    assert "notes" not in _ids_by_doc(a)
    # The keyword index ingest saved follows the store.
    kw = KeywordIndex.load(a.settings.data_dir / "keywords")
    assert kw is not None and kw.version == index_version(a.store)
    assert sorted(kw.ids) == sorted(a.store.all_metadata()[0])
    assert not kw.search("coordinators meet every quarter", 5)


def test_bad_files_are_reported_and_the_index_keeps_everything(docs: Path, tmp_path: Path, backend: dict) -> None:
    a = make_assistant(tmp_path / "data", **backend)
    index(a, [docs])
    before = _ids_by_doc(a)
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage")
    shutil.copy(PDF_SAMPLES / "libreoffice-writer-password.pdf", docs / "locked.pdf")
    shutil.copy(PDF_SAMPLES / "grayscale-image.pdf", docs / "scan.pdf")
    (docs / "notes.txt").write_bytes(b"\x00\x01\x02 binary now")  # a good file turned bad
    report = index(a, [docs])
    reasons = {Path(f.path).name: f.reason for f in report.failed}
    assert reasons == {"broken.pdf": "corrupt", "locked.pdf": "encrypted", "scan.pdf": "no-text",
                       "notes.txt": "binary"}
    assert _ids_by_doc(a) == before  # nothing lost, not even the doc whose file went bad


def test_odd_files_are_named_and_never_stop_the_others(docs: Path, tmp_path: Path) -> None:
    """A file name that is not UTF-8, bad metadata types, a broken link: each is one named failure,
    and the files after them (in name order) are still indexed."""
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "a-topics.md").write_text("---\ntopics: 5\n---\n# T\nText about clusters.\n")
    (odd / "b-link.md").symlink_to(odd / "gone.md")
    Path(os.fsdecode(os.fsencode(odd) + b"/c-caf\xe9.md")).write_bytes(b"# N\nCluster text.\n")
    shutil.copy(docs / "guide.md", odd / "z-guide.md")
    a = make_assistant(tmp_path / "data")
    report = index(a, [odd])
    assert sorted((Path(f.path).name, f.reason) for f in report.failed) == [
        ("a-topics.md", "bad-metadata"), ("b-link.md", "missing"), ("c-caf\ufffd.md", "bad-name")]
    assert report.added == 1 and set(_ids_by_doc(a)) == {"z-guide"}


def test_second_writer_fails_fast(docs: Path, tmp_path: Path, backend: dict) -> None:
    a = make_assistant(tmp_path / "data", **backend)
    with a.store.writer_lock(), pytest.raises(StoreBusy, match="another ingest"):
        index(make_assistant(tmp_path / "data", **backend), [docs])


def test_encrypted_pdf_with_configured_password(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(PDF_SAMPLES / "libreoffice-writer-password.pdf", folder)
    a = make_assistant(tmp_path / "data", pdf_password="openpassword")
    report = index(a, [folder])
    assert report.added == 1 and report.failed == []


def test_server_mode_store_is_shared_by_processes(docs: Path, tmp_path: Path, chroma_server: str) -> None:
    """One process ingests into a Chroma server; another process, with its own data dir, answers."""
    import json
    import os
    import subprocess
    import sys

    collection = "shared_" + tmp_path.name[-8:].replace("-", "_")
    a = make_assistant(tmp_path / "writer", chroma_url=chroma_server, collection=collection)
    index(a, [docs])
    env = {**os.environ, "ASSISTANT_CHROMA_URL": chroma_server, "ASSISTANT_COLLECTION": collection,
           "ASSISTANT_DATA_DIR": str(tmp_path / "reader")}
    question = "How often do coordinators meet?"
    out = subprocess.run([sys.executable, "-m", "cluster_assistant", "ask", "--json", question],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert not data["refused"] and "every quarter" in data["answer"]
    assert data["citations"][0]["doc_id"] == "notes"


def test_doc_id_clash_renames_and_retitles(docs: Path, tmp_path: Path) -> None:
    a = make_assistant(tmp_path / "data")
    index(a, [docs])
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("A different note that happens to share the file name.\n")
    clash = index(a, [other])
    assert [f.reason for f in clash.failed] == ["duplicate-id"]
    assert "quarter" in " ".join(d.page_content for d in a.store.get(sorted(_ids_by_doc(a)["notes"])).values())
    # A new doc_id for the same file replaces the old document instead of keeping both.
    guide = docs / "guide.md"
    guide.write_text(guide.read_text().replace("title: Communication guide", "doc_id: comms\ntitle: Comms guide"))
    report = index(a, [docs])
    ids = _ids_by_doc(a)
    assert "comms" in ids and "guide" not in ids and report.removed == 1
    # The title is part of what is embedded, so a retitle re-embeds.
    guide.write_text(guide.read_text().replace("title: Comms guide", "title: Communication handbook"))
    assert index(a, [docs]).chunks_embedded == len(_ids_by_doc(a)["comms"])


def test_reference_numbers_in_sources_are_not_markers(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "refs.md").write_text("# Cluster funding\nThe agency co-finances cluster secretariats for three "
                                    "years [12]. Each secretariat must report its results every year [3].\n")
    a = make_assistant(tmp_path / "data")
    index(a, [folder])
    ans = a.answer("How long does the agency co-finance cluster secretariats?")
    assert not ans.refused and "(12)" in ans.answer and "[12]" not in ans.answer
    assert [c.n for c in ans.citations] == [1]


def test_an_index_without_sentence_units_still_answers_then_heals(docs: Path, tmp_path: Path,
                                                                    backend: dict) -> None:
    """An index written before units moved into chunk metadata: `ask` computes the missing units on
    the fly, and the next ingest embeds exactly those chunks again and stores them."""
    from cluster_assistant.assistant.store import UNIT_SPANS, UNIT_VECTORS, has_units

    a = make_assistant(tmp_path / "data", **backend)
    index(a, [docs])
    guide = sorted(_ids_by_doc(a)["guide"])
    a.store.update_metadata(ids=guide, metadatas=[{UNIT_SPANS: None, UNIT_VECTORS: None}] * len(guide))
    assert not any(has_units(d.metadata) for d in a.store.get(guide).values())
    assert "monthly newsletter" in a.answer("How do we send members project news?").answer
    report = index(a, [docs])
    assert (report.updated, report.unchanged, report.chunks_embedded) == (1, 2, len(guide))
    assert all(has_units(d.metadata) for d in a.store.get(guide).values())
    assert "monthly newsletter" in a.answer("How do we send members project news?").answer


def test_units_split_by_older_rules_are_split_again_by_the_next_ingest(docs: Path, tmp_path: Path) -> None:
    from cluster_assistant.assistant.store import UNITS_FORMAT, UNITS_VERSION, has_units

    a = make_assistant(tmp_path / "data")
    index(a, [docs])
    guide = sorted(_ids_by_doc(a)["guide"])
    a.store.update_metadata(ids=guide, metadatas=[{UNITS_VERSION: UNITS_FORMAT - 1}] * len(guide))
    assert not any(has_units(d.metadata) for d in a.store.get(guide).values())
    assert "monthly newsletter" in a.answer("How do we send members project news?").answer  # recomputed on the fly
    report = index(a, [docs])
    assert (report.updated, report.unchanged, report.chunks_embedded) == (1, 2, len(guide))
    assert all(has_units(d.metadata) for d in a.store.get(guide).values())


def test_pieces_left_over_from_a_longer_unit_list_are_ignored(docs: Path, tmp_path: Path) -> None:
    """Chroma merges metadata on update: a chunk re-split into fewer units keeps its old extra vector
    pieces, and reading them too would garble every vector."""
    a = make_assistant(tmp_path / "data")
    index(a, [docs])
    guide = sorted(_ids_by_doc(a)["guide"])
    a.store.update_metadata(ids=guide, metadatas=[{"unit_vectors_1": "AAAAAAAA"}] * len(guide))
    assert "monthly newsletter" in a.answer("How do we send members project news?").answer


def test_unit_vectors_are_split_into_pieces_hosted_chroma_accepts() -> None:
    """Hosted Chroma caps a metadata value at 4 KB; a chunk with many units spreads its vectors."""
    import re

    import numpy as np
    from cluster_assistant.assistant.store import unit_metadata, units_of
    from langchain_core.documents import Document

    text = " ".join(f"Sentence number {i} is here." for i in range(12))
    spans = [(m.start(), m.end()) for m in re.finditer(r"Sentence number \d+ is here\.", text)]
    vectors = np.random.default_rng(0).normal(size=(len(spans), 384)).astype(np.float32)
    meta = unit_metadata(spans, vectors.tolist())
    assert len(meta) > 3 and all(len(v) <= 4000 for v in meta.values() if isinstance(v, str))
    units = units_of([Document(page_content=text, metadata={**meta, "id": "c1"})])
    assert [u.text for u in units] == [text[s:e] for s, e in spans]
    assert np.allclose(np.stack([u.embedding for u in units]), vectors, atol=1e-2)


def test_a_moved_file_is_re_pointed_without_embedding(docs: Path, tmp_path: Path, backend: dict) -> None:
    a = make_assistant(tmp_path / "data", **backend)
    index(a, [docs])
    before = _ids_by_doc(a)
    (docs / "archive").mkdir()
    (docs / "notes.txt").rename(docs / "archive" / "notes.txt")
    report = index(a, [docs])
    assert (report.updated, report.removed, report.chunks_embedded, report.failed) == (1, 0, 0, [])
    assert _ids_by_doc(a) == before
    sources = {str(d.metadata["source"]) for d in a.store.get(sorted(before["notes"])).values()}
    assert sources == {str(docs / "archive" / "notes.txt")}


def test_neighbour_chunks_are_named_in_metadata(tmp_path: Path) -> None:
    """Each chunk names the chunk before and after it, so retrieval fetches neighbours by id."""
    from cluster_assistant.assistant.chunking import ChunkSpec, chunk_document
    from cluster_assistant.assistant.documents import load_file

    chunks = chunk_document(load_file(PDF_SAMPLES / "pdflatex-4-pages.pdf"), ChunkSpec())
    assert len(chunks) > 2
    assert chunks[0].metadata["prev_id"] == "" and chunks[-1].metadata["next_id"] == ""
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.metadata["next_id"] == b.id and b.metadata["prev_id"] == a.id


def test_an_empty_store_finds_nothing(tmp_path: Path, backend: dict) -> None:
    a = make_assistant(tmp_path / "data", **backend)
    assert a.store.search([0.05] * 384, 20) == []
    assert a.store.search([0.05] * 384, 20, {"kind": "training"}) == []


def test_a_second_handle_sees_another_process_change_the_content(tmp_path: Path) -> None:
    """A Slack worker keeps its store open while the ingest job writes: the content version it reads
    (and so its keyword index) must follow."""
    from cluster_assistant.assistant.store import Store

    from .conftest import make_settings

    settings = make_settings(tmp_path / "data")
    reader, writer = Store(settings), Store(settings)
    before = reader.content_version()
    after = writer.bump_version()
    assert after != before and reader.content_version() == after
