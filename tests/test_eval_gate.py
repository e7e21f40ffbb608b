"""The quality gate: the whole reference set through the real chain, against the committed baseline."""

import json

import pytest
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.evals import conversations as conv
from cluster_assistant.evals.runner import (
    DEFAULT_BASELINE,
    DEFAULT_DATASET,
    compare,
    load_dataset,
    paired,
    run,
    write_outputs,
)


def test_no_quality_regression_against_the_baseline(corpus_assistant: Assistant, tmp_path) -> None:
    report = run(corpus_assistant, load_dataset(DEFAULT_DATASET))
    baseline = json.loads(DEFAULT_BASELINE.read_text())
    lines, failed = compare(report, baseline, tolerance=0.02)
    assert not failed, "quality regression:\n" + "\n".join(lines)
    assert report["overall"]["citation_validity"] == 1.0
    # An extractive answer holds no fact its chunks lack.
    assert report["overall"]["context_fact_recall"] >= report["overall"]["key_fact_recall"]
    # The people-facing outputs are produced and non-trivial.
    json_path, md_path, png_path = write_outputs(report, tmp_path)
    assert "## By competence area" in md_path.read_text()
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(json_path.read_text())["overall"]["items"] == len(report["items"])

    # Each slice carries its interval, and a run compared item by item with itself moves nothing;
    # with one item better, that item is counted.
    for half in report["halves"].values():
        for g in half.values():
            assert g["key_fact_recall_low"] <= g["key_fact_recall"] <= g["key_fact_recall_high"]
    assert all(" 0 better / 0 worse (p 1.00)" in line for line in paired(report, report))
    before = json.loads(json.dumps(report))
    worse = next(r for r in before["items"] if r["in_scope"] and not r["held_out"] and r["key_fact_recall"] > 0)
    worse["key_fact_recall"] = 0.0
    line = next(line for line in paired(report, before) if line.split()[:2] == ["dev", "all"])
    assert "key_fact_recall 1 better / 0 worse" in line, line
    assert "fact recall, 95% interval" in md_path.read_text()


def test_chat_follow_ups_hold_their_figures(corpus_assistant: Assistant, tmp_path) -> None:
    """The shipped conversations typed into a chat: the follow-ups' figures against their committed baseline."""
    report = conv.run_conversations(corpus_assistant, conv.load_conversations(conv.DEFAULT_CONVERSATIONS))
    lines, failed = conv.compare(report, json.loads(conv.DEFAULT_CONVERSATIONS_BASELINE.read_text()))
    assert not failed, "follow-up regression:\n" + "\n".join(lines)
    o = report["overall"]
    assert o["conversations"] == 80 and 0 < o["scored"] < 80  # some facts were shown by the first answer
    assert o["new_questions_read_alone"] == 1.0
    # A fact the first answer showed is not asked of the follow-up again.
    before = next(r for r in report["items"] if r["shown_before"])
    assert not set(before["shown_before"]) & set(before["missing_facts"])


def test_a_conversations_file_that_cannot_be_used_is_named(tmp_path) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text("- id: c1\n  kind: chat\n  turns: [a, b]\n  standalone: b\n  key_facts: [x]\n")
    with pytest.raises(conv.DatasetError, match="kind must be one of follow_up, new_question"):
        conv.load_conversations(bad)
    bad.write_text("- id: c1\n  kind: follow_up\n  turns: [a]\n  standalone: a\n  key_facts: [x]\n")
    with pytest.raises(conv.DatasetError, match="two turns or more"):
        conv.load_conversations(bad)
    bad.write_text("- id: c1\n  kind: follow_up\n")
    with pytest.raises(conv.DatasetError, match="conversation 1 lacks a field"):
        conv.load_conversations(bad)
    bad.write_text("- id: c1\n  kind: follow_up\n  turns: [a, b]\n  standalone: b\n  key_facts: InoLink\n")
    with pytest.raises(conv.DatasetError, match="key_facts must be a non-empty list of texts"):
        conv.load_conversations(bad)  # not read as the facts "I", "n", "o"…
    bad.write_text("- id: c1\n  kind: follow_up\n  turns: [a, '']\n  standalone: b\n  key_facts: [x]\n")
    with pytest.raises(conv.DatasetError, match="turns must hold only non-empty texts"):
        conv.load_conversations(bad)
    bad.write_bytes(b"- id: c1\n  turns: [\xff]\n")
    with pytest.raises(conv.DatasetError, match="is not UTF-8 text"):
        conv.load_conversations(bad)


def test_a_figure_with_nothing_to_measure_it_by_is_no_regression() -> None:
    """A run of follow-ups only has no change of subject to read alone: that figure is None, not 0.0."""
    from cluster_assistant.evals.conversations import DialogueResult, summary

    one = DialogueResult(id="c1", language="en", kind="follow_up", held_out=False, asked="cost?",
                         read_as="cost? (about: InoLink)", answer="x", refused=False, key_fact_recall=1.0,
                         standalone_recall=1.0, shown_before=[], repeated=0.0, carried_over=True, missing_facts=[])
    report = {"overall": summary([one])}
    assert report["overall"]["new_questions_read_alone"] is None
    baseline = json.loads(conv.DEFAULT_CONVERSATIONS_BASELINE.read_text())
    lines, failed = conv.compare(report, baseline)
    assert not failed and "  new_questions_read_alone: 1.000 -> –" in lines
    assert conv.baseline_problem(baseline) is None
    assert conv.baseline_problem([1, 2]) == 'it has no "overall" figures'
    assert "lacks a number for key_fact_recall" in str(conv.baseline_problem({"overall": {"key_fact_recall": "nan"}}))
