"""The one path every door takes: `Assistant.answer(question) -> Answer`.

Six plain steps, called in order in `answer()` over one typed `Turn`: check the question, retrieve
(vector + keyword, fused), answer extractively (the offline answer, and the fallback of the model),
generate with the model (when `settings.llm` is not extractive), ground the model's reply in its
sources, check the citations. (No LCEL: the steps need none of its streaming or tracing, and a reader
follows a question's path by reading `answer()`.)

`Assistant.stream(question)` runs the same steps and yields the model's tokens as they arrive:

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
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from .acronyms import acronyms_for
from .answering.asking import Clues, defined_name, question_parts, subject_terms
from .answering.citations import citation_problems, ground, reply_sentences
from .answering.extractive import compose
from .answering.model import answer_messages, failure_notice, generate, make_chat_model
from .answering.support import SentenceVectors, SupportCheck, unit_vector
from .embeddings import embedder_id, make_embedder
from .english_words import is_english_word
from .keywords import KeywordIndex, index_version, names_in, stem, terms
from .language import english_part, expand, is_lithuanian, untranslated, with_english
from .retrieval import HybridRetriever, make_filter
from .schema import Answer, BadQuestion
from .settings import Settings
from .spelling import corrected, corrected_names, spelled_out
from .store import Store, has_units, units_of
from .topics import TopicClassifier, load_taxonomy, nearest_units
from .unit_vectors import fill_units
from .vector_centre import corpus_centre
from .word_vectors import WordVectors

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from .retrieval import Retrieved

TokenCallback = Callable[[str], None]
EVIDENCE_CHUNKS = 5  # the best chunks whose sentences help tell a question's competence area
SHORT_ASK = 4  # content terms: what a question this short asks besides its names is its subject
CORPUS_SUBJECT = 0.5  # of the chunks: a name more of them hold is what the documents are about, not a setting
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


@dataclass
class Turn:
    """One question on its way through the steps; each step fills in its fields."""

    question: str                          # as asked; `_prepare` cleans it
    topic: str | None = None               # filter: only chunks of this competence area
    kind: str | None = None                # filter: only documents of this kind
    on_token: TokenCallback | None = None  # gets the model's reply as it streams (model modes)
    shown: frozenset[str] = frozenset()    # sentences a chat has already shown (`shown_sentences`)
    word_cap: int | None = None            # the extractive answer's word cap, if not `answer_words`
    started: float = 0.0                   # perf_counter() when the question arrived
    search: str = ""                       # the question; a Lithuanian one with its English terms
    query: str = ""                        # `search` and the acronyms it spells out: embedded and matched
    topic_asked: str = ""                  # the competence area the question is about
    retrieved: Retrieved | None = None     # the chunks found, and how relevant the best is
    on_map: bool = True                    # nearer the documents than any everyday subject (`_on_the_map`)
    words: WordVectors | None = None       # the corpus's word vectors, as retrieval saw them
    clues: Clues = field(default_factory=Clues)  # names, parts, focus: what the answerer weighs besides
    retrieve_ms: float = 0.0
    answer: Answer | None = None           # the extractive answer, or the model's once grounded
    answer_ms: float = 0.0
    reply: str | None = None               # the model's reply, unchecked
    model_error: Exception | None = None   # why the model gave no reply

    @property
    def found(self) -> Retrieved:
        assert self.retrieved is not None, "retrieve first"
        return self.retrieved

    @property
    def shown_answer(self) -> Answer:
        assert self.answer is not None, "answer first"
        return self.answer


class Assistant:
    """Holds the heavy parts (embedder, store, keyword index) so each loads once per process."""

    def __init__(self, settings: Settings, embedder: Any = None) -> None:
        """`embedder`: one already loaded (the model is stateless, so processes with several
        assistants, like the test suite, share one)."""
        self.settings = settings
        if embedder is not None:
            self.embedder = embedder
        self._keywords: KeywordIndex | None = None
        self._vectors: tuple[WordVectors, np.ndarray | None] | None = None  # for the loaded keyword index
        self._warned_space = False  # the "index from another model" warning, once

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
        taxonomy = load_taxonomy(self.settings.taxonomy_file)
        return TopicClassifier(taxonomy.topics, self.embedder, self.settings.model_cache_dir / "topics",
                               self.vector_space, taxonomy.off_topics)

    @property
    def keywords(self) -> KeywordIndex:
        # Cheap when current: compares the store's content version with the loaded index.
        idx = self._keywords
        if idx is None or idx.version != index_version(self.store):
            idx = self._keywords = KeywordIndex.for_store(self.store, self.settings.keywords_dir)
            self._vectors = None
        return idx

    def knows(self, word: str) -> bool:
        """Does some indexed chunk hold the word (as a keyword term)?"""
        return any(self.keywords.chunks_holding(t) for t in terms(word))

    def derived(self) -> tuple[KeywordIndex, WordVectors, np.ndarray | None]:
        """What is derived from the store's content, current with it (one version check): the keyword
        index, its words embedded one by one (`word_vectors`) and the corpus centre (`vector_centre`),
        each saved at ingest and loaded here once."""
        keywords = self.keywords
        vectors = self._vectors
        if vectors is None:
            vectors = self._vectors = (
                WordVectors.for_vocabulary(keywords.columns.by_spread(), self.embedder, self.settings.keywords_dir,
                                           self.vector_space),
                corpus_centre(self.store, self.settings.keywords_dir))
        return keywords, *vectors

    def answer(self, question: str, topic: str | None = None, kind: str | None = None,
               on_token: TokenCallback | None = None, shown: frozenset[str] = frozenset(),
               word_cap: int | None = None) -> Answer:
        """The checked answer. `on_token` gets the model's reply piece by piece as it streams in
        (model modes only; those pieces are unchecked: show the returned Answer afterwards). `shown`:
        sentences the reader has already seen (`shown_sentences` of earlier answers in a chat), which
        the extractive answer does not repeat. `word_cap`: the extractive answer's cap instead of
        `answer_words` (a mentor plan draws on longer answers)."""
        turn = Turn(question, topic, kind, on_token, shown, word_cap)
        for step in (self._prepare, self._retrieve, self._answer, self._generate, self._ground):
            step(turn)
        return self._check(turn)

    def stream(self, question: str, topic: str | None = None, kind: str | None = None,
               shown: frozenset[str] = frozenset()) -> AnswerStream:
        """Iterate for the model's tokens as they arrive; then `.answer` is the checked Answer."""
        return AnswerStream(lambda on_token: self.answer(question, topic, kind, on_token=on_token, shown=shown))

    # --- the steps -------------------------------------------------------------------------------

    def _prepare(self, turn: Turn) -> None:
        turn.started = time.perf_counter()
        turn.question = clean_question(turn.question, self.settings.max_question_chars)
        # What retrieval and sentence scoring use: a Lithuanian question gains its English terms.
        turn.search = expand(turn.question)

    def _retrieve(self, turn: Turn) -> None:
        t = time.perf_counter()
        keywords, words, centre = self.derived()
        turn.words = words
        if not is_lithuanian(turn.question):  # "avg cluster size?", "wat is the clusterfy acton plan objectiv"
            turn.search = corrected(corrected_names(spelled_out(turn.search), keywords.chunks_holding, keywords.names),
                                    keywords.chunks_holding)
        else:  # a name typed in lower case ("kada bus inoklaster rezultatai") is no Lithuanian word
            turn.search = with_english(turn.search, [w for w in untranslated(turn.search)
                                                     if keywords.chunks_holding(stem(w))])
        # A name spelled out also finds the text that abbreviates it ("Key Enabling Technologies": KETs).
        acronyms = acronyms_for(turn.search, keywords.acronyms)
        turn.query = with_english(turn.search, acronyms)  # what is embedded and matched
        qv = self.embedder.embed_query(turn.query)
        parts = question_parts(turn.search)  # as put right: "What does INOKLASTR fund?" asks what INOKLASTER does
        turn.clues = Clues(
            subjects=keywords.subjects(turn.search), focus=keywords.focus(subject_terms(turn.search)),
            # "What exactly is INOKLASTER and what does it fund?": its first part asks what it is.
            defined=list(dict.fromkeys(n for p in parts for n in defined_name(p, keywords.acronyms))),
            # Each part is read in the light of the whole ("how many earned it through InoLink?": the label).
            parts=[(p, unit_vector(np.add(self.embedder.embed_query(p), qv)).tolist()) for p in parts]
            if len(parts) > 1 else [])
        retriever = HybridRetriever(self.settings, self.store, keywords, words)
        turn.retrieved = retriever.retrieve(turn.search, qv, make_filter(turn.topic, turn.kind), search=turn.query)
        # The area is read from the question and from the sentences of the best chunks nearest it.
        evidence = nearest_units(qv, [u.embedding for u in units_of(turn.found.docs[:EVIDENCE_CHUNKS])])
        turn.topic_asked = self.classifier.classify(qv, centre, evidence)
        turn.on_map = self._on_the_map(turn)  # once: it may search again for each part of the question
        self._check_vector_space(turn.found)
        turn.retrieve_ms = (time.perf_counter() - t) * 1000

    def _answer(self, turn: Turn) -> None:
        """The extractive answer: what extractive mode shows, and the model modes' fallback."""
        t = time.perf_counter()
        r = turn.found
        q = turn.question
        topic = turn.topic or turn.topic_asked
        if not self._in_scope(turn):
            strange = self._strange_words(turn)
            if not turn.on_map or strange:
                topic = turn.topic or ""  # no competence area: the gap map lists neither the weather nor "asdfgh"
            labels = {t.id: t.label for t in self.classifier.topics}
            filters = [f"topic “{labels.get(turn.topic, turn.topic)}”" if turn.topic else "",
                       f"kind “{turn.kind}”" if turn.kind else ""]
            ans = Answer(question=q, answer=self.refusal_text(r.unknown_names + strange, filters, r.lacking),
                         refused=True, topic=topic, confidence=r.relevance)
        else:
            missing = [d for d in r.context if not has_units(d.metadata)]
            if missing:  # an index from an older version: still answerable, a little slower
                log.warning("%d chunks have no stored sentence units, or units from an older version: run "
                            "`cluster-assistant ingest` to update the index", len(missing))
                fill_units(self.embedder, missing)
            units = units_of(r.context)
            text, cites = compose(turn.query, r.query_vector, r.context, units,
                                  turn.word_cap or self.settings.answer_words,
                                  shown=turn.shown, word_vectors=turn.words, clues=turn.clues)
            ans = Answer(question=q, answer=text, refused=not cites, topic=topic, citations=cites,
                         confidence=r.relevance)
            if not cites:
                ans.answer = self.refusal_text()
        ans.retrieved = [{"id": d.metadata["id"], "doc_id": d.metadata.get("doc_id"), "page": d.metadata.get("page"),
                          "section": d.metadata.get("section"), "dense": d.metadata.get("dense"),
                          "keyword": d.metadata.get("keyword"), "neighbour": "neighbour_of" in d.metadata}
                         for d in r.context]
        turn.answer = ans
        turn.answer_ms = (time.perf_counter() - t) * 1000

    def _generate(self, turn: Turn) -> None:
        """The model writes an answer from the numbered, fenced sources (model modes, in scope only)."""
        turn.reply = turn.model_error = None
        if self.settings.llm == "extractive" or not self._in_scope(turn):
            return
        t = time.perf_counter()
        try:
            messages = answer_messages(turn.question, turn.found.context, self.settings)
            turn.reply = generate(self.chat_model, messages, self.settings.llm_timeout_s, turn.on_token)
        except Exception as e:  # noqa: BLE001 - any model failure falls back to the extractive answer
            log.warning("model failed, using the extractive answer: %s", failure_notice(e, self.settings))
            turn.model_error = e
        turn.answer_ms += (time.perf_counter() - t) * 1000

    def _ground(self, turn: Turn) -> None:
        """Keep the model's answer only if it is grounded; otherwise the extractive one, with a notice."""
        fallback = turn.shown_answer
        if turn.model_error is not None:
            fallback.notice = failure_notice(turn.model_error, self.settings)
            return
        if turn.reply is None:
            return
        r = turn.found
        g = ground(turn.reply, r.context, turn.question, self.support_check(turn.reply, turn.question, r.context))
        text, cites, refused, notice = g.text, g.citations, g.refused, g.notice
        if not refused and not cites:
            fallback.notice = notice
            fallback.support = g.support_counts()
            return
        ans = Answer(question=turn.question, answer=self.refusal_text() if refused else text, refused=refused,
                     topic=fallback.topic, citations=cites, confidence=fallback.confidence,
                     provider=self.settings.llm, notice=notice, retrieved=fallback.retrieved,
                     support=g.support_counts())
        if citation_problems(ans, {d.metadata["id"]: d.page_content for d in r.context}):
            fallback.notice = "the model's answer failed the citation check; showing the extractive answer"
            return
        turn.answer = ans

    def support_check(self, reply: str, question: str, context: list[Any]) -> SupportCheck:
        """The support check for one reply: source sentences take the vectors stored with their
        chunks; the reply's sentences are embedded up front, in one batch."""
        vectors = SentenceVectors(self.embedder, {u.text: u.embedding for u in units_of(context)})
        vectors.prefetch(reply_sentences(reply))
        return SupportCheck(question, context, vectors, self.settings.support_threshold)

    def _check(self, turn: Turn) -> Answer:
        ans = turn.shown_answer
        texts = {d.metadata["id"]: d.page_content for d in turn.found.context}
        found = citation_problems(ans, texts)
        if found:  # never show an answer whose citations do not hold
            raise RuntimeError("citation check failed: " + "; ".join(found))
        ans.timings_ms = {"retrieve": turn.retrieve_ms, "answer": turn.answer_ms,
                          "total": (time.perf_counter() - turn.started) * 1000}
        return ans

    def _check_vector_space(self, r: Retrieved) -> None:
        """Warn (once) when the index was embedded by another model than the one asking: the answers
        still come, but ranking is off until `ingest` embeds it again."""
        space = self.vector_space
        other = sorted({str(d.metadata.get("embedder", "an earlier version")) for d in r.docs} - {space})
        if other and not self._warned_space:
            self._warned_space = True
            log.warning("the index was embedded by %s, but the settings embed with %s: run `cluster-assistant "
                        "ingest` to embed it again", ", ".join(other), space)

    def _in_scope(self, turn: Turn) -> bool:
        r = turn.found
        return bool(r.docs) and r.relevance >= self.settings.min_relevance and turn.on_map

    def _on_the_map(self, turn: Turn) -> bool:
        """Is the question nearer some document, or a competence area, than any everyday subject off the map
        (taxonomy `off_topics`)? The weather in Vilnius shares a city with the documents, not a subject;
        "export markets" is nearer stock markets than any one chunk, and nearer internationalisation still. A
        question that asks several things is on the map when one of them is ("Who coordinates InoLink and
        where does its money come from?": money is near currency rates). With nothing indexed there is
        nothing to compare: the question is not judged off the map."""
        r = turn.found
        if not r.docs:
            return True
        if self.classifier.off_topic(r.query_vector) <= max(r.nearest, self.classifier.nearest_area(r.query_vector)):
            return not self._off_the_map_without_names(turn)
        return any(self.classifier.off_topic(v) <= max((s for _, s in self.store.search(v, 1)), default=0.0)
                   for _, v in turn.clues.parts)

    def _strange_words(self, turn: Turn) -> list[str]:
        """The words of a question when none is a word the documents or the English dictionary know ("asdfgh"):
        no competence area is asked about. A Lithuanian question is judged by its English terms."""
        english = english_part(turn.search)
        words = [w for w in terms(english) if not w.isdigit()]
        if not words or any(self.knows(w) or is_english_word(w) for w in words):
            return []
        return [w for w in english.split() if any(ch.isalpha() for ch in w)][:3]

    def _off_the_map_without_names(self, turn: Turn) -> bool:
        """Is a short question off the map once the places it names are left out ("weather in Vilnius": the
        city alone made it near the chunk listing where members are; "best restaurants in Vilnius")? In a short
        question a place is the setting and the rest is what is asked; in a longer one a name is often the
        subject ("what should an Innovation Partnership carry out in the delivery phase?"), so it is not
        asked without it."""
        english = english_part(turn.search)
        # Only a place's or a person's kind of name: one word, capitalised ("Vilnius"). A programme, a body or an
        # event is written in capitals, mixed case or several words ("MITA", "InoLink", "European Cluster
        # Conference"), and is what the question asks about: "When is the 2019 European Cluster Conference held?"
        # Nor what the documents are about: a name most chunks hold ("What threats does Lithuania face?").
        keywords = self.keywords
        half = CORPUS_SUBJECT * len(keywords.ids)
        names = [n for n in names_in(english) if n.isalpha() and n[:1].isupper() and n[1:].islower()
                 and all(keywords.chunks_holding(t) <= half for t in terms(n))]
        if not names:
            return False
        rest = english
        for name in names:
            rest = rest.replace(name, " ")
        if not 0 < len(terms(rest)) <= SHORT_ASK:
            return False
        v = self.embedder.embed_query(rest)
        nearest = max((s for _, s in self.store.search(v, 1)), default=0.0)
        return self.classifier.off_topic(v) > max(nearest, self.classifier.nearest_area(v))

    def refusal_text(self, unknown_names: list[str] | None = None, filters: list[str] | None = None,
                     lacking: list[str] | None = None) -> str:
        filters = [f for f in filters or [] if f]
        if filters and not unknown_names and not lacking:  # the filter may be what hid the answer
            return (f"Nothing in the documents of {' and '.join(filters)} answers this question. Ask without "
                    "the filter to search all documents.")
        # "Communication & marketing" reads as "communication & marketing"; "R&D" stays "R&D".
        labels = ", ".join(t.label if t.label[:2].isupper() else t.label[0].lower() + t.label[1:]
                           for t in self.classifier.topics)
        missing = f" No document mentions {', '.join(unknown_names)}." if unknown_names else ""
        if lacking:
            missing += f" The sources give no {' or '.join(lacking)}."
        return ("The knowledge base does not cover this question, so I cannot answer it from the sources."
                f"{missing} It covers cluster topics such as {labels}.")


class AnswerStream:
    """One streamed answer: iterate for text pieces as they arrive, then read `.answer`.

    The steps run in a worker thread; its errors (a BadQuestion, say) are raised by the iteration.
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
