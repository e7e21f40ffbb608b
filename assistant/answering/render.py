"""An extractive answer as the reader sees it: prose runs on in a paragraph, a list has a line per
item under its intro, and every unit carries the [n] of its page or section, whose citation quotes the
best unit taken from there. `shown_sentences` reads such an answer back, for chat follow-ups."""

from __future__ import annotations

import re

from langchain_core.documents import Document

from ..schema import Citation
from ..text import BULLET, MARKER, is_heading, is_list_item, strip_markers
from .lists import intro_of, is_intro
from .units import VERB, Candidate, reads_as_sentence


def render(groups: list[list[Candidate]], by_chunk: dict[str, list[Candidate]],
            docs: list[Document], alone: set[int] | None = None) -> tuple[str, list[Citation]]:
    """The answer text with [n] markers, and its citations: one per passage of a page or section.
    A list item in `alone` (by id) shows as a sentence of its own, without its bullet."""
    doc_by_id = {d.metadata["id"]: d for d in docs}
    picked = [c for g in groups for c in g]

    def position(cid: str) -> int:
        return int(doc_by_id[cid].metadata.get("chunk_index", 0))

    def section_of(cid: str) -> tuple[str, str, str]:
        m = doc_by_id[cid].metadata
        return str(m.get("doc_id")), str(m.get("page")), str(m.get("section"))

    # Neighbouring chunks of one section overlap: one passage, one citation. Chunks further apart
    # keep their own, so that every cited sentence stays near its quote.
    # A PDF page is small enough to be one source.
    passage: dict[str, int] = {}
    for cid in sorted({c.chunk_id for c in picked}, key=lambda cid: (section_of(cid), position(cid))):
        paged = doc_by_id[cid].metadata.get("page") is not None
        before = [p for p in passage if section_of(p) == section_of(cid)
                  and (paged or position(cid) - position(p) == 1)]
        passage[cid] = passage[before[-1]] if before else len(passage)

    def place(c: Candidate) -> tuple[str, str, str, int]:
        """Where a reader finds the unit: the page or section, and the passage in it."""
        return (*section_of(c.chunk_id), passage[c.chunk_id])

    # Each place's quote: the best unit taken from it that says something (not a list's intro).
    quote: dict[tuple[str, str, str, int], Candidate] = {}
    for c in sorted(picked, key=lambda c: (is_intro(by_chunk[c.chunk_id], c.index), -c.score)):
        quote.setdefault(place(c), c)
    numbers: dict[tuple[str, str, str, int], int] = {}
    citations: list[Citation] = []

    said: list[Candidate] = []  # the units in the order the reader meets them

    def cited(c: Candidate) -> str:
        where = place(c)
        if where not in numbers:
            numbers[where] = len(numbers) + 1
            q = quote[where]
            citations.append(citation_for(numbers[where], doc_by_id[q.chunk_id], q.text))
        # A "[12]" in the source (a reference number) must not read as one of our markers; for "(figure 2)" and
        # "(see webpage: …)", see _FIGURE_REFERENCE.
        text = _FIGURE_REFERENCE.sub("", MARKER.sub(r"(\1)", c.text))
        if not (said and said[-1].chunk_id == c.chunk_id and said[-1].index == c.index - 1):
            text = unlinked(text)  # "Moreover, …" after a sentence it does not go on from
        said.append(c)
        return f"{text} [{numbers[where]}]"

    lines: list[str] = []  # prose runs on in one paragraph; a list has a line per item
    prose = False
    for group in groups:
        if id(group[0]) in (alone or set()) or _reads_alone(group):
            item = group[0]
            text = BULLET.sub("", cited(item))
            # "to enhance the cross-cluster… collaboration" opens no sentence: it reads on from its intro
            # ("The specific objectives are: to enhance…").
            intro = intro_of(by_chunk[item.chunk_id], item.index)
            if text[:1].islower() and intro is not None and intro not in picked:
                lead_in = MARKER.sub(r"(\1)", intro.text).rstrip(" .;")  # "…four steps." or "Threats"
                text = lead_in + (" " if lead_in.endswith(":") else ": ") + text  # one chunk: its [n] cites both
            lines.append(text)
            prose = True
            continue
        if len(group) > 1 and any(is_list_item(c.text) for c in group) or is_list_item(group[0].text):
            head, items = (group[0], group[1:]) if not is_list_item(group[0].text) else (None, group)
            if head is not None:
                text = cited(head)
                if is_heading(head.text) and not head.text.endswith(":"):  # "Weaknesses" heads its items
                    text = text.replace(" [", ": [", 1)
                lines.append(text)
            shown = [cited(c) for c in items]
            item_numbers = [_ITEM_NUMBER.match(c.text) for c in items]
            counted = [int(m[1]) if m else None for m in item_numbers]
            if any(item_numbers) and not (_counts_up(counted) and (head is not None or counted[0] == 1)):
                # The source's numbers out of order ("3. To pilot" after "4."), or alone without the list
                # they count ("7. Costs"), would misread as a sequence: they show as bullets.
                shown = [_ITEM_NUMBER.sub("• ", line, count=1) for line in shown]
            lines += shown
            prose = False
        else:
            text = " ".join(cited(c) for c in group)
            if prose:
                lines[-1] += " " + text
            else:
                lines.append(text)
            prose = True
    return "\n".join(lines), citations


