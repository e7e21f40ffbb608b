"""Benchmarks (scripts, not timed tests). Writes bench/out/results.json and results.md.

    python bench/run.py                    # shipped corpus + 1k and 10k chunks
    python bench/run.py --sizes 1000 10000 100000
    python bench/run.py --sizes 100000 --keep /tmp/bench   # keep the stores; re-run to re-measure queries only

For each size it builds a store in a temp folder and measures, each phase in its own process:
- ingest throughput (chunks/s, pages/s) end to end through `ingest`;
- cold `cluster-assistant ask` wall time;
- warm query latency p50/p95 over 50 questions, retrieval and answer separately;
- peak memory (max RSS) of the ingest and query processes.

The larger corpora are built deterministically from the shipped one: each synthetic document is
a seeded random selection of the shipped documents' pages and sections under a new doc id and title.
Every chunk is embedded by the model (the title is part of the embedded text, so no two synthetic
chunks embed the same text): the ingest figures are end to end at every size."""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "What is INOKLASTER?", "How did InoLink help clusters go international?",
    "What do cluster coordinators still need to learn?", "How much EU funding was planned for clustering?",
    "What are Innovation Partnerships?", "Which weaknesses does the EOCIC briefing list for Lithuania?",
    "What are the four levels of cluster development?", "Who coordinates the InoLink project?",
    "What resources are needed to transfer the InoLink practice?", "What is the ClusterFY project about?",
]


def build_corpus(target_chunks: int, out: Path, seed: int = 7) -> int:
    """Markdown documents recombined from the shipped corpus's pages and sections."""
    from cluster_assistant.assistant.chunking import ChunkSpec, chunk_document
    from cluster_assistant.assistant.documents import load_file
    from cluster_assistant.assistant.ingest import discover

    parts, chunks = [], 0
    for f in discover([ROOT / "corpus"])[0]:
        doc = load_file(f)
        parts += [p.text for p in doc.parts]
        chunks += len(chunk_document(doc, ChunkSpec()))
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_docs = max(1, round(target_chunks / (chunks / len(parts) * 8)))  # 8 parts per document
    for i in range(n_docs):
        body = "\n\n".join(f"## Part {j + 1}\n{rng.choice(parts)}" for j in range(8))
        (out / f"synthetic-{i:06d}.md").write_text(
            f"---\ndoc_id: synthetic-{i:06d}\ntitle: Synthetic document {i}\nkind: training\n---\n{body}\n")
    return n_docs


def _child(args: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"bench step {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def step_ingest(corpus: Path) -> dict:
    from cluster_assistant.assistant.ingest import ingest
    from cluster_assistant.assistant.pipeline import Assistant
    from cluster_assistant.assistant.settings import load_settings

    a = Assistant(load_settings())
    # Process start-up (model load; chromadb, tokenizer and bm25s loads) is not ingest throughput:
    # cold ask measures start-up.
    from cluster_assistant.assistant.token_counting import cl100k

    a.embedder.embed_documents(["warm up"])
    a.store.count()
    cl100k()
    import bm25s  # noqa: F401
    r = ingest([corpus], a.settings, a.store, a.embedder, a.classifier)
    return {"chunks": a.store.count(), "pages": r.pages, "documents": r.seen, "seconds": r.seconds,
            "chunks_per_s": r.chunks_embedded / r.seconds, "pages_per_s": r.pages / r.seconds,
            "failed": len(r.failed), "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def step_query() -> dict:
    from cluster_assistant.assistant.pipeline import Assistant
    from cluster_assistant.assistant.settings import load_settings
    from cluster_assistant.evals.metrics import percentile

    a = Assistant(load_settings())
    a.answer(QUESTIONS[0])  # warm: model, store and keyword index loaded
    retrieve, answer, total = [], [], []
    for i in range(50):
        ans = a.answer(QUESTIONS[i % len(QUESTIONS)])
        retrieve.append(ans.timings_ms["retrieve"])
        answer.append(ans.timings_ms["answer"])
        total.append(ans.timings_ms["total"])

    p = percentile
    return {"retrieve_p50": p(retrieve, 50), "retrieve_p95": p(retrieve, 95), "answer_p50": p(answer, 50),
            "answer_p95": p(answer, 95), "total_p50": p(total, 50), "total_p95": p(total, 95),
            "mean_ms": statistics.mean(total),
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def cold_ask(env: dict[str, str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cluster_assistant", "ask", "What is INOKLASTER?"], env=env,
                       capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_size(label: str, corpus: Path, keep: Path | None = None) -> dict:
    """Ingest into a fresh data dir, then measure queries. With `keep`, the data dir is kept there
    and a later run with the same `--keep` measures queries again without re-ingesting (the 100k
    ingest takes ~30 min)."""
    with tempfile.TemporaryDirectory() as tmp:
        data = keep / label if keep else Path(tmp)
        env = {**os.environ, "ASSISTANT_DATA_DIR": str(data)}
        saved = data / "bench-ingest.json"
        if keep and saved.is_file():
            ingest_res = json.loads(saved.read_text())
        else:
            ingest_res = _child(["--step", "ingest", "--corpus", str(corpus)], env)
            if keep:
                saved.write_text(json.dumps(ingest_res))
        res = {"size": label, "ingest": ingest_res}
        res["cold_ask_s"] = cold_ask(env)
        res["query"] = _child(["--step", "query"], env)
        print(json.dumps(res), file=sys.stderr)
        return res


def markdown(results: list[dict]) -> str:
    lines = ["| corpus | chunks | ingest chunks/s | ingest pages/s | cold ask s | retrieve p50/p95 ms "
             "| answer p50/p95 ms | total p50/p95 ms | peak RSS query / ingest MB |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        i, q = r["ingest"], r["query"]
        pages = f"{i['pages_per_s']:.1f}" if i["pages"] else "–"  # Markdown corpora have no pages
        lines.append(f"| {r['size']} | {i['chunks']} | {i['chunks_per_s']:.1f} | {pages} "
                     f"| {r['cold_ask_s']:.2f} | {q['retrieve_p50']:.0f} / {q['retrieve_p95']:.0f} "
                     f"| {q['answer_p50']:.0f} / {q['answer_p95']:.0f} | {q['total_p50']:.0f} / {q['total_p95']:.0f} "
                     f"| {q['max_rss_mb']:.0f} / {i['max_rss_mb']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--step", choices=["ingest", "query"])
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--keep", type=Path, help="keep each size's store under this folder; a later run with the "
                    "same --keep re-measures queries on it without re-ingesting")
    args = ap.parse_args()
    if args.step == "ingest":
        print(json.dumps(step_ingest(args.corpus)))
        return
    if args.step == "query":
        print(json.dumps(step_query()))
        return
    results = [bench_size("shipped", ROOT / "corpus", keep=args.keep)]
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            label = f"{n // 1000}k"
            folder = Path(tmp) / f"c{n}"
            if not (args.keep and (args.keep / label / "bench-ingest.json").is_file()):
                build_corpus(n, folder)
            results.append(bench_size(label, folder, keep=args.keep))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    (args.out / "results.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
