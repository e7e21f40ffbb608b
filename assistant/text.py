"""Sentence and list-item spans in raw (often PDF-extracted) text. Spans index the original string,
so any quote cut from them stands verbatim in the chunk."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

# A word: letters and digits, hyphenated compounds kept whole ("co-operation", "ES-lėšos"). The one
# word pattern of keyword terms, language detection and follow-up detection.
WORD = re.compile(r"\w[\w\-]*\w|\w", re.UNICODE)

# A list item's bullet or number opening a line: "• ", "- ", "1. ", "(a) ".
BULLET = re.compile(r"^\s*(?:[•\-\*–·▪◦●]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+", re.M)
# A citation marker, "[3]": the one pattern of answers, checks and metrics.
MARKER = re.compile(r"\[(\d{1,3})\]")
_SPACED_MARKER = re.compile(r"\s*\[\d{1,3}\]")
_SENT_END = re.compile(r"[.!?;:]['\"”’)]*$")
# A sentence boundary inside a line: end punctuation, space, then something that starts a sentence.
# A footnote number may stick to the full stop ("in 2017.1 The following ...").
_INLINE = re.compile(r"(?<=[.!?])['\"”’)]*(?:\d{1,2}(?=\s+[A-Z]))?\s+(?=[\"“(]?[A-Z0-9ĄČĘĖĮŠŲŪŽ])")
_NUMBER_MARK = re.compile(r"\s*\(?(?:\d{1,2}|[a-z])[.)]")  # "1." or "a)" opening a list item
_SENTENCE_OPENERS = frozenset({"The", "This", "These", "Those", "It", "Its", "In", "We", "Our", "As", "However",
                               "Moreover", "Therefore", "Thus"})
# "Step 3: Setting up the partnerships": a numbered heading, however long, is a line of its own.
_NUMBERED_HEADING = re.compile(r"^(?:Step|Phase|Stage|Part|Chapter|Section)\s+\d{1,2}\b")
# Words a line that wraps mid-sentence may end with ("… with the", "… like").
_GOES_ON_WORDS = frozenset({"the", "a", "an", "of", "and", "or", "in", "for", "to", "with", "by", "on", "at", "from",
                            "as", "like", "such", "between", "into", "than", "that", "which", "its", "their"})
_GOES_ON = re.compile(r"\b(?:e\.g|i\.e|cf|vs|incl|approx)\.$", re.I)
_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|Dr|Mr|Ms|No|cf|al|approx|incl)\.|\b[A-Z]\.)$")


def is_list_item(line: str) -> bool:
    return bool(BULLET.match(line))


def strip_markers(text: str) -> str:
    """The text without its [n] citation markers (and the space before each)."""
    return _SPACED_MARKER.sub("", text)


def reader_words(text: str) -> int:
    """Words as a reader counts them: [n] markers, bullets and list numbers are not words. The
    answer cap and the eval's word counts both use this."""
    return sum(1 for w in BULLET.sub("", strip_markers(text)).split() if any(ch.isalnum() for ch in w))


def is_heading(line: str) -> bool:
    """A short line without end punctuation that starts with a capital: "Weaknesses", "Step 2"."""
    words = line.split()
    return 0 < len(words) <= 4 and words[0][:1].isupper() and not _SENT_END.search(line) and not is_list_item(line)


def heads_list(line: str, next_line: str) -> bool:
    """Is `line` the heading of the list that `next_line` starts ("Weaknesses" then "• Lack of …")?"""
    return is_heading(line) and is_list_item(next_line.strip())


