"""Loaders: one file in, a `SourceDoc` (metadata + page/section texts) out, or a `LoadError` naming the problem."""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import os
import re
import time
import unicodedata
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from . import safe_yaml
from .language import LT_WORDS
from .loaders import html, office
from .loaders.tables import page_text
from .source_doc import Limits, LoadError, Part, Sections, SourceDoc, printable

SUPPORTED_SUFFIXES = {".pdf", ".md", ".markdown", ".txt", ".docx", ".pptx", ".html", ".htm"}
# A document's format, shown by `sources`: pdf, docx, pptx, html, md or txt.
FORMATS = {".pdf": "pdf", ".md": "md", ".markdown": "md", ".txt": "txt", ".docx": "docx", ".pptx": "pptx",
           ".html": "html", ".htm": "html"}
KINDS = {"policy", "good-practice", "training", "news"}
log = logging.getLogger(__name__)


def is_utf8_name(path: Path) -> bool:
    """False for a file name holding bytes that are not UTF-8 (it cannot be stored or shown as is)."""
    return not any("\udc80" <= ch <= "\udcff" for ch in str(path))  # how os.fsdecode keeps such bytes


def yaml_problem(e: Exception) -> str:
    """One line for a YAML error: its problem and where, without PyYAML's multi-line context."""
    mark = getattr(e, "problem_mark", None)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{getattr(e, 'problem', None) or str(e).splitlines()[0]}{where}"


def slugify(text: str) -> str:
    """A doc id: lower-case ASCII letters, digits and "-". Letters with marks lose them ("ąčę" ->
    "ace"); where letters cannot be spelled in ASCII ("集群", "ß") a short hash of the text is added, so
    two such names never share an id."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    lost = any(ch.isalnum() and not ch.isascii() for ch in plain)
    if lost or not slug:
        slug = f"{slug}-{hashlib.sha1(text.encode('utf-8', 'surrogateescape')).hexdigest()[:6]}".lstrip("-")
    return slug


DEFAULT_LIMITS = Limits()


def load_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> SourceDoc:
    """Load one supported file. Raises LoadError with a classified reason; never anything else."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(path, "unsupported", f"unsupported file type {suffix or '(none)'}")
    if not is_utf8_name(path):
        raise LoadError(path, "bad-name", "the file name is not valid UTF-8: rename the file")
    started = time.monotonic()
    try:
        size = path.stat().st_size
    except OSError as e:
        raise LoadError(path, "unreadable", str(e)) from e
    if size == 0:
        raise LoadError(path, "empty", "the file is empty (0 bytes)")
    if size > limits.max_bytes:
        raise LoadError(path, "too-large", f"{size / 2**20:.3g} MB exceeds the {limits.max_bytes / 2**20:.3g} MB "
                        "limit (ASSISTANT_MAX_FILE_MB)")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LoadError(path, "unreadable", str(e)) from e
    meta = _sidecar_meta(path)
    if suffix == ".pdf":
        parts, pdf_meta = _load_pdf(path, data, limits)
        meta = {**pdf_meta, **meta}
    elif suffix in {".docx", ".pptx", ".html", ".htm"}:
        load = {".docx": office.load_docx, ".pptx": office.load_pptx}.get(suffix)
        parts, file_meta = load(path, data, limits) if load else html.html_parts(path, data)
        meta = {**file_meta, **meta}  # a .meta.yaml sidecar wins over the file's own properties
    else:
        text = _decode_text(path, data)
        if suffix in {".md", ".markdown"}:
            front, text = _split_front_matter(path, text)
            meta = {**front, **meta}
            parts = _markdown_parts(text)
        else:
            parts = [Part(text=text.strip())]
        parts = [p for p in parts if p.text.strip()]
        if not parts:
            raise LoadError(path, "no-text", "the file has no text to index")
    if time.monotonic() - started > limits.timeout_s:  # every format has the per-file limit
        raise LoadError(path, "timeout", f"reading the file took longer than {limits.timeout_s:.0f} s")
    return _make_doc(path, data, parts, meta)


