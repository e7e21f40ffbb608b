"""Token-aware chunking. Chunks are verbatim slices of a part's text, packed from whole sentences
up to `chunk_tokens` cl100k tokens with `overlap` tokens carried over, and never longer than the
embedding model's input (checked with its own word-piece tokenizer)."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .injection import instruction_like
from .source_doc import LoadError, SourceDoc
from .text import heads_list, unit_spans
from .token_counting import cl100k, count_wordpieces

# Chunk metadata: how many of its sentences address the assistant or ask for secrets (injection.py).
INSTRUCTIONS = "instructions"


@dataclass
class Chunk:
    id: str
    text: str
    metadata: dict[str, Any]
    units: list[tuple[int, int]] = field(default_factory=list)  # what answers may quote (`answer_units`)
    instructions: list[str] = field(default_factory=list)       # sentences addressing the assistant


def answer_units(text: str) -> tuple[list[tuple[int, int]], list[str]]:
    """Spans of a chunk's sentences and list items, and the headings of lists (answers show them
    above the items they take), leaving out lone bullets, page numbers and other fragments; and,
    apart, the sentences that address the assistant or ask for secrets (never a unit)."""
    spans = unit_spans(text)
    keep, instructions = [], []
    for i, (s, e) in enumerate(spans):
        unit = text[s:e]
        if instruction_like(unit):
            instructions.append(unit)
        elif len(unit.split()) >= 3 or (i + 1 < len(spans) and heads_list(unit, text[slice(*spans[i + 1])])):
            keep.append((s, e))
    return keep, instructions


@dataclass(frozen=True)
class ChunkSpec:
    chunk_tokens: int = 180
    overlap: int = 40
    max_wordpieces: int = 256
    model_name: str = "all-MiniLM-L6-v2"


def context_header(title: str, section: str) -> str:
    """Prepended to a chunk for embedding and keyword indexing (not for quoting): the title and
    heading path tell the model what a bare paragraph is about. Each is clipped to HEADER_CHARS, so
    the header leaves room for text in the model's input however long a heading is (at most one
    word piece per character)."""
    title, section = _clip_header(title), _clip_header(section)
    return f"{title}\n{section}\n" if section and section != title else f"{title}\n"


HEADER_CHARS = 120  # two clipped fields leave 14 of the 256 pieces even at one piece a character


def _clip_header(text: str) -> str:
    return text if len(text) <= HEADER_CHARS else text[:HEADER_CHARS - 1] + "…"


def indexed_text(text: str, meta: dict[str, Any]) -> str:
    return context_header(str(meta.get("title", "")), str(meta.get("section", ""))) + text


def cl100k_len(text: str) -> int:
    return len(cl100k().encode(text, disallowed_special=()))


# A unit (a "sentence") longer than this is cut at spaces before any tokenizer sees it: each piece of
# text is then tokenized a bounded number of times, so chunking stays linear in the input (a table
# of contents with dot leaders, or a run of "#", is one enormous sentence).
MAX_UNIT_CHARS = 2000


class TooSlow(Exception):
    """Chunking passed its deadline (the per-file time limit)."""


def split_spans(text: str, spec: ChunkSpec, room: int | None = None,
                deadline: float | None = None) -> list[tuple[int, int]]:
    """Chunk spans over `text`: consecutive chunks overlap, together they cover all of it. `room` is
    the embedder input (word pieces, [CLS]/[SEP] included) left for the text: the model's, less a header."""
    room = spec.max_wordpieces if room is None else room

    def pieces(t: str) -> int:
        return count_wordpieces(spec.model_name, t)

    def fits(t: str) -> bool:
        return pieces(t) <= room

    units: list[tuple[int, int]] = []
    for n, (s, e) in enumerate(unit_spans(text)):
        if deadline is not None and n % 64 == 0 and time.monotonic() > deadline:
            raise TooSlow
        for ps, pe in _precut(text, s, e):
            units.extend(_split_long_unit(text, ps, pe, spec, fits))
    sizes = [cl100k_len(text[s:e]) for s, e in units]
    # Word pieces add up over units (they are split at spaces, and BERT's tokenizer splits there
    # first): each unit is counted once, and a chunk is checked once, not once per unit it drops.
    wp = [pieces(text[s:e]) - 2 for s, e in units]
    chunks: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        if deadline is not None and len(chunks) % 64 == 0 and time.monotonic() > deadline:
            raise TooSlow
        j, total, total_wp = i, 0, 2
        while j < len(units) and (j == i or (total + sizes[j] <= spec.chunk_tokens and total_wp + wp[j] <= room)):
            total += sizes[j]
            total_wp += wp[j]
            j += 1
        # The sum is exact for text split at spaces; where it is not, the check decides, as before.
        while j - i > 1 and not fits(text[units[i][0]:units[j - 1][1]]):
            j -= 1
            total -= sizes[j]
        while (j < len(units) and total + sizes[j] <= spec.chunk_tokens
               and fits(text[units[i][0]:units[j][1]])):
            total += sizes[j]
            j += 1
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


