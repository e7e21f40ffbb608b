"""The offline answerer: no model, no network. `compose` reads top to bottom:

1. Every sentence or list item ("unit") of the retrieved chunks (`units.py`) is scored for how well it
   answers the question (`scoring.py`).
2. The lead is, of the LEAD_POOL best units, the one that answers best on its own (for a list
   question, a list that is asked for).
3. The support follows, most relevant first, skipping near-duplicates (by their words), until the word
   budget (`asking.budget_for`) or the relevance floor (RELEVANCE_MARGIN below the lead) stops it. A
   unit that points back ("Such projects…") brings the unit before it, or, when that one repeats a unit
   taken from another passage, follows that unit. For list questions a list intro brings its items
   along; otherwise a list item taken brings only its intro.
4. `render.py` prints them chunk by chunk, each list item under its list's intro, and cites each unit's
   page or section with `[n]`."""

from __future__ import annotations

import re

from langchain_core.documents import Document

from ..keywords import terms
from ..schema import Citation
from ..store import Unit
from ..text import BULLET, is_heading, is_list_item, reader_words
from ..word_vectors import WordVectors
from .asking import Clues, asks_for, asks_for_list, budget_for
from .lists import Layout, is_intro, items_of
from .render import folded, render
from .scoring import score
from .units import Candidate, before, candidates, is_fragment, is_noise, reads_as_sentence, repeats, says_again

# A unit that opens by pointing back ("Such small successful achievements will help…", "These
# projects…", "This is especially important…", "This initiative looked at…") is read with the unit before
# it, which says what it points to. Not a document speaking of itself ("This briefing is based on…"), nor a
# time or a manner ("This year…", "These days…", "This way…").
_REFERS_BACK = re.compile(r"^(?:Such|These|Those|They|Their|It|Its|Both|This|The same)\b")
_POINTS_NOWHERE = re.compile(r"^(?:This|These) (?:document|briefing|report|paper|study|publication|chapter|section|"
                             r"year|week|month|time|way|days)\b")
# The openers that name what they point to ("These factors", "This approach", "Such projects"): right after a
# list they point to its items, which an answer does not show with them; after another passage they would name
# the wrong thing. "Their cooperation takes many forms…" reads alone.
_DEMONSTRATIVE = re.compile(r"^(?:Such|These|Those|This)\b")
# "This initiative…" names what it points to: its first word that is not a modifier ("These two programmes").
_NAMED = re.compile(r"^(?:This|These|Those)((?:\s+[a-z][a-z-]*){1,3})")
_MODIFIERS = frozenset({"new", "same", "other", "first", "second", "third", "last", "next", "main", "key", "two",
                        "three", "four", "five", "several", "many", "few", "whole", "overall", "entire", "specific",
                        "particular", "current", "previous", "further"})
_VERBS = frozenset({"is", "was", "are", "were", "has", "had", "have", "will", "would", "could", "can", "may", "might",
                    "must", "should", "means", "shows", "helps", "include", "includes", "also", "not"})  # no noun
LOOK_BACK = 3  # sentences: how far back what "This initiative…" names may be


def points_back(text: str) -> bool:
    """Does the unit open by pointing back to what was said before it ("Such…", "It…", "This initiative…")?"""
    return bool(_REFERS_BACK.match(text)) and not _POINTS_NOWHERE.match(text)


def named_back(text: str) -> str | None:
    """The term of the thing a "This initiative…" sentence names, if it names one."""
    m = _NAMED.match(text)
    for word in m.group(1).split() if m else []:
        if word in _VERBS:
            return None
        if word not in _MODIFIERS:
            found = terms(word)
            return found[0] if found else None
    return None


# A timetable's row: a label and its date or period ("Appointment of coordinator: Autumn 2020.", "Award of
# partnerships: End of 2019."). It answers when something happens, and nothing else.
# Its value holds nothing but dates: "Result: 2019 was a record year." is a sentence.
_WHEN = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|early|mid|late|"
         r"end|beginning|start|autumn|spring|summer|winter|fall|q[1-4]|of|to|until|from)")
_DATED_ROW = re.compile(rf"^[^:.;]{{3,80}}:\s*(?:{_WHEN}\b\s*)*(?:19|20)\d\d\b[\s\d,–\-/]*"
                        rf"(?:{_WHEN}\b[\s\d,–\-/]*)*\.?$", re.I)
