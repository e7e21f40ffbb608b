"""Latency the support check adds to a model answer (issue 20; target: at most 50 ms per answer).

    python bench/support_check.py                        # the shipped corpus in a temp store
    python bench/support_check.py --data-dir DIR         # an existing store (ingested)
    python bench/support_check.py --sentences 6 --rounds 5

For each in-scope question of evals/dataset.yaml it retrieves the context once (as the chain does), then
writes a model-like reply: one reworded sentence from each of the first `--sentences` sources, each
citing its source. It times, per answer, the chain's grounding step twice:
- `ground` with a check that passes everything (what grounding costs without the support check);
- the real check: the reply's sentences embedded in one batch, then numbers, names, negation and
  meaning against the cited chunks' stored sentence vectors.
The difference is the added latency. The embedding model is loaded and warm, as in a running
service. On a shared machine wall time grows with other processes' load, so the CPU time the check
adds (all threads of this process) is reported too. Writes bench/out/support_check.json."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _reply(sources: dict[int, str], n: int) -> str:
    from tools.fake_openai import reword, split_sentences

    out = []
    for k, text in list(sources.items())[:n]:
        picked = split_sentences(text)[:1]
        if picked:
            out.append(f"{reword(picked[0])[:-1]} [{k}].")
    return " ".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, help="an ingested data dir (default: ingest the corpus into a temp dir)")
    p.add_argument("--sentences", type=int, default=4, help="cited sentences per reply")
    p.add_argument("--rounds", type=int, default=3, help="timed passes over the questions")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "support_check.json")
    args = p.parse_args()

    from cluster_assistant.assistant.answering.citations import ground
    from cluster_assistant.assistant.answering.support import Verdict
    from cluster_assistant.assistant.ingest import ingest
    from cluster_assistant.assistant.pipeline import Assistant
    from cluster_assistant.assistant.settings import load_settings
    from cluster_assistant.evals.metrics import percentile
    from cluster_assistant.evals.runner import DEFAULT_DATASET, load_dataset

    tmp = None
    data_dir = args.data_dir
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench-support-")
        data_dir = Path(tmp.name)
    assistant = Assistant(load_settings(data_dir=data_dir))
    if assistant.store.count() == 0:
        ingest([ROOT / "corpus"], assistant.settings, assistant.store, assistant.embedder, assistant.classifier)

    cases = []
    for item in load_dataset(DEFAULT_DATASET):
        if not item.in_scope:
            continue
        state = assistant._retrieve(assistant._prepare({"question": item.question, "topic": None, "kind": None,
                                                        "on_token": None}))
        context = state["retrieved"].context
        reply = _reply({n: d.page_content for n, d in enumerate(context, 1)}, args.sentences)
        if reply:
            cases.append((state["question"], context, reply))
    passing = lambda sentence, cited: Verdict(True)  # noqa: E731 - grounding alone, no support check

    assistant.support_check(cases[0][2], cases[0][0], cases[0][1])  # warm the model's first call
    base_ms: list[float] = []
    check_ms: list[float] = []
    cpu_ms: list[float] = []
    checked = removed = 0
    for _ in range(args.rounds):
        for question, context, reply in cases:
            t = time.perf_counter()
            ground(reply, context, question, passing)
            base_ms.append((time.perf_counter() - t) * 1000)
            t, c = time.perf_counter(), time.process_time()
            g = ground(reply, context, question, assistant.support_check(reply, question, context))
            check_ms.append((time.perf_counter() - t) * 1000)
            cpu_ms.append((time.process_time() - c) * 1000)
            checked += g.checked
            removed += sum(g.removed.values())
    added = [c - b for b, c in zip(base_ms, check_ms, strict=True)]

    def pct(xs: list[float], q: int) -> float:
        return round(percentile(xs, q), 1)

    result: dict[str, Any] = {
        "answers_timed": len(added), "questions": len(cases), "sentences_per_reply": args.sentences,
        "sentences_checked": checked, "sentences_removed": removed,
        "added_ms": {"mean": round(statistics.fmean(added), 1), "p50": pct(added, 50), "p95": pct(added, 95),
                     "max": round(max(added), 1)},
        "grounding_without_check_ms_p50": pct(base_ms, 50),
        "cpu_ms_with_check": {"mean": round(statistics.fmean(cpu_ms), 1), "p50": pct(cpu_ms, 50),
                              "p95": pct(cpu_ms, 95)},
        "target_ms": 50,
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "embedding_backend": assistant.settings.embedding_backend,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    a = result["added_ms"]
    print(f"support check: +{a['mean']} ms mean, +{a['p50']} ms p50, +{a['p95']} ms p95, +{a['max']} ms max per answer "
          f"({len(added)} answers of {args.sentences} cited sentences; target <= 50 ms; "
          f"load {result['load_average_1m']} on {result['cpus']} CPUs)")
    c = result["cpu_ms_with_check"]
    print(f"CPU time of grounding with the check: {c['mean']} ms mean, {c['p50']} ms p50, {c['p95']} ms p95 per answer")
    print(f"wrote {args.out}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