# Bump when the text a file yields changes (a rule of extraction): its documents are read again at
# the next ingest, and only their changed chunks embedded. 2: EU back covers dropped. 3: footnote marks set
# apart from their names ("LINPRA 9 ,") dropped. 4: PDF tables read row by row (loaders/tables.py). 5: marks
# after names that never stand alone dropped where they fill a gap between marks ("H202016", "ERDF17"). 6: a
# name with its own number ("EU27": known, or written twice) keeps it.
EXTRACTION_VERSION = 6


def _make_doc(path: Path, data: bytes, parts: list[Part], meta: dict[str, Any]) -> SourceDoc:
    texts = drop_footnote_marks([p.text for p in parts])  # PDF, Markdown and text alike
    parts = [replace(p, text=t) for p, t in zip(parts, texts, strict=True)]
    for key in ("doc_id", "title", "kind", "publisher", "date"):
        if isinstance(meta.get(key), (list, dict)):
            raise LoadError(path, "bad-metadata", f"{key} must be a single value, not {type(meta[key]).__name__}")
    title = printable(str(meta.get("title") or _first_heading(parts) or path.stem.replace("_", " ")))
    kind = str(meta.get("kind") or "training")
    if kind not in KINDS:
        raise LoadError(path, "bad-metadata", f"kind {kind!r} is not one of {sorted(KINDS)}")
    topics = meta.get("topics") or []
    if isinstance(topics, str):
        topics = [t.strip() for t in topics.split(",") if t.strip()]
    if not isinstance(topics, list) or any(isinstance(t, (list, dict)) for t in topics):
        raise LoadError(path, "bad-metadata", f"topics must be a list of names or a comma-separated text, "
                        f"not {topics!r}")
    doc = SourceDoc(
        doc_id=slugify(str(meta.get("doc_id") or path.stem)),
        title=title,
        kind=kind,
        # Keyed by where it was found, not where a link points: a re-ingest of that folder finds it
        # gone when the link is, and a link out of the folder is seen as one (see ingest.discover).
        source=os.path.abspath(path),
        content_hash="",
        parts=parts,
        publisher=str(meta.get("publisher") or ""),
        date=str(meta.get("date") or ""),
        topics=[str(t) for t in topics],
        format=FORMATS.get(path.suffix.lower(), ""),
    )
    # The hash covers the file and the metadata fields in use, as they are stored: never the whole
    # parsed metadata (aliases can make that huge; see safe_yaml).
    used = [doc.doc_id, doc.title, doc.kind, doc.publisher, doc.date, doc.topics, EXTRACTION_VERSION]
    doc.content_hash = hashlib.sha256(data + json.dumps(used).encode()).hexdigest()[:16]
    return doc


def _sidecar_meta(path: Path) -> dict[str, Any]:
    side = path.with_name(path.name + ".meta.yaml")
    if not side.is_file():
        return {}
    try:
        meta = safe_yaml.load(side.read_text(encoding="utf-8")) or {}
    except safe_yaml.MetadataTooLarge as e:
        raise LoadError(path, "bad-metadata", f"{printable(side.name)} is too large for metadata: {e}") from e
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as e:  # ValueError: a date like 2020-13-45
        raise LoadError(path, "bad-metadata", f"{printable(side.name)} is not valid YAML: {yaml_problem(e)}") from e
    except OSError as e:
        raise LoadError(path, "bad-metadata", f"{printable(side.name)} cannot be read: {e.strerror or e}") from e
    if not isinstance(meta, dict):
        raise LoadError(path, "bad-metadata", f"{side.name} must be a mapping")
    return meta


def _first_heading(parts: list[Part]) -> str:
    for p in parts:
        if p.section:
            return p.section.split(" > ")[0]
    return ""


# --- text and markdown ---------------------------------------------------------------------------

