"""A bounded load on the HTTP mode: every signed mention is acknowledged and answered exactly once."""

from pathlib import Path

from cluster_assistant.assistant.pipeline import Assistant

from bench.slack_load import run_load


def test_concurrent_mentions_are_neither_lost_nor_duplicated(corpus_assistant: Assistant, tmp_path: Path) -> None:
    r = run_load(corpus_assistant, tmp_path / "slack", requests=30, concurrency=15, wait_s=90)
    print(f"\nSlack load: {r}")
    assert r["status_200"] == 30
    assert r["replies"] == 30 and r["lost"] == 0 and r["duplicated"] == 0
