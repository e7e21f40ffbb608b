"""Incremental, idempotent ingestion keyed by source and content hash.

Write order makes a crash at any point harmless: new chunks (each with its sentence units in one
record), then the kept chunks' metadata, then deletions. A document counts as unchanged only when
its chunk ids and hashes all match, so the next run finishes whatever a killed run left half done."""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .chunking import INSTRUCTIONS, ChunkSpec, chunk_document
from .documents import SUPPORTED_SUFFIXES, load_file
from .embeddings import embedder_id
from .fetch import FetchLimits, is_url, load_url
from .keywords import KeywordIndex
from .saved_arrays import load_arrays, save_arrays
from .source_doc import Limits, LoadError, SourceDoc, printable
from .store import UNIT_SPANS, UNIT_VECTORS, UNITS_VERSION, Store, has_units, unit_metadata
from .unit_vectors import embed_chunks
from .vector_centre import as_centre, corpus_centre
from .word_vectors import WordVectors

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from .settings import Settings
    from .topics import TopicClassifier


@dataclass
class Failure:
    path: str
    reason: str
    detail: str


@dataclass
class Flagged:
    """A document holding sentences that address the assistant or ask for secrets (never quoted)."""

    path: str
    sentences: int
    example: str


@dataclass
class IngestReport:
    seen: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[Failure] = field(default_factory=list)
    flagged: list[Flagged] = field(default_factory=list)
    chunks_embedded: int = 0
    pages: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"documents: {self.seen} seen, {self.added} added, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.removed} removed, {len(self.failed)} failed; "
                f"chunks embedded: {self.chunks_embedded}; {self.seconds:.1f} s")


def discover(paths: Iterable[Path], follow_links_outside: bool = False) -> tuple[list[Path], list[Failure]]:
    """The supported files in `paths` (files, or folders searched through), and a Failure for each
    thing that cannot be read. In a folder, a link whose target lies outside it is skipped
    ("symlink-outside") unless `follow_links_outside`: ingesting a folder must not index /etc/passwd."""
    files: list[Path] = []
    failures: list[Failure] = []
    for p in paths:
        if p.is_dir():
            found, failed = _walk(p, follow_links_outside)
            files += found
            failures += failed
        elif p.is_file():
            files.append(p)
        elif os.path.lexists(p):
            failures.append(Failure(printable(p), "not-a-file", f"{_kind_of(p)}, not a file or folder"))
        else:
            failures.append(Failure(printable(p), "missing", "no such file or folder"))
    return files, failures


