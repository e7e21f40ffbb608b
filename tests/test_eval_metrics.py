"""Each metric on cases that must pass and cases that must fail."""

from dataclasses import replace

import pytest
import yaml
from cluster_assistant.assistant.answering.citations import citation_problems
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.assistant.schema import Answer, Citation
from cluster_assistant.evals import metrics as m
from cluster_assistant.evals.runner import DEFAULT_DATASET, DatasetError, Item, compare, explain, load_dataset, score


def test_fact_matching_normalises_and_respects_word_boundaries() -> None:
    assert m.fact_present("EUR 44.8 million", "About eur 44.8 MILLION was foreseen [1]")
    assert m.fact_present("44.8 million | 45 million", "roughly 45 million")
    assert not m.fact_present("44.8 million", "about 44 million")
    assert not m.fact_present("MITA", "committee")  # no match inside another word
    assert m.key_fact_recall(["a b", "c"], "x a b y") == 0.5
    assert m.key_fact_recall(["alpha", "beta"], "") == 0.0


def test_token_f1_and_rouge_l() -> None:
    assert m.token_f1("the cluster grew fast", "the cluster grew fast") == 1.0
    assert m.token_f1("nothing shared here", "completely different words") == 0.0
    assert 0 < m.token_f1("cluster grew", "the cluster grew fast") < 1
    assert m.rouge_l("a b c d", "a b c d") == 1.0
    assert m.rouge_l("d c b a", "a b c d") == pytest.approx(0.25)
    assert m.rouge_l("x y", "a b") == 0.0
    assert m.token_f1("cited [1] answer [2]", "cited answer") == 1.0  # markers are not words


def test_retrieval_metrics() -> None:
    ranked = ["b", "b", "a", "c", "d", "e"]
    assert m.hit_at_k(ranked, ["a"], 5) == 1.0
    assert m.hit_at_k(ranked, ["e"], 5) == 0.0
    assert m.recall_at_k(ranked, ["a", "e"], 5) == 0.5
    assert m.reciprocal_rank(ranked, ["a"]) == pytest.approx(1 / 3)
    assert m.reciprocal_rank(ranked, ["z"]) == 0.0
    assert m.citation_precision(["a", "b"], ["a"]) == 0.5
    assert m.citation_precision([], ["a"]) == 1.0
    assert m.percentile([5, 1, 3, 2, 4], 50) == 3
    assert m.percentile(list(range(1, 101)), 95) == 95


def _answer(text: str, quote: str, refused: bool = False) -> Answer:
    c = Citation(n=1, doc_id="d", title="T", source="s", page=1, section="", quote=quote, chunk_id="c1")
    return Answer(question="q", answer=text, refused=refused, citations=[c])


def test_citation_check_passes_and_fails() -> None:
    chunks = {"c1": "Clusters\n  grew   fast in 2015. Then they slowed."}
    assert citation_problems(_answer("Clusters grew fast in 2015. [1]", "Clusters grew fast in 2015."), chunks) == []
    assert "marker [2] has no source" in citation_problems(_answer("Text [2]", "Clusters grew"), chunks)
    assert "[1] quote is not verbatim in its chunk" in citation_problems(_answer("T [1]", "Clusters shrank"), chunks)
    assert "[1] points to a chunk that was not retrieved" in citation_problems(_answer("T [1]", "x"), {})
    assert "a refusal must not cite sources" in citation_problems(_answer("no", "Clusters grew", refused=True), chunks)
    assert "sources are listed but the answer cites none" in citation_problems(_answer("T", "Clusters grew"), chunks)


def test_gate_flags_a_drop_beyond_tolerance() -> None:
    base = {"overall": {"hit_at_5": 0.9, "mrr": 0.8, "key_fact_recall": 0.6, "citation_validity": 1.0,
                        "refusal_accuracy": 0.85, "lead_fact_recall_40": 0.5, "lead_fact_recall_first": 0.4,
                        "sentence_precision": 0.3, "words_median": 100, "words_p90": 140}}
    same = {"overall": dict(base["overall"])}
    assert compare(same, base, 0.02)[1] is False
    worse = {"overall": {**base["overall"], "key_fact_recall": 0.55}}
    lines, failed = compare(worse, base, 0.02)
    assert failed and any("REGRESSION" in line and "key_fact_recall" in line for line in lines)
    slightly = {"overall": {**base["overall"], "key_fact_recall": 0.59}}
    assert compare(slightly, base, 0.02)[1] is False
    # Word counts are "lower is better": 10 % more words than the baseline is a regression.
    longer = {"overall": {**base["overall"], "words_p90": 160}}
    lines, failed = compare(longer, base, 0.02)
    assert failed and any("REGRESSION" in line and "words_p90" in line for line in lines)
    assert compare({"overall": {**base["overall"], "words_median": 90}}, base, 0.02)[1] is False


def test_dataset_loader_rejects_bad_files(tmp_path) -> None:
    bad = tmp_path / "d.yaml"
    bad.write_text("- id: q1\n  question: x\n  area: rnd\n  in_scope: true\n")
    with pytest.raises(DatasetError, match="names no expected source"):
        load_dataset(bad)
    bad.write_text("not: a list\n")
    with pytest.raises(DatasetError):
        load_dataset(bad)


