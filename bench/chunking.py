"""Chunking time on hostile text: is it linear in the input?

    python bench/chunking.py               # 1, 10 and 50 MB of each kind
    python bench/chunking.py --mb 1 10     # chosen sizes

Each run loads a generated file (`load_file`) and chunks it (`chunk_document`) in a fresh process
and prints the wall and CPU seconds (CPU time is the fairer figure on a shared machine), the CPU
seconds per MB and the process's peak memory. Kinds: a table of contents with dot
leaders, long runs of `#` (headings and rules), and ordinary prose for comparison. Linear means the
CPU seconds per MB stay flat as the size grows (issue 17: 150 KB of dot leaders took 12.8 s before)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

LINES = {
    "dot-leaders": "Chapter 3: Cluster funding and member services " + "." * 120 + " 42\n",
    "hash-runs": "# " + "#" * 300 + " x\n" + "#" * 2000 + "\n",
    "prose": ("Cluster coordinators meet every quarter to review the action plan and agree on next steps. " * 5
              + "\n\n"),
}

CHILD = """
import json, resource, sys, time
from pathlib import Path
from cluster_assistant.assistant.chunking import ChunkSpec, chunk_document
from cluster_assistant.assistant.documents import Limits, load_file
path = Path(sys.argv[1])
started, cpu0 = time.perf_counter(), time.process_time()
doc = load_file(path, Limits(max_bytes=1 << 40, timeout_s=1e9))
loaded = time.perf_counter()
chunks = chunk_document(doc, ChunkSpec())
done, cpu1 = time.perf_counter(), time.process_time()
print(json.dumps({"load_s": loaded - started, "chunk_s": done - loaded, "cpu_s": cpu1 - cpu0, "chunks": len(chunks),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make(kind: str, mb: float, folder: Path) -> Path:
    n = int(mb * 1024 * 1024)
    line = LINES[kind]
    path = folder / f"{kind}-{mb:g}mb.md"
    with path.open("w", encoding="utf-8") as f:
        whole, rest = divmod(n, len(line))
        for _ in range(whole):
            f.write(line)
        f.write(line[:rest])
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mb", type=float, nargs="+", default=[1, 10, 50])
    p.add_argument("--kinds", nargs="+", default=list(LINES), choices=list(LINES))
    args = p.parse_args()
    print(f"{'kind':12} {'MB':>5} {'load s':>7} {'chunk s':>8} {'CPU s':>7} {'CPU s/MB':>8} {'chunks':>8} "
          f"{'peak MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds:
            for mb in args.mb:
                path = make(kind, mb, Path(tmp))
                out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                                     check=True)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"{kind:12} {mb:>5g} {r['load_s']:>7.2f} {r['chunk_s']:>8.2f} {r['cpu_s']:>7.1f} "
                      f"{r['cpu_s'] / mb:>8.2f} {r['chunks']:>8} {r['peak_mb']:>8.0f}", flush=True)
                path.unlink()


if __name__ == "__main__":
    main()
