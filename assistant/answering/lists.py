"""Lists within a chunk's units: which unit opens one (an intro ending in ":", or a heading above
items), which items follow it, and which intro an item belongs to."""

from __future__ import annotations

import re

from langchain_core.documents import Document

from ..text import heads_list, is_list_item
from .units import Candidate, is_caption, is_noise, places

# "There would be four steps in the competition." then "1. Step 1: …" … "4. Step 4: …": a sentence that
# counts the items after it introduces them, full stop or not. What it counts must be things a list names
# ("steps", "priorities"), not years or clusters: "The programme ran for 3 years." introduces nothing.
_NUMBERS = {w: n for n, w in enumerate(("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"), 2)}
_ITEMS = ("steps|stages|phases|levels|priorities|objectives|goals|aims|areas|actions|measures|criteria|types|"
          "pillars|dimensions|elements|ways|principles|tasks|points|lines|directions|groups|categories|components|"
          "recommendations|challenges|topics|fields|activities|questions|options|lessons|factors|conditions|"
          "requirements|instruments|tools|services|benefits|risks|strengths|weaknesses|opportunities|threats|parts")
_COUNT = re.compile(rf"(?<![/\d.,])\b({'|'.join(_NUMBERS)}|\d{{1,2}})\s+(?:(?!of\b)[\w-]+\s+)?(?:{_ITEMS})\b", re.I)


def is_intro(lst: list[Candidate], i: int) -> bool:
    """Does unit i open a list: "The main figures are:", a heading ("Weaknesses") above list items, or a
    sentence that counts the items after it ("There would be four steps…")?"""
    text = lst[i].text
    if is_caption(text):  # "Source: EOCIC" above a list is a caption, not its heading
        return False
    if text.endswith(":"):
        return True
    if i + 1 >= len(lst):
        return False
    return heads_list(text, lst[i + 1].text) or counts_items(lst, i)


def counts_items(lst: list[Candidate], i: int) -> bool:
    """Does prose unit i name the number of list items that follow it (all of them, or as many as the
    chunk holds before it ends)?"""
    if is_list_item(lst[i].text):
        return False
    following = 0
    while i + 1 + following < len(lst) and is_list_item(lst[i + 1 + following].text):
        following += 1
    if not following:
        return False
    runs_to_end = i + 1 + following == len(lst)
    for m in _COUNT.finditer(lst[i].text):
        word = m.group(1).lower()
        n = int(word) if word.isdigit() else _NUMBERS[word]
        if following == n or (runs_to_end and following < n):
            return True
    return False


def in_list(c: Candidate) -> bool:
    """Can this unit belong to a list (an item, or a short line such as a wrapped item)?"""
    return is_list_item(c.text) or c.words <= 15


def intro_of(lst: list[Candidate], i: int) -> Candidate | None:
    """The intro of the list that item i belongs to, if the chunk holds it (past any caption)."""
    j = i - 1
    while j >= 0 and (is_list_item(lst[j].text) or (is_noise(lst[j].text) and not is_intro(lst, j))):
        j -= 1
    return lst[j] if j >= 0 and is_intro(lst, j) else None


def items_of(lst: list[Candidate], i: int) -> list[Candidate]:
    """The items of the list that unit i opens, in this chunk: up to the prose after it, or the next
    list (a list that opens with a list, "Stakeholders:" then "Policy makers:", holds both)."""
    items: list[Candidate] = []
    nested = False
    for item in lst[i + 1:]:
        intro = is_intro(lst, item.index)
        if is_noise(item.text) and not intro:
            continue  # a caption or a footer inside the list is no item
        nested = nested or (intro and not items)
        if not in_list(item) or (intro and items and not nested):
            break
        items.append(item)
    return items


def list_end(lst: list[Candidate], i: int) -> int:
    """Where the list that unit i opens ends: at prose, or at the next list's intro."""
    j = i + 1
    while j < len(lst) and (in_list(lst[j]) or is_noise(lst[j].text)) and not is_intro(lst, j):
        j += 1
    return j


class Layout:
    """Where the retrieved chunks' units sit in their documents, for lists that a chunk boundary cut:
    the items a chunk opens with belong to the intro at the end of the chunk before it."""

    def __init__(self, docs: list[Document], by_chunk: dict[str, list[Candidate]]) -> None:
        self.by_chunk = by_chunk
        self.place = places(docs)
        self._text = {d.metadata["id"]: d.page_content for d in docs}
        self._where = {d.metadata["id"]: (d.metadata.get("section"), d.metadata.get("page")) for d in docs}
        at = {self.place[cid]: cid for cid in by_chunk}
        before = {cid: at.get((self.place[cid][0], self.place[cid][1] - 1)) for cid in by_chunk}
        self.chunk_before = {cid: b for cid, b in before.items() if b is not None and self._goes_on(b, cid)}

    def _goes_on(self, before: str, after: str) -> bool:
        """Does chunk `after` continue chunk `before` in one section (on the same or the next page)?"""
        (s1, p1), (s2, p2) = self._where[before], self._where[after]
        return s1 == s2 and (p1 is None or p2 is None or 0 <= int(p2) - int(p1) <= 1)

    def adjacent(self, a: str, b: str) -> bool:
        """Are two chunks the same or neighbours in one document (so that they overlap)?"""
        return self.place[a][0] == self.place[b][0] and abs(self.place[a][1] - self.place[b][1]) <= 1

    def on_the_line_before(self, lst: list[Candidate], i: int) -> bool:
        """Is unit i an item's second sentence, on the item's line (not a line of its own)?"""
        text, start = self._text[lst[i].chunk_id], lst[i].start
        return i > 0 and is_list_item(lst[i - 1].text) and "\n" not in text[start - 1:start]

    def leading_run(self, lst: list[Candidate]) -> int:
        """How many units a chunk opens with that are list items (or their second sentences)."""
        n = 0
        while n < len(lst) and (is_list_item(lst[n].text) or is_noise(lst[n].text) or self.on_the_line_before(lst, n)):
            n += 1
        return n

    def intro_for(self, c: Candidate) -> Candidate | None:
        """The intro of the list an item belongs to: in its chunk, or, for the items a chunk opens with,
        at the end of the chunk before it in the same section (a list cut by a chunk boundary)."""
        lst = self.by_chunk[c.chunk_id]
        own = intro_of(lst, c.index)
        if own is not None or not is_list_item(c.text) or c.chunk_id not in self.chunk_before \
                or c.index >= self.leading_run(lst):
            return own
        before = self.by_chunk[self.chunk_before[c.chunk_id]]
        j = len(before) - 1  # back over the items (and their second sentences) the chunk before ends with
        while j >= 0 and (is_list_item(before[j].text) or is_noise(before[j].text) or
                          self.on_the_line_before(before, j)) and not is_intro(before, j):
            j -= 1
        return before[j] if j >= 0 and is_intro(before, j) else None

    def list_of(self, u: Candidate) -> tuple[str, int] | None:
        """Which list a unit belongs to (the chunk and place of its start), if it is in one."""
        lst = self.by_chunk[u.chunk_id]
        if is_intro(lst, u.index):
            return u.chunk_id, u.index
        if not is_list_item(u.text):
            return None
        intro = self.intro_for(u)
        if intro is not None and intro.chunk_id != u.chunk_id:
            return intro.chunk_id, intro.index
        i = u.index
        while i > 0 and (is_list_item(lst[i - 1].text) or is_noise(lst[i - 1].text)) and not is_intro(lst, i - 1):
            i -= 1
        return u.chunk_id, i - 1 if i > 0 and is_intro(lst, i - 1) else i
