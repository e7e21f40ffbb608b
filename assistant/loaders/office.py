"""Word (.docx, python-docx) and PowerPoint (.pptx, python-pptx) to parts that citations can point at.

A Word file has no pages until Word lays it out, so its locations are sections: the heading path
("Strategy > Funding"). A deck's locations are slides: `Part.page` holds the slide number (citations
say "slide 7"), the slide title is the section, and speaker notes are a part of their own, marked
"Speaker notes" in the section, on the same slide."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..source_doc import Limits, LoadError, Part, Sections

NOTES = "Speaker notes"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a Compound File: old .doc/.ppt, or an encrypted OOXML file
# Inflated XML beyond this many times the file-size limit is a zip bomb, not a document.
_XML_INFLATION = 4
# The part that makes a zip archive a Word document or a deck.
_MAIN_PART = {"Word": "word/document.xml", "PowerPoint": "ppt/presentation.xml"}


def open_package(path: Path, data: bytes, limits: Limits, what: str) -> io.BytesIO:
    """The checks every Office file gets before its XML is parsed: encrypted, legacy binary, not a zip,
    bad zip, another kind of package, bomb."""
    wrong = f"not-{path.suffix.lower().lstrip('.')}"
    if data.startswith(_OLE_MAGIC):
        if _is_encrypted(data):
            raise LoadError(path, "encrypted", f"the {what} file is password-protected: save a copy without a "
                            "password and ingest that")
        raise LoadError(path, "legacy-format", f"an old binary Office file (.doc/.ppt) named {path.suffix}: "
                        f"save it as {path.suffix} and ingest that")
    if not data.startswith(b"PK"):
        raise LoadError(path, wrong, f"named {path.suffix} but it is not a {what} file (not a zip archive)")
    buf = io.BytesIO(data)
    try:
        with zipfile.ZipFile(buf) as z:
            names = z.infolist()
            # From the archive's own headers, before anything is inflated: testzip() inflates every member.
            inflated = sum(i.file_size for i in names if i.filename.endswith((".xml", ".rels")))
            if inflated > _XML_INFLATION * limits.max_bytes:
                raise LoadError(path, "decompression-bomb", f"its XML inflates to {inflated / 2**20:.0f} MB, "
                                f"beyond {_XML_INFLATION} × the {limits.max_bytes / 2**20:.3g} MB file limit")
            bad = z.testzip()  # CRC of every member: a truncated or damaged archive fails here, not mid-parse
            has_main = _MAIN_PART[what] in z.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        raise LoadError(path, "corrupt", f"not a readable {what} file: the zip archive is damaged ({e})") from e
    if bad is not None:
        raise LoadError(path, "corrupt", f"not a readable {what} file: member {bad} of the zip archive is damaged")
    if not has_main:
        raise LoadError(path, wrong, f"a zip archive but not a {what} file (no {_MAIN_PART[what]}): another "
                        "format renamed?")
    buf.seek(0)
    return buf


def _is_encrypted(data: bytes) -> bool:
    import msoffcrypto

    try:
        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except Exception:  # noqa: BLE001 - msoffcrypto raises many kinds on a Compound File it does not know
        return False


def table_lines(rows: list[list[str]]) -> list[str]:
    """A table read row by row. With a header row, each row reads "Year: 2024; Budget: 10 000 EUR.",
    so a row quoted alone still says what its values are."""
    rows = [[" ".join(c.split()) for c in r] for r in rows]
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    header = rows[0]
    labelled = len(rows) >= 2 and len(header) >= 2 and all(header)
    out = [] if labelled else [_end(" | ".join(c for c in rows[0] if c))]
    for r in rows[1:]:
        if labelled:
            out.append(_end("; ".join(f"{h}: {c}" for h, c in zip(header, r, strict=False) if c)))
        else:
            out.append(_end(" | ".join(c for c in r if c)))
    return [line for line in out if line]


def _end(line: str) -> str:
    """Rows end like sentences, so the sentence splitter never joins two rows into one."""
    return line if not line or line[-1] in ".!?;:" else line + "."


def _unique_cells(cells: Iterable[Any]) -> list[Any]:
    """python-docx repeats a merged cell once per grid column it spans: keep it once."""
    out: list[Any] = []
    for c in cells:
        if not out or c._tc is not out[-1]._tc:
            out.append(c)
    return out


def _timer(path: Path, limits: Limits) -> Any:
    started = time.monotonic()

    def check() -> None:
        if time.monotonic() - started > limits.timeout_s:
            raise LoadError(path, "timeout", f"text extraction took longer than {limits.timeout_s:.0f} s")
    return check


# --- Word ----------------------------------------------------------------------------------------

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)


def _outline_level(element: Any) -> int | None:
    """An explicit outline level (0-8) in a paragraph's or a style's properties; 9 means body text."""
    lvl = element.xpath("./w:pPr/w:outlineLvl/@w:val")
    return int(lvl[0]) + 1 if lvl and lvl[0].isdigit() and int(lvl[0]) < 9 else None


def _style_level(style: Any) -> int | None:
    """1-9 for a heading style, 0 for Title, None for body text: a style named "Heading N" (or based
    on one), or one with an outline level (which localised heading styles carry)."""
    while style is not None:
        name = style.name or ""
        if name.lower() == "title":
            return 0
        m = _HEADING_STYLE.match(name)
        if m:
            return int(m.group(1))
        level = _outline_level(style.element)
        if level is not None:
            return level
        style = style.base_style
    return None


def _paragraph_styles(document: Any) -> dict[str | None, tuple[int | None, bool]]:
    """Per paragraph style id: its heading level and whether it is a list style. Worked out once:
    python-docx's `paragraph.style` looks the style up again for every paragraph (most of the time
    of reading a long document)."""
    from docx.enum.style import WD_STYLE_TYPE

    info: dict[str | None, tuple[int | None, bool]] = {}
    for style in document.styles:
        if style.type == WD_STYLE_TYPE.PARAGRAPH:
            name = (style.name or "").lower()
            info[style.style_id] = (_style_level(style), name.startswith(("list bullet", "list number")))
    default = document.styles.default(WD_STYLE_TYPE.PARAGRAPH)
    info[None] = info.get(default.style_id, (None, False)) if default is not None else (None, False)
    return info


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _blocks(container: Any) -> Iterator[Any]:
    """The paragraph (w:p) and table (w:tbl) elements of a body or cell in document order, including
    those inside content controls (w:sdt, common in forms and templates), which python-docx's
    `iter_inner_content` passes over."""
    for child in container:
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            yield child
        elif child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _blocks(content)
        elif child.tag == f"{_W}customXml":
            yield from _blocks(child)


def _text_of(element: Any) -> str:
    """The visible text under an element: every w:t, so text in tracked insertions, fields, content
    controls, text boxes and nested tables counts (python-docx's `Paragraph.text` drops insertions);
    tracked deletions (w:delText) do not, nor a drawing's fallback copy (mc:Fallback repeats a text
    box for older readers). Tabs and breaks are spaces."""
    out: list[str] = []
    breaks = {f"{_W}tab", f"{_W}br", f"{_W}cr"}

    def walk(el: Any) -> None:
        for child in el:
            if child.tag == f"{_W}t":
                out.append(child.text or "")
            elif child.tag in breaks:
                out.append(" ")
            elif child.tag != _MC_FALLBACK:
                walk(child)

    walk(element)
    return " ".join("".join(out).split())


def load_docx(path: Path, data: bytes, limits: Limits) -> tuple[list[Part], dict[str, Any]]:
    import docx
    from docx.table import Table

    buf = open_package(path, data, limits, "Word")
    check = _timer(path, limits)
    try:
        document = docx.Document(buf)
        title = (document.core_properties.title or "").strip()
        styles = _paragraph_styles(document)
        sections = Sections()
        buf_lines = sections.lines
        for n, block in enumerate(_blocks(document.element.body)):
            if n % 200 == 0:
                check()
            if block.tag == f"{_W}tbl":
                # python-docx's rows repeat a cell merged down or across into each place it covers.
                table = Table(block, document._body)
                buf_lines.extend(table_lines([[_text_of(c._tc) for c in _unique_cells(row.cells)]
                                              for row in table.rows]))
                continue
            text = _text_of(block)
            if not text:
                continue
            style_level, list_style = styles.get(block.style, styles[None])
            own = _outline_level(block)
            level = own if own is not None else style_level
            if level == 0:
                title = title or text
            elif level is not None:
                sections.heading(level, text)
            else:
                numbered = list_style or bool(block.xpath("./w:pPr/w:numPr"))
                buf_lines.append(f"- {text}" if numbered else text)
        parts = sections.done()
    except LoadError:
        raise
    except Exception as e:  # noqa: BLE001 - python-docx surfaces a damaged part as any of many errors
        raise LoadError(path, "corrupt", f"the Word file cannot be read ({type(e).__name__}: {e})") from e
    if not parts:
        raise LoadError(path, "no-text", "the Word file has no text to index")
    return parts, ({"title": title} if title else {})


# --- PowerPoint ----------------------------------------------------------------------------------

def _shapes(shapes: Iterable[Any]) -> Iterator[Any]:
    """Every shape, group members included, in reading order (top to bottom, then left to right)."""
    def key(s: Any) -> tuple[int, int]:
        return (s.top or 0, s.left or 0)
    for s in sorted(shapes, key=key):
        if getattr(s, "shape_type", None) is not None and hasattr(s, "shapes"):  # a group
            yield from _shapes(s.shapes)
        else:
            yield s


def _slide_lines(slide: Any, title_shape: Any) -> list[str]:
    lines: list[str] = []
    for shape in _shapes(slide.shapes):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        if getattr(shape, "has_table", False) and shape.has_table:
            lines.extend(table_lines([[c.text for c in row.cells] for row in shape.table.rows]))
        elif shape.has_text_frame:
            paras = [" ".join(p.text.split()) for p in shape.text_frame.paragraphs]
            paras = [p for p in paras if p]
            # Bullet points rarely end in a full stop: as list items they stay one unit each.
            lines += [f"- {p}" for p in paras] if len(paras) > 1 else paras
    return lines


def load_pptx(path: Path, data: bytes, limits: Limits) -> tuple[list[Part], dict[str, Any]]:
    import pptx

    buf = open_package(path, data, limits, "PowerPoint")
    check = _timer(path, limits)
    try:
        deck = pptx.Presentation(buf)
        title = (deck.core_properties.title or "").strip()
        slides = list(deck.slides)
        parts: list[Part] = []
        for number, slide in enumerate(slides, start=1):
            check()
            title_shape = slide.shapes.title
            heading = " ".join(title_shape.text.split()) if title_shape is not None else ""
            body = "\n".join(_slide_lines(slide, title_shape)).strip()
            if body:
                parts.append(Part(text=body, page=number, section=heading))
            elif heading:  # a title-only slide ("Thank you", a section divider) is still findable
                parts.append(Part(text=heading, page=number, section=heading))
            frame = slide.notes_slide.notes_text_frame if slide.has_notes_slide else None
            notes = frame.text.strip() if frame is not None else ""
            if notes:
                parts.append(Part(text=notes, page=number, section=f"{heading} > {NOTES}" if heading else NOTES))
    except LoadError:
        raise
    except Exception as e:  # noqa: BLE001 - python-pptx surfaces a damaged part as any of many errors
        raise LoadError(path, "corrupt", f"the PowerPoint file cannot be read ({type(e).__name__}: {e})") from e
    if not slides:
        raise LoadError(path, "no-text", "the deck has no slides")
    if not parts:
        raise LoadError(path, "no-text", f"none of its {len(slides)} slides has text")
    if not title:
        title = next((p.section.split(" > ")[0] for p in parts if p.section and p.section != NOTES), "")
    return parts, ({"title": title} if title else {})
