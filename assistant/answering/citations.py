"""The citation check: every `[n]` resolves to a listed source, every source is a retrieved chunk,
and every quote stands verbatim (whitespace folded) in that chunk."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from langchain_core.documents import Document

from ..keywords import terms
from ..schema import Answer, Citation
from ..text import MARKER, is_list_item, squash, unit_spans
from .model import FENCE_TAG
from .render import citation_for
from .support import Verdict, check_claim, count_content_words


def markers(text: str) -> list[int]:
    return [int(m) for m in MARKER.findall(text)]


def citation_problems(answer: Answer, chunk_texts: Mapping[str, str]) -> list[str]:
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


# --- checking a model's reply -----------------------------------------------------------------------
# A model writes prose with [n] markers that refer to the numbered sources it was given. Before the
# reply is shown:
# - markers are normalised ([1, 2] -> [1][2], [Source 3] -> [3]);
# - a sentence citing a number that was not given is dropped, with the uncited lead-in before it;
# - an uncited sentence counts as covered by the next citation in its paragraph (a lead-in, a
#   heading) and is dropped otherwise; exceptions: list items under a cited intro ending in ":", and
#   a short caveat saying what the sources do not cover;
# - a cited passage that shares no content word with its sources is dropped;
# - every sentence kept so far is checked for what it says (`support.py`: numbers, names, negation
#   and, given embeddings, meaning) against the sources it cites (a lead-in: the citation it leads
#   into; a list item: its intro's); a sentence that fails is dropped and counted;
# - citations are renumbered 1..m in order of appearance, each quoting the chunk sentence that best
#   matches the sentences citing it, so the quote stands verbatim in the chunk.

NOT_COVERED = "NOT_COVERED"
_REFUSAL = re.compile(
    r"\bNOT_COVERED\b|\bnot\s+covered\b|\b(?:do|does|did)\s*(?:not|n't)\s+(?:cover|contain|mention|include|"
    r"address|say|provide|answer)\b|\bcan(?:not|'t|\s+not)\s+(?:answer|be\s+answered|find)\b|"
    r"\bunable\s+to\s+(?:answer|find)\b|\bno\s+(?:relevant\s+)?information\b|\bnot\s+(?:mentioned|addressed)\b|"
    r"\bnot\s+in\s+the\s+(?:sources|documents|context)\b", re.I)
# [1, 2], [1;3], [1-3], [Source 2], [sources 1 and 4]: normalised to [1][2] etc.
_LOOSE_MARKER = re.compile(r"\[\s*(?:sources?\s*)?(\d{1,3}(?:\s*(?:,|;|-|–|and|&)\s*(?:sources?\s*)?\d{1,3})*)\s*\]",
                           re.I)
_SENTENCE_END = re.compile(r"[.!?][\"”’)]*((?:\s*\[\d{1,3}\])*)\s+(?=[^\sa-z])")
_SOURCES_HEADING = re.compile(r"^\s*(?:[#*_]+\s*)?(?:sources|references|citations)\s*[*_]*\s*:?\s*[*_]*\s*$", re.I)


def says_not_covered(text: str) -> bool:
    """The model's way of saying the sources do not answer: the sentinel or a stock phrase."""
    return bool(_REFUSAL.search(text))


def _is_caveat(unit: str) -> bool:
    """An uncited sentence saying what the sources do not cover: honest, and no claim from them."""
    return says_not_covered(unit) and len(unit.split()) <= 40 and not re.search(r"https?://|www\.", unit, re.I)


def normalise_markers(text: str) -> str:
    def expand(m: re.Match[str]) -> str:
        nums: list[int] = []
        for part in re.split(r"\s*(?:,|;|and|&)\s*", re.sub(r"(?i)sources?", "", m.group(1))):
            a, _, b = re.sub(r"\s", "", part).replace("–", "-").partition("-")
            if not a.isdigit():
                continue
            if b.isdigit() and 0 <= int(b) - int(a) <= 10:
                nums += range(int(a), int(b) + 1)
            else:
                nums.append(int(a))
                if b.isdigit():
                    nums.append(int(b))
        return "".join(f"[{n}]" for n in dict.fromkeys(nums))

    return _LOOSE_MARKER.sub(expand, text)


