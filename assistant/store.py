"""Chroma through its own client API: embedded (a folder) or a Chroma server. One collection of chunks.
Vectors are computed by the caller, so opening the store never loads the embedding model. Nothing
outside this module touches Chroma; chunks come back as LangChain `Document`s.

Each chunk also carries its sentence units (made at ingest, so answers need no extra embedding) in
its own metadata: their spans in the chunk text, and their vectors as compact float16. They are only
ever read with their chunk, so they need no index and no collection of their own, and a chunk and
its units are written in one record (a crash cannot separate them)."""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from langchain_core.documents import Document

from .injection import instruction_like

if TYPE_CHECKING:
    import numpy as np
    from chromadb.api.models.Collection import Collection

    from .settings import Settings


class StoreBusy(RuntimeError):
    """Another process is writing to the same store."""


@dataclass
class Unit:
    chunk_id: str
    start: int
    text: str
    embedding: Any  # a float32 vector


class StoreUnavailable(RuntimeError):
    """The store cannot be opened: a server that does not answer, a damaged database file."""


class Store:
    def __init__(self, settings: Settings) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.settings = settings
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if settings.chroma_url:
                url = urlparse(settings.chroma_url)
                self.client = chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                                  ssl=url.scheme == "https", settings=chroma_settings)
            else:
                settings.chroma_dir.mkdir(parents=True, exist_ok=True)
                self.client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
            # No embedding function: vectors always come with the texts and the queries.
            self.collection: Collection = self.client.get_or_create_collection(
                name=settings.collection, embedding_function=None, metadata={"hnsw:space": "cosine"})
            self.max_batch = max(1, min(self.client.get_max_batch_size(), 1000))
        except Exception as e:  # which store failed matters more to the user than Chroma's wording
            raise StoreUnavailable(trouble("cannot open", self.where, e, local=not settings.chroma_url)) from e

    @property
    def where(self) -> str:
        return self.settings.chroma_url or str(self.settings.chroma_dir)

    @contextmanager
    def _doing(self, what: str) -> Iterator[None]:
        """Chroma's errors (a full disk, a failed backfill of its log) name neither the store nor the
        disk: say which, and what to do."""
        try:
            yield
        except Exception as e:
            raise StoreUnavailable(trouble(what, self.where, e, local=not self.settings.chroma_url)) from e

    # --- writing ---------------------------------------------------------------------------------

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One writer per store: a second one fails fast instead of corrupting the embedded store."""
        from filelock import FileLock, Timeout

        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.settings.data_dir / "ingest.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise StoreBusy(f"another ingest is writing to {self.settings.data_dir}; "
                            "wait for it to finish and run again") from None
        try:
            yield
        finally:
            lock.release()

    def add(self, ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[dict[str, Any]],
            embeddings: Sequence[Sequence[float]]) -> None:
        """Upsert chunks with pre-computed embeddings, in batches below the client's maximum."""
        with self._doing("cannot write to"):
            for i in range(0, len(ids), self.max_batch):
                sl = slice(i, i + self.max_batch)
                self.collection.upsert(ids=list(ids[sl]), documents=list(texts[sl]),
                                               metadatas=list(metadatas[sl]),
                                               embeddings=[list(e) for e in embeddings[sl]])  # type: ignore[arg-type]

    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        with self._doing("cannot write to"):
            for i in range(0, len(ids), self.max_batch):
                self.collection.update(ids=list(ids[i:i + self.max_batch]),
                                               metadatas=list(metadatas[i:i + self.max_batch]))

    def delete_chunks(self, ids: Sequence[str]) -> None:
        with self._doing("cannot write to"):
            for i in range(0, len(ids), self.max_batch):
                self.collection.delete(ids=list(ids[i:i + self.max_batch]))

    def drop_legacy_units(self) -> None:
        """Stores built before units moved into chunk metadata kept them in a second collection."""
        from chromadb.errors import NotFoundError

        with contextlib.suppress(NotFoundError):
            self.client.delete_collection(self.settings.collection + "_sentences")

    def bump_version(self) -> str:
        """Mark the content as changed, so keyword indexes built elsewhere know to rebuild."""
        version = f"{time.time():.6f}"
        meta = dict(self.collection.metadata or {})
        meta.pop("hnsw:space", None)  # cannot be modified after creation
        meta["content_version"] = version
        with self._doing("cannot write to"):
            self.collection.modify(metadata=meta)
        return version

    # --- reading ---------------------------------------------------------------------------------

    def content_version(self) -> str:
        """Read afresh: a collection handle keeps the metadata it was opened with, and another process
        (the ingest job beside a Slack worker) may have changed the content since."""
        with self._doing("cannot read"):
            current = self.client.get_collection(self.settings.collection)
        return str((current.metadata or {}).get("content_version", "0"))

    def count(self) -> int:
        with self._doing("cannot read"):
            return self.collection.count()

    def all_metadata(self, keys: Sequence[str] | None = None) -> tuple[list[str], list[dict[str, Any]]]:
        """Every chunk's metadata (only `keys`, if given), without the bulky unit vectors
        (`UNIT_VECTORS` is True where present)."""
        ids: list[str] = []
        metas: list[dict[str, Any]] = []
        total = self.count()
        for off in range(0, total, 5000):
            with self._doing("cannot read"):
                got = self.collection.get(include=["metadatas"], limit=5000, offset=off)
            ids += got["ids"]
            for m in got["metadatas"] or []:
                meta = {k: v for k, v in (m or {}).items()
                        if not k.startswith(UNIT_VECTORS) and (keys is None or k in keys)}
                if has_units(m or {}):
                    meta[UNIT_VECTORS] = True
                metas.append(meta)
        return ids, metas

    def sample_vectors(self, n: int = 5000, page: int = 500) -> np.ndarray:
        """Up to `n` chunk vectors (one row each): every chunk's in a store of `n` or
        fewer, else pages of `page` read from places spread evenly over the whole collection."""
        import numpy as np

        total = self.count()
        if total <= n:
            starts = list(range(0, total, page))
        else:
            pages = -(-n // page)  # rounded up
            starts = sorted({int(x) for x in np.linspace(0, total - page, pages)})
        rows = []
        for off in starts:
            with self._doing("cannot read"):
                got = self.collection.get(include=["embeddings"], limit=page, offset=off)
            if got["embeddings"] is not None and len(got["embeddings"]):
                rows.append(np.asarray(got["embeddings"], dtype=np.float32))
        return np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)

    def iter_vectors(self, key: str, page: int = 500) -> Iterator[tuple[list[str], np.ndarray, list[Any]]]:
        """(ids, vectors, the value of metadata `key` of each) of every chunk, a page at a time (small:
        Chroma returns the whole metadata, unit vectors and all)."""
        import numpy as np

        total = self.count()
        for off in range(0, total, page):
            with self._doing("cannot read"):
                got = self.collection.get(include=["embeddings", "metadatas"], limit=page, offset=off)
            if got["ids"]:
                yield (list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32),
                       [(m or {}).get(key) for m in got["metadatas"] or []])

    def iter_texts(self, page: int = 2000) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) of every chunk, fetched a page at a time."""
        total = self.count()
        for off in range(0, total, page):
            with self._doing("cannot read"):
                got = self.collection.get(include=["documents", "metadatas"], limit=page, offset=off)
            for cid, text, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False):
                yield cid, text or "", dict(meta or {})

    def search(self, query_vector: list[float], k: int,
               where: dict[str, Any] | None = None) -> list[tuple[Document, float]]:
        """Dense search; the score is cosine similarity (1 - cosine distance). An empty store finds
        nothing (no count first: at 100k chunks that costs ~15 ms a question)."""
        with self._doing("cannot search"):
            vectors: list[Sequence[float]] = [query_vector]
            got = self.collection.query(query_embeddings=vectors, n_results=k, where=where,
                                        include=["documents", "metadatas", "distances"])
        out = []
        for cid, text, meta, distance in zip(got["ids"][0], (got["documents"] or [[]])[0],
                                             (got["metadatas"] or [[]])[0], (got["distances"] or [[]])[0],
                                             strict=False):
            if text is not None:
                doc = Document(page_content=text, metadata={**(meta or {}), "id": cid}, id=cid)
                out.append((doc, 1.0 - float(distance)))
        return out

    def ids_where(self, where: dict[str, Any]) -> set[str]:
        """The ids of the chunks whose metadata match a Chroma filter (`make_filter`)."""
        with self._doing("cannot read"):
            return set(self.collection.get(where=where, include=[])["ids"])

    def texts_where(self, where: dict[str, Any], page: int = 500) -> Iterator[str]:
        """The texts (no metadata) of the chunks whose metadata match a Chroma filter, a page at a time."""
        offset = 0
        while True:
            with self._doing("cannot read"):
                got = self.collection.get(where=where, include=["documents"], limit=page, offset=offset)
            yield from (text or "" for text in got["documents"] or [])
            if len(got["ids"]) < page:
                return
            offset += page

    def get(self, ids: Sequence[str]) -> dict[str, Document]:
        if not ids:
            return {}
        with self._doing("cannot read"):
            got = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        out = {}
        for cid, text, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False):
            out[cid] = Document(page_content=text or "", metadata={**(meta or {}), "id": cid}, id=cid)
        return out


_DAMAGED = ("not a database", "malformed", "corrupt", "(code: 26)", "(code: 11)")
# SQLite reports a write refused for want of space as "disk is full", or (a size limit) as an I/O error.
_FULL = ("disk is full", "no space left", "(code: 13)", "file too large", "quota exceeded", "disk i/o error")


def trouble(what: str, where: str, e: Exception, local: bool) -> str:
    """One line on a store error: which store, and what to do for a damaged one or a full disk."""
    text = (str(e).strip().splitlines() or [type(e).__name__])[0]
    low = text.lower()
    if local and any(k in low for k in _FULL):
        import shutil

        try:
            free = f"{shutil.disk_usage(where).free / 2**20:.0f} MB free"
        except OSError:
            free = "free space unknown"
        return (f"{what} the store at {where}: the disk holding it is full or failing ({text}; {free}): "
                "free some space there and run again")
    if local and any(k in low for k in _DAMAGED):
        return (f"{what} the store at {where}: it is damaged ({text}). Move that folder away "
                f"(mv {where} {where}.broken) and run `cluster-assistant ingest` to build it again")
    return f"{what} the store at {where}: {text}"


UNIT_SPANS = "unit_spans"      # "start:end start:end ..." in the chunk text
UNIT_VECTORS = "unit_vectors"  # base64 float16, one row per span, in pieces: unit_vectors, unit_vectors_1, ...
_PIECE = 4000                  # characters per piece: hosted Chroma caps a metadata value at 4 KB
UNIT_PIECES = "unit_pieces"    # how many unit_vectors pieces: a store merges metadata, so old ones may linger
UNITS_VERSION = "units_version"
# Bump when the sentence-splitting rules (text.unit_spans, ingest's unit filter) change: chunks with
# units of another version count as having none, so `ask` recomputes them and `ingest` stores new ones.
UNITS_FORMAT = 8  # 5: sentences addressing the assistant or asking for secrets are not units (injection.py);
# 6: a line that closes a bracket left open goes on the unit ("1. Measures)." is no list item), and a short
# value goes with its label ("Timeframe:" / "2020 – January 2023."); 7: a heading of a dozen words stands
# apart from a full line after it that opens like a sentence; 8: a short line ending on "and", "of", "the"… goes on


def unit_metadata(spans: Sequence[tuple[int, int]], vectors: Sequence[Sequence[float]]) -> dict[str, Any]:
    """The metadata fields that hold a chunk's sentence units."""
    packed = pack_vector(vectors)
    pieces = [packed[i:i + _PIECE] for i in range(0, len(packed), _PIECE)] or [""]
    meta: dict[str, Any] = {UNIT_SPANS: " ".join(f"{s}:{e}" for s, e in spans), UNIT_VECTORS: pieces[0],
                            UNIT_PIECES: len(pieces), UNITS_VERSION: UNITS_FORMAT}
    meta.update({f"{UNIT_VECTORS}_{i}": piece for i, piece in enumerate(pieces[1:], start=1)})
    return meta