def _decode_text(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 byte-order mark (Windows "Unicode" text)
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise LoadError(path, "not-text", f"the file says it is UTF-16 but is not: {e.reason}") from e
    if b"\x00" in data[:8192]:
        raise LoadError(path, "binary", "the file holds binary data (NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Not UTF-8: Baltic and Western code pages are the likely ones here. Either decodes almost any
    # bytes, so take the one whose text has more letters of its own languages, if it is printable.
    best: tuple[int, str] | None = None
    for enc, letters in (("cp1257", _BALTIC_LETTERS), ("cp1252", _WESTERN_LETTERS)):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text[:20000])
        if printable / max(1, min(len(text), 20000)) > 0.97:
            score = sum(ch in letters for ch in text.lower())
            if enc == "cp1257" and not LT_WORDS.intersection(re.findall(r"\w+", text[:5000].lower())):
                score -= 1  # no "ir", "kad", "yra"…: a tie goes to Western (Italian "è già" reads as "č gią")
            if best is None or score > best[0]:
                best = (score, text)
    if best is None:
        raise LoadError(path, "not-text", "the file is neither UTF-8 nor a readable legacy encoding")
    return best[1]


_BALTIC_LETTERS = set("ąčęėįšųūžāēīļņķģ")
_WESTERN_LETTERS = set("àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœ")


_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
# Front matter that was never closed: "---" then one of our metadata keys.
_FRONT_OPEN = re.compile(r"\A---[ \t]*\r?\n(?:doc_id|title|kind|topics|publisher|date)[ \t]*:")
# The heading's text, then closing "#"s are dropped by _heading_text: a lazy `(.+?)\s*#*\s*$` here
# took quadratic time on a long run of "#".
_HEADING = re.compile(r"^(#{1,6})\s+(.+)$")


def _heading_text(rest: str) -> str:
    text = rest.rstrip()
    return text.rstrip("#").rstrip() or text[:1]


def _split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str]:
    m = _FRONT.match(text)
    if not m:
        if _FRONT_OPEN.match(text):  # "---" then "key: value" lines, and no closing "---"
            raise LoadError(path, "bad-metadata", "the front matter is not closed: add a line \"---\" after it")
        return {}, text
    try:
        meta = safe_yaml.load(m.group(1)) or {}
    except safe_yaml.MetadataTooLarge as e:
        raise LoadError(path, "bad-metadata", f"front matter is too large for metadata: {e}") from e
    except (yaml.YAMLError, ValueError) as e:
        raise LoadError(path, "bad-metadata", f"front matter is not valid YAML: {yaml_problem(e)}") from e
    if not isinstance(meta, dict):
        raise LoadError(path, "bad-metadata", "front matter must be a mapping")
    return meta, text[m.end():]


def _markdown_parts(text: str) -> list[Part]:
    """Split at headings; each part keeps its heading path ("Doc > Section > Sub")."""
    sections = Sections()
    for line in text.splitlines():
        m = _HEADING.match(line)
        if m:
            sections.heading(len(m.group(1)), _heading_text(m.group(2)).strip().strip("*").strip())
        else:
            sections.lines.append(line)
    return sections.done()


# --- pdf -----------------------------------------------------------------------------------------

def _load_pdf(path: Path, data: bytes, limits: Limits) -> tuple[list[Part], dict[str, Any]]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError, PyPdfError

    if not data.lstrip()[:1024].startswith(b"%PDF") and b"%PDF-" not in data[:1024]:
        raise LoadError(path, "not-pdf", "named .pdf but it is not a PDF (no %PDF header)")
    started = time.monotonic()
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            ok = False
            for pw in ("", limits.pdf_password):
                if pw is not None and reader.decrypt(pw):
                    ok = True
                    break
            if not ok:
                detail = ("the PDF is encrypted and ASSISTANT_PDF_PASSWORD does not open it" if limits.pdf_password
                          else "the PDF is encrypted and no password is configured (set ASSISTANT_PDF_PASSWORD)")
                raise LoadError(path, "encrypted", detail)
        n = len(reader.pages)
        if n > limits.max_pages:
            raise LoadError(path, "too-many-pages", f"{n} pages exceeds the limit of {limits.max_pages}")
        parts: list[Part] = []
        for i, page in enumerate(reader.pages, start=1):
            if time.monotonic() - started > limits.timeout_s:
                raise LoadError(path, "timeout", f"text extraction took longer than {limits.timeout_s:.0f} s")
            text = _tidy_pdf_text(_with_tables(page) or page.extract_text() or "")
            if text:
                parts.append(Part(text=text, page=i))
        info: Any = reader.metadata or {}
        meta = {"title": str(info.get("/Title") or "").strip()} if info.get("/Title") else {}
    except LoadError:
        raise
    except FileNotDecryptedError as e:
        raise LoadError(path, "encrypted", f"the PDF is encrypted: {e}") from e
    except LimitReachedError as e:
        raise LoadError(path, "decompression-bomb", f"a stream inflates beyond the safe limit ({e})") from e
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError,
            IndexError, RecursionError, OSError, EOFError, AssertionError, ZeroDivisionError) as e:
        raise LoadError(path, "corrupt", f"the PDF cannot be read ({type(e).__name__}: {e})") from e
    if not parts:
        raise LoadError(path, "no-text", f"none of its {n} pages has a text layer (scanned images?)")
    return without_back_cover(parts), meta


