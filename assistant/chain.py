"""The one path every door takes: `Assistant.answer(question) -> Answer`.

An LCEL chain of plain steps: check the question, retrieve (vector + keyword, fused), answer
extractively (the offline answer, and the fallback of the model), generate with the model (when
`settings.llm` is not extractive), ground the model's reply in its sources, check the citations.

`Assistant.stream(question)` runs the same chain and yields the model's tokens as they arrive:

    run = assistant.stream(question)
    for piece in run:             # model tokens; in extractive mode the final answer, once
        print(piece, end="", flush=True)
    ans = run.answer              # the checked Answer (citations hold), available after the loop
    if run.changed:               # the check removed or replaced something: show the checked text
        print("\n---\n" + ans.answer)"""

from __future__ import annotations

import logging
import queue
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import RunnableLambda

from .acronyms import acronyms_for
from .answering.citations import ground, problems, reply_sentences
from .answering.extractive import compose
from .answering.model import answer_messages, failure_notice, generate, make_chat_model
from .answering.support import SentenceVectors, SupportCheck
from .embeddings import embedder_id, make_embedder
from .keywords import KeywordIndex, index_version
from .language import expand, with_english
from .retrieval import HybridRetriever, make_filter
from .schema import Answer, BadQuestion
from .settings import Settings
from .store import Store, has_units, units_of
from .topics import TopicClassifier, load_taxonomy

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from .retrieval import Retrieved

