"""Does a model sentence say what its cited sources say? A pure check of one sentence against the
texts it cites (and the question), used by `citations.ground` and by `evals/claims.py`.

    verdict = check_claim(sentence, cited_texts, question, embed, threshold)
    verdict.supported, verdict.reason  # reason: "" | "number" | "name" | "negation" | "meaning"

Four tests, cheapest first:
- numbers (digits, number words, percentages, money, ranges, years) must each appear in a cited text,
  in any usual spelling: "14" / "fourteen", "100 000" / "100,000" / "EUR 100k", "2-3" / "two to three";
- names (acronyms, mixed-case and capitalised words) must appear in a cited text or the question;
- meaning: the sentence must be close to the best-matching sentence (or pair of sentences) of the
  cited texts, by cosine of embeddings, at a threshold calibrated on `evals/claims.yaml`, or be
  written in their words (80% of its content terms in the three nearest sentences);
- negation: a sentence that denies what its best-matching source sentence states ("needs no
  mentor" against "a mentor is required"), or states what that sentence denies outright, fails.
A Lithuanian sentence (the model answers in the question's language; the sources and the embedding
model are English) is checked for its numbers and acronyms only.

`embed` maps texts to unit vectors; the chain passes one that reuses the sentence vectors stored with
each chunk, so a reply costs one embedding per model sentence and nothing per source sentence."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..keywords import terms
from ..language import is_lithuanian
from ..text import MARKER, unit_spans

if TYPE_CHECKING:
    from langchain_core.documents import Document

Embed = Callable[[Sequence[str]], np.ndarray]  # texts -> (n, dim) unit vectors

# --- numbers --------------------------------------------------------------------------------------

_UNIT_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
               "sixteen seventeen eighteen nineteen")
_UNITS = {w: i for i, w in enumerate(_UNIT_WORDS.split())}
_TENS_WORDS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety"
_TENS = {w: 10 * i for i, w in enumerate(_TENS_WORDS.split()) if w != "_"}
_SCALES = {"hundred": 100.0, "thousand": 1e3, "million": 1e6, "billion": 1e9}
_SUFFIX = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mln": 1e6, "million": 1e6, "millions": 1e6, "bn": 1e9,
           "billion": 1e9, "billions": 1e9}
_ORDINAL_WORDS = "_ _ second third fourth fifth sixth seventh eighth ninth tenth"
_ORDINALS = {w: i for i, w in enumerate(_ORDINAL_WORDS.split()) if w != "_"}
_FRACTIONS = {"half": 0.5, "halves": 0.5, "third": 1 / 3, "thirds": 1 / 3, "quarter": 0.25, "quarters": 0.25}
# 100 000 / 100,000 / 14,900 / 44.8 / 0,5 / 1/3, not the digits inside a name (H2020, S3, B2B).
_DIGITS = re.compile(r"(?<![\w.,/])(\d{1,3}(?:(?:[ \u00a0\u202f]|,(?=\d{3}\b))\d{3})+|\d+(?:[.,]\d+)?)"
                     r"(?:/(\d+))?(?:st|nd|rd|th)?(?:\s?(k|m|mln|bn|thousand|millions?|billions?)\b)?(?![\w/])", re.I)
_WORDS = re.compile(r"[a-z]+", re.I)


def numbers(text: str) -> set[float]:
    """The numeric values a text states, scaled ("EUR 5 million" -> 5e6, "100k" -> 1e5)."""
    return _numbers(text, raw=False)


def _numbers(text: str, raw: bool) -> set[float]:
    """With `raw`, a scaled number also counts unscaled (what a source allows: "5 million" also
    holds the 5 of "five winners")."""
    out: set[float] = set()
    for m in _DIGITS.finditer(text):
        whole = re.sub(r"[\s\u00a0\u202f,]", "", m.group(1)) if re.search(r"[\s\u00a0\u202f]|,\d{3}\b", m.group(1)) \
            else m.group(1).replace(",", ".")
        try:
            value = float(whole)
        except ValueError:
            continue
        if m.group(2):  # a fraction: 1/3
            value = value / float(m.group(2)) if float(m.group(2)) else value
        elif m.group(3):
            if raw:
                out.add(value)
            value *= _SUFFIX[m.group(3).lower()]
        out.add(value)
    out |= _word_numbers(text, raw)
    return {round(v, 6) for v in out}


def _word_numbers(text: str, raw: bool) -> set[float]:
    """Number words: "fourteen", "two hundred", "one hundred thousand", "a third", "two thirds",
    "third" (an ordinal). A lone "one" is a pronoun too often to count."""
    words = [w.lower() for w in _WORDS.findall(text.replace("-", " "))]
    out: set[float] = set()
    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in _FRACTIONS and ((i > 0 and words[i - 1] in {"a", "one", "an"}) or w == "half"):
            out.add(_FRACTIONS[w])
            i += 1
            continue
        if w in _UNITS or w in _TENS or (w == "a" and nxt in _SCALES):
            total, current, j, count = 0.0, 0.0, i, 0
            last = ""  # what came before: a unit cannot follow a unit ("two three" is two numbers)
            while j < len(words):
                t = words[j]
                if t in _UNITS and last not in {"unit", "tens-unit"}:
                    current += _UNITS[t]
                    last = "tens-unit" if last == "tens" else "unit"
                elif t in _TENS and last not in {"unit", "tens", "tens-unit"}:
                    current += _TENS[t]
                    last = "tens"
                elif t == "a" and j == i:
                    current = 1
                elif t == "hundred":
                    current = max(current, 1) * 100
                    last = "scale"
                elif t in {"thousand", "million", "billion"}:
                    total += max(current, 1) * _SCALES[t]
                    if raw:
                        out.add(current)
                    current = 0
                    last = "scale"
                elif t == "and" and count and j + 1 < len(words) and (words[j + 1] in _UNITS or words[j + 1] in _TENS):
                    pass  # "one hundred and five"
                else:
                    break
                count += 1
                j += 1
            if j < len(words) and words[j] in _FRACTIONS and count == 1 and current:  # "two thirds"
                out.add(current * _FRACTIONS[words[j]])
                i = j + 1
                continue
            value = total + current
            if not (count == 1 and w in {"one", "a"}):
                out.add(value)
            i = max(j, i + 1)
            continue
        if w in _ORDINALS:
            out.add(float(_ORDINALS[w]))
        i += 1
    return out


def unsupported_numbers(sentence: str, cited: Iterable[str]) -> list[str]:
    """The sentence's numbers that no cited text states, as written in the sentence."""
    have: set[float] = set()
    for text in cited:
        have |= _numbers(text, raw=True)
    missing = []
    for value in sorted(numbers(sentence)):
        if not any(math.isclose(value, h, rel_tol=1e-6, abs_tol=1e-9) for h in have):
            missing.append(f"{value:g}")
    return missing


