"""The one data type every door passes around. `Answer.to_json()` is the stable `ask --json` shape."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    source: str
    page: int | None
    section: str
    quote: str
    chunk_id: str = ""

    def where(self) -> str:
        """'p. 4', 'slide 7' (a deck's `page` is its slide number), 'slide 7 (speaker notes)', or the
        section path, for people. A Markdown section path starts with the document's own heading,
        which is usually the title: shown next to the title, it would say it twice."""
        if self.page is not None:
            if not self.source.lower().endswith(".pptx"):
                return f"p. {self.page}"
            notes = " (speaker notes)" if self.section.split(" > ")[-1] == "Speaker notes" else ""
            return f"slide {self.page}{notes}"
        section = self.section
        if self.title and section.startswith(self.title + " > "):
            section = section[len(self.title) + 3:]
        return section if section != self.title else ""

    def label(self) -> str:
        """'Title, p. 4': the title and where in it, for people."""
        return f"{self.title}, {self.where()}" if self.where() else self.title


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    topic: str | None = None
    citations: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    # Not part of the JSON shape: diagnostics for evals, Slack and logs.
    confidence: float = 0.0
    provider: str = "extractive"
    notice: str = ""
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    # Set when a model's reply went through the support check: {"checked", "removed", "reasons"}.
    support: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out = {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "topic": self.topic,
            "citations": [{k: v for k, v in asdict(c).items() if k != "chunk_id"} for c in self.citations],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }
        if self.support is not None:  # the one optional key: only when a model's reply was checked
            out["support_check"] = self.support
        return out


class BadQuestion(ValueError):
    """A question we refuse to process; the message says why, for the user."""
