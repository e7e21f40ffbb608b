"""The support check of model sentences (`answering/support.py`): numbers, names and negation as pure
text rules, meaning with the real embedding model."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_assistant.assistant.answering.citations import ground
from cluster_assistant.assistant.answering.support import (
    SentenceVectors,
    check_claim,
    flips,
    names,
    negation,
    numbers,
    passage_vectors,
    unsupported_names,
    unsupported_numbers,
)
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.assistant.settings import load_settings
from langchain_core.documents import Document

RESOURCES = ("Required resources are a mentor for the cluster for 2- 3 years, who works with cluster on constant basis "
             "and external expertise for solving specific problems, total amount in financial form, including mentor "
             "salary and external expertise when needed is around 100 000 per cluster in 3 years.")
EVIDENCE = ("Main evidence of success are: 14 clusters formulated cluster development strategy; 200 various "
            "initiatives between cluster members; 8 clusters received the bronze European cluster excellence "
            "label; more than 70 new members in clusters.")


@pytest.mark.parametrize(("a", "b"), [
    ("14 clusters", "fourteen clusters"),
    ("around 100 000 per cluster", "about 100,000 per cluster"),
    ("around 100 000 per cluster", "roughly EUR 100k per cluster"),
    ("for 2- 3 years", "for two to three years"),
    ("EUR 44.8 million", "44.8 million euro"),
    ("up to 0,5 M €", "up to EUR 0.5 million"),
    ("around 1/3 of clusters", "about a third of clusters"),
    ("57% of them", "57 per cent of them"),
    ("in the period 2010–2015", "between 2010 and 2015"),
    ("on June 5th", "on 5 June"),
    ("more than 70 new members", "over seventy new members"),
    ("two thirds of employment", "two-thirds of employment"),
])
def test_number_spellings_match(a: str, b: str) -> None:
    assert numbers(a) == numbers(b) != set()
    assert unsupported_numbers(b, [a]) == []


def test_changed_numbers_and_digits_inside_names() -> None:
    assert unsupported_numbers("InoLink helped 40 clusters write strategies", [EVIDENCE]) == ["40"]
    assert unsupported_numbers("a mentor for five to six years", [RESOURCES]) == ["5", "6"]
    assert unsupported_numbers("about EUR 250,000 per cluster", [RESOURCES]) == ["250000"]
    assert unsupported_numbers("EUR 5 billion", ["EUR 5 million"]) == ["5e+09"]
    # Digits inside a name are not numbers; a lone "one" is not a number either.
    assert numbers("H2020, S3 and B2B meetings, one of the priorities") == set()


def test_names_must_come_from_the_sources_or_the_question() -> None:
    assert names("The agency MITA runs InoLink with the Lithuanian Innovation Centre in Vilnius.") == [
        "MITA", "InoLink", "Lithuanian", "Innovation", "Centre", "Vilnius"]
    # A capitalised word opening a sentence is an ordinary word ("Roughly", "Specialists").
    assert names("Roughly half of them agree.") == [] and names("Specialists advised them.") == []
    assert names("- Specialists advised them.") == [] and names("Partners met in Hudiksvall (Sweden).") == [
        "Hudiksvall", "Sweden"]
    src = ["Clusters in Lithuania work with MITA and KETs."]
    assert unsupported_names("Lithuanian clusters work with MITA on KET projects.", src, "") == []
    assert unsupported_names("Most Latvian clusters work with LIC.", src, "") == ["Latvian", "LIC"]
    # The known gap: a plain capitalised name opening the sentence looks like any opening word.
    assert unsupported_names("Latvia has clusters.", src, "") == []
    assert unsupported_names("They work with LIC.", src, "Does LIC help?") == []
    # A mixed-case name must match a whole word: "ClusterFY" is not found in "clusters".
    assert unsupported_names("The work of ClusterFY helps.", src, "") == ["ClusterFY"]


@pytest.mark.parametrize(("claim", "source", "flipped"), [
    ("A programme needs no mentor.", RESOURCES, True),
    ("A mentor is not needed.", RESOURCES, True),
    ("The programme costs nothing.", RESOURCES, True),
    ("Clusters lacked maturity in 2015.", "In 2015 clusters were lacking of maturity.", False),
    ("Stakeholders had weak trust in each other.", "The lack of trust between stakeholders was an obstacle.", False),
    ("Stakeholders trusted each other.", "The lack of trust between stakeholders was an obstacle.", True),
    ("Trust was never an obstacle.", "The lack of trust between stakeholders was an obstacle.", True),
    ("KETs are efficiently embedded.", "KETs are not yet efficiently embedded.", True),
    ("KETs are still not well embedded.", "KETs are not yet efficiently embedded.", False),
    ("Its systematic approach rather than one-off actions was the key.",
     "Systematic approach, not single actions is a main success factor.", False),
    ("Support covers no more than 40% of costs.", "The contribution is maximized at 40%.", False),
    ("It helps not only members but also partners.", "It helps members and partners.", False),
])
def test_negation_that_flips_the_source_is_caught(claim: str, source: str, flipped: bool) -> None:
    assert flips(claim, source) is flipped, (negation(claim), negation(source))


@pytest.fixture(scope="module")
def embedder(corpus_assistant: Assistant):  # noqa: ANN201 - the shared real embedding model
    return corpus_assistant.embedder


def _check(embedder: object, claim: str, passage: str, question: str = "") -> tuple[bool, str]:
    v = check_claim(claim, [passage], question, SentenceVectors(embedder, passage_vectors(embedder, passage)),
                    load_settings().support_threshold)
    return v.supported, v.reason


def test_meaning_keeps_paraphrases_and_catches_another_documents_fact(embedder: object) -> None:
    assert _check(embedder, "A similar programme needs a mentor who works with the cluster for two to three years, "
                            "plus outside experts for particular problems.", RESOURCES) == (True, "")
    assert _check(embedder, "Fourteen clusters wrote a development strategy and eight got the bronze European "
                            "cluster excellence label.", EVIDENCE) == (True, "")
    # A true fact of another document, under the wrong citation.
    assert _check(embedder, "Making the competitive side of the scheme clear gives applicants an extra incentive.",
                  RESOURCES) == (False, "meaning")
    # The source's own words, a part of a long sentence, count as support however far the embedding.
    assert _check(embedder, "External expertise solves specific problems.", RESOURCES) == (True, "")


def test_a_lithuanian_sentence_is_checked_for_numbers_and_acronyms(embedder: object) -> None:
    # The model answers in the question's language; the sources and the embedding model are English.
    q = "Ką pasiekė InoLink?"
    assert _check(embedder, "InoLink padėjo 14 klasterių parengti plėtros strategijas, o 8 gavo bronzos ženklą.",
                  EVIDENCE, q) == (True, "")
    assert _check(embedder, "InoLink padėjo 40 klasterių parengti strategijas.", EVIDENCE, q) == (False, "number")
    assert _check(embedder, "Projektą koordinuoja LINPRA, o klasteriai parengė 14 strategijų.", EVIDENCE, q) == (
        False, "name")


def test_the_wrong_facts_reply_from_the_issue_is_caught(embedder: object) -> None:
    assert _check(embedder, "InoLink helped 40 clusters write strategies and all of them got gold labels.",
                  EVIDENCE) == (False, "number")
    supported, reason = _check(embedder, "A programme needs no mentor and costs nothing.", RESOURCES)
    assert not supported and reason in {"meaning", "negation"}


def _doc(n: int, text: str) -> Document:
    return Document(page_content=text, metadata={"id": f"c{n}", "doc_id": f"d{n}", "title": "InoLink", "source": "x.md",
                                                 "section": "S", "page": None})


def test_grounding_counts_what_the_check_removed(tmp_path: Path) -> None:
    docs = [_doc(1, EVIDENCE), _doc(2, RESOURCES)]
    g = ground("InoLink helped fourteen clusters write a development strategy [1]. It also created 500 new "
               "initiatives [1]. A similar programme needs a mentor for two to three years [2]. "
               "The mentor costs nothing [2].",
               docs, "What did InoLink achieve?")
    assert g.text == ("InoLink helped fourteen clusters write a development strategy [1]. A similar programme needs "
                      "a mentor for two to three years [2].")
    assert g.notice == "2 sentences removed: not supported by their sources"
    assert g.support_counts() == {"checked": 4, "removed": 2, "reasons": {"number": 1, "negation": 1}}
    # Nothing cited survives: no answer, and the notice says why (the caller shows the extractive one).
    g = ground("InoLink helped 40 clusters [1].", docs)
    assert (g.text, g.citations, g.refused) == ("", [], False)
    assert g.notice == "1 sentence removed: not supported by their sources; showing the extractive answer"