State = dict[str, Any]
TokenCallback = Callable[[str], None]
log = logging.getLogger(__name__)


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
                      | RunnableLambda(self._answer) | RunnableLambda(self._generate)
                      | RunnableLambda(self._ground) | RunnableLambda(self._check))

    @cached_property
    def embedder(self) -> Any:
        return make_embedder(self.settings)

    @cached_property
    def vector_space(self) -> str:
        """The embedder's id (see `embedder_id`): what the index's chunks must have been embedded by."""
        return embedder_id(self.settings)

    def preload(self) -> None:
        """Start loading the embedding model in the background (a cold `ask` opens the store meanwhile)."""
        if hasattr(self.embedder, "preload"):
            self.embedder.preload()

    @cached_property
    def store(self) -> Store:
        return Store(self.settings)

    @cached_property
    def chat_model(self) -> BaseChatModel:
        """The configured chat model (raises ModelUnavailable when its package is missing)."""
        return make_chat_model(self.settings)

    @cached_property
    def classifier(self) -> TopicClassifier:
        return TopicClassifier(load_taxonomy(self.settings.taxonomy_file), self.embedder,
                               self.settings.model_cache_dir / "topics", self.vector_space)

    @property
    def keywords(self) -> KeywordIndex:
        # Cheap when current: compares the store's content version with the loaded index.
        idx: KeywordIndex | None = self.__dict__.get("_keywords")
        if idx is None or idx.version != index_version(self.store):
            idx = KeywordIndex.for_store(self.store, self.settings.data_dir / "keywords")
            self.__dict__["_keywords"] = idx
        return idx

    def answer(self, question: str, topic: str | None = None, kind: str | None = None,
               on_token: TokenCallback | None = None, shown: frozenset[str] = frozenset()) -> Answer:
        """The checked answer. `on_token` gets the model's reply piece by piece as it streams in
        (model modes only; those pieces are unchecked: show the returned Answer afterwards). `shown`:
        sentences the reader has already seen (`shown_sentences` of earlier answers in a chat), which
        the extractive answer does not repeat."""
        result: Answer = self.chain.invoke({"question": question, "topic": topic, "kind": kind,
                                            "on_token": on_token, "shown": shown})
        return result

    def stream(self, question: str, topic: str | None = None, kind: str | None = None,
               shown: frozenset[str] = frozenset()) -> AnswerStream:
        """Iterate for the model's tokens as they arrive; then `.answer` is the checked Answer."""
        return AnswerStream(lambda on_token: self.answer(question, topic, kind, on_token=on_token, shown=shown))

    # --- the steps -------------------------------------------------------------------------------

    def _prepare(self, state: State) -> State:
        state["t0"] = time.perf_counter()
        state["question"] = clean_question(state["question"], self.settings.max_question_chars)
        # What retrieval and sentence scoring use: a Lithuanian question gains its English terms.
        state["search"] = expand(state["question"])
        return state

    def _retrieve(self, state: State) -> State:
        t = time.perf_counter()
        keywords = self.keywords
        # A name spelled out also finds the text that abbreviates it ("Key Enabling Technologies": KETs).
        acronyms = acronyms_for(state["search"], keywords.acronyms)
        state["query"] = with_english(state["search"], acronyms)  # what is embedded and matched
        qv = self.embedder.embed_query(state["query"])
        state["topic_asked"] = self.classifier.classify(qv)
        retriever = HybridRetriever(self.settings, self.store, keywords)
        state["retrieved"] = retriever.retrieve(state["search"], qv, make_filter(state["topic"], state["kind"]),
                                                search=state["query"])
        self._check_vector_space(state["retrieved"])
        state["t_retrieve"] = (time.perf_counter() - t) * 1000
        return state

    def _answer(self, state: State) -> State:
        """The extractive answer: what extractive mode shows, and the model modes' fallback."""
        t = time.perf_counter()
        r = state["retrieved"]
        q = state["question"]
        topic = state["topic"] or state["topic_asked"]
        if not self._in_scope(r):
            labels = {t.id: t.label for t in self.classifier.topics}
            filters = [f"topic “{labels.get(state['topic'], state['topic'])}”" if state["topic"] else "",
                       f"kind “{state['kind']}”" if state["kind"] else ""]
            ans = Answer(question=q, answer=self.refusal_text(r.unknown_names, filters),
                         refused=True, topic=topic, confidence=r.relevance)
        else:
            missing = [d for d in r.context if not has_units(d.metadata)]
            if missing:  # an index from an older version: still answerable, a little slower
                from .ingest import fill_units

                log.warning("%d chunks have no stored sentence units, or units from an older version: run "
                            "`cluster-assistant ingest` to update the index", len(missing))
                fill_units(self.embedder, missing)
            units = units_of(r.context)
            text, cites = compose(state["query"], r.query_vector, r.context, units, self.settings.answer_words,
                                  shown=state.get("shown", frozenset()))
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

    def _generate(self, state: State) -> State:
        """The model writes an answer from the numbered, fenced sources (model modes, in scope only)."""
        state["reply"] = state["model_error"] = None
        if self.settings.llm == "extractive" or not self._in_scope(state["retrieved"]):
            return state
        t = time.perf_counter()
        try:
            messages = answer_messages(state["question"], state["retrieved"].context, self.settings)
            state["reply"] = generate(self.chat_model, messages, self.settings.llm_timeout_s, state.get("on_token"))
        except Exception as e:  # noqa: BLE001 - any model failure falls back to the extractive answer
            log.warning("model failed, using the extractive answer: %s", failure_notice(e, self.settings))
            state["model_error"] = e
        state["t_answer"] += (time.perf_counter() - t) * 1000
        return state

    def _ground(self, state: State) -> State:
        """Keep the model's answer only if it is grounded; otherwise the extractive one, with a notice."""
        fallback: Answer = state["answer"]
        if state["model_error"] is not None:
            fallback.notice = failure_notice(state["model_error"], self.settings)
            return state
        if state["reply"] is None:
            return state
        r = state["retrieved"]
        g = ground(state["reply"], r.context, state["question"], self.support_check(state["reply"], state["question"],
                                                                                   r.context))
        text, cites, refused, notice = g.text, g.citations, g.refused, g.notice
        if not refused and not cites:
            fallback.notice = notice
            fallback.support = g.support_counts()
            return state
        ans = Answer(question=state["question"], answer=self.refusal_text() if refused else text, refused=refused,
                     topic=fallback.topic, citations=cites, confidence=fallback.confidence,
                     provider=self.settings.llm, notice=notice, retrieved=fallback.retrieved,
                     support=g.support_counts())
        if problems(ans, {d.metadata["id"]: d.page_content for d in r.context}):
            fallback.notice = "the model's answer failed the citation check; showing the extractive answer"
            return state
        state["answer"] = ans
        return state

    def support_check(self, reply: str, question: str, context: list[Any]) -> SupportCheck:
        """The support check for one reply: source sentences take the vectors stored with their
        chunks; the reply's sentences are embedded up front, in one batch."""
        vectors = SentenceVectors(self.embedder, {u.text: u.embedding for u in units_of(context)})
        vectors.prefetch(reply_sentences(reply))
        return SupportCheck(question, context, vectors, self.settings.support_threshold)

    def _check(self, state: State) -> Answer:
        ans: Answer = state["answer"]
        texts = {d.metadata["id"]: d.page_content for d in state["retrieved"].context}
        found = problems(ans, texts)
        if found:  # never show an answer whose citations do not hold
            raise RuntimeError("citation check failed: " + "; ".join(found))
        ans.timings_ms = {"retrieve": state["t_retrieve"], "answer": state["t_answer"],
                          "total": (time.perf_counter() - state["t0"]) * 1000}
        return ans

    def _check_vector_space(self, r: Retrieved) -> None:
        """Warn (once) when the index was embedded by another model than the one asking: the answers
        still come, but ranking is off until `ingest` embeds it again."""
        space = self.vector_space
        other = sorted({str(d.metadata.get("embedder", "an earlier version")) for d in r.docs} - {space})
        if other and not self.__dict__.get("_warned_space"):
            self.__dict__["_warned_space"] = True
            log.warning("the index was embedded by %s, but the settings embed with %s: run `cluster-assistant "
                        "ingest` to embed it again", ", ".join(other), space)

    def _in_scope(self, r: Retrieved) -> bool:
        return bool(r.docs) and r.relevance >= self.settings.min_relevance

    def refusal_text(self, unknown_names: list[str] | None = None, filters: list[str] | None = None) -> str:
        filters = [f for f in filters or [] if f]
        if filters and not unknown_names:  # the filter may be what hid the answer
            return (f"Nothing in the documents of {' and '.join(filters)} answers this question. Ask without "
                    "the filter to search all documents.")
        # "Communication & marketing" reads as "communication & marketing"; "R&D" stays "R&D".
        labels = ", ".join(t.label if t.label[:2].isupper() else t.label[0].lower() + t.label[1:]
                           for t in self.classifier.topics)
        missing = f" No document mentions {', '.join(unknown_names)}." if unknown_names else ""
        return ("The knowledge base does not cover this question, so I cannot answer it from the sources."
                f"{missing} It covers cluster topics such as {labels}.")