def _line_breaks_here(prev: str, nxt: str, after: str = "", block: str = "") -> bool:
    """Is the newline between two lines a unit boundary (not just PDF wrapping)? `after` is the
    line after `nxt` ("" at the end): a short line followed by a list item is that list's heading.
    `block` is the unit so far, of which `prev` is the last line."""
    p, n = prev.strip(), nxt.strip()
    if not p or not n:
        return True
    if block.count("(") > block.count(")") and ")" in BULLET.sub("", n).split("(")[0]:
        return False  # "(if there will be savings … Priority axis" / "1. Measures).": the bracket closes here
    if is_list_item(n) or n in {"•", "-", "–"}:
        return True
    if p == block.strip() and p.endswith(":") and len(p.split()) <= 3 and len(n.split()) <= 8 and n.endswith(".") \
            and any(ch.isdigit() for ch in n):
        return False  # a label and its value, a date or an amount: "Timeframe:" / "2020 – January 2023."
    if _GOES_ON.search(p) or p.count("(") > p.count(")"):  # "(i.e." or "(see webpage:": it goes on
        return False
    # A line that ends on a word such as "and", "of" or "the" stops mid-sentence, however short:
    # "Strengthening Research and Development and" / "Innovation; …" is no heading.
    if p.split()[-1].lower() in _GOES_ON_WORDS:
        return False
    if _SENT_END.search(p):
        return True
    if heads_list(n, after) or (is_heading(n) and not after.strip() and is_list_item(p)):
        # A list's heading, or one that ends the text right after a list; but after an item, a short
        # name ("Innovation Agency") is more likely the item's wrapped end than a heading.
        words = n.split()
        if not (is_list_item(p) and len(words) >= 2 and all(w[:1].isupper() for w in words)):
            return True
    # After a list item, a full line that opens like a sentence ("The above analyses…") is the prose
    # after the list, not the item wrapping on.
    if is_list_item(p) and len(n) >= 45 and n.split()[0] in _SENTENCE_OPENERS:
        return True
    # So is a heading of a dozen words or fewer ("Key economic and innovation indicators for the pilot
    # region" / "In 2017, Lithuania had…"): a wrapped sentence does not break after a full word and go
    # on with "In" or "The".
    if len(n) >= 45 and n.split()[0] in _SENTENCE_OPENERS and len(p.split()) <= 12 and \
            not p.endswith(("-", ",")) and p.split()[-1].lower() not in _GOES_ON_WORDS:
        return True
    if _NUMBERED_HEADING.match(p) and len(p.split()) <= 10:
        return True
    # Short lines without end punctuation are headings, table cells or list items.
    return len(p) < 45 and not p.endswith(("-", ",")) and n[:1].isupper()


def unit_spans(text: str) -> list[tuple[int, int]]:
    """Spans of sentences and list items, in order, covering every non-space character."""
    lines: list[tuple[int, int]] = []
    pos = 0
    for raw in text.split("\n"):
        lines.append((pos, pos + len(raw)))
        pos += len(raw) + 1
    # Group wrapped lines into blocks.
    blocks: list[tuple[int, int]] = []
    start: int | None = None
    prev_line, prev_end = "", 0
    for i, (s, e) in enumerate(lines):
        line = text[s:e]
        if not line.strip():
            if start is not None:
                blocks.append((start, prev_end))
                start = None
            continue
        after = text[slice(*lines[i + 1])] if i + 1 < len(lines) else ""
        if start is not None and _line_breaks_here(prev_line, line, after, text[start:prev_end]):
            blocks.append((start, prev_end))
            start = None
        if start is None:
            start = s
        prev_line, prev_end = line, e
    if start is not None:
        blocks.append((start, prev_end))
    # Split blocks at sentence ends.
    spans: list[tuple[int, int]] = []
    for bs, be in blocks:
        cur = bs
        for m in _INLINE.finditer(text, bs, be):
            before = text[cur:m.start()]
            if _ABBREV.search(text[max(cur, m.start() - 8):m.start()]) or _NUMBER_MARK.fullmatch(before):
                continue  # "e.g. Foo", or the "1." of a numbered item: not a sentence end
            rest = text[m.end():be]
            if before.count("(") > before.count(")") and rest.count(")") > rest.count("("):
                continue  # inside brackets that close further on: "(… Priority axis 1. Measures)."
            spans.append(_strip(text, cur, m.start()))
            cur = m.end()
        spans.append(_strip(text, cur, be))
    return [(s, e) for s, e in spans if e > s]


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def squash(text: str) -> str:
    """Whitespace folded to single spaces: how quotes are shown and compared."""
    return " ".join(text.split())


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary (when one is near) and marked with "…"."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[:cut if cut > limit * 0.6 else limit - 1].rstrip(" ,;:") + "…"


def safe_url(url: str) -> str:
    """A URL without any user:password part, query or fragment, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