def has_units(meta: Mapping[str, Any]) -> bool:
    """False for a chunk from an index built before units moved into chunk metadata, or split into
    units by older rules."""
    return UNIT_SPANS in meta and UNIT_VECTORS in meta and meta.get(UNITS_VERSION) == UNITS_FORMAT


def units_of(docs: Sequence[Document]) -> list[Unit]:
    """The sentence units of retrieved chunks, read from their own metadata (no store query).
    Chunks without units are skipped: `unit_vectors.fill_units` computes theirs."""
    import numpy as np


    out: list[Unit] = []
    for d in docs:
        m = d.metadata
        if not has_units(m) or not m[UNIT_SPANS]:
            continue
        spans = [tuple(int(x) for x in pair.split(":")) for pair in str(m[UNIT_SPANS]).split()]
        # Exactly the pieces written last: an update merges metadata, so a chunk that had more keeps the extra.
        keys = [UNIT_VECTORS, *(f"{UNIT_VECTORS}_{i}" for i in range(1, int(m[UNIT_PIECES])))]
        packed = "".join(str(m[k]) for k in keys)
        vectors = np.frombuffer(base64.b64decode(packed), dtype="<f2").astype(np.float32).reshape(len(spans), -1)
        # Checked again here: an index built before the check (or by other rules) may hold such units.
        out += [Unit(chunk_id=str(m["id"]), start=s, text=d.page_content[s:e], embedding=v)
                for (s, e), v in zip(spans, vectors, strict=True) if not instruction_like(d.page_content[s:e])]
    return out


def pack_vector(vectors: Sequence[Sequence[float]]) -> str:
    import numpy as np

    return base64.b64encode(np.asarray(vectors, dtype="<f2").tobytes()).decode("ascii")