# --- names ----------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_][\w’'&-]*", re.UNICODE)
# What may precede a sentence's first word (a word in brackets is no opener: "Hudiksvall (Sweden)").
_OPENS_SENTENCE = re.compile(r"(?:(?:^|[.!?:;]\s+|\n)\s*(?:[-*•–]\s+|\d{1,2}[.)]\s+)?[\"“‘]?\s*)$")
# Capitalised words that open sentences without naming anything.
_COMMON = frozenset("""
a an the this that these those it its they their them there here we our you your he she his her i
in on at by for from with without to of into onto over under after before during since until as
and but or nor so yet if when while where whereas although though because however moreover also
furthermore additionally therefore thus then still besides instead overall finally first firstly
second secondly third lastly meanwhile otherwise similarly likewise accordingly hence indeed both
each every all any some many most several few more less other another such no not none only even
according together along among around about above below across against between within through per
what which who whom whose why how yes one two three four five six seven eight nine ten
""".split())  # noqa: SIM905 (a word list reads better as text)
_CURRENCIES = frozenset({"EUR", "USD", "GBP", "CHF", "LTL"})


def names(sentence: str) -> list[str]:
    """Words that name something: acronyms and mixed case (MITA, InoLink, KETs) anywhere, other
    capitalised words when they do not open a sentence. A capitalised word opening a sentence is
    taken for an ordinary word ("Roughly", "Specialists"): without a lexicon the two look alike."""
    out = []
    for m in _TOKEN.finditer(sentence):
        w = m.group(0).rstrip("’'-")
        core = re.sub(r"[’']s$", "", w)
        if len(core) < 2 or not core[0].isupper() or core.upper() in _CURRENCIES:
            continue
        mixed = any(c.isupper() for c in core[1:])
        if mixed or (not _OPENS_SENTENCE.search(sentence[:m.start()]) and core.lower() not in _COMMON):
            out.append(core)
    return list(dict.fromkeys(out))


