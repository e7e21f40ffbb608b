"""FeedbackStore: answers, votes, comments, the question log and the 👎 export, on real SQLite files."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from cluster_assistant.assistant.feedback import FeedbackStore, guess_style
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.assistant.schema import Answer, Citation
from cluster_assistant.evals.runner import load_dataset


def _answer(question: str = "How can a cluster attract members?", topic: str | None = "management",
            refused: bool = False, confidence: float = 0.7) -> Answer:
    cites = [] if refused else [
        Citation(n=1, doc_id="inolink-good-practice", title="InoLink", source="inolink-good-practice.md", page=None,
                 section="Resources needed", quote="a mentor", chunk_id="c1"),
        Citation(n=2, doc_id="inolink-good-practice", title="InoLink", source="inolink-good-practice.md", page=None,
                 section="Resources needed", quote="external expertise", chunk_id="c2"),
        Citation(n=3, doc_id="eocic-lithuania-policy-briefing", title="Briefing", source="b.pdf", page=4,
                 section="Weaknesses", quote="fragmented", chunk_id="c3"),
    ]
    return Answer(question=question, answer="Answer text [1][2][3].", refused=refused, topic=topic,
                  citations=cites, confidence=confidence)


@pytest.fixture
def fb(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore.in_dir(tmp_path)


def test_answers_round_trip_and_persist(fb: FeedbackStore, tmp_path: Path) -> None:
    ans = _answer()
    aid = fb.record_answer(ans, user="U1", channel="C1", ts="1.2")
    again = FeedbackStore(tmp_path / "feedback.sqlite3").get_answer(aid)  # a new instance: it is on disk
    assert again is not None
    assert (again.question, again.answer, again.topic, again.refused) == (ans.question, ans.answer, "management", False)
    assert again.citations == ans.citations
    assert fb.get_answer("nope") is None
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_one_vote_per_user_and_answer(fb: FeedbackStore) -> None:
    aid = fb.record_answer(_answer())
    assert fb.vote(aid, "U1", 1) and fb.vote(aid, "U2", 1)
    assert fb.vote(aid, "U1", -1)  # a later click replaces the earlier one
    assert fb.votes(aid) == {"U1": -1, "U2": 1}
    assert not fb.vote("unknown", "U1", 1)
    with pytest.raises(ValueError):
        fb.vote(aid, "U1", 0)
    assert fb.comment(aid, "U1", "  missing the budget  ")
    assert not fb.comment(aid, "U3", "no vote, no comment")


def test_export_writes_down_voted_answers_as_dataset_candidates(fb: FeedbackStore, tmp_path: Path) -> None:
    liked = fb.record_answer(_answer("What is InoLink?"))
    disliked = fb.record_answer(_answer("Kaip klasteriai pritraukia narių?", topic="engagement"))
    refused = fb.record_answer(_answer("Which R&D grants exist for clusters?", topic="rnd", refused=True))
    fb.vote(liked, "U1", 1)
    fb.vote(disliked, "U1", -1)
    fb.vote(disliked, "U2", -1)
    fb.vote(disliked, "U3", 1)
    fb.comment(disliked, "U2", "It should mention the mentor.")
    fb.vote(refused, "U1", -1)

    out = tmp_path / "out" / "candidates.yaml"
    assert fb.export_candidates(out) == 2
    items = yaml.safe_load(out.read_text(encoding="utf-8"))
    by_id = {i["feedback"]["answer_id"]: i for i in items}
    assert set(by_id) == {disliked, refused}

    item = by_id[disliked]
    assert list(item)[:9] == ["id", "question", "language", "area", "style", "in_scope", "reference_answer",
                              "key_facts", "expected_sources"]
    assert item["language"] == "lt" and item["area"] == "management"  # unknown topic -> management
    assert item["in_scope"] is True and item["reference_answer"] == "" and item["key_facts"] == []
    assert item["expected_sources"] == [{"doc_id": "inolink-good-practice", "section": "Resources needed"},
                                        {"doc_id": "eocic-lithuania-policy-briefing", "section": "Weaknesses"}]
    assert item["candidate"] is True
    note = item["feedback"]
    assert note["comment"] == "It should mention the mentor." and note["votes_down"] == 2 and note["votes_up"] == 1
    assert datetime.fromisoformat(note["time"]).tzinfo is not None

    assert by_id[refused]["area"] == "rnd" and by_id[refused]["expected_sources"] == []
    assert by_id[refused]["feedback"]["refused"] is True
    assert len({i["id"] for i in items}) == 2

    # Items with sources load with the eval runner as they are.
    answered = tmp_path / "answered.yaml"
    answered.write_text(yaml.safe_dump([by_id[disliked]], allow_unicode=True), encoding="utf-8")
    assert [i.question for i in load_dataset(answered)] == ["Kaip klasteriai pritraukia narių?"]


def test_export_with_nothing_to_export(fb: FeedbackStore, tmp_path: Path) -> None:
    fb.vote(fb.record_answer(_answer()), "U1", 1)
    out = tmp_path / "c.yaml"
    assert fb.export_candidates(out) == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == []


def test_questions_log_for_a_gaps_report(fb: FeedbackStore) -> None:
    fb.record_answer(_answer("q1"), source="slack")
    fb.log_question(_answer("q2", refused=True, confidence=0.1), source="cli")
    mid = time.time()
    time.sleep(0.01)
    fb.log_question(_answer("q3", confidence=0.41), source="cli")
    rows = fb.questions()
    assert [r["question"] for r in rows] == ["q1", "q2", "q3"]
    assert set(rows[0]) >= {"question", "topic", "refused", "confidence", "time", "source", "answer_id"}
    assert rows[0]["answer_id"] and rows[1]["answer_id"] is None
    assert rows[1]["refused"] is True and rows[1]["confidence"] == pytest.approx(0.1)
    assert [r["question"] for r in fb.questions(since=mid)] == ["q3"]
    assert [r["question"] for r in fb.questions(since=datetime.fromtimestamp(mid, UTC))] == ["q3"]
    assert [r["question"] for r in fb.questions(since=datetime.fromtimestamp(mid, UTC).isoformat())] == ["q3"]
    assert fb.questions(since=datetime.now(UTC) + timedelta(hours=1)) == []


def test_a_damaged_feedback_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "feedback.sqlite3").write_text("this is not a database " * 100)
    with pytest.raises(sqlite3.DatabaseError, match="feedback.sqlite3 is damaged"):
        FeedbackStore.in_dir(tmp_path).questions()


def test_concurrent_writers(tmp_path: Path) -> None:
    stores = [FeedbackStore.in_dir(tmp_path) for _ in range(4)]  # like several workers on one file
    aids = [stores[0].record_answer(_answer(f"q{i}")) for i in range(5)]
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i, aid in enumerate(aids * 5):
                stores[k % 4].vote(aid, f"U{k}", 1 if (i + k) % 2 else -1)
                stores[k % 4].log_question(_answer(f"t{k}"), source="test")
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(len(stores[0].votes(a)) == 8 for a in aids)
    assert len(stores[0].questions()) == 5 + 8 * 25


def test_real_answer_is_recorded_and_exported(corpus_assistant: Assistant, tmp_path: Path) -> None:
    fb = FeedbackStore.in_dir(tmp_path)
    ans = corpus_assistant.answer("What is INOKLASTER?")
    aid = fb.record_answer(ans, user="U1", channel="C1")
    fb.vote(aid, "U1", -1)
    out = tmp_path / "c.yaml"
    assert fb.export_candidates(out) == 1
    item = load_dataset(out)[0]
    assert item.question == "What is INOKLASTER?" and item.expected_docs[0] == ans.citations[0].doc_id


@pytest.mark.parametrize(("question", "style"), [
    ("How can a cluster attract members?", "how-to"),
    ("What are the weaknesses of the ecosystem?", "list"),
    ("What is the difference between InoLink and ClusterFY?", "comparison"),
    ("When did InoLink start?", "factoid"),
])
def test_style_guess(question: str, style: str) -> None:
    assert guess_style(question) == style