def _reads_alone(group: list[Candidate]) -> bool:
    """A single list item shown without its intro, which reads as a sentence ("• The fields with the largest
    number of clusters are ICT…"): as a bullet it would hang under the line before it, from another list."""
    item = group[0].text
    return len(group) == 1 and is_list_item(item) and reads_as_sentence(item) and not BULLET.sub("", item)[:1].islower()


# A link to the sentence before, which the answer may not show: "Moreover, it was decided…", "Therefore SMEs…".
# A phrase of several words is a link only with its comma: "As a result of this initiative…" is no link.
_LINK = re.compile(r"^(?:(?:Moreover|Furthermore|Therefore|However|Thus|Hence|Additionally|Also|Besides|Nevertheless|"
                   r"Consequently),?|(?:In addition|As a result|On the other hand|By contrast|In contrast),)"
                   r"\s+(?=[A-Za-z])")


# A paragraph's run-in heading ("Investment in cluster capabilities: Moreover, building up…"): a few words
# and no verb before the colon. The link word after it links to the paragraph before, as at a sentence's start.
_RUN_IN = re.compile(r"^[A-Z][^:.;!?]{2,60}:\s+")
RUN_IN_WORDS = 6


def unlinked(text: str) -> str:
    """The sentence without a link word at its start ("Moreover, it was decided" -> "It was decided"), or
    right after its run-in heading."""
    head = ""
    if not _LINK.match(text) and (m := _RUN_IN.match(text)) and len(m.group(0).split()) <= RUN_IN_WORDS \
            and not VERB.search(m.group(0)):
        head = m.group(0)
    body = text[len(head):]
    rest = _LINK.sub("", body, count=1)
    return text if rest == body else head + rest[:1].upper() + rest[1:]


# "(figure 2)" points to a figure the reader cannot see; "(see webpage: http://…)" sends the reader away from the
# answer (a link that is what was asked for, "registered at www.klaster.lt", is no "see" aside and stays).
_FIGURE_REFERENCE = re.compile(r"\s*\((?:(?:see\s+)?(?:fig(?:ure)?\.?|table|chart)\s*\d{1,2}(?:\.\d{1,2})?|"
                               r"see\b[^()]{0,40}?(?:https?://|www\.)[^\s()]+)\)", re.I)
_ITEM_NUMBER = re.compile(r"^\s*\(?(\d{1,2})[.)]\s+")


def _counts_up(numbers: list[int | None]) -> bool:
    """Are a list's shown items all numbered, their numbers rising ("2. … 3. …" of four steps is)?"""
    known = [n for n in numbers if n is not None]
    return len(known) == len(numbers) and all(a < b for a, b in zip(known, known[1:], strict=False))


def shown_sentences(answer: str) -> frozenset[str]:
    """The units an answer showed, as `compose(shown=…)` compares them: markers and bullets gone,
    lower case, white space folded."""
    lines = [strip_markers(line) for line in answer.splitlines()]
    return frozenset(folded(part) for line in lines for part in _SENTENCE_BREAK.split(line) if part.strip())


def folded(text: str) -> str:
    return " ".join(BULLET.sub("", text).lower().split())


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[\"“(]?[A-Z0-9])")


def citation_for(n: int, doc: Document, quote: str) -> Citation:
    m = doc.metadata
    page = m.get("page")
    return Citation(n=n, doc_id=str(m.get("doc_id", "")), title=str(m.get("title", "")),
                    source=str(m.get("source", "")), page=int(page) if page is not None else None,
                    section=str(m.get("section", "")), quote=quote, chunk_id=str(m.get("id", "")))