def _name_stem(name: str) -> str:
    """"Lithuanian" finds "Lithuania", "Swedish" finds "Sweden": a prefix of the name, shortened by
    up to three letters but never below four."""
    low = name.lower()
    return low[:max(4, len(low) - 3)] if len(low) > 4 else low


def unsupported_names(sentence: str, cited: Iterable[str], question: str) -> list[str]:
    """The sentence's names found neither in a cited text nor in the question. An acronym or a
    mixed-case name must match a whole word (plural allowed: "KET" / "KETs"); a capitalised word may
    match by its stem ("Lithuanian" / "Lithuania")."""
    pool = " ".join([*cited, question]).lower()
    words = set(re.findall(r"\w+", pool))
    missing = []
    for name in names(sentence):
        parts = [p for p in re.split(r"[-&’'/]", name.lower()) if p]
        if all(p in words or p + "s" in words or (p.endswith("s") and p[:-1] in words) for p in parts):
            continue
        mixed = any(c.isupper() for c in name[1:])
        if not mixed and re.search(r"(?<!\w)" + re.escape(_name_stem(name)), pool):
            continue
        missing.append(name)
    return missing


# --- negation -------------------------------------------------------------------------------------

# Strong negators deny outright; weak ones ("lack", "missing") also say that something is absent,
# and a faithful paraphrase may put that as "weak trust" or "few initiatives".
_STRONG = re.compile(r"\b(?:no|not|never|nothing|none|nobody|neither|nor|cannot|free\s+of\s+charge|at\s+no\s+cost)"
                     r"\b|n[’']t\b", re.I)
_WEAK = re.compile(r"\b(?:without|lack|lacks|lacking|lacked|missing|absence|absent|unable|inability)\b", re.I)
# Not denials: "not only ... but also", "no doubt", and the contrast "a systematic approach, not single actions".
_NOT_NEGATION = re.compile(r"\b(?:not\s+only|not\s+just|no\s+doubt|not\s+least|(?:no|not)\s+(?:more|less|fewer|later|"
                           r"earlier|longer|shorter|higher|lower)\s+than)\b|,\s*not\b", re.I)
# Saying that something is scarce without a negator: a paraphrase of "lack of trust" as "weak trust".
_SCARCE = re.compile(r"\b(?:weak|weaker|poor|poorly|few|fewer|little|insufficient|inadequate|limited|low|lower|"
                     r"shortage|shortages|scarce|scarcity|gap|gaps|hardly|barely|too\s+little)\b", re.I)
# Outright denials that no sentence saying "lack" or "missing" could mean.
_ABSOLUTE = re.compile(r"\b(?:never|nothing|none|nobody|free\s+of\s+charge|at\s+no\s+cost)\b", re.I)


def negation(text: str) -> int:
    """2 when the text denies outright ("no mentor", "not needed", "costs nothing"), 1 when it only
    says something is lacking or missing, 0 when it denies nothing."""
    text = _NOT_NEGATION.sub(" ", text)
    return 2 if _STRONG.search(text) else 1 if _WEAK.search(text) else 0


