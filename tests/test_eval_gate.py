"""The quality gate: the whole reference set through the real chain, against the committed baseline."""

import json

from cluster_assistant.assistant.pipeline import Assistant
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