# The back cover every EU publication prints ("Getting in touch with the EU": Europe Direct, phone
# numbers, the Open Data Portal) answers no question and matches many ("EU", "information", "data").
_BACK_COVER = re.compile(r"^\s*getting in touch with the EU\b", re.I | re.M)


def without_back_cover(parts: list[Part]) -> list[Part]:
    """The pages without an EU back cover: from its heading on, in the last two pages only."""
    for i in range(max(0, len(parts) - 2), len(parts)):
        m = _BACK_COVER.search(parts[i].text)
        if m:
            head = parts[i].text[:m.start()].strip()
            kept = parts[:i] + ([replace(parts[i], text=head)] if head else [])
            return kept or parts  # a document that is only a back cover stays as it is
    return parts


# A footnote number glued to a word by text extraction: "programmes (Inoklaster12, Intelektas15, etc.)",
# "MITA7", "H202016". Sure after four lower-case letters ("utf8" and "RIS3" stay whole). After a name
# such as "MITA" it is a mark only if the name stands alone elsewhere in the document, and the marks
# so found number upwards through it, as footnotes do: "NUTS2" after note 8 stays whole.
_FOOTNOTE_MARK = re.compile(r"(?<=[a-z]{4})\d{1,2}(?=[,.;:)]?(?:\s|$))")
_GLUED_NUMBER = re.compile(r"\b([A-Z][\w-]*?)([1-9]\d?)(?=[,.;:)]*(?:\s|$))")  # a mark never opens with 0
# A mark that extraction set apart, before the punctuation it came with ("LINPRA 9 ,", "(ECCP) 18 ."),
# or glued to a closing bracket ("(LINPRA)5.").
_SPACED_NUMBER = re.compile(r"(?:\b([A-Z][\w-]*)|\))( \d{1,2} )(?=[,.;:)])|\)(\d{1,2})(?=[,.;:]?(?:\s|$))")
# Words a number after them belongs to, not a footnote: "Article 5 .", "Table 3 ,", "Step 3 :".
_NUMBERED = frozenset({"Article", "Annex", "Appendix", "Axis", "Chapter", "Fig", "Figure", "Level", "Measure", "No",
                       "Page", "Part", "Phase", "Priority", "Section", "Stage", "Step", "Table", "Tier", "Volume"})
MIN_SPACED_RUN = 3  # marks counting upwards, at least, before one set apart from its name is taken for a mark
# Names whose number is their own, wherever the marks around them count: "EU27 countries" after note 26.
_NUMBERED_NAMES = frozenset({"COVID19", "EU15", "EU25", "EU27", "EU28", "G7", "G8", "G20", "H2020", "NUTS1", "NUTS2",
                             "NUTS3", "RIS3", "S3"})


class _Mark(NamedTuple):
    part: int
    start: int
    end: int
    number: int