def denials(text: str) -> int:
    """How many negators the text holds, outright or "lacking"."""
    text = _NOT_NEGATION.sub(" ", text)
    return len(_STRONG.findall(text)) + len(_WEAK.findall(text))


def flips(claim: str, source: str) -> bool:
    """Does the claim deny what the source states, or state what the source denies? A source that
    says something is lacking allows a claim that says it is lacking, missing, weak or absent ("no
    direct support"), but not one that affirms it, nor an absolute "never" / "nothing". A claim
    with more negators than its source denies something more ("should not offer ... not awarded")."""
    c, s = negation(claim), negation(source)
    if s == 0:
        return c > 0
    if s == 2 and c == 0:
        return True
    if c == 0:
        return not _SCARCE.search(claim)
    if denials(claim) > denials(source):
        return True
    return s == 1 and bool(_ABSOLUTE.search(_NOT_NEGATION.sub(" ", claim)))


# --- meaning --------------------------------------------------------------------------------------

def source_units(text: str) -> list[str]:
    """A cited text's sentences and list items of three words or more (as ingest stores them)."""
    units = [" ".join(text[s:e].split()) for s, e in unit_spans(text)]
    return [u for u in units if len(u.split()) >= 3] or ([" ".join(text.split())] if text.strip() else [])


@dataclass(frozen=True)
class Verdict:
    supported: bool
    reason: str = ""            # "", "number", "name", "negation", "meaning"
    detail: str = ""            # what failed, for logs and the eval report
    similarity: float = 0.0     # cosine to the best-matching source sentence (or pair)
    best: str = ""              # that source sentence
    covered: float = 0.0        # share of the sentence's content terms in its nearest source sentences


_CONTENT = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
COVERAGE = 0.8  # share of a claim's content terms found in its nearest source sentences: its own words


def coverage(claim: str, source: str) -> float:
    """The share of the claim's content terms (stemmed, no stopwords) that the source has."""
    want = set(terms(claim))
    return len(want & set(terms(source))) / len(want) if want else 1.0


def count_content_words(text: str) -> int:
    return len(_CONTENT.findall(text))


def check_claim(sentence: str, cited: Sequence[str], question: str = "", embed: Embed | None = None,
                threshold: float = 0.0) -> Verdict:
    """Is `sentence` supported by the texts it cites? `embed` None checks numbers, names and
    negation against whole texts only (no meaning test, no sentence alignment)."""
    bare = " ".join(MARKER.sub(" ", sentence).split())
    if not bare:
        return Verdict(True)
    missing = unsupported_numbers(bare, cited)
    if missing:
        return Verdict(False, "number", "not in the source: " + ", ".join(missing))
    # A Lithuanian sentence (the model answers in the question's language) cannot be compared with the
    # English sources by an English embedding model or word lists: its numbers and acronyms can.
    lithuanian = is_lithuanian(bare)
    missing = [n for n in unsupported_names(bare, cited, question)
               if not lithuanian or any(c.isupper() for c in n[1:])]
    if missing:
        return Verdict(False, "name", "not in the source or question: " + ", ".join(missing))
    if lithuanian:
        return Verdict(True, "", "Lithuanian: numbers and acronyms checked")
    if embed is None or count_content_words(bare) < 3:  # a lead-in ("In short:") claims nothing to compare
        if embed is None and negation(bare) and not any(negation(t) for t in cited):
            return Verdict(False, "negation", "the source states no negation")
        return Verdict(True)
    units = [u for t in cited for u in source_units(t)]
    if not units:
        return Verdict(False, "meaning", "the cited text is empty")
    vectors = embed([bare, *units])
    claim, src = vectors[0], vectors[1:]
    sims = src @ claim
    best_i = int(np.argmax(sims))
    best, aligned = float(sims[best_i]), [units[best_i]]
    # Two source sentences: a claim often joins them ("14 clusters ... and 8 received a label").
    if len(units) > 1:
        pairs = src[:, None, :] + src[None, :, :]                       # (n, n, dim)
        norms = np.linalg.norm(pairs, axis=2)
        pair_sims = np.where(norms > 0, (pairs @ claim) / np.maximum(norms, 1e-9), -1.0)
        np.fill_diagonal(pair_sims, -1.0)
        i, k = np.unravel_index(int(np.argmax(pair_sims)), pair_sims.shape)
        if float(pair_sims[i, k]) > best:
            best, aligned = float(pair_sims[i, k]), [units[min(i, k)], units[max(i, k)]]
    best_text = " ".join(aligned)
    # A claim in the source's own words, often a part of a long sentence, embeds far from that whole
    # sentence: what it says is its words, nearly all found in the nearest sentences.
    covered = coverage(bare, " ".join(units[i] for i in np.argsort(-sims)[:3]))
    if best < threshold and covered < COVERAGE:
        return Verdict(False, "meaning", f"closest source sentence at cosine {best:.2f} < {threshold:.2f}", best,
                       best_text, covered)
    # A denial must find one in the aligned sentences; an affirmation is held against the single
    # nearest sentence (the other of a pair may deny something else).
    if flips(bare, best_text if negation(bare) else units[best_i]):
        side = "the sentence denies what the source states" if negation(bare) else \
            "the source denies what the sentence states"
        return Verdict(False, "negation", side, best, best_text, covered)
    return Verdict(True, "", "", best, best_text, covered)


