"""What a loader hands to chunking: a `SourceDoc` made of `Part`s, or a `LoadError` naming the
problem; the `Limits` every loader keeps to; and `printable`, how a path or title is printed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


class LoadError(Exception):
    """A file that cannot be indexed. `reason` is a short class such as `encrypted` or `no-text`."""

    def __init__(self, path: Path | str, reason: str, detail: str) -> None:  # a str: a URL
        super().__init__(f"{printable(path)}: {reason}: {detail}")
        self.path, self.reason, self.detail = path, reason, detail


def printable(path: Path | str) -> str:
    """A path (or any name) as it can be printed: bytes that are not UTF-8 become "\ufffd", and control
    characters (a terminal escape sequence in a file name, a bidi override) become "?"."""
    text = str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return _CONTROL.sub("?", _SPACING.sub(" ", text))


# C0 and C1 controls (ESC, CSI, BEL…) and the bidi overrides that reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACING = re.compile("[\t\n\r]+")  # a line break in a quoted sentence reads as a space, not "?"


@dataclass
class Part:
    """A piece of a document that citations can point at: a PDF page, a slide (`page` holds the slide
    number of a .pptx), or a section (Markdown, Word and web pages)."""

    text: str
    page: int | None = None
    section: str = ""


class Sections:
    """Parts split at headings, each under its heading path ("Guide > Internal > Newsletter"): how
    Markdown, Word and web pages are read. Add text to `lines`; `heading` closes the section so far."""

    def __init__(self) -> None:
        self.parts: list[Part] = []
        self.lines: list[str] = []
        self._path: list[tuple[int, str]] = []

    def heading(self, level: int, text: str) -> None:
        """Open a section titled `text` at `level` (1 = top), under the open headings above it."""
        self._flush()
        self._path = [(lv, h) for lv, h in self._path if lv < level] + [(level, text)]

    def done(self) -> list[Part]:
        self._flush()
        return self.parts

    def _flush(self) -> None:
        body = "\n".join(self.lines).strip()
        if body:
            self.parts.append(Part(text=body, section=" > ".join(h for _, h in self._path)))
        self.lines.clear()


@dataclass
class SourceDoc:
    doc_id: str
    title: str
    kind: str
    source: str
    content_hash: str
    parts: list[Part]
    publisher: str = ""
    date: str = ""
    topics: list[str] = field(default_factory=list)
    format: str = ""  # pdf, docx, pptx, html, md, txt

    @property
    def pages(self) -> int:
        return len({p.page for p in self.parts if p.page is not None})


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 2000
    timeout_s: float = 60.0
    pdf_password: str | None = None