class AnswerStream:
    """One streamed answer: iterate for text pieces as they arrive, then read `.answer`.

    The chain runs in a worker thread; its errors (a BadQuestion, say) are raised by the iteration.
    When nothing streamed (extractive mode, a refusal before the model, a model failure before its
    first token) the final answer text is yielded once, so printing the pieces always shows text."""

    def __init__(self, run: Callable[[TokenCallback], Answer]) -> None:
        self._run = run
        self._answer: Answer | None = None
        self.pieces: list[str] = []
        self.on_done: list[Callable[[Answer], None]] = []

    def __iter__(self) -> Iterator[str]:
        if self._answer is not None:
            yield from self.pieces
            return
        q: queue.Queue[tuple[str, Any]] = queue.Queue()

        def work() -> None:
            try:
                q.put(("done", self._run(lambda piece: q.put(("piece", piece)))))
            except BaseException as e:  # noqa: BLE001 - handed to the consumer's thread
                q.put(("error", e))

        threading.Thread(target=work, name="answer-stream", daemon=True).start()
        while True:
            kind, item = q.get()
            if kind == "piece":
                self.pieces.append(item)
                yield item
            elif kind == "error":
                raise item
            else:
                break
        ans: Answer = item
        self._answer = ans
        for hook in self.on_done:
            hook(ans)
        if not self.pieces:
            self.pieces.append(ans.answer)
            yield ans.answer

    @property
    def answer_ready(self) -> bool:
        """True once the checked answer exists: pieces seen before that are the model's draft."""
        return self._answer is not None

    @property
    def answer(self) -> Answer:
        if self._answer is None:
            raise RuntimeError("iterate the stream to the end before reading its answer")
        return self._answer

    @property
    def text(self) -> str:
        """What was streamed, unchecked."""
        return "".join(self.pieces)

    @property
    def changed(self) -> bool:
        """Does the checked answer differ from what was streamed? (then show the checked text)"""
        return " ".join(self.text.split()) != " ".join(self.answer.answer.split())
