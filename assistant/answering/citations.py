"""The citation check: every `[n]` resolves to a listed source, every source is a retrieved chunk,
and every quote stands verbatim (whitespace folded) in that chunk."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..schema import Answer, Citation
from ..text import squash

MARKER = re.compile(r"\[(\d{1,3})\]")


def markers(text: str) -> list[int]:
    return [int(m) for m in MARKER.findall(text)]


def problems(answer: Answer, chunk_texts: Mapping[str, str]) -> list[str]:
    """What is wrong with an answer's citations; empty when every citation holds."""
    out: list[str] = []
    numbers = {c.n for c in answer.citations}
    for n in markers(answer.answer):
        if n not in numbers:
            out.append(f"marker [{n}] has no source")
    if not answer.refused and answer.citations and not markers(answer.answer):
        out.append("sources are listed but the answer cites none")
    for c in answer.citations:
        out += _citation_problems(c, chunk_texts)
    if answer.refused and answer.citations:
        out.append("a refusal must not cite sources")
    return out


def _citation_problems(c: Citation, chunk_texts: Mapping[str, str]) -> list[str]:
    if c.chunk_id not in chunk_texts:
        return [f"[{c.n}] points to a chunk that was not retrieved"]
    if not c.quote.strip():
        return [f"[{c.n}] has an empty quote"]
    if squash(c.quote) not in squash(chunk_texts[c.chunk_id]):
        return [f"[{c.n}] quote is not verbatim in its chunk"]
    return []
