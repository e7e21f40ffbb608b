"""The competence-gap map: per topic, how much of the corpus covers it and which asked questions
it failed (refused, or answered with low confidence). It shows maintainers where the corpus is thin."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .feedback import FeedbackStore

if TYPE_CHECKING:
    from .pipeline import Assistant

LOW_CONFIDENCE_MARGIN = 0.1  # answered, but within this of the refusal threshold
NEAR_MISS_MARGIN = 0.05  # refused, but within this of the threshold: the corpus has close passages


def kind_of_failure(q: dict[str, Any], min_relevance: float) -> str:
    """A refused question close to the threshold may be a false refusal (worded otherwise than the
    documents, or a word the glossary lacks); one far below it, or about a name no document
    mentions (confidence 0), is a real gap in the corpus."""
    confidence = float(q.get("confidence") or 0)
    if not q["refused"]:
        return "low confidence"
    return "near miss" if confidence >= min_relevance - NEAR_MISS_MARGIN else "not covered"


@dataclass
class TopicGap:
    id: str
    label: str
    documents: set[str] = field(default_factory=set)
    chunks: int = 0
    asked: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def thin(self) -> bool:
        return len(self.documents) <= 1 or self.chunks < 5 or (self.asked > 0 and len(self.failed) / self.asked > 0.5)


def gap_map(assistant: Assistant, since: str | None = None) -> list[TopicGap]:

    topics = {t.id: TopicGap(t.id, t.label) for t in assistant.classifier.topics}
    _, metas = assistant.store.all_metadata()
    for m in metas:
        for t in str(m.get("chunk_topics", "")).split(","):
            if t in topics:
                topics[t].chunks += 1
                topics[t].documents.add(str(m.get("doc_id")))
    low = assistant.settings.min_relevance + LOW_CONFIDENCE_MARGIN
    for q in FeedbackStore.in_dir(assistant.settings.data_dir).questions(since):
        gap = topics.get(str(q.get("topic")))
        if gap is None:
            continue
        gap.asked += 1
        if q["refused"] or float(q.get("confidence") or 0) < low:
            gap.failed.append(q)
    return list(topics.values())


def render(gaps: list[TopicGap], examples: int = 5, min_relevance: float = 0.25) -> str:
    total = sum(g.chunks for g in gaps) or 1
    lines = ["# Competence-gap map", "",
             "| topic | documents | chunks | share | questions asked | refused or low confidence | thin? |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for g in sorted(gaps, key=lambda g: g.chunks):
        lines.append(f"| {g.label} | {len(g.documents)} | {g.chunks} | {g.chunks / total:.0%} | {g.asked} "
                     f"| {len(g.failed)} | {'**yes**' if g.thin else 'no'} |")
    lines += ["", "A chunk counts toward each topic it is tagged with, so the chunks add up to more than the index "
              "holds. A topic is thin with one document or none, fewer than 5 chunks, or more than half of its "
              f"questions failed (refused, or answered within {LOW_CONFIDENCE_MARGIN} of the refusal threshold). "
              "Questions off the map (the weather) have no topic and are not counted."]
    if not any(g.failed for g in gaps):
        lines += ["", "No question has failed so far."]
    heads = {"not covered": "not covered by the corpus (a real gap: add documents)",
             "near miss": "refused, but close passages exist (a possible false refusal: check the wording or the "
                          "Lithuanian glossary before adding documents)",
             "low confidence": "answered with low confidence"}
    for g in gaps:
        for kind, head in heads.items():
            found = [q for q in g.failed if kind_of_failure(q, min_relevance) == kind]
            if found:
                lines += ["", f"## {g.label}: {head}", ""]
                lines += [f"- {q['question']} (confidence {float(q.get('confidence') or 0):.2f}, {q['time'][:10]})"
                          for q in found[-examples:]]
    return "\n".join(lines) + "\n"
