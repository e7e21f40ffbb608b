"""What is indexed, per document, read from the store itself (so it always agrees with it)."""

from __future__ import annotations

from typing import Any

from .settings import Settings


def list_sources(settings: Settings) -> list[dict[str, Any]]:
    from .store import Store

    store = Store(settings)
    _, metas = store.all_metadata()
    docs: dict[str, dict[str, Any]] = {}
    for m in metas:
        d = docs.setdefault(str(m.get("doc_id")), {
            "doc_id": m.get("doc_id"), "title": m.get("title"), "kind": m.get("kind"), "source": m.get("source"),
            "chunks": 0, "pages": 0, "ingested_at": "", "topics": set(), "instructions": 0,
        })
        d["chunks"] += 1
        # Sentences addressing the assistant or asking for secrets (never quoted): chunks overlap, so a bound.
        d["instructions"] += int(m.get("instructions") or 0)
        d["pages"] = max(d["pages"], int(m.get("page") or 0))
        d["ingested_at"] = max(d["ingested_at"], str(m.get("ingested_at", "")))
        d["topics"].update(t for t in str(m.get("chunk_topics", "")).split(",") if t)
    rows = sorted(docs.values(), key=lambda d: d["doc_id"])
    for r in rows:
        r["topics"] = sorted(r["topics"])
    return rows