# Below the lead's score by more than this, a unit is not worth a reader's time: the answer stops.
RELEVANCE_MARGIN = 0.35
LEAD_POOL = 8
BARE_INTRO = 6  # words: a list's intro this short names the list, and adds nothing to an item that is a sentence
SHORT_ITEM = 6  # words: a shorter list item is a name or a phrase, which answers only as part of its list

Group = list[Candidate]  # what shows together: a sentence (or two), or a list under its intro


def compose(question: str, query_vector: list[float], docs: list[Document], units: list[Unit],
            word_budget: int, shown: frozenset[str] = frozenset(),
            word_vectors: WordVectors | None = None, clues: Clues | None = None) -> tuple[str, list[Citation]]:
    """Build the answer text with [n] markers, and its citations.

    Units in `shown` (see `render.shown_sentences`) are not used. `word_vectors`: the corpus's, so that
    a unit that words a question term otherwise matches it. `clues` (`asking.Clues`):
    - `subjects`: for each programme or body the question names, the documents that mention it
      (`KeywordIndex.subjects`); units of other documents count less;
    - `parts`: for a question that asks several things ("Who runs InoLink and what does it cost?",
      `asking.question_parts`), each part and its vector; the answer opens with the unit that answers each
      part best, in their order;
    - `focus`: the terms that pick out what it asks about (not "cluster", which most chunks hold); a list
      item that holds none of them, itself or in other words, is not shown in answer to a question that
      does not ask for a list;
    - `defined`: what a "What is X?" question asks about; a unit that says what it is counts more."""
    clues = clues or Clues()
    firsts = []
    for text, vector in clues.parts:
        best = Composer(text, vector, docs, units, word_budget, shown, word_vectors, clues).best()
        if best is not None:
            firsts.append((best.chunk_id, best.index))
    return Composer(question, query_vector, docs, units, word_budget, shown, word_vectors, clues).answer(firsts)