def _kind_of(path: Path) -> str:
    """What a path that is neither a file nor a folder is: "a character device" (/dev/null)…"""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "a link to nothing" if path.is_symlink() else "unreadable"
    kinds = [(stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a pipe"),
             (stat.S_ISSOCK, "a socket")]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _walk(root: Path, follow_links_outside: bool) -> tuple[list[Path], list[Failure]]:
    """Supported files under `root` (not hidden ones, nor README.md), with an explicit stack: a
    folder tree 1,500 deep exceeded the recursion limit of Path.rglob. Each real folder is entered
    once, so a link loop ends."""
    real_root = os.path.realpath(root)
    files: list[Path] = []
    failures: list[Failure] = []
    top = root.stat()
    visited = {(top.st_dev, top.st_ino)}  # not realpath: that costs a stat per level, per folder
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            failures.append(Failure(printable(folder), "unreadable", f"the folder cannot be read: {e.strerror or e}"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            supported = path.suffix.lower() in SUPPORTED_SUFFIXES and entry.name.lower() != "readme.md"
            try:
                is_dir = entry.is_dir()  # follows links
                if entry.is_symlink():
                    target = os.path.realpath(path)
                    if not os.path.exists(target):
                        if supported:
                            failures.append(Failure(printable(path), "missing", "a link to a file that does not exist"))
                        continue
                    inside = target == real_root or target.startswith(real_root.rstrip(os.sep) + os.sep)
                    if not inside and not follow_links_outside:
                        if supported or is_dir:
                            failures.append(Failure(printable(path), "symlink-outside",
                                                    f"a link to {printable(target)}, outside {printable(root)}: "
                                                    "skipped (set ASSISTANT_FOLLOW_LINKS_OUTSIDE=true to index it)"))
                        continue
                if is_dir:
                    st = entry.stat()
                    if (st.st_dev, st.st_ino) not in visited:
                        visited.add((st.st_dev, st.st_ino))
                        stack.append(path)
                elif supported:
                    if entry.is_file():
                        files.append(path)
                    else:
                        failures.append(Failure(printable(path), "not-a-file", f"{_kind_of(path)}, not a file"))
            except OSError as e:
                failures.append(Failure(printable(path), "unreadable", e.strerror or str(e)))
    return sorted(files), failures


# What ingest reads of the chunks already stored (all of their metadata would be ~1 GB at 100k chunks).
_KEPT_KEYS = ("doc_id", "source", "doc_hash", "chunk_topics", "next_id", "embedder", UNIT_SPANS, UNIT_VECTORS,
              UNITS_VERSION, INSTRUCTIONS)


def ingest(paths: Sequence[Path | str], settings: Settings, store: Store, embedder: Embeddings,
           topics: TopicClassifier, progress: bool = False) -> IngestReport:
    """Index `paths` (files, folders, and web page URLs given as str) into `store`: load, chunk (with
    the chunks' answer units), embed, store; chunks are tagged with `topics`. The embedder loads
    only if something changed."""
    started = time.monotonic()
    report = IngestReport()
    spec = ChunkSpec(settings.chunk_tokens, settings.chunk_overlap, settings.embedding_max_tokens,
                     settings.embedding_model)
    limits = Limits(int(settings.max_file_mb * 1024 * 1024), settings.max_pages, settings.extraction_timeout_s,
                    settings.pdf_password.get_secret_value() if settings.pdf_password else None)
    fetch_limits = FetchLimits(settings.fetch_timeout_s, int(settings.max_page_mb * 1024 * 1024),
                               settings.max_redirects)
    urls = [str(p) for p in paths if is_url(p)]
    local = [Path(p) for p in paths if not is_url(p)]
    files, missing = discover(local, settings.follow_links_outside)
    # "~$report.docx": the owner file Word and PowerPoint keep beside a document while it is open.
    files = [f for f in files if not (f.name.startswith("~$") and f.suffix.lower() in {".docx", ".pptx"})]
    report.failed += missing
    space = embedder_id(settings)
    changed = False
    tagged = settings.keywords_dir / TAGGED
    with store.writer_lock():
        tagging = load_arrays(tagged, "chunk areas") or {}  # the content and the centre the areas were tagged for
        centre_then = as_centre(tagging.get("centre"))  # None: every chunk is tagged again
        store.drop_legacy_units()
        ids, metas = store.all_metadata(keys=_KEPT_KEYS)
        existing: dict[str, dict[str, dict[str, Any]]] = {}
        for cid, meta in zip(ids, metas, strict=True):
            existing.setdefault(str(meta.get("doc_id")), {})[cid] = meta
        seen_docs: dict[str, str] = {}
        seen_sources: set[str] = set()
        items: list[Path | str] = [*files, *urls]
        for path in _progress(items, progress):
            report.seen += 1
            started_file = time.monotonic()
            try:
                doc: SourceDoc = load_url(path, fetch_limits) if isinstance(path, str) else load_file(path, limits)
                # The per-file limit covers chunking too (a 48 MB file of "#" runs once took hours).
                chunks = chunk_document(doc, spec, deadline=started_file + settings.extraction_timeout_s)
            except LoadError as e:
                report.failed.append(Failure(printable(path), e.reason, e.detail))
                continue
            except Exception as e:  # noqa: BLE001 - a loader bug must not cost the other files their turn
                report.failed.append(Failure(printable(path), "error", f"{type(e).__name__}: {e}"))
                continue
            old_source = next((str(m.get("source")) for m in existing.get(doc.doc_id, {}).values()), doc.source)
            if doc.doc_id in seen_docs or (old_source != doc.source and Path(old_source).exists()
                                           and os.path.realpath(old_source) != os.path.realpath(doc.source)):
                other = seen_docs.get(doc.doc_id, old_source)
                report.failed.append(Failure(printable(path), "duplicate-id",
                                             f"doc_id {doc.doc_id!r} is already used by {other}; give this file "
                                             "its own doc_id (front matter or .meta.yaml)"))
                continue
            seen_docs[doc.doc_id] = str(path)
            seen_sources.add(doc.source)
            report.pages += doc.pages
            flagged = [sentence for c in chunks for sentence in c.instructions]
            if flagged:  # chunks overlap, so a sentence may count twice: an upper bound
                report.flagged.append(Flagged(printable(path), len(flagged), flagged[0]))
            old = existing.get(doc.doc_id, {})
            if set(old) == {c.id for c in chunks} and all(m.get("doc_hash") == doc.content_hash and has_units(m)
                                                           and m.get("source") == doc.source and "next_id" in m
                                                           and INSTRUCTIONS in m
                                                           and m.get("embedder") == space for m in old.values()):
                report.unchanged += 1
                continue
            if not changed:  # before the first write: readers' keyword indexes are stale from here on
                store.bump_version()
                changed = True
            now = datetime.now(UTC).isoformat(timespec="seconds")
            for c in chunks:
                c.metadata.update(ingested_at=now, embedder=space)
            # Embedded again: a chunk stored without its units (an index from an older version), or
            # by another embedding model.
            reusable = {cid for cid, m in old.items() if has_units(m) and m.get("embedder") == space}
            new = [c for c in chunks if c.id not in reusable]
            kept = [c for c in chunks if c.id in reusable]
            vectors: list[list[float]] = []
            if new:  # a moved file, or metadata from an older version, changes no text: nothing to embed
                vectors, unit_vectors = embed_chunks(embedder, new)
                for c, uv, tags in zip(new, unit_vectors, topics.tag(vectors, centre_then), strict=True):
                    c.metadata.update(unit_metadata(c.units, uv))
                    _set_topics(c.metadata, tags)
            for c in kept:  # keep the areas it has: `retag` sets them when the corpus centre moves
                _set_topics(c.metadata, str(old[c.id].get("chunk_topics", "")).split(","))
            store.add([c.id for c in new], [c.text for c in new], [c.metadata for c in new], vectors)
            store.update_metadata([c.id for c in kept], [c.metadata for c in kept])
            stale = sorted(set(old) - {c.id for c in chunks})
            store.delete_chunks(stale)
            report.chunks_embedded += len(new)
            if old:
                report.updated += 1
            else:
                report.added += 1
            changed = True
        # A document is removed when its file is gone from a folder we just scanned, or is now a link
        # out of it. Sources are the paths files were found at (indexes of earlier versions: resolved).
        roots = {Path(f(p)) for p in local if p.is_dir() for f in (os.path.abspath, os.path.realpath)}
        skipped = [Path(os.path.abspath(f.path)) for f in missing if f.reason == "symlink-outside"]
        unread = [Path(os.path.abspath(f.path)) for f in missing if f.reason == "unreadable"]  # not known gone
        for doc_id, chunks_meta in existing.items():
            if doc_id in seen_docs:
                continue
            source = Path(str(next(iter(chunks_meta.values())).get("source", "")))
            gone = (any(source.is_relative_to(r) for r in roots) and not any(source.is_relative_to(u) for u in unread)
                    and (not source.exists() or any(source.is_relative_to(s) for s in skipped)))
            renamed = str(source) in seen_sources  # its file now carries another doc_id
            if gone or renamed:
                if not changed:
                    store.bump_version()
                    changed = True
                store.delete_chunks(sorted(chunks_meta))
                report.removed += 1
        if changed:
            store.bump_version()  # the final content version
        keywords = KeywordIndex.for_store(store, settings.keywords_dir)  # cheap when already current
        # New words are embedded now, not at the first question (see word_vectors).
        WordVectors.for_vocabulary(keywords.columns.by_spread(), embedder, settings.keywords_dir, space)
        centre = corpus_centre(store, settings.keywords_dir)
        # Tagged for this content already, unless an ingest changed it (or stopped before it got here).
        version = store.content_version()
        if centre is not None and str(tagging.get("version")) != version:
            used = centre_then if centre_then is not None and _near(centre_then, centre) else None
            if used is None:  # new chunks were tagged against no centre, or one that has moved since
                retag(store, topics, centre)
                used = centre
            with contextlib.suppress(OSError):  # a read-only data dir: checked again next time
                save_arrays(tagged, version=np.array(version), centre=used)
    report.seconds = time.monotonic() - started
    return report


TAGGED = "tagged.npz"  # beside the keyword index: the content and the centre the chunks' areas were tagged for
# How far the corpus centre may move, against how far chunks lie from it, before every chunk is tagged
# again. Chunks lie in a narrow cone (the centre's norm is ~0.8), so an angle says little: 7 chunks added
# to 137 turn the centre by a cosine of 0.9996, a move of ~0.04 of the spread, and change 12 chunks' areas.
RETAG_MOVE = 0.005


def _near(then: np.ndarray, now: np.ndarray) -> bool:
    if then.shape != now.shape:
        return False
    spread = float(np.sqrt(max(1e-6, 1.0 - float(now @ now))))  # the mean distance of unit vectors from it
    return float(np.linalg.norm(then - now)) <= RETAG_MOVE * spread


def retag(store: Store, topics: TopicClassifier, centre: np.ndarray) -> int:
    """Tag every chunk again against the corpus's centre (`TopicClassifier.tag`), as questions are
    classified: the centre moves with what the corpus holds, so a new document can change the areas of
    the chunks already there. Only chunks whose areas changed are written. Returns their number."""
    ids: list[str] = []
    metas: list[dict[str, Any]] = []
    for page_ids, vectors, current in store.iter_vectors("chunk_topics"):
        for cid, tags, was in zip(page_ids, topics.tag(vectors, centre), current, strict=True):
            if ",".join(tags) != (was or ""):
                meta: dict[str, Any] = {f"topic_{t.id}": False for t in topics.topics}
                _set_topics(meta, tags)
                ids.append(cid)
                metas.append(meta)
    store.update_metadata(ids, metas)
    return len(ids)


def _set_topics(meta: dict[str, Any], tags: list[str]) -> None:
    meta["chunk_topics"] = ",".join(t for t in tags if t)
    for t in tags:
        if t:
            meta[f"topic_{t}"] = True


def _progress(files: list[Path | str], enabled: bool) -> Iterable[Path | str]:
    if not enabled or len(files) < 3:
        return files
    from tqdm import tqdm

    return tqdm(files, desc="ingest", unit="file", leave=False)
