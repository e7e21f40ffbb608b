"""The keyword index scores exactly as bm25s does: built from a stream of texts (token ids, never
the whole corpus at once), and read back from its saved arrays without bm25s."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np
from cluster_assistant.assistant.keywords import KeywordIndex, index_version, stem, terms
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.evals.metrics import fact_present

TEXTS = ["Clusters in Lithuania grow their members", "InoLink mentoring for clusters",
         "export and international value chains", "", "the of and", "clusters clusters export"]
QUERIES = ["clusters members", "international export", "mentoring InoLink clusters", "unknownword",
           "clusters clusters", "export unknownword export"]


def _reference() -> bm25s.BM25:
    ref = bm25s.BM25()
    ref.index([terms(t) or ["_empty_"] for t in TEXTS], show_progress=False)
    return ref


def test_built_and_loaded_indexes_score_like_bm25s(tmp_path: Path) -> None:
    ids = [f"c{i}" for i in range(len(TEXTS))]
    built = KeywordIndex.build(ids, (t for t in TEXTS), "v1")
    built.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert loaded is not None and loaded.ids == ids and loaded.version == "v1"
    ref = _reference()
    for q in QUERIES:
        expected = ref.get_scores(terms(q))
        assert np.allclose(built.columns.scores(terms(q)), expected), q
        assert np.allclose(loaded.columns.scores(terms(q)), expected), q
    assert loaded.search("mentoring clusters", 3)[0][0] == "c1"
    assert loaded.search("unknownword", 3) == []


def test_saved_index_loads_with_its_vocabulary(tmp_path: Path) -> None:
    idx = KeywordIndex.build(["a", "b"], iter(["Gold Label clusters", "InoLink project"]), "v2")
    idx.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert loaded is not None
    assert loaded.search("InoLink", 2)[0][0] == "b"
    assert loaded.unknown_names("What about Latvia and InoLink?") == ["Latvia"]


def test_an_empty_index_and_a_damaged_one(tmp_path: Path) -> None:
    empty = KeywordIndex.build([], iter([]), "v0")
    assert empty.search("clusters", 3) == []
    empty.save(tmp_path / "empty")
    again = KeywordIndex.load(tmp_path / "empty")
    assert again is not None and again.search("clusters", 3) == []
    (tmp_path / "kw").mkdir()
    (tmp_path / "kw" / "data.csc.index.npy").write_bytes(b"bm25s's own format, written by earlier versions")
    KeywordIndex.build(["a"], iter(["clusters"]), "v1").save(tmp_path / "kw")
    assert not (tmp_path / "kw" / "data.csc.index.npy").exists()
    (tmp_path / "kw" / "bm25_vocab.json").write_text("{not json")
    assert KeywordIndex.load(tmp_path / "kw") is None  # rebuilt from the store by for_store


def test_querying_never_imports_bm25s(tmp_path: Path) -> None:
    import subprocess
    import sys

    KeywordIndex.build(["a", "b"], iter(["cluster export", "mentoring"]), "v1").save(tmp_path / "kw")
    code = ("import sys; from pathlib import Path; from cluster_assistant.assistant.keywords import KeywordIndex; "
            f"i = KeywordIndex.load(Path({str(tmp_path / 'kw')!r})); assert i.search('export', 2)[0][0] == 'a'; "
            "assert 'bm25s' not in sys.modules and 'scipy' not in sys.modules, 'heavy import'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_plural_and_singular_share_a_stem_and_names_stay_whole() -> None:
    pairs = [("phases", "phase"), ("policies", "policy"), ("approaches", "approach"), ("services", "service"),
             ("businesses", "business"), ("clusters", "cluster")]
    assert all(stem(plural) == stem(singular) for plural, singular in pairs)
    assert [stem(w) for w in ("focus", "analysis", "business", "inolink", "its")] == [
        "focus", "analysis", "business", "inolink", "its"]


def test_an_index_persisted_with_other_terms_is_built_again(corpus_assistant: Assistant, tmp_path: Path) -> None:
    """A keyword index saved before a change to terms() would match nothing the new terms produce."""
    store = corpus_assistant.store
    stale = KeywordIndex.build(["x"], iter(["phases"]), store.content_version())  # an older version's label
    stale.save(tmp_path / "kw")
    fresh = KeywordIndex.for_store(store, tmp_path / "kw")
    assert fresh.version == index_version(store) != stale.version
    assert len(fresh.ids) == store.count()
    assert fresh.search("phase", 3)  # the corpus speaks of phases


def test_a_range_of_numbers_is_its_numbers(corpus_assistant: Assistant) -> None:
    """"2007-2013" (hyphen, as people type it) matched no document's "2007–2013" (en dash), so the
    question about that period led with the 2014-2020 one."""
    assert terms("the 2007-2013 period") == terms("the 2007–2013 period") == ["2007", "2013", "period"]
    assert "eu-level" in terms("EU-level analysis")  # hyphenated words stay whole, and are their parts too
    ans = corpus_assistant.answer("How much EU money was set aside for clustering measures in the 2007-2013 period?")
    assert "2007" in ans.answer.split(". [")[0] and fact_present("44.8 million", ans.answer), ans.answer


def test_a_hyphenated_word_meets_its_parts_written_apart() -> None:
    """"kick-off" is written "kick off" in the ClusterFY plan: the compound alone matched nothing there."""
    assert terms("the ClusterFY kick-off") == ["clusterfy", "kick-off", "kick"]
    assert terms("a cross-sectoral co-operation") == ["cross-sectoral", "cross", "sectoral", "co-operation",
                                                     "operation"]
    texts = ["During the ClusterFY project kick off meeting in Groningen the partners met.",
             "The ClusterFY partners met again in Hudiksvall."]
    index = KeywordIndex.build(["groningen", "hudiksvall"], texts, "v1")
    assert index.search("where did the ClusterFY kick-off happen?", 1)[0][0] == "groningen"


def test_a_name_typed_in_lower_case_still_names_its_subject(tmp_path: Path) -> None:
    """Coordinators type "inolink" in Slack; the texts write "InoLink". A word the texts write only in capitals or
    mixed case is a name in lower case too (a link's "www.mita.lt" writes no name), and it survives a reload."""
    texts = ["InoLink coached clusters for 100 000 per cluster.", "The staff costs of the plan are 15 000.",
             "MITA runs the call; see www.mita.lt for the rules.", "Clusters cooperate.", "Clusters export.",
             "Members meet in NUTS 2 regions.", "Members trust.", "Firms grow."]
    ids = [f"doc{i}:c{i}" for i in range(len(texts))]
    index = KeywordIndex.build(ids, iter(texts), "v1")
    # "NUTS" is an acronym here, but "nuts" is an everyday word: "a cluster of nuts producers" names no subject.
    assert {"inolink", "mita"} <= index.names and not {"clusters", "nuts"} & index.names
    index.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert loaded is not None and loaded.names == index.names
    for question in ("how much did inolink cost?", "How much did InoLink cost?", "Inolink cost?"):
        assert loaded.subjects(question) == [frozenset({"doc0"})], question
    assert loaded.subjects("what do the members cost?") == []
    # A damaged list of names is rebuilt, as a damaged array is, not a crash.
    meta = tmp_path / "kw" / "ids.json"
    meta.write_text(meta.read_text().replace('"names": [', '"names": 5, "was": ['))
    assert KeywordIndex.load(tmp_path / "kw") is None
