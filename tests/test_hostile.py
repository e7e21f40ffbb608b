"""Hostile documents (issue 17): alias bombs, punctuation runs, names and folders built to hurt.
The pathological inputs run in a child process under a memory and CPU bound (tests/bounded.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cluster_assistant.assistant.chunking import ChunkSpec, split_spans
from cluster_assistant.assistant.documents import LoadError, load_file, slugify
from cluster_assistant.assistant.tokens import count_wordpieces

from .bounded import run_bounded


def alias_bomb(levels: int) -> str:
    """`a1: &a1 [*a0, *a0, …]`, ten copies a level: 10**levels values from a few hundred bytes."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


LOAD_ALL = """
import json, sys
from pathlib import Path
from cluster_assistant.assistant.documents import LoadError, load_file
out = {}
for name in sys.argv[1:]:
    try:
        out[Path(name).name] = ["ok", load_file(Path(name)).title]
    except LoadError as e:
        out[Path(name).name] = [e.reason, str(e)]
print(json.dumps(out))
"""


def test_an_alias_bomb_in_front_matter_or_a_sidecar_is_bad_metadata(tmp_path: Path) -> None:
    """Nine levels in ~500 bytes took 57 s and 4.3 GB before failing with MemoryError."""
    front = tmp_path / "front.md"
    front.write_text(f"---\n{alias_bomb(9)}title: Bomb\n---\n# Bomb\nText about clusters.\n")
    assert front.stat().st_size < 600
    side = tmp_path / "side.txt"
    side.write_text("Cluster members meet every quarter.\n")
    (tmp_path / "side.txt.meta.yaml").write_text(alias_bomb(9))
    merge = tmp_path / "merge.md"  # merge keys copy what they merge, for real
    levels = ["a0: &a0 {" + ", ".join(f"k{i}: {i}" for i in range(10)) + "}"]
    levels += [f"a{i}: &a{i} {{<<: [" + ",".join([f"*a{i - 1}"] * 10) + "]}" for i in range(1, 8)]
    merge.write_text("---\n" + "\n".join(levels) + "\n---\n# Merge\nText.\n")
    recursive = tmp_path / "recursive.md"
    recursive.write_text("---\na: &a [*a]\ntitle: Loop\n---\n# Loop\nText.\n")
    deep = tmp_path / "deep.md"
    deep.write_text("---\na: " + "[" * 5000 + "]" * 5000 + "\n---\n# Deep\nText.\n")
    fine = tmp_path / "fine.md"  # an alias or two is ordinary YAML
    fine.write_text("---\nbase: &b policy\nkind: *b\ntitle: Fine\n---\n# Fine\nText.\n")
    files = [front, side, merge, recursive, deep, fine]
    done = run_bounded(["-c", LOAD_ALL, *map(str, files)], mem_mb=1024, seconds=30)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout)
    assert {k: v[0] for k, v in got.items()} == {"front.md": "bad-metadata", "side.txt": "bad-metadata",
                                                 "merge.md": "bad-metadata", "recursive.md": "bad-metadata",
                                                 "deep.md": "bad-metadata", "fine.md": "ok"}
    assert "expand to more than" in got["front.md"][1] and "side.txt.meta.yaml" in got["side.txt"][1]
    assert "refers to the list or mapping that contains it" in got["recursive.md"][1]
    assert "deeper than" in got["deep.md"][1]


