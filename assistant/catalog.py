"""What is indexed, per document, read from the store itself (so it always agrees with it)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from .documents import FORMATS
from .store import Store

# Where a citation points in a document of each format: what `sources` counts.
LOCATION = {"pdf": "pages", "pptx": "slides"}  # the others: sections


def format_of(meta: dict[str, Any]) -> str:
    """The chunk's recorded format; chunks indexed before formats were recorded go by their source."""
    if meta.get("format"):
        return str(meta["format"])
    source = str(meta.get("source", ""))
    if source.startswith(("http://", "https://")):
        return "html"
    return FORMATS.get(PurePath(source).suffix.lower(), "")


def list_sources(store: Store) -> list[dict[str, Any]]:
    """One row per document. `pages` is the highest page (or slide) number; `locations` counts what
    its citations point at, in the unit `location`: pages (PDF), slides (PowerPoint) or sections."""
    _, metas = store.all_metadata()
    docs: dict[str, dict[str, Any]] = {}
    places: dict[str, set[tuple[Any, str]]] = {}
    for m in metas:
        d = docs.setdefault(str(m.get("doc_id")), {
            "doc_id": m.get("doc_id"), "title": m.get("title"), "kind": m.get("kind"), "source": m.get("source"),
            "format": format_of(m), "chunks": 0, "pages": 0, "ingested_at": "", "topics": set(), "instructions": 0,
        })
        d["chunks"] += 1
        # Sentences addressing the assistant or asking for secrets (never quoted): chunks overlap, so a bound.
        d["instructions"] += int(m.get("instructions") or 0)
        d["pages"] = max(d["pages"], int(m.get("page") or 0))
        d["ingested_at"] = max(d["ingested_at"], str(m.get("ingested_at", "")))
        d["topics"].update(t for t in str(m.get("chunk_topics", "")).split(",") if t)
        paged = m.get("page") is not None
        places.setdefault(str(d["doc_id"]), set()).add((m.get("page"), "") if paged else (None, str(m.get("section"))))
    rows = sorted(docs.values(), key=lambda d: d["doc_id"])
    for r in rows:
        r["topics"] = sorted(r["topics"])
        r["location"] = LOCATION.get(r["format"], "sections")
        r["locations"] = len(places[str(r["doc_id"])])
    return rows
