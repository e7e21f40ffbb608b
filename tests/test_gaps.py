"""The competence-gap map on a corpus with a deliberately thin topic."""

from pathlib import Path

from cluster_assistant.assistant.feedback import FeedbackStore
from cluster_assistant.assistant.gaps import gap_map, render
from cluster_assistant.assistant.pipeline import Assistant

from .conftest import index, make_assistant

FUNDING = ("EU structural funds finance cluster projects. The national programme co-finances joint R&D. "
           "Calls for proposals open every year and budgets are set by the ministry. ")
MANAGEMENT = ("The cluster coordinator drafts the strategy and the annual action plan. The board monitors "
              "progress against indicators and reports to the members every quarter. ")


def test_thin_topic_and_failed_questions_show(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(4):
        (docs / f"funding-{i}.md").write_text(f"# Funding guide {i}\n" + FUNDING * 12)
        (docs / f"strategy-{i}.md").write_text(f"# Strategy guide {i}\n" + MANAGEMENT * 12)
    (docs / "press.md").write_text("# Press\nSend one press release a year.\n")
    a = make_assistant(tmp_path / "data")
    index(a, [docs])
    store = FeedbackStore.in_dir(a.settings.data_dir)
    for q in ["How should our cluster use social media marketing?", "How do we brand the cluster online?",
              "What EU funds finance cluster projects?", "What's the weather in Vilnius?", "asdfgh",
              "What is the capital of Latvia?"]:
        store.log_question(a.answer(q), source="test")
    gaps = {g.id: g for g in gap_map(a)}
    assert gaps["funding"].chunks > 5 and not gaps["funding"].thin
    assert gaps["communication"].thin
    assert gaps["communication"].chunks < gaps["funding"].chunks
    report = render(list(gaps.values()))
    assert "| Communication & marketing |" in report and "**yes**" in report
    assert "A topic is thin with" in report and "No question has failed" not in report  # the columns explained
    assert "No question has failed so far." in render([type(g)(g.id, g.label) for g in gaps.values()])
    failed = [q["question"] for g in gaps.values() for q in g.failed]
    assert "How should our cluster use social media marketing?" in failed
    assert "What EU funds finance cluster projects?" not in failed
    # Neither a keyboard mash nor trivia about a place is a gap to fill with documents.
    assert "asdfgh" not in failed and "What is the capital of Latvia?" not in failed
    assert "What's the weather in Vilnius?" not in failed  # off the map: no competence area, no gap


def test_near_misses_are_kept_apart_from_real_gaps() -> None:
    from cluster_assistant.assistant.gaps import TopicGap, kind_of_failure

    def q(text: str, refused: bool, confidence: float) -> dict[str, object]:
        return {"question": text, "refused": refused, "confidence": confidence, "time": "2026-12-01T10:00:00"}

    asked = [q("What do clusters in Latvia get?", True, 0.0), q("Kaip išsilaikyti be valstybės pinigų?", True, 0.23),
             q("Who funds the clusters?", False, 0.3)]
    assert [kind_of_failure(x, 0.25) for x in asked] == ["not covered", "near miss", "low confidence"]
    report = render([TopicGap("funding", "Funding & policy", {"d"}, 9, 3, asked)], min_relevance=0.25)
    real = report.index("not covered by the corpus")
    near = report.index("possible false refusal")
    assert report.index("Latvia") > real and near < report.index("išsilaikyti") and report.index("Latvia") < near


def test_chunks_are_tagged_against_the_corpus_centre(corpus_assistant: Assistant) -> None:
    """Tagged by raw cosines, 122 of the shipped corpus's 137 chunks were R&D and one was member
    engagement, so the gap map called member engagement thin and `/topic engagement` searched one chunk;
    the InoLink good practice and the EOCIC briefing's trust passages are about it. Chunks are now tagged
    as questions are classified: against the corpus's centre."""
    gaps = {g.id: g for g in gap_map(corpus_assistant)}
    assert gaps["engagement"].chunks >= 10 and len(gaps["engagement"].documents) >= 2, gaps["engagement"]
    assert max(g.chunks for g in gaps.values()) < 0.5 * corpus_assistant.store.count()
    trust = corpus_assistant.answer("How do partnerships build trust between companies?", topic="engagement")
    assert not trust.refused and trust.citations, trust.answer


def _mistagged(tmp_path: Path) -> tuple[Assistant, Path, str, str, str]:
    """Two guides ingested, and their first chunk then marked with an area it does not have: the
    assistant, the folder, the chunk's id, its right areas and the wrong one."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "funding.md").write_text("# Funding guide\n" + FUNDING * 3)
    (docs / "strategy.md").write_text("# Strategy guide\n" + MANAGEMENT * 3)
    a = make_assistant(tmp_path / "data")
    index(a, [docs])
    ids, metas = a.store.all_metadata()
    right = str(metas[0]["chunk_topics"])
    wrong = next(t.id for t in a.classifier.topics if t.id not in right.split(","))
    a.store.update_metadata([ids[0]], [{"chunk_topics": wrong, f"topic_{wrong}": True}])
    return a, docs, ids[0], right, wrong


def _metadata(a: Assistant, cid: str) -> dict:
    return dict(a.store.collection.get(ids=[cid], include=["metadatas"])["metadatas"][0])


def test_retagging_writes_only_changed_areas_and_clears_stale_ones(tmp_path: Path) -> None:
    from cluster_assistant.assistant.ingest import retag

    a, _, cid, right, wrong = _mistagged(tmp_path)
    centre = a.store.sample_vectors().mean(axis=0)
    assert retag(a.store, a.classifier, centre) == 1  # the others are not written
    fixed = _metadata(a, cid)
    assert fixed[f"topic_{wrong}"] is False and fixed["chunk_topics"] == right
    assert retag(a.store, a.classifier, centre) == 0


def test_an_ingest_that_stopped_before_tagging_is_tagged_by_the_next(tmp_path: Path) -> None:
    """The areas are tagged for the store's content (`tagged.npz` beside the keyword index): an unchanged
    re-ingest reads no vectors, unless the last ingest changed the content and stopped before tagging it."""
    from cluster_assistant.assistant.ingest import TAGGED

    a, docs, cid, right, wrong = _mistagged(tmp_path)
    index(a, [docs])
    assert _metadata(a, cid)["chunk_topics"] == wrong  # tagged for this content already: not read again
    (a.settings.keywords_dir / TAGGED).unlink()  # as if the last ingest had stopped before tagging
    index(a, [docs])
    assert _metadata(a, cid)["chunk_topics"] == right


def test_new_content_is_tagged_again_only_when_the_centre_moved(tmp_path: Path) -> None:
    """New chunks are tagged against the centre of the last tagging; all chunks are read again only when
    the corpus centre has moved since (one more document in 100,000 chunks moves it little)."""
    import numpy as np
    from cluster_assistant.assistant.ingest import TAGGED
    from cluster_assistant.assistant.saved_arrays import load_arrays, save_arrays

    a, docs, cid, right, wrong = _mistagged(tmp_path)
    saved = load_arrays(a.settings.keywords_dir / TAGGED, "chunk areas")
    assert saved is not None and str(saved["version"]) == a.store.content_version()
    # Content that changed with the centre where it was: no pass over the chunks.
    save_arrays(a.settings.keywords_dir / TAGGED, version=np.array("older"), centre=saved["centre"])
    index(a, [docs])
    assert _metadata(a, cid)["chunk_topics"] == wrong
    # A centre that has moved since: every chunk is tagged again.
    moved = saved["centre"] + 0.5 * np.roll(saved["centre"], 1)
    save_arrays(a.settings.keywords_dir / TAGGED, version=np.array("older"), centre=moved)
    index(a, [docs])
    assert _metadata(a, cid)["chunk_topics"] == right


def test_a_centre_has_moved_when_it_moves_far_against_the_spread_of_the_chunks() -> None:
    """Chunks lie in a narrow cone: 7 chunks added to the shipped 137 turned the centre by a cosine of only
    0.9996, yet changed 12 chunks' areas. The move is measured against how far chunks lie from the centre."""
    import numpy as np
    from cluster_assistant.assistant.ingest import _near
    from cluster_assistant.assistant.vector_centre import as_centre

    rng = np.random.default_rng(0)
    axis = rng.normal(size=384)
    axis /= np.linalg.norm(axis)
    side = rng.normal(size=384)
    side -= (side @ axis) * axis
    side /= np.linalg.norm(side)
    then = 0.8 * axis
    turned = 0.8 * (0.9996 * axis + np.sqrt(1 - 0.9996**2) * side)
    assert float(then @ turned) / 0.64 > 0.9995 and not _near(then, turned)
    assert _near(then, then + 0.001 * 0.6 * side)  # one document in a very large corpus
    assert as_centre(np.zeros(())) is None and as_centre(np.array([np.nan, 1.0])) is None
