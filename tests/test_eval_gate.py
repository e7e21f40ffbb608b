"""The quality gate: the whole reference set through the real chain, against the committed baseline."""

import json

from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.evals.runner import DEFAULT_BASELINE, DEFAULT_DATASET, compare, load_dataset, run, write_outputs


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
