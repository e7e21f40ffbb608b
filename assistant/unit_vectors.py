"""Vectors for chunks and their answer units, in one pass of the embedder where it can (onnx)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .chunking import Chunk, answer_units, context_header, indexed_text
from .store import unit_metadata

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings


def embed_chunks(embedder: Embeddings, chunks: list[Chunk]) -> tuple[list[list[float]], list[list[list[float]]]]:
    """Chunk vectors (of the text with its title/section header), and each chunk's unit vectors:
    pooled from the chunk pass when the embedder can (onnx), else embedded one by one."""
    texts = [indexed_text(c.text, c.metadata) for c in chunks]
    if hasattr(embedder, "embed_with_spans"):
        shifts = [len(context_header(c.metadata["title"], c.metadata["section"])) for c in chunks]
        return embedder.embed_with_spans(texts, [[(sh + s, sh + e) for s, e in c.units]
                                                 for sh, c in zip(shifts, chunks, strict=True)])
    flat = embedder.embed_documents([c.text[s:e] for c in chunks for s, e in c.units])
    per_chunk, i = [], 0
    for c in chunks:
        per_chunk.append(flat[i:i + len(c.units)])
        i += len(c.units)
    return embedder.embed_documents(texts), per_chunk


def fill_units(embedder: Embeddings, docs: list[Document]) -> None:
    """Compute the units of chunks stored without them (an index built by an older version), in
    memory, so they can still be answered from until the next ingest stores them."""
    chunks = [Chunk(str(d.metadata["id"]), d.page_content, d.metadata, answer_units(d.page_content)[0])
              for d in docs]
    for d, c, vectors in zip(docs, chunks, embed_chunks(embedder, chunks)[1], strict=True):
        d.metadata.update(unit_metadata(c.units, vectors))