def test_ingest_reports_the_bomb_and_indexes_the_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bomb.md").write_text(f"---\n{alias_bomb(9)}---\n# Bomb\nText.\n")
    (folder / "notes.txt").write_text("Cluster coordinators meet every quarter to review the action plan.\n")
    done = run_bounded(["-m", "cluster_assistant", "ingest", str(folder)], mem_mb=3072, seconds=120,
                       env={"ASSISTANT_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 3, done.stderr[-2000:]  # some files failed
    assert "bomb.md: bad-metadata: front matter is too large for metadata" in done.stderr
    assert "1 added" in done.stdout and "1 failed" in done.stdout


def test_the_content_hash_covers_the_metadata_in_use(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\ntitle: One\n---\n# H\nText.\n")
    first = load_file(path).content_hash
    (tmp_path / "x.md.meta.yaml").write_text("title: Two\n")
    assert load_file(path).content_hash != first  # a sidecar edit is a change


CHUNK_FILE = """
import sys, time
from pathlib import Path
from cluster_assistant.assistant.chunking import ChunkSpec, chunk_document
from cluster_assistant.assistant.documents import load_file
doc = load_file(Path(sys.argv[1]))
print(len(chunk_document(doc, ChunkSpec())))
"""


@pytest.mark.parametrize("line", [
    "Chapter 3: Cluster funding " + "." * 120 + " 42\n",  # a table of contents with dot leaders
    "# " + "#" * 300 + " x\n" + "#" * 2000 + "\n",      # long runs of "#": headings and rules
    "# " + "#" * 200_000 + "x\nText under it.\n",      # one heading line of them
], ids=["dot-leaders", "hash-runs", "one-long-heading"])
def test_punctuation_runs_chunk_in_bounded_time(tmp_path: Path, line: str) -> None:
    """150 KB of dot leaders took 12.8 s (37 s here) and the "#" runs hit the recursion limit: the
    word-piece re-check dropped one unit at a time, and a heading longer than the model's input
    left no room for text. Speed itself is measured in bench/chunking.py."""
    path = tmp_path / "toc.md"
    path.write_text((line * (400_000 // len(line) + 1))[:400_000])
    done = run_bounded(["-c", CHUNK_FILE, str(path)], mem_mb=2048, seconds=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout) > 0


def test_chunks_of_punctuation_runs_fit_the_model_and_cover_the_text() -> None:
    spec = ChunkSpec()
    text = ("Contents " + "." * 3000 + " 7\n") * 20 + "#" * 9000
    spans = split_spans(text, spec)
    assert all(count_wordpieces(spec.model_name, text[s:e]) <= spec.max_wordpieces for s, e in spans)
    covered = bytearray(len(text))
    for s, e in spans:
        covered[s:e] = b"\x01" * (e - s)
    assert all(c or ch.isspace() for ch, c in zip(text, covered, strict=True))


def test_a_text_file_past_the_time_limit_is_a_timeout(tmp_path: Path) -> None:
    """The per-file limit covers every format, and chunking too (it was PDFs only)."""
    import time

    from cluster_assistant.assistant.chunking import chunk_document

    path = tmp_path / "long.txt"
    path.write_text("Cluster members share their plans with the coordinator. " * 20_000)
    doc = load_file(path)
    with pytest.raises(LoadError) as e:
        chunk_document(doc, ChunkSpec(), deadline=time.monotonic() - 1)
    assert e.value.reason == "timeout" and "long.txt" in str(e.value)


def test_file_names_in_lithuanian_get_distinct_ids() -> None:
    assert slugify("ąčę") == "ace" and slugify("ėįš") == "eis"
    assert slugify("Klasterių plėtra") == "klasteriu-pletra"
    cjk = [slugify("集群"), slugify("簇")]
    assert cjk[0] != cjk[1] and all(s.isascii() and s for s in cjk)
    assert slugify("guide") == "guide" and slugify("my_guide 2") == "my-guide-2"  # ASCII ids are unchanged


def test_a_name_with_escape_sequences_is_shown_without_them(tmp_path: Path) -> None:
    from cluster_assistant.assistant.documents import shown

    name = "evil\x1b]0;pwned\x07\x1b[2J\u202e.md"
    assert shown(tmp_path / name).endswith("evil?]0;pwned??[2J?.md")
    path = tmp_path / name
    path.write_text("Cluster text.\n")
    doc = load_file(path)
    assert "\x1b" not in doc.title and "\x07" not in doc.title
    assert os.path.basename(doc.source) == name  # stored as found; sanitised when shown
