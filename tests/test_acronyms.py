"""Acronym links: a question that spells a name out also finds the text that abbreviates it."""

from __future__ import annotations

from cluster_assistant.assistant.acronyms import acronyms_for, find_acronyms
from cluster_assistant.assistant.keywords import KeywordIndex
from cluster_assistant.assistant.language import SEPARATOR, expand, with_english
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.evals.metrics import fact_present


def test_a_definition_counts_only_when_its_initials_spell_the_acronym() -> None:
    text = ("Certified by the European Secretariat for Cluster Analysis (ESCA), with Key Enabling\n"
            "Technologies (KETs) as the focus. The kick-off in Groningen (NL), run by the Science, Innovation "
            "and Technology Agency (MITA); the Information and Communication Technology (ICT) sector.")
    assert find_acronyms(text) == {"ESCA": "European Secretariat for Cluster Analysis",
                                   "KETs": "Key Enabling Technologies",
                                   "ICT": "Information and Communication Technology"}
    assert find_acronyms("Lithuania (LT) and the Ministry of Economy and Innovation (MITA) met.") == {}


def test_a_question_gains_the_acronym_of_a_name_it_spells_out_and_only_then() -> None:
    known = {"KETs": "Key Enabling Technologies", "EOCIC": "European Observatory for Clusters and Industrial Change"}
    assert acronyms_for("Which key enabling technologies matter?", known) == ["KETs"]
    assert acronyms_for("Which KETs matter for Key Enabling Technologies policy?", known) == []  # already there
    assert acronyms_for("What does the EOCIC briefing say?", known) == []  # never the name for an acronym
    assert acronyms_for("Which technologies enable key sectors?", known) == []
    # A Lithuanian question that names it in English gets them in its English part, the part that
    # is matched against the sources.
    search = expand("Kaip Key Enabling Technologies padeda klasteriams?")
    found = acronyms_for(search, known)
    assert found == ["KETs"]
    head, sep, tail = with_english(search, found).partition(SEPARATOR)
    assert sep and head.endswith(" KETs") and tail == "Kaip Key Enabling Technologies padeda klasteriams?"
    assert with_english("A question", ["KETs"]) == "A question KETs"


def test_the_keyword_index_records_acronyms_and_keeps_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    idx = KeywordIndex.build(["a", "b"], iter(["Key Enabling Technologies (KETs) drive it.", "KETs are hard"]),
                             "v1")
    assert idx.acronyms == {"KETs": "Key Enabling Technologies"}
    idx.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert loaded is not None and loaded.acronyms == idx.acronyms


def test_a_spelled_out_name_finds_the_passage_that_abbreviates_it(corpus_assistant: Assistant) -> None:
    """The ClusterFY findings on KETs say "KETs" only; the question spells the name out."""
    assert corpus_assistant.keywords.acronyms.get("KETs") == "Key Enabling Technologies"
    ans = corpus_assistant.answer("What stops Lithuanian clusters from making better use of Key Enabling "
                                  "Technologies, according to the ClusterFY findings?")
    found = [r for r in ans.retrieved if "hard identification" in corpus_assistant.store.get([r["id"]])[r["id"]]
             .page_content.replace("\n", " ")]
    assert found, [r["id"] for r in ans.retrieved]
    assert not ans.refused and fact_present("KETs", ans.answer), ans.answer


def test_an_appended_acronym_never_joins_a_name_the_corpus_lacks(corpus_assistant: Assistant) -> None:
    """The refusal names what is missing, and only that: "Latvia", not "Latvia KETs"."""
    ans = corpus_assistant.answer("How do Key Enabling Technologies help clusters in Latvia")
    assert ans.refused and "No document mentions Latvia." in ans.answer, ans.answer
