"""Words that mean nearly the same, by the real embedding model: query expansion from the corpus's
own vocabulary, and sentences that word a question's terms otherwise."""

from pathlib import Path

import numpy as np
import pytest
from cluster_assistant.assistant.answering.extractive import compose
from cluster_assistant.assistant.keywords import KeywordIndex, terms
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.assistant.store import Unit
from cluster_assistant.assistant.word_vectors import FAMILY_MATCH, FILE, RELATED_PER_TERM, SOFT_MATCH, WordVectors
from langchain_core.documents import Document

from .conftest import make_assistant

VOCABULARY = ["funds", "financial", "weakness", "competitors", "office", "weather", "winter", "h2020"]


class NoModel:
    """Stands in for the model where it must not be needed: the saved file holds every word."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise AssertionError(f"embedded {texts}")

    def embed_query(self, text: str) -> list[float]:
        raise AssertionError(f"embedded {text!r}")


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> object:
    return make_assistant(tmp_path_factory.mktemp("data")).embedder


def test_related_words_come_from_the_vocabulary_and_mean_nearly_the_same(embedder: object, tmp_path: Path) -> None:
    words = WordVectors.for_vocabulary(VOCABULARY, embedder, tmp_path, "test-space")
    assert "h2020" not in words.words  # a code: it matches only itself
    money = words.related(["money"])
    assert {"funds", "financial"} <= set(money), money
    assert not {"weather", "winter", "office"} & set(money), money
    assert "weakness" in words.related(["weak"])
    sims = words.matches(["money", "compete", "h2020"], ["funds", "weather", "money", "competitors", "h2020"])
    assert sims[0, 0] >= SOFT_MATCH and sims[0, 1] == 0 and sims[0, 2] == 1.0
    assert sims[1, 3] >= SOFT_MATCH
    assert sims[2].tolist() == [0, 0, 0, 0, 1.0]


def test_the_vectors_are_saved_reused_and_a_damaged_file_is_embedded_again(
        embedder: object, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = WordVectors.for_vocabulary(VOCABULARY, embedder, tmp_path, "test-space")
    saved = (tmp_path / FILE).read_bytes()
    again = WordVectors.for_vocabulary(VOCABULARY, NoModel(), tmp_path, "test-space")
    assert again.words == first.words and np.array_equal(again.matrix, first.matrix)
    (tmp_path / FILE).write_bytes(saved[:100])  # cut short
    rebuilt = WordVectors.for_vocabulary(VOCABULARY, embedder, tmp_path, "test-space")
    assert "cannot be used" in caplog.text and FILE in caplog.text
    assert np.array_equal(rebuilt.matrix, first.matrix)
    assert (tmp_path / FILE).read_bytes() == saved  # written whole again
    other = WordVectors.for_vocabulary(VOCABULARY[:3], embedder, tmp_path, "test-space")
    assert other.words == VOCABULARY[:3] and np.array_equal(other.matrix, first.matrix[:3])


def test_keyword_search_finds_a_chunk_by_related_words_only_when_given_them(embedder: object, tmp_path: Path) -> None:
    texts = ["Municipal budget funds finance the cluster office.", "The weather in Vilnius is cold in winter."]
    index = KeywordIndex.build(["fees", "weather"], texts, "v1")
    words = WordVectors.for_vocabulary(index.columns.by_spread(), embedder, tmp_path, "test-space")
    question = "Where does the money come from?"
    assert index.search(question, 2) == []
    found = index.search(question, 2, related=words.related(terms(question)))
    assert [cid for cid, _ in found] == ["fees"], found


def test_a_sentence_that_words_the_question_otherwise_leads(embedder: object, tmp_path: Path) -> None:
    """Every unit equally close by the sentence vector: shared words decide, and "funds" now answers
    "money" although the question's own words are in neither sentence."""
    lines = ["Municipal budget funds can finance the cluster's activities.",
             "Our office opened in Vilnius in the spring of that year."]
    text = "\n".join(lines)
    q = np.eye(8)[0]
    units = [Unit(chunk_id="c1", start=text.index(line), text=line, embedding=np.asarray(q, dtype=np.float32))
             for line in lines]
    docs = [Document(page_content=text, metadata={"id": "c1", "doc_id": "d", "title": "T", "page": 1})]
    words = WordVectors.for_vocabulary(sorted(set(terms(text))), embedder, tmp_path, "test-space")
    question = "Where else can our money come from?"
    plain, _ = compose(question, list(q), docs, units, word_budget=10)
    soft, _ = compose(question, list(q), docs, units, word_budget=10, word_vectors=words)
    assert plain.startswith("Our office"), plain  # a tie, but for the share the second inherits
    assert soft.startswith("Municipal budget funds"), soft


def test_ingest_saves_the_corpus_words_and_answers_load_them(corpus_assistant: Assistant) -> None:
    path = corpus_assistant.settings.keywords_dir / FILE
    assert path.is_file()
    # Another process on the same data: it loads the words ingest embedded, and embeds none.
    fresh = Assistant(corpus_assistant.settings, embedder=NoModel())
    keywords, words, centre = fresh.derived()
    assert len(words.words) > 1000 and words.matrix.shape == (len(words.words), 384)
    assert np.array_equal(words.matrix, corpus_assistant.derived()[1].matrix) and centre is not None