class Composer:
    """One answer in the making: the scored candidates, and the groups taken so far."""

    def __init__(self, question: str, query_vector: list[float], docs: list[Document], units: list[Unit],
                 word_budget: int, shown: frozenset[str], word_vectors: WordVectors | None, clues: Clues) -> None:
        self.docs = docs
        self.shown = shown
        self.shown_terms = [frozenset(terms(s)) for s in shown]
        self.budget = budget_for(question, word_budget)
        self.by_chunk = candidates(docs, units)
        self.layout = Layout(docs, self.by_chunk)
        score(question, query_vector, self.by_chunk, word_vectors, clues, self.layout.chunk_before)
        self.wants_list = asks_for_list(question)
        self.wants_figure, self.wants_names = asks_for(question)
        # A question that names one of the lists under bare headings ("the weak points": "Weaknesses")
        # is not answered with the lists under the other headings of that document ("Opportunities", "Threats").
        self.named_in = {self.layout.place[c.chunk_id][0] for lst in self.by_chunk.values() for c in lst if c.named}
        self.groups: list[Group] = []
        self.picked: list[Candidate] = []
        self.words = 0
        self.alone: set[int] = set()  # (ids of) a list item that leads an answer to a question not asking for a list

    def ranked(self) -> list[Candidate]:
        return sorted((c for lst in self.by_chunk.values() for c in lst if self.usable(c)), key=lambda c: -c.score)

    def best(self) -> Candidate | None:
        """The unit that would lead the answer."""
        return self.lead(self.ranked())

    def answer(self, firsts: list[tuple[str, int]] | None = None) -> tuple[str, list[Citation]]:
        """`firsts`: units (chunk id, index) that open the answer in this order, one for each part of a
        question that asks several things; otherwise the answer opens with its lead."""
        ranked = self.ranked()
        lead = self.lead(ranked)
        if lead is None:
            return "", []
        floor = lead.score - RELEVANCE_MARGIN
        at = {(c.chunk_id, c.index): c for c in ranked}
        opening = [at[k] for k in dict.fromkeys(firsts or []) if k in at] or [lead]
        for c in opening + [c for c in ranked if not any(c is o for o in opening)]:
            first = any(c is o for o in opening)
            if not first and (c.score < floor or self.words >= self.budget):
                break
            if c in self.picked or self.repeated(c) or not (first or self.on_focus(c)):
                continue
            new = self.taking(c, first, floor)
            if new is not None and (new := self.fitted(new, self.opens_list(c))):
                self.add(new)
        self.fill_holes()
        return render(self.joined(), self.by_chunk, self.docs, self.alone)

    def usable(self, c: Candidate) -> bool:
        lst = self.by_chunk[c.chunk_id]
        if self.shown and not is_intro(lst, c.index) and (folded(c.text) in self.shown or self.read_before(c)):
            return False  # a chat follow-up does not repeat what the reader has just read
        if c.named is False and self.layout.place[c.chunk_id][0] in self.named_in:
            return False
        if _DATED_ROW.match(BULLET.sub("", c.text)) and not self.wants_figure:
            return False
        if c.text.endswith("?") and not is_list_item(c.text):
            return False  # a question the source asks ("Does the outcome have market potential?") answers none
        return c.score > 0 and not is_fragment(c.text) and not (is_heading(c.text) and not is_intro(lst, c.index))

    def read_before(self, c: Candidate) -> bool:
        """Did an earlier answer in the chat say what `c` says, in other words or from another document
        ("The Science, Innovation and Technology Agency (MITA) is responsible for cluster facilitation…")?
        The same test as `units.repeats`."""
        return any(says_again(c.terms, seen) for seen in self.shown_terms)

    def lead(self, ranked: list[Candidate]) -> Candidate | None:
        """Of the best few, the one that answers on its own. It is prose, unless a list is what was asked
        for; the list the question names is the answer, before any sentence about it; for a count, the unit
        that gives it."""
        leads = [c for c in ranked if self.wants_list or self.can_lead(c)] or ranked
        if self.named_in:
            leads = [c for c in leads if c.named] or leads
        leads = [c for c in leads if self.on_focus(c)] or leads
        # "How many clusters…?": the unit that gives the count leads ("Around 50 clusters operate…").
        leads = leads[:LEAD_POOL]
        leads = [c for c in leads if c.features["counts"]] or leads
        return max(leads, key=lambda c: c.own) if leads else None

    def on_focus(self, c: Candidate) -> bool:
        """May the unit be shown, as far as the question's focus goes? A list item shown in answer to a
        question that does not ask for a list must hold what the question is about: "• Around 50 clusters
        operate in Lithuania" shares words with "Who runs cluster facilitation in LT?", but neither "runs"
        nor "facilitation". (Asking the same of every sentence cost paraphrased questions: docs/evaluation.md.)"""
        return self.wants_list or not is_list_item(c.text) or c.features["focus"] > 0

    def antecedent(self, c: Candidate) -> Candidate | None:
        """The sentence before one that points back ("Such projects…"), when a reader can be shown it."""
        prev = before(c, self.by_chunk, self.layout.chunk_before) if points_back(c.text) else None
        prev = self.naming(c, prev) or prev
        return prev if prev is not None and self.showable(prev) else None

    def naming(self, c: Candidate, prev: Candidate | None) -> Candidate | None:
        """For a sentence that names what it points to, the sentence a few back that names it: "Project InoLink
        is a good practice for … various initiatives." / "Cluster collaboration is an effective way…" / "This
        initiative looked at every stage…". None when the sentence right before is shown already (a reader
        takes it to point there) or none names it ("These levels…" right after the levels are listed)."""
        noun = named_back(c.text)
        back = None if noun is None or prev in self.picked else prev
        for _ in range(LOOK_BACK):
            if back is None or not self.showable(back):
                return None
            if noun in back.terms:
                return back
            back = before(back, self.by_chunk, self.layout.chunk_before)
        return None

    def showable(self, u: Candidate) -> bool:
        """Can `u` be shown as a sentence of its own (no heading, fragment, list item or list intro)?"""
        return not (is_noise(u.text) or is_fragment(u.text) or is_list_item(u.text) or self.opens_list(u))

    def follows_list(self, c: Candidate) -> bool:
        """Is the unit a reader reads just before `c` a list's item or intro?"""
        prev = before(c, self.by_chunk, self.layout.chunk_before)
        return prev is not None and (is_list_item(prev.text) or self.opens_list(prev))

    def can_lead(self, c: Candidate) -> bool:
        """Prose, or a bullet that is a sentence ("• Around 50 clusters operate…")."""
        if self.opens_list(c):
            return False
        if points_back(c.text) and self.antecedent(c) is None:
            return False  # "It shows Lithuania's good position…" after a figure: "it" is nothing here
        return not is_list_item(c.text) or reads_as_sentence(c.text)

    def shown_as(self, u: Candidate) -> Candidate | None:
        """The unit taken already that says what `u` says, if any."""
        return next((p for p in self.picked if u.text.lower() == p.text.lower() or
                     (not is_list_item(u.text) and repeats(u, p))), None)

    def repeated(self, c: Candidate) -> bool:
        return self.shown_as(c) is not None

    def group_of(self, key: tuple[str, int] | None) -> Group | None:
        """The list group shown already that `key` (`Layout.list_of`) names."""
        return next((g for g in self.groups if key is not None and id(g[0]) not in self.alone
                     and self.layout.list_of(g[0]) == key), None)

    def taking(self, c: Candidate, leads: bool, floor: float) -> Group | None:
        """What taking `c` shows: `c` with what a reader needs to read it (its list's intro, the sentence it
        points back to), or a list with its items; None when `c` adds nothing."""
        lst = self.by_chunk[c.chunk_id]
        if self.opens_list(c):
            if not self.wants_list:
                return None  # a list's intro alone answers nothing; an item taken brings it
            new = [c] + [i for i in items_of(lst, c.index) if i.score >= floor and not self.repeated(i)]
            return new if len(new) > 1 else None  # "…outlined in the figure below:" introduces nothing here
        if is_list_item(c.text):
            return self.taking_item(c, leads, floor)
        before = self.antecedent(c)
        if before is None:
            if points_back(c.text) and _DEMONSTRATIVE.match(c.text) and self.follows_list(c):
                return None  # "These factors have to be…" right after a list whose items are the factors
            return [c]
        # What it points to may be shown already, maybe in other words ("MITA is responsible for…" from another
        # document): it follows that sentence, not the end of the answer, and does not repeat it.
        shown = before if before in self.picked else self.shown_as(before)
        prose = None if shown is None else next(
            (g for g in self.groups if shown in g and not any(is_list_item(u.text) for u in g)), None)
        if prose is None or shown is None:
            return [c] if before in self.picked else [before, c]  # "Such small successes…" needs what it refers to
        if self.words + reader_words(c.text) <= self.budget:
            prose.insert(prose.index(shown) + 1, c)
            self.picked.append(c)
            self.words += reader_words(c.text)
        return None

    def taking_item(self, c: Candidate, leads: bool, floor: float) -> Group | None:
        """A list item: under its list's intro; the whole list when it leads a list question; alone, as a
        sentence, when it leads another question."""
        if leads and not self.wants_list and self.can_lead(c):
            self.alone.add(id(c))
            return [c]
        if self.picked and not (self.wants_list or self.wants_names) and reader_words(c.text) < SHORT_ITEM \
                and self.group_of(self.layout.list_of(c)) is None \
                and not (self.wants_figure and c.features.get("number_match")):
            return None  # "• NGOs, social partners;" alone, under its intro, adds nothing to an answer
        intro = self.layout.intro_for(c)
        if intro is None:  # without its list's intro, an item that is no sentence answers only a list question
            return [c] if self.can_lead(c) or self.wants_list or self.wants_names else None
        if not (leads and self.wants_list):
            if intro not in self.picked and not (self.wants_list or self.wants_names) and self.can_lead(c) \
                    and not BULLET.sub("", c.text)[:1].islower() and len(intro.text.split()) <= BARE_INTRO:
                if any(repeats(c, p) for p in self.picked):
                    return None  # as a sentence of its own, it must add to what was said
                self.alone.add(id(c))  # "The main figures of Lithuanian clusters:" adds nothing to a sentence
                return [c]
            return [c] if intro in self.picked else [intro, c]
        # The list that answers comes whole, and, when a chunk boundary cut it, goes on in the items
        # that c's chunk opens with.
        rest = [i for i in items_of(self.by_chunk[intro.chunk_id], intro.index)
                if i is c or (i.score >= floor and not self.repeated(i))]
        if intro.chunk_id != c.chunk_id:
            lst = self.by_chunk[c.chunk_id]
            rest += [i for i in lst[:self.layout.leading_run(lst)] if is_list_item(i.text) and not self.repeated(i)]
        return [intro] + [i for k, i in enumerate(rest) if all(j.text != i.text for j in rest[:k])]

    def opens_list(self, c: Candidate) -> bool:
        return is_intro(self.by_chunk[c.chunk_id], c.index)

    def fitted(self, new: Group, opens_list: bool) -> Group | None:
        """`new` if it fits the word budget (the lead always does); of a list taken by its intro that does
        not, the intro with as many of its best items as fit."""
        if not self.picked or self.words + sum(reader_words(u.text) for u in new) <= self.budget:
            return new
        if not opens_list:
            return None
        head = new[0]
        room = self.budget - self.words - reader_words(head.text)
        kept = []
        for item in sorted(new[1:], key=lambda i: -i.score):
            if reader_words(item.text) <= room:
                kept.append(item)
                room -= reader_words(item.text)
        return [head] + sorted(kept, key=lambda i: i.index) if kept else None

    def add(self, new: Group) -> None:
        key = self.layout.list_of(new[0])
        existing = self.group_of(key)
        if existing is None and key is not None:
            # An item that led alone and opens in lower case ("to enhance the cross-cluster…") goes back
            # under its list when another item of it is taken: one list, not a fragment and then its intro.
            existing = next((g for g in self.groups if id(g[0]) in self.alone and self.layout.list_of(g[0]) == key
                             and BULLET.sub("", g[0].text)[:1].islower()), None)
            if existing is not None:
                self.alone.discard(id(existing[0]))
        passage = None if existing is not None or any(is_list_item(u.text) for u in new) \
            else self.passage_before(new[0])
        if passage is not None:
            passage.extend(new)  # the passage reads on, not after what came in between
        elif existing is not None:  # another item of a list already shown joins it, in document order
            existing.extend(u for u in new if u not in existing)
            existing.sort(key=lambda u: (self.layout.place[u.chunk_id][1], u.index))
        else:
            self.groups.append(new)
        self.picked += [u for u in new if u not in self.picked]
        self.words += sum(reader_words(u.text) for u in new)

    def passage_before(self, c: Candidate) -> Group | None:
        """The prose group that ends with the sentence a reader reads just before `c`, when a list was
        shown after it: `c` goes on from it ("…4 levels of cluster development are foreseen." / "The
        clusters will be divided into…"), not after a list that came in between."""
        prev = before(c, self.by_chunk, self.layout.chunk_before)
        if prev is None:
            return None
        for k, g in enumerate(self.groups):
            prose = not any(is_list_item(u.text) for u in g) and not self.opens_list(g[0])
            if prose and (g[-1] is prev or (g[-1].text == prev.text and g[-1].doc == prev.doc)):
                listed = any(is_list_item(u.text) and id(u) not in self.alone for later in self.groups[k + 1:]
                             for u in later)
                return g if listed else None
        return None

    def fill_holes(self) -> None:
        """No holes in a list: "1.", "2.", "3.", not "1.", "3." (within each chunk)."""
        for group in self.groups:
            items = [c for c in group if is_list_item(c.text)]
            if len(items) < 2:
                continue
            shown_items = {c.text for c in items}
            between = []
            for cid in dict.fromkeys(c.chunk_id for c in items):
                mine = [c.index for c in items if c.chunk_id == cid]
                between += [u for u in self.by_chunk[cid][min(mine) + 1:max(mine)] if is_list_item(u.text)
                            and u not in self.picked and u.text not in shown_items]
            group[:] = [group[0]] * (group[0] not in items) + sorted(
                items + between, key=lambda u: (self.layout.place[u.chunk_id][1], u.index))
            self.picked += between

    def joined(self) -> list[Group]:
        """A list that runs on into the next chunk, under its heading again there ("Threats"), shows
        once: the later items join the first. Lists of one heading further apart ("Players involved:"
        of two actions) stay apart."""
        def heading(g: Group) -> str | None:
            head = g[0]
            return head.text if len(g) >= 2 and is_intro(self.by_chunk[head.chunk_id], head.index) else None

        out: list[Group] = []
        for group in self.groups:
            key = heading(group)
            first = next((g for g in out if key is not None and heading(g) == key
                          and self.layout.adjacent(g[0].chunk_id, group[0].chunk_id)), None)
            if first is None:
                out.append(group)
            else:
                first.extend(u for u in group[1:] if u.text not in {c.text for c in first})
        return out