def drop_footnote_marks(texts: list[str]) -> list[str]:
    """The document's parts (pages, sections) without the footnote marks glued to their words."""
    lower = [_Mark(k, m.start(), m.end(), int(m.group())) for k, t in enumerate(texts)
             for m in _FOOTNOTE_MARK.finditer(t)]
    words = {w for t in texts for w in re.findall(r"\b\w+\b", _FOOTNOTE_MARK.sub("", t))}
    # "COVID19" where the document also writes "COVID-19" is a name with its number, not a mark.
    hyphenated = {m.group(0) for t in texts for m in re.finditer(r"\b[A-Z][\w-]*?-\d{1,2}\b", t)}
    # A note is marked once; the same name and number written twice ("EU27 … the EU27 average") is a name.
    seen = Counter(m.group(0) for t in texts for m in _GLUED_NUMBER.finditer(t))
    named = [(_Mark(k, m.start(2), m.end(2), int(m.group(2))), m.group(1) in words) for k, t in enumerate(texts)
             for m in _GLUED_NUMBER.finditer(t) if f"{m.group(1)}-{m.group(2)}" not in hyphenated
             and m.group(0) not in _NUMBERED_NAMES and seen[m.group(0)] == 1]
    lowered = set(lower)
    glued = [mark for mark, alone in named if alone and mark not in lowered]
    spaced = [_Mark(k, m.start(g), m.end(g), int(m.group(g))) for k, t in enumerate(texts)
              for m in _SPACED_NUMBER.finditer(t) if m.group(1) not in _NUMBERED for g in (2, 3) if m.group(g)]
    found = sorted(glued + spaced)  # in document order; the marks number upwards
    glued_set = set(glued)
    marks = _increasing([f.number for f in found])
    if len(marks) < MIN_SPACED_RUN:  # too few to tell a mark set apart from a number in the text
        marks = {i for i in marks if found[i] in glued_set}
    taken = sorted([found[i] for i in marks] + lower)
    # A name that never stands alone ("H2020", "ERDF") bears a mark only where the marks around it leave
    # a gap its number fills, with the numbers in order: "…Intelektas15", then "H202016 for Research or
    # ERDF17 funding", then "(ECCP) 18". "H2020" after note 19, with no note after it, keeps its digits.
    unsure = sorted(mark for mark, alone in named if not alone and texts[mark.part][mark.start - 1] != "-")
    places = [m[:2] for m in unsure]
    gaps: list[_Mark] = []
    for a, b in zip(taken, taken[1:], strict=False):
        between = unsure[bisect.bisect_right(places, a[:2]):bisect.bisect_left(places, b[:2])]
        inside = [m for m in between if a.number < m.number < b.number]
        if inside and [m.number for m in inside] == list(range(a.number + 1, b.number)):
            gaps += inside
    out = list(texts)
    for k, start, end, _ in sorted(taken + gaps, reverse=True):
        out[k] = out[k][:start] + out[k][end:]
    return out


def _increasing(numbers: list[int]) -> set[int]:
    """Indexes of a longest strictly increasing run (not necessarily contiguous) of `numbers`."""
    best: list[list[int]] = []  # best[i]: the longest increasing run that ends at i
    for i, n in enumerate(numbers):
        longest: list[int] = []
        for run in best:
            if numbers[run[-1]] < n and len(run) > len(longest):
                longest = run
        best.append([*longest, i])
    top: list[int] = []
    for run in best:
        top = run if len(run) > len(top) else top
    return set(top)


def _with_tables(page: Any) -> str | None:
    """The page's text with its tables read row by row (`loaders.tables`), or None: no table, or a page
    whose layout pypdf cannot read, which the plain extraction still reads."""
    try:
        layout = page.extract_text(extraction_mode="layout")
    except Exception as e:  # noqa: BLE001 - layout mode is an extra; any failure leaves the plain text
        log.debug("layout extraction failed on a page (%s: %s); reading it as plain text", type(e).__name__, e)
        return None
    return page_text(layout or "")


def _tidy_pdf_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)  # ligatures such as "ﬁ" become plain letters
    text = re.sub(r"(?<=[a-z])-\n(?=[a-z])", "", text)  # words hyphenated across line ends
    lines = [ln.rstrip() for ln in text.replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