def test_opposites_never_stand_in_for_each_other(embedder: object, tmp_path: Path) -> None:
    """The model puts "weak" next to "strong" (cosine ~0.79): a question about weak spots must not
    search for strengths."""
    vocabulary = ["strong", "strongly", "strength", "weakness", "large", "big", "sizeable", "tiny", "minor"]
    words = WordVectors.for_vocabulary(vocabulary, embedder, tmp_path, "test-space")
    weak = words.related(["weak"])
    assert "weakness" in weak and not {"strong", "strongly", "strength"} & set(weak), weak
    assert not {"large", "big"} & set(words.related(["small"]))
    assert words.matches(["weak"], ["strong", "weakness"]).tolist()[0][0] == 0.0


def test_a_word_the_vocabulary_lacks_gets_at_most_its_share_of_related_words(embedder: object, tmp_path: Path) -> None:
    vocabulary = ["funds", "fund", "funding", "financial", "finance", "finances", "budget", "cash", "monetary",
                  "financing"]
    words = WordVectors.for_vocabulary(vocabulary, embedder, tmp_path, "test-space")
    money = words.related(["money"])  # "money" is not in the vocabulary: all of the nearest are candidates
    assert len(money) == RELATED_PER_TERM and {"cash", "funds"} <= set(money), money


def test_the_words_a_long_running_process_embeds_stay_bounded(embedder: object, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from cluster_assistant.assistant import word_vectors

    monkeypatch.setattr(word_vectors, "MEMORY_WORDS", 4)
    words = WordVectors.for_vocabulary(["funds"], embedder, tmp_path, "bounded-space")
    for batch in (["money", "cash"], ["budget", "grant"], ["loan", "fee"], ["price", "cost"]):
        assert words.vectors(batch).shape == (2, 384)
        assert len(word_vectors._MEMORY["bounded-space"]) <= 6  # the cap, then one batch more


def test_a_word_the_documents_never_use_is_looked_up_by_meaning_in_any_english_question() -> None:
    """Paraphrases are expanded whole; any other English question only by its words that no chunk holds
    ("messaging"), so its own matched words keep their weight. A Lithuanian question's English words
    come from the glossary, in the documents' vocabulary already."""
    from cluster_assistant.assistant.language import expand
    from cluster_assistant.assistant.retrieval import HybridRetriever
    from cluster_assistant.assistant.settings import Settings

    index = KeywordIndex.build(["a"], ["Members promote the cluster brand in their own communication."], "v1")
    retriever = HybridRetriever(Settings(), None, index, None)  # type: ignore[arg-type]  # no store needed
    question = "Can members reuse the cluster messaging?"
    assert retriever.looked_up(question, paraphrase=False) == ["reuse", "messaging"]
    assert retriever.looked_up(question, paraphrase=True) == terms(question)
    assert retriever.looked_up(expand("Kaip klasteriai dalijasi žinute?"), paraphrase=False) == []
    # A name no document mentions is what the question is about, not a word to find in other words.
    assert retriever.looked_up("Can members in Latvia reuse the messaging?", paraphrase=False) == ["reuse", "messaging"]


def test_words_of_one_family_match_though_the_model_puts_them_apart(embedder: object, tmp_path: Path) -> None:
    """all-MiniLM-L6-v2 puts "coordinates" and "coordinated" at a cosine of ~0.3: word forms count as
    near words by their Snowball stem, in the search and in the answer's term overlap."""
    words = WordVectors.for_vocabulary(["coordinated", "coordination", "weather"], embedder, tmp_path, "test-space")
    assert float((words.vectors(["coordinates"]) @ words.vectors(["coordinated"]).T)[0, 0]) < SOFT_MATCH
    near = words.related(["coordinates"])
    assert near.get("coordinated") == FAMILY_MATCH and near.get("coordination") == FAMILY_MATCH
    assert "weather" not in near
    assert np.allclose(words.matches(["coordinates"], ["coordinated", "weather"]), [[FAMILY_MATCH, 0.0]])


def test_who_coordinates_finds_the_sentence_that_says_coordinated_by(corpus_assistant: Assistant) -> None:
    ans = corpus_assistant.answer("Who coordinates InoLink?")
    assert ans.answer.startswith("InoLink is EU funded measure of the project Inogeb LT and is coordinated by MITA"), \
        ans.answer


def test_each_thread_stems_with_its_own_stemmer() -> None:
    """PyStemmer's stemmers keep state while they stem and are documented as not thread-safe: the Slack
    bot's threads each use their own, and the same words get the same family in every thread."""
    import threading

    from cluster_assistant.assistant.word_vectors import _english_stemmer, family

    seen: dict[str, tuple[int, str]] = {}

    def stem_in(name: str) -> None:
        seen[name] = (id(_english_stemmer()), family.__wrapped__("coordinated"))

    threads = [threading.Thread(target=stem_in, args=(f"t{n}",)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stem_in("main")
    assert len({stemmer for stemmer, _ in seen.values()}) == 4, seen
    assert {root for _, root in seen.values()} == {family("coordinates")} == {"coordin"}
