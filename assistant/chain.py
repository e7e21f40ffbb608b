"""The one path every door takes: `Assistant.answer(question) -> Answer`.

An LCEL chain of four plain steps: check the question, retrieve (vector + keyword, fused),
answer (extractive or model), check the citations."""

from __future__ import annotations

import time
import unicodedata
from functools import cached_property
from typing import Any

from langchain_core.runnables import RunnableLambda

from .answering.citations import problems
from .answering.extractive import compose
from .embeddings import make_embedder
from .keywords import KeywordIndex
from .retrieval import HybridRetriever, make_filter
from .schema import Answer, BadQuestion
from .settings import Settings
from .store import Store
from .topics import TopicClassifier, load_taxonomy

State = dict[str, Any]


def clean_question(question: str, max_chars: int) -> str:
    """Strip control characters; reject what is not a question we can answer."""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in question)
    text = " ".join(text.split())
    if not text:
        raise BadQuestion("the question is empty: ask something, e.g. \"How can a cluster attract members?\"")
    if len(text) > max_chars:
        raise BadQuestion(f"the question is {len(text)} characters long; the limit is {max_chars}. "
                          "Ask a shorter question.")
    if not any(ch.isalnum() for ch in text):
        raise BadQuestion("the question has no words in it (only symbols or emoji)")
    return text


class Assistant:
    """Holds the heavy parts (embedder, store, keyword index) so each loads once per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.chain = (RunnableLambda(self._prepare) | RunnableLambda(self._retrieve)
                      | RunnableLambda(self._answer) | RunnableLambda(self._check))

    @cached_property
    def embedder(self) -> Any:
        return make_embedder(self.settings)

    @cached_property
    def store(self) -> Store:
        return Store(self.settings)

    @cached_property
    def classifier(self) -> TopicClassifier:
        return TopicClassifier(load_taxonomy(self.settings.taxonomy_file), self.embedder)

    @property
    def keywords(self) -> KeywordIndex:
        # Cheap when current: compares the store's content version with the loaded index.
        idx: KeywordIndex | None = self.__dict__.get("_keywords")
        if idx is None or idx.version != self.store.content_version():
            idx = KeywordIndex.for_store(self.store, self.settings.data_dir / "keywords")
            self.__dict__["_keywords"] = idx
        return idx

    def answer(self, question: str, topic: str | None = None, kind: str | None = None) -> Answer:
        result: Answer = self.chain.invoke({"question": question, "topic": topic, "kind": kind})
        return result

    # --- the steps -------------------------------------------------------------------------------

    def _prepare(self, state: State) -> State:
        state["t0"] = time.perf_counter()
        state["question"] = clean_question(state["question"], self.settings.max_question_chars)
        return state

    def _retrieve(self, state: State) -> State:
        t = time.perf_counter()
        qv = self.embedder.embed_query(state["question"])
        state["topic_asked"] = self.classifier.classify(qv)
        retriever = HybridRetriever(self.settings, self.store, self.keywords)
        state["retrieved"] = retriever.retrieve(state["question"], qv, make_filter(state["topic"], state["kind"]))
        state["t_retrieve"] = (time.perf_counter() - t) * 1000
        return state

    def _answer(self, state: State) -> State:
        t = time.perf_counter()
        r = state["retrieved"]
        q = state["question"]
        topic = state["topic"] or state["topic_asked"]
        if not r.docs or r.relevance < self.settings.min_relevance:
            ans = Answer(question=q, answer=self.refusal_text(), refused=True, topic=topic, confidence=r.relevance)
        else:
            units = self.store.units_of([d.metadata["id"] for d in r.context])
            text, cites = compose(q, r.query_vector, r.context, units, self.settings.answer_words)
            ans = Answer(question=q, answer=text, refused=not cites, topic=topic, citations=cites,
                         confidence=r.relevance)
            if not cites:
                ans.answer = self.refusal_text()
        ans.retrieved = [{"id": d.metadata["id"], "doc_id": d.metadata.get("doc_id"), "page": d.metadata.get("page"),
                          "section": d.metadata.get("section"), "dense": d.metadata.get("dense"),
                          "keyword": d.metadata.get("keyword"), "neighbour": "neighbour_of" in d.metadata}
                         for d in r.context]
        state["answer"] = ans
        state["t_answer"] = (time.perf_counter() - t) * 1000
        return state

    def _check(self, state: State) -> Answer:
        ans: Answer = state["answer"]
        texts = {d.metadata["id"]: d.page_content for d in state["retrieved"].context}
        found = problems(ans, texts)
        if found:  # never show an answer whose citations do not hold
            raise RuntimeError("citation check failed: " + "; ".join(found))
        ans.timings_ms = {"retrieve": state["t_retrieve"], "answer": state["t_answer"],
                          "total": (time.perf_counter() - state["t0"]) * 1000}
        return ans

    def refusal_text(self) -> str:
        labels = ", ".join(t.label.lower() for t in self.classifier.topics)
        return ("The knowledge base does not cover this question, so I cannot answer it from the sources. "
                f"It covers cluster topics such as {labels}.")