def _units(line: str) -> list[str]:
    """A line's sentences; markers after a full stop stay with the sentence before them."""
    out, cur = [], 0
    for m in _SENTENCE_END.finditer(line):
        out.append(line[cur:m.end()].strip())
        cur = m.end()
    out.append(line[cur:].strip())
    return [u for u in out if u]


def _bare(text: str) -> str:
    return " ".join(MARKER.sub(" ", text).split())


def reply_sentences(text: str) -> list[str]:
    """A reply's sentences without their markers, as the support check embeds them (to embed them
    all in one batch before the check asks for them one by one)."""
    lines = normalise_markers(FENCE_TAG.sub(" ", text)).replace("\r\n", "\n").split("\n")
    return [b for line in lines for u in _units(line) if count_content_words(b := _bare(u)) >= 3]


def _term_set(text: str) -> set[str]:

    return set(terms(_bare(text)))


def _best_quote(chunk: str, cited_by: list[str], idf: Mapping[str, float]) -> str:
    """The chunk's sentence (or list item) that best matches a model sentence citing it: the one
    covering most of that sentence's terms, rare terms weighing more (a name beats "improve")."""
    spans = unit_spans(chunk)
    if not spans:
        return squash(chunk)
    claims = [c for c in (_term_set(t) for t in cited_by) if c]

    def score(span: tuple[int, int]) -> tuple[float, int, int]:
        have = _term_set(chunk[span[0]:span[1]])
        best = 0.0
        for claim in claims:
            shared = have & claim
            recall = sum(idf.get(t, 1.0) for t in shared) / sum(idf.get(t, 1.0) for t in claim)
            best = max(best, recall + 0.1 * len(shared) / max(1, len(have)))
        return (best, len(chunk[span[0]:span[1]].split()) >= 4, -span[0])

    s, e = max(spans, key=score)
    return squash(chunk[s:e])


Check = Callable[[str, Sequence[int]], Verdict]  # (sentence, cited source numbers) -> verdict