# --- embeddings -------------------------------------------------------------------------------------

class SentenceVectors:
    """`Embed` over an embedder: model sentences are embedded (once, in one batch when prefetched);
    source sentences take the vector stored with their chunk when `known` has it."""

    def __init__(self, embedder: Any, known: Mapping[str, Any] | None = None) -> None:
        self.embedder = embedder
        self.cache: dict[str, np.ndarray] = {" ".join(k.split()): unit_vector(v) for k, v in (known or {}).items()}

    def prefetch(self, texts: Iterable[str]) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if todo:
            for t, v in zip(todo, self.embedder.embed_documents(todo), strict=True):
                self.cache[t] = unit_vector(v)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        self.prefetch(texts)
        return np.stack([self.cache[t] for t in texts])


def unit_vector(v: Any) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    n = float(np.linalg.norm(a))
    return a / n if n else a


def passage_vectors(embedder: Any, text: str) -> dict[str, np.ndarray]:
    """A text's source sentences with vectors made as ingest makes them (pooled from one pass over
    the whole text when the embedder can, so each sentence is read in its context)."""
    spans = [(s, e) for s, e in unit_spans(text) if len(text[s:e].split()) >= 3]
    if not spans:
        return {}
    if hasattr(embedder, "embed_with_spans"):
        vectors = embedder.embed_with_spans([text], [spans])[1][0]
    else:
        vectors = embedder.embed_documents([text[s:e] for s, e in spans])
    return {" ".join(text[s:e].split()): unit_vector(v) for (s, e), v in zip(spans, vectors, strict=True)}


class SupportCheck:
    """`check_claim` bound to one reply's question and numbered sources: call it with a sentence and
    the source numbers it cites. Names may also come from a cited document's title or section."""

    def __init__(self, question: str, sources: Sequence[Document], embed: Embed | None = None,
                 threshold: float = 0.0) -> None:
        self.question, self.sources, self.embed, self.threshold = question, sources, embed, threshold

    def __call__(self, sentence: str, cited: Sequence[int]) -> Verdict:
        docs = [self.sources[n - 1] for n in dict.fromkeys(cited)]
        headings = " ".join(f"{d.metadata.get('title', '')} {d.metadata.get('section', '')}" for d in docs)
        return check_claim(sentence, [d.page_content for d in docs], f"{self.question} {headings}", self.embed,
                           self.threshold)
