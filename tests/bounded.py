"""Run a Python snippet or the CLI in a child process under a memory and CPU-time bound, so a
regression on a pathological input fails fast instead of eating the machine or hanging CI."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path


def run_bounded(args: list[str], mem_mb: int, seconds: int, env: dict[str, str] | None = None,
                cwd: Path | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """`args` after the interpreter (["-c", code] or ["-m", "cluster_assistant", ...]). The address
    space is capped at `mem_mb` and CPU time at `seconds`; the wall clock at twice that."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem_mb << 20, mem_mb << 20))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))

    done = subprocess.run([sys.executable, *args], preexec_fn=limit, capture_output=True, input=stdin,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=2 * seconds)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode("utf-8", "replace"),
                                       done.stderr.decode("utf-8", "replace"))
