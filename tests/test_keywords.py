"""The keyword index built from a stream of texts (token ids, never the whole corpus at once)
scores exactly as bm25s does from token lists."""

from __future__ import annotations

import bm25s
import numpy as np

from assistant.keywords import KeywordIndex, terms

TEXTS = ["Clusters in Lithuania grow their members", "InoLink mentoring for clusters",
         "export and international value chains", "", "the of and"]


def test_streamed_build_scores_like_bm25s_from_tokens() -> None:
    ids = [f"c{i}" for i in range(len(TEXTS))]
    streamed = KeywordIndex.build(ids, (t for t in TEXTS), "v1")
    reference = bm25s.BM25()
    reference.index([terms(t) or ["_empty_"] for t in TEXTS], show_progress=False)
    for q in ["clusters members", "international export", "mentoring InoLink clusters", "unknownword"]:
        assert np.allclose(streamed.bm25.get_scores(terms(q)), reference.get_scores(terms(q)))
    assert [cid for cid, _ in streamed.search("mentoring clusters", 3)] == ["c1", "c0"]
    assert streamed.search("unknownword", 3) == []


def test_saved_index_loads_with_its_vocabulary(tmp_path) -> None:
    idx = KeywordIndex.build(["a", "b"], iter(["Gold Label clusters", "InoLink project"]), "v2")
    idx.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert loaded is not None and loaded.version == "v2"
    assert loaded.search("InoLink", 2)[0][0] == "b"
    assert loaded.unknown_names("What about Latvia and InoLink?") == ["Latvia"]
