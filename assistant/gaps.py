"""The competence-gap map: per topic, how much of the corpus covers it and which asked questions
it failed (refused, or answered with low confidence). It shows maintainers where the corpus is thin."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chain import Assistant

LOW_CONFIDENCE_MARGIN = 0.1  # answered, but within this of the refusal threshold


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
    from .feedback import FeedbackStore

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


def render(gaps: list[TopicGap], examples: int = 5) -> str:
    total = sum(g.chunks for g in gaps) or 1
    lines = ["# Competence-gap map", "",
             "| topic | documents | chunks | share | questions asked | refused or low confidence | thin? |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for g in sorted(gaps, key=lambda g: g.chunks):
        lines.append(f"| {g.label} | {len(g.documents)} | {g.chunks} | {g.chunks / total:.0%} | {g.asked} "
                     f"| {len(g.failed)} | {'**yes**' if g.thin else 'no'} |")
    for g in gaps:
        if g.failed:
            lines += ["", f"## {g.label}: questions the corpus did not answer well", ""]
            for q in g.failed[-examples:]:
                status = "refused" if q["refused"] else f"low confidence {float(q['confidence']):.2f}"
                lines.append(f"- {q['question']} ({status}, {q['time'][:10]})")
    return "\n".join(lines) + "\n"
