"""Remove documents from the index by doc id or by path (a file, or a folder: everything under it).
The store, the keyword index and `sources` (read from the store) all follow."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .keywords import KeywordIndex

if TYPE_CHECKING:
    from .store import Store


@dataclass
class Removal:
    removed: dict[str, int] = field(default_factory=dict)  # doc_id -> chunks deleted
    unmatched: list[str] = field(default_factory=list)     # targets that named no indexed document


def _matches(target: str, doc_id: str, source: str) -> bool:
    if target == doc_id:
        return True
    if not target.strip() or target.strip() in {".", "./"}:
        return False  # "" or "." would name everything under the current folder: say so, remove nothing
    forms = {os.path.abspath(target), os.path.realpath(target)}
    if source in forms or os.path.abspath(source) in forms:
        return True
    return any(Path(source).is_relative_to(f) for f in forms if f != os.sep)  # a folder: what lies under it


def remove(targets: list[str], store: Store, keywords_dir: Path) -> Removal:
    """Delete the chunks of every document that a target names, under the writer lock; the keyword
    index in `keywords_dir` follows."""
    out = Removal()
    with store.writer_lock():
        ids, metas = store.all_metadata(keys=("doc_id", "source"))
        doomed: dict[str, str] = {}  # chunk id -> doc_id
        for target in targets:
            hit = [(cid, str(m.get("doc_id", ""))) for cid, m in zip(ids, metas, strict=True)
                   if _matches(target, str(m.get("doc_id", "")), str(m.get("source", "")))]
            if not hit:
                out.unmatched.append(target)
            doomed.update(hit)
        if doomed:
            store.bump_version()  # readers' keyword indexes are stale from here on
            store.delete_chunks(sorted(doomed))
            store.bump_version()
            for doc_id in doomed.values():
                out.removed[doc_id] = out.removed.get(doc_id, 0) + 1
        KeywordIndex.for_store(store, keywords_dir)
    return out
