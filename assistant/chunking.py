"""Token-aware chunking. Chunks are verbatim slices of a part's text, packed from whole sentences
up to `chunk_tokens` cl100k tokens with `overlap` tokens carried over, and never longer than the
embedding model's input (checked with its own word-piece tokenizer)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .documents import SourceDoc
from .text import unit_spans
from .tokens import cl100k, count_wordpieces


@dataclass
class Chunk:
    id: str
    text: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class ChunkSpec:
    chunk_tokens: int = 180
    overlap: int = 40
    max_wordpieces: int = 256
    model_name: str = "all-MiniLM-L6-v2"


def context_header(title: str, section: str) -> str:
    """Prepended to a chunk for embedding and keyword indexing (not for quoting): the title and
    heading path tell the model what a bare paragraph is about."""
    return f"{title}\n{section}\n" if section and section != title else f"{title}\n"


def indexed_text(text: str, meta: dict[str, Any]) -> str:
    return context_header(str(meta.get("title", "")), str(meta.get("section", ""))) + text


def cl100k_len(text: str) -> int:
    return len(cl100k().encode(text, disallowed_special=()))


def split_spans(text: str, spec: ChunkSpec, fits: Callable[[str], bool] | None = None) -> list[tuple[int, int]]:
    """Chunk spans over `text`: consecutive chunks overlap, together they cover all of it."""
    fits = fits or (lambda t: count_wordpieces(spec.model_name, t) <= spec.max_wordpieces)
    units: list[tuple[int, int]] = []
    for s, e in unit_spans(text):
        units.extend(_split_long_unit(text, s, e, spec, fits))
    sizes = [cl100k_len(text[s:e]) for s, e in units]
    chunks: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (j == i or total + sizes[j] <= spec.chunk_tokens):
            total += sizes[j]
            j += 1
        while j - i > 1 and not fits(text[units[i][0]:units[j - 1][1]]):
            j -= 1
        chunks.append((units[i][0], units[j - 1][1]))
        if j >= len(units):
            break
        # Carry trailing units (up to `overlap` tokens) into the next chunk, but always move on.
        back, carried = j, 0
        while back - 1 > i and carried + sizes[back - 1] <= spec.overlap:
            back -= 1
            carried += sizes[back]
        i = back
    return chunks


def _split_long_unit(text: str, s: int, e: int, spec: ChunkSpec,
                     fits: Callable[[str], bool]) -> list[tuple[int, int]]:
    """A single sentence longer than a chunk is cut at word boundaries."""
    if cl100k_len(text[s:e]) <= spec.chunk_tokens and fits(text[s:e]):
        return [(s, e)]
    words = [(m.start() + s, m.end() + s) for m in re.finditer(r"\S+", text[s:e])]
    if len(words) == 1:  # one enormous "word" (a URL, a hash, junk): cut it in halves
        mid = (s + e) // 2
        return _split_long_unit(text, s, mid, spec, fits) + _split_long_unit(text, mid, e, spec, fits)
    out: list[tuple[int, int]] = []
    step = max(1, len(words) // 2)
    # Halve until each piece fits; sentences are short, so this is rarely more than two levels.
    for k in range(0, len(words), step):
        group = words[k:k + step]
        gs, ge = group[0][0], group[-1][1]
        if len(group) > 1 and not (cl100k_len(text[gs:ge]) <= spec.chunk_tokens and fits(text[gs:ge])):
            out.extend(_split_long_unit(text, gs, ge, spec, fits))
        else:
            out.append((gs, ge))
    return out


def chunk_document(doc: SourceDoc, spec: ChunkSpec) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for part in doc.parts:
        header = context_header(doc.title, part.section)

        def fits(t: str, header: str = header) -> bool:
            return count_wordpieces(spec.model_name, header + t) <= spec.max_wordpieces

        for s, e in split_spans(part.text, spec, fits):
            text = part.text[s:e]
            content_hash = hashlib.sha1(text.encode()).hexdigest()[:16]
            # The id covers what is embedded (title and section header too), so a retitled
            # document re-embeds its chunks instead of keeping vectors made with the old title.
            embedded = hashlib.sha1((header + text).encode()).hexdigest()[:16]
            key = f"{doc.doc_id}|{part.page}|{part.section}|{embedded}"
            seen[key] = seen.get(key, -1) + 1  # the same text twice in one part keeps distinct ids
            chunk_id = hashlib.sha1(f"{key}|{seen[key]}".encode()).hexdigest()[:20]
            meta: dict[str, Any] = {
                "doc_id": doc.doc_id,
                "title": doc.title,
                "kind": doc.kind,
                "source": doc.source,
                "section": part.section,
                "chunk_index": len(chunks),
                "content_hash": content_hash,
                "doc_hash": doc.content_hash,
                "publisher": doc.publisher,
                "date": doc.date,
                "topics": ",".join(doc.topics),
                "format": doc.format,
            }
            if part.page is not None:
                meta["page"] = part.page
            chunks.append(Chunk(id=f"{doc.doc_id}:{chunk_id}", text=text, metadata=meta))
    # Each chunk names its neighbours, so readers fetch them by id (a filter on chunk_index scans the store).
    for i, c in enumerate(chunks):
        c.metadata["prev_id"] = chunks[i - 1].id if i else ""
        c.metadata["next_id"] = chunks[i + 1].id if i + 1 < len(chunks) else ""
    return chunks