@dataclass
class Grounded:
    """A model reply after the checks. `citations` empty and `refused` False: not grounded (the
    caller shows the extractive answer with `notice`)."""

    text: str
    citations: list[Citation]
    refused: bool
    notice: str
    checked: int = 0                                           # sentences the support check saw
    removed: dict[str, int] = field(default_factory=dict)     # sentences it removed, by reason

    def support_counts(self) -> dict[str, object]:
        """What `ask --json` reports under "support_check"."""
        return {"checked": self.checked, "removed": sum(self.removed.values()), "reasons": dict(self.removed)}


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def ground(text: str, sources: Sequence[Document], question: str = "", check: Check | None = None) -> Grounded:
    """Check a model reply against the sources it was given (numbered 1..len(sources)).

    `check` decides whether a sentence says what its sources say; without one, numbers, names and
    negation are checked against the whole cited texts (no embeddings). `refused` is True when the
    model said the sources do not cover the question and nothing cited survives."""
    n_sources = len(sources)
    chunk_terms: dict[int, set[str]] = {}
    if check is None:
        def check(sentence: str, cited: Sequence[int]) -> Verdict:
            docs = [sources[n - 1] for n in cited]
            heads = " ".join(f"{d.metadata.get('title', '')} {d.metadata.get('section', '')}" for d in docs)
            return check_claim(sentence, [d.page_content for d in docs], f"{question} {heads}")

    def support(n: int) -> set[str]:
        if n not in chunk_terms:
            d = sources[n - 1]
            chunk_terms[n] = _term_set(f"{d.page_content} {d.metadata.get('title', '')} "
                                       f"{d.metadata.get('section', '')}")
        return chunk_terms[n]

    lines = normalise_markers(FENCE_TAG.sub(" ", text)).replace("\r\n", "\n").split("\n")
    cut = next((i for i, ln in enumerate(lines) if _SOURCES_HEADING.match(ln)), len(lines))
    lines = lines[:cut]  # a "Sources:" list at the end repeats what the application shows

    kept: list[tuple[int, str]] = []      # (line index, unit)
    cites_of: dict[int, list[int]] = {}   # kept unit's position in `kept` -> the sources it answers to
    pending: list[tuple[int, str]] = []   # uncited units waiting for the next citation
    dropped_invalid = dropped_uncited = dropped_unsupported = 0
    list_owner: list[int] = []            # a cited intro ending in ":" covers the items under it
    for i, line in enumerate(lines):
        if not line.strip():               # paragraph break: an uncited lead-in ends here
            if pending and not _bare(pending[-1][1]).endswith(":"):
                dropped_uncited += len(pending)
                pending = []
            list_owner = []
            continue
        is_item = is_list_item(line)
        if not is_item:
            list_owner = []
        for unit in _units(line):
            nums = markers(unit)
            if not nums:
                if NOT_COVERED in unit:
                    continue
                if is_item and list_owner:
                    cites_of[len(kept)] = list_owner
                    kept.append((i, unit))
                elif _is_caveat(unit):
                    kept.append((i, unit))
                elif _bare(unit):
                    pending.append((i, unit))
                continue
            run = [*pending, (i, unit)]
            pending = []
            if any(not 1 <= n <= n_sources for n in nums):
                dropped_invalid += len(run)
                continue
            run_terms = set().union(*(_term_set(u) for _, u in run))
            if run_terms and not run_terms & set().union(*(support(n) for n in nums)):
                dropped_unsupported += len(run)
                continue
            for li, u in run:
                cites_of[len(kept)] = nums
                kept.append((li, u))
            list_owner = nums if _bare(unit).endswith(":") else []
    dropped_uncited += len(pending)

    # What each kept sentence says, against the sources it answers to.
    removed: dict[str, int] = {}
    if dropped_unsupported:
        removed["unrelated"] = dropped_unsupported
    checked = dropped_unsupported
    survivors: list[tuple[int, str]] = []
    for pos, (i, unit) in enumerate(kept):
        if pos in cites_of:
            checked += 1
            verdict = check(unit, cites_of[pos])
            if not verdict.supported:
                removed[verdict.reason] = removed.get(verdict.reason, 0) + 1
                continue
        survivors.append((i, unit))
    kept = survivors
    unsupported = sum(removed.values())

    if not any(markers(u) for _, u in kept):  # caveats and list items alone are no answer
        if says_not_covered(text) and not unsupported:
            return Grounded("", [], True, "", checked, removed)
        if unsupported:
            return Grounded("", [], False, f"{plural(unsupported, 'sentence')} removed: not supported by their "
                            "sources; showing the extractive answer", checked, removed)
        return Grounded("", [], False, "the model's answer cited no source; showing the extractive answer",
                        checked, removed)

    # Renumber 1..m in order of first appearance; quote the best-matching sentence of each chunk.
    order: dict[int, int] = {}
    cited_by: dict[int, list[str]] = {}
    for _, unit in kept:
        for n in markers(unit):
            order.setdefault(n, len(order) + 1)
            cited_by.setdefault(n, []).append(unit)
    out_lines: dict[int, list[str]] = {}
    for i, unit in kept:
        renumbered = MARKER.sub(lambda m: f"[{order[int(m.group(1))]}]", unit)
        out_lines.setdefault(i, []).append(renumbered)
    paragraphs: list[str] = []
    prev = None
    for i in sorted(out_lines):
        gap = prev is not None and any(not lines[j].strip() for j in range(prev + 1, i))
        paragraphs.append(("\n\n" if gap else "\n" if prev is not None else "") + " ".join(out_lines[i]))
        prev = i
    answer = "".join(paragraphs).strip()
    df: dict[str, int] = {}
    for n in range(1, n_sources + 1):
        for t in support(n):
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(1 + n_sources / k) for t, k in df.items()}
    citations = [citation_for(new, sources[old - 1], _best_quote(sources[old - 1].page_content, cited_by[old], idf))
                 for old, new in order.items()]
    notes = []
    if dropped_invalid:
        notes.append(f"{dropped_invalid} sentence(s) citing a source that does not exist")
    if dropped_uncited:
        notes.append(f"{dropped_uncited} uncited sentence(s)")
    notice = ("removed from the model's answer: " + "; ".join(notes)) if notes else ""
    if unsupported:  # first: what users most need to know about the answer they read
        notice = "; ".join(x for x in (f"{plural(unsupported, 'sentence')} removed: not supported by their sources",
                                       notice) if x)
    return Grounded(answer, citations, False, notice, checked, removed)