def _precut(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Cut a unit longer than MAX_UNIT_CHARS into pieces no longer than that: at the last space
    within the limit, or right at the limit when there is none."""
    out: list[tuple[int, int]] = []
    while e - s > MAX_UNIT_CHARS:
        limit = s + MAX_UNIT_CHARS
        cut = limit
        for m in _SPACE_RUN.finditer(text, s + MAX_UNIT_CHARS // 2, limit):
            cut = m.start()
        if cut == limit:
            out.append((s, limit))
            s = limit
        else:
            out.append((s, cut))
            s = _SPACE_RUN.match(text, cut).end()  # type: ignore[union-attr]
    if e > s:
        out.append((s, e))
    return out


_SPACE_RUN = re.compile(r"\s+")


def _split_long_unit(text: str, s: int, e: int, spec: ChunkSpec,
                     fits: Callable[[str], bool]) -> list[tuple[int, int]]:
    """A single sentence longer than a chunk is cut at word boundaries."""
    if e - s <= 1 or (cl100k_len(text[s:e]) <= spec.chunk_tokens and fits(text[s:e])):
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
        if not (cl100k_len(text[gs:ge]) <= spec.chunk_tokens and fits(text[gs:ge])):  # a long word too
            out.extend(_split_long_unit(text, gs, ge, spec, fits))
        else:
            out.append((gs, ge))
    return out


def chunk_document(doc: SourceDoc, spec: ChunkSpec, deadline: float | None = None) -> list[Chunk]:
    """The document's chunks, each with its answer units. Past `deadline` (time.monotonic()) raises
    LoadError "timeout"."""
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for part in doc.parts:
        header = context_header(doc.title, part.section)
        room = spec.max_wordpieces - (count_wordpieces(spec.model_name, header) - 2)
        try:
            spans = split_spans(part.text, spec, room, deadline)
        except TooSlow:
            raise LoadError(Path(doc.source), "timeout", "reading and chunking took longer than the per-file "
                            "limit (ASSISTANT_EXTRACTION_TIMEOUT_S)") from None
        for s, e in spans:
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
            units, instructions = answer_units(text)
            meta[INSTRUCTIONS] = len(instructions)
            chunks.append(Chunk(f"{doc.doc_id}:{chunk_id}", text, meta, units, instructions))  # see doc_id_of
    # Each chunk names its neighbours, so readers fetch them by id (a filter on chunk_index scans the store).
    for i, c in enumerate(chunks):
        c.metadata["prev_id"] = chunks[i - 1].id if i else ""
        c.metadata["next_id"] = chunks[i + 1].id if i + 1 < len(chunks) else ""
    return chunks


def doc_id_of(chunk_id: str) -> str:
    """The document a chunk id belongs to: ids are "{doc_id}:{hash}" (`chunk_document`)."""
    return chunk_id.rsplit(":", 1)[0]
