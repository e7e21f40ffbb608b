"""Run the reference Q&A through the same `Assistant.answer` the CLI and Slack use, and score it."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from cluster_assistant.assistant.answering.citations import citation_problems
from cluster_assistant.assistant.safe_yaml import load_shipped
from cluster_assistant.assistant.schema import BadQuestion
from cluster_assistant.assistant.settings import shipped
from cluster_assistant.assistant.topics import AREAS, area_of

from . import metrics as m

if TYPE_CHECKING:
    from cluster_assistant.assistant.pipeline import Assistant

DEFAULT_DATASET = shipped("evals", "dataset.yaml")
DEFAULT_BASELINE = shipped("evals", "baseline.json")
K = 5
STYLES = ("factoid", "list", "how-to", "comparison")
WORDINGS = ("close", "paraphrased")
# Metrics the gate watches: higher is better, except words (lower is better, within WORDS_TOLERANCE).
GATED = ("hit_at_5", "mrr", "key_fact_recall", "lead_fact_recall_40", "lead_fact_recall_first", "sentence_precision",
         "citation_validity", "refusal_accuracy")
GATED_LOWER = ("words_median", "words_p90")
WORDS_TOLERANCE = 0.10  # a share of the baseline's word count
TOLERANCE = 0.02  # the allowed drop of a gated score (`eval --tolerance`)
LEAD_WORDS = 40  # "lead" fact recall: the facts a reader meets in the first 40 words


class DatasetError(ValueError):
    pass


@dataclass
class Item:
    id: str
    question: str
    language: str
    area: str
    style: str
    in_scope: bool
    reference_answer: str
    key_facts: list[str]
    expected_docs: list[str]
    wording: str = "close"  # close: echoes the documents; paraphrased: worded as coordinators ask

    @property
    def held_out(self) -> bool:
        """Half the items, fixed by a hash of the id: tuning decisions never look at these."""
        return held_out(self.id)


def held_out(item_id: str) -> bool:
    return hashlib.sha256(item_id.encode()).digest()[0] % 2 == 1


@dataclass
class Result:
    id: str
    question: str
    language: str
    area: str
    style: str
    in_scope: bool
    refused: bool
    answer: str
    expected_docs: list[str]
    retrieved_docs: list[str]
    cited_docs: list[str]
    hit_at_5: float
    recall_at_5: float
    rr: float
    key_fact_recall: float
    lead_fact_recall_first: float  # key facts in the first sentence
    lead_fact_recall_40: float     # key facts in the first 40 words
    sentence_precision: float      # share of the answer's sentences holding a key fact
    words: int                     # without [n] markers and bullets
    missing_facts: list[str]
    context_fact_recall: float   # key facts in the chunks the answerer read: its ceiling
    facts_not_retrieved: list[str]
    token_f1: float
    rouge_l: float
    citation_valid: bool
    citation_problems: list[str]
    citation_precision: float
    refusal_correct: bool
    latency_ms: float
    wording: str = "close"
    held_out: bool = False
    topic: str = ""                # the competence area the assistant tagged the question with
    error: str = ""
    why: list[str] = field(default_factory=list)
    support: dict[str, Any] | None = None  # what the support check saw in a model's reply (model modes)


def read_list(path: Path, what: str) -> list[Any]:
    """The YAML list of `what` ("items", "conversations") in `path`; DatasetError names what is wrong."""
    try:
        raw = load_shipped(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise DatasetError(f"cannot read {path}: {' '.join(str(e).split())}") from e
    except UnicodeDecodeError as e:
        raise DatasetError(f"cannot read {path}: it is not UTF-8 text ({e.reason} at byte {e.start})") from e
    if not isinstance(raw, list) or not raw:
        raise DatasetError(f"{path}: expected a non-empty list of {what}")
    return raw


def load_dataset(path: Path) -> list[Item]:
    raw = read_list(path, "items")
    items, ids = [], set()
    for n, r in enumerate(raw, 1):
        try:
            item = Item(id=str(r["id"]), question=str(r["question"]), language=str(r.get("language", "en")),
                        area=str(r["area"]), style=str(r.get("style", "factoid")), in_scope=bool(r["in_scope"]),
                        reference_answer=str(r.get("reference_answer") or ""),
                        key_facts=[str(f) for f in r.get("key_facts") or []],
                        expected_docs=[str(s["doc_id"]) for s in r.get("expected_sources") or []],
                        wording=str(r.get("wording", "close")))
        except (KeyError, TypeError) as e:
            raise DatasetError(f"{path}: item {n} lacks a field: {e}") from e
        if item.id in ids:
            raise DatasetError(f"{path}: duplicate id {item.id}")
        if item.in_scope and not item.expected_docs:
            raise DatasetError(f"{path}: in-scope item {item.id} names no expected source")
        for field_name, value, allowed in (("area", item.area, AREAS), ("style", item.style, STYLES),
                                           ("wording", item.wording, WORDINGS)):
            if value not in allowed:
                raise DatasetError(f"{path}: item {item.id}: {field_name} must be one of {', '.join(allowed)}, "
                                   f"not {value!r}")
        ids.add(item.id)
        items.append(item)
    return items


def score(item: Item, assistant: Assistant) -> Result:
    t = time.perf_counter()
    error = ""
    try:
        ans = assistant.answer(item.question)
    except BadQuestion as e:
        error = f"rejected: {e}"
        ans = None
    except RuntimeError as e:  # e.g. the chain's own citation check tripped
        error = str(e)
        ans = None
    latency = (time.perf_counter() - t) * 1000
    if ans is None:
        refused, text, retrieved_ids, retrieved_docs, cites, context = True, "", [], [], [], ""
        cite_problems = [error] if error.startswith("citation") else []
    else:
        refused, text = ans.refused, ans.answer
        retrieved_ids = [r["id"] for r in ans.retrieved]
        # Retrieval metrics rank the top chunks (one entry per chunk), not the neighbours added as context.
        retrieved_docs = [str(r["doc_id"]) for r in ans.retrieved if not r.get("neighbour")]
        cites = ans.citations
        # Re-check independently against the store, not the chain's own copy of the chunks.
        stored = assistant.store.get([c.chunk_id for c in cites])
        texts = {cid: d.page_content for cid, d in stored.items() if cid in retrieved_ids}
        cite_problems = citation_problems(ans, texts)
        context = "\n".join(d.page_content for d in assistant.store.get(retrieved_ids).values())
    cited_docs = list(dict.fromkeys(c.doc_id for c in cites))
    answered_text = "" if refused else text
    r = Result(
        id=item.id, question=item.question, language=item.language, area=item.area, style=item.style,
        in_scope=item.in_scope, refused=refused, answer=text, expected_docs=item.expected_docs,
        retrieved_docs=retrieved_docs, cited_docs=cited_docs,
        hit_at_5=m.hit_at_k(retrieved_docs, item.expected_docs, K),
        recall_at_5=m.recall_at_k(retrieved_docs, item.expected_docs, K),
        rr=m.reciprocal_rank(retrieved_docs, item.expected_docs) if item.expected_docs else 1.0,
        key_fact_recall=m.key_fact_recall(item.key_facts, answered_text),
        lead_fact_recall_first=m.lead_fact_recall(item.key_facts, answered_text),
        lead_fact_recall_40=m.lead_fact_recall(item.key_facts, answered_text, LEAD_WORDS),
        sentence_precision=m.sentence_precision(item.key_facts, answered_text),
        words=m.words(answered_text),
        missing_facts=[f for f in item.key_facts if not m.fact_present(f, answered_text)],
        context_fact_recall=m.key_fact_recall(item.key_facts, context),
        facts_not_retrieved=[f for f in item.key_facts if not m.fact_present(f, context)],
        token_f1=m.token_f1(answered_text, item.reference_answer) if item.in_scope else 0.0,
        rouge_l=m.rouge_l(answered_text, item.reference_answer) if item.in_scope else 0.0,
        citation_valid=not cite_problems, citation_problems=cite_problems,
        citation_precision=m.citation_precision(cited_docs, item.expected_docs) if item.in_scope else 1.0,
        refusal_correct=not error and refused != item.in_scope, latency_ms=latency, error=error,
        wording=item.wording, held_out=item.held_out, topic=(ans.topic or "") if ans is not None else "",
        support=ans.support if ans is not None else None,
    )
    r.why = explain(r)
    return r


def explain(r: Result) -> list[str]:
    why = []
    if r.error:
        why.append(r.error)
    if r.in_scope and r.refused:
        why.append("refused an in-scope question")
    if not r.in_scope and not r.refused:
        why.append("answered an out-of-scope question")
    if r.in_scope and not r.hit_at_5:
        why.append(f"expected {', '.join(r.expected_docs)} not in top {K}")
    if r.in_scope and r.missing_facts and not r.refused:
        # Where each fact was lost: never retrieved, or retrieved but left out of the answer.
        lost = [f for f in r.missing_facts if f not in r.facts_not_retrieved]
        unseen = [f for f in r.missing_facts if f in r.facts_not_retrieved]
        if lost:
            why.append("missing facts (retrieved, not in the answer): " + "; ".join(lost))
        if unseen:
            why.append("missing facts (not retrieved): " + "; ".join(unseen))
    if not r.citation_valid:
        why.append("invalid citations: " + "; ".join(r.citation_problems))
    return why


def aggregate(results: list[Result]) -> dict[str, float]:
    ins = [r for r in results if r.in_scope]
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    lat = [r.latency_ms for r in results]
    answered = [r for r in ins if not r.refused]
    return {
        "items": len(results),
        "in_scope": len(ins),
        "hit_at_5": mean([r.hit_at_5 for r in ins]),
        "recall_at_5": mean([r.recall_at_5 for r in ins]),
        "mrr": mean([r.rr for r in ins]),
        "key_fact_recall": mean([r.key_fact_recall for r in ins]),
        # its 95% interval (`metrics.bootstrap_interval`): how far chance alone can move it
        **dict(zip(("key_fact_recall_low", "key_fact_recall_high"),
                   m.bootstrap_interval([r.key_fact_recall for r in ins]), strict=True)),
        "lead_fact_recall_first": mean([r.lead_fact_recall_first for r in ins]),
        "lead_fact_recall_40": mean([r.lead_fact_recall_40 for r in ins]),
        "sentence_precision": mean([r.sentence_precision for r in ins]),
        "words_median": m.percentile([r.words for r in answered], 50),
        "words_p90": m.percentile([r.words for r in answered], 90),
        "context_fact_recall": mean([r.context_fact_recall for r in ins]),
        "token_f1": mean([r.token_f1 for r in ins]),
        "rouge_l": mean([r.rouge_l for r in ins]),
        "citation_validity": mean([float(r.citation_valid) for r in results]),
        "citation_precision": mean([r.citation_precision for r in ins if not r.refused]),
        "refusal_accuracy": mean([float(r.refusal_correct) for r in results]),
        "topic_accuracy": mean([float(topic_matches(r.topic, r.area)) for r in ins]),
        "latency_p50_ms": m.percentile(lat, 50),
        "latency_p95_ms": m.percentile(lat, 95),
    }


def breakdown(results: list[Result], key: Callable[[Result], str]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[Result]] = {}
    for r in results:
        groups.setdefault(key(r), []).append(r)
    return {g: aggregate(rs) for g, rs in sorted(groups.items())}


def topic_matches(tagged: str, area: str) -> bool:
    """The taxonomy has member engagement apart; the dataset counts it as cluster management."""
    return area_of(tagged) == area


SLICES = ("all", "close", "paraphrased_en", "lt")


def in_slice(name: str, wording: str, language: str) -> bool:
    """The slices the targets are set on: all items, close-worded, paraphrased English, Lithuanian."""
    return {"all": True, "close": wording == "close", "paraphrased_en": wording == "paraphrased" and language == "en",
            "lt": language == "lt"}[name]


def slices(results: list[Result]) -> dict[str, dict[str, float]]:
    return {name: aggregate([r for r in results if in_slice(name, r.wording, r.language)]) for name in SLICES}


def run(assistant: Assistant, items: list[Item], progress: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    iterable: Iterable[Item] = items
    if progress:
        from tqdm import tqdm

        iterable = tqdm(items, desc="eval", unit="q", leave=False)
    results = [score(item, assistant) for item in iterable]
    return {
        "overall": aggregate(results),
        "by_area": breakdown(results, lambda r: r.area),
        "by_language": breakdown(results, lambda r: r.language),
        "by_style": breakdown(results, lambda r: r.style),
        "by_wording": breakdown(results, lambda r: r.wording),
        "halves": {half: slices([r for r in results if r.held_out == (half == "held_out")])
                   for half in ("dev", "held_out")},
        "seconds": round(time.perf_counter() - started, 1),
        "settings": {"llm": assistant.settings.llm, "k": assistant.settings.k,
                     "dense_weight": assistant.settings.dense_weight,
                     "embedding_model": assistant.settings.embedding_model},
        "items": [asdict(r) for r in results],
    }


def compare(report: dict[str, Any], baseline: dict[str, Any], tolerance: float) -> tuple[list[str], bool]:
    """Lines of deltas for the gated metrics, and whether any got worse: a score dropped by more than
    `tolerance`, or a word count grew by more than WORDS_TOLERANCE of its baseline."""
    lines, failed = [], False
    for name in GATED + GATED_LOWER:
        new, old = report["overall"][name], baseline["overall"].get(name)
        if old is None:
            lines.append(f"  {name:22} {new:.3f}  (no baseline)")
            continue
        delta = new - old
        bad = delta > WORDS_TOLERANCE * old if name in GATED_LOWER else delta < -tolerance
        failed |= bad
        lines.append(f"  {name:22} {new:.3f}  baseline {old:.3f}  delta {delta:+.3f}{'  REGRESSION' if bad else ''}")
    return lines, failed


PAIRED = ("key_fact_recall", "lead_fact_recall_40")


def paired(report: dict[str, Any], before: dict[str, Any]) -> list[str]:
    """Item by item against an earlier report (`report.json`, with its items): on each half and slice,
    how many items got better and how many worse, and the sign test's p-value. Slices of 30 items
    move by a few hundredths by chance; this says whether a change moved more items one way."""
    old = {r["id"]: r for r in before.get("items", [])}
    lines = []
    for half in ("dev", "held_out"):
        rows = [r for r in report["items"]
                if r["id"] in old and r["in_scope"] and held_out(r["id"]) == (half == "held_out")]
        for name in SLICES:
            group = [r for r in rows if in_slice(name, r["wording"], r["language"])]
            cells = []
            for metric in PAIRED:
                up = sum(r[metric] > old[r["id"]][metric] + 1e-9 for r in group)
                down = sum(r[metric] < old[r["id"]][metric] - 1e-9 for r in group)
                cells.append(f"{metric} {up} better / {down} worse (p {m.sign_test(up, down):.2f})")
            lines.append(f"  {half:8} {name:14} {len(group):3} in scope  " + "; ".join(cells))
    return lines


def write_outputs(report: dict[str, Any], out: Path) -> list[Path]:
    from .report import chart, markdown

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "summary.md", out / "metrics_by_area.png"]
    paths[0].write_text(json.dumps(report, indent=2, ensure_ascii=False))
    paths[1].write_text(markdown(report))
    chart(report, paths[2])
    return paths