def test_shipped_dataset_meets_the_brief() -> None:
    items = load_dataset(DEFAULT_DATASET)
    assert len([i for i in items if i.in_scope]) >= 60
    assert len([i for i in items if not i.in_scope]) >= 10
    assert len([i for i in items if i.language == "lt"]) >= 5
    assert {i.area for i in items} >= {"communication", "rnd", "internationalisation", "management", "funding"}
    assert {d for i in items for d in i.expected_docs} == {
        "inolink-good-practice", "clusters-knowledge-gaps", "mita-innovation-networks",
        "clusterfy-action-plan-2020-2023", "eocic-lithuania-policy-briefing"}


def test_missing_facts_say_whether_retrieval_or_the_answer_lost_them(corpus_assistant: Assistant) -> None:
    item = Item(id="t1", question="What is INOKLASTER?", language="en", area="funding", style="factoid",
                in_scope=True, reference_answer="", key_facts=["INOKLASTER", "zebra unicorn grant"],
                expected_docs=[])
    r = score(item, corpus_assistant)
    assert r.context_fact_recall == 0.5 and r.facts_not_retrieved == ["zebra unicorn grant"]
    assert r.missing_facts == ["zebra unicorn grant"]
    assert r.why == ["missing facts (not retrieved): zebra unicorn grant"]
    # A fact the chunks hold but the answer left out is blamed on the answer.
    lost = replace(r, missing_facts=["INOKLASTER", "zebra unicorn grant"])
    assert explain(lost) == ["missing facts (retrieved, not in the answer): INOKLASTER",
                             "missing facts (not retrieved): zebra unicorn grant"]


def test_lead_recall_precision_and_words_read_the_answer_as_a_reader_does() -> None:
    answer = ("MITA helps clusters find partners abroad [1]. It also funds strategy work [2].\n"
              "Other stakeholders: [1]\n• Cluster association; [1]\n• SMEs [1]")
    assert m.sentences(answer) == ["MITA helps clusters find partners abroad.", "It also funds strategy work.",
                                   "Other stakeholders:", "• Cluster association;", "• SMEs"]
    assert m.words(answer) == 16  # no [n] markers, no bullets
    facts = ["find partners", "strategy work", "SMEs"]
    assert m.lead_fact_recall(facts, answer) == 1 / 3  # the first sentence holds one of three
    assert m.lead_fact_recall(facts, answer, first_words=11) == 2 / 3
    assert m.lead_fact_recall(facts, answer, first_words=40) == 1.0
    assert m.sentence_precision(facts, answer) == 3 / 5
    assert m.sentence_precision([], answer) == 0.0 and m.lead_fact_recall([], answer) == 1.0


def test_the_held_out_half_is_fixed_by_the_item_id_and_holds_about_half() -> None:
    from cluster_assistant.evals.runner import held_out

    items = load_dataset(DEFAULT_DATASET)
    assert [held_out(i.id) for i in items] == [held_out(i.id) for i in load_dataset(DEFAULT_DATASET)]
    share = sum(i.held_out for i in items) / len(items)
    assert 0.4 <= share <= 0.6
    for wording in ("close", "paraphrased"):
        assert any(i.held_out and i.wording == wording for i in items)
        assert any(not i.held_out and i.wording == wording for i in items)


@pytest.mark.parametrize(("field", "value"), [("area", "marketing"), ("style", "essay"), ("wording", "loose")])
def test_a_dataset_item_outside_the_known_areas_styles_or_wordings_is_named(tmp_path, field: str, value: str) -> None:
    item = {"id": "x1", "question": "What is a cluster?", "area": "management", "style": "factoid",
            "wording": "close", "in_scope": True, "expected_sources": [{"doc_id": "d"}], field: value}
    path = tmp_path / "dataset.yaml"
    path.write_text(yaml.safe_dump([item]))
    with pytest.raises(DatasetError, match=f"item x1: {field} must be one of .*not '{value}'"):
        load_dataset(path)


def test_reader_words_skip_markers_bullets_and_list_numbers() -> None:
    assert m.words("• A co-op – B [1].\n1) Step two [2]") == 5  # A, co-op, B., Step, two
    assert m.words("Around 50 clusters [3].") == 3


def test_the_interval_brackets_the_mean_and_narrows_with_more_items() -> None:
    few = [1.0, 0.0] * 10
    many = [1.0, 0.0] * 200
    low, high = m.bootstrap_interval(few)
    assert low < 0.5 < high and high - low > 0.3
    low2, high2 = m.bootstrap_interval(many)
    assert low2 < 0.5 < high2 and high2 - low2 < 0.12
    assert m.bootstrap_interval(few) == (low, high)  # a fixed seed: the same report twice
    assert m.bootstrap_interval([]) == (0.0, 0.0)
    assert m.bootstrap_interval([0.7] * 5) == (0.7, 0.7)


def test_the_sign_test_tells_a_coin_from_a_change() -> None:
    assert m.sign_test(0, 0) == 1.0
    assert m.sign_test(8, 3) == pytest.approx(0.227, abs=1e-3)  # 8 of 11 better: could be chance
    assert m.sign_test(10, 0) == pytest.approx(0.002, abs=1e-3)
    assert m.sign_test(3, 8) == m.sign_test(8, 3)
