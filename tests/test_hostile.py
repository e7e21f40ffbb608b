"""Hostile documents (issue 17): alias bombs, punctuation runs, names and folders built to hurt.
The pathological inputs run in a child process under a memory and CPU bound (tests/bounded.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cluster_assistant.assistant.chunking import ChunkSpec, split_spans
from cluster_assistant.assistant.documents import LoadError, load_file, slugify
from cluster_assistant.assistant.token_counting import count_wordpieces

from .bounded import run_bounded
from .conftest import PDF_SAMPLES, index, make_assistant


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
    from cluster_assistant.assistant.source_doc import printable

    name = "evil\x1b]0;pwned\x07\x1b[2J\u202e.md"
    assert printable(tmp_path / name).endswith("evil?]0;pwned??[2J?.md")
    path = tmp_path / name
    path.write_text("Cluster text.\n")
    doc = load_file(path)
    assert "\x1b" not in doc.title and "\x07" not in doc.title
    assert os.path.basename(doc.source) == name  # stored as found; sanitised when shown


# --- links, removal, odd paths (defects 2 and 8) -------------------------------------------------

def _doc_ids(assistant) -> set[str]:  # noqa: ANN001
    return {str(m["doc_id"]) for m in assistant.store.all_metadata(keys=("doc_id",))[1]}


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """A folder with a note, and links to a secret file and folder outside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("root:x:0:0:root:/root:/bin/bash is the administrator account line.\n")
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("Cluster coordinators meet every quarter to review the action plan.\n")
    (folder / "passwd.txt").symlink_to(outside / "secret.txt")
    (folder / "ext").symlink_to(outside, target_is_directory=True)
    (folder / "inside.txt").symlink_to(folder / "notes.txt")  # a link within the folder is fine
    return folder


def test_links_out_of_the_folder_are_skipped(linked: Path, tmp_path: Path) -> None:


    a = make_assistant(tmp_path / "data")
    report = index(a, [linked])
    assert sorted((Path(f.path).name, f.reason) for f in report.failed) == [
        ("ext", "symlink-outside"), ("passwd.txt", "symlink-outside")]
    assert "ASSISTANT_FOLLOW_LINKS_OUTSIDE" in report.failed[0].detail
    assert _doc_ids(a) == {"notes", "inside"}
    texts = " ".join(t for _, t, _ in a.store.iter_texts())
    assert "root:x:0:0" not in texts


def test_a_followed_link_is_keyed_by_where_it_was_found_and_goes_when_it_does(linked: Path,
                                                                               tmp_path: Path) -> None:


    a = make_assistant(tmp_path / "data", follow_links_outside=True)
    assert index(a, [linked]).failed == []
    sources = {str(m["doc_id"]): str(m["source"]) for m in a.store.all_metadata(keys=("doc_id", "source"))[1]}
    assert sources["passwd"] == str(linked / "passwd.txt")  # not /…/outside/secret.txt
    assert sources["secret"] == str(linked / "ext" / "secret.txt")
    (linked / "passwd.txt").unlink()
    (linked / "ext").unlink()
    report = index(a, [linked])
    assert report.removed == 2 and _doc_ids(a) == {"notes", "inside"}


def test_a_link_that_is_no_longer_followed_is_removed_by_the_next_ingest(linked: Path, tmp_path: Path) -> None:


    index(make_assistant(tmp_path / "data", follow_links_outside=True), [linked])
    a = make_assistant(tmp_path / "data")  # the setting turned off again
    report = index(a, [linked])
    assert report.removed == 2 and "passwd" not in _doc_ids(a)


def test_remove_deletes_a_document_by_id_or_path(linked: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from cluster_assistant.assistant.catalog import list_sources
    from cluster_assistant.assistant.keywords import KeywordIndex
    from cluster_assistant.bots.cli import main


    data = tmp_path / "data"
    a = make_assistant(data, follow_links_outside=True)
    index(a, [linked])
    assert {"passwd", "secret", "notes"} <= _doc_ids(a)
    assert main(["--data-dir", str(data), "remove", "passwd", str(linked / "ext")]) == 0
    out = capsys.readouterr().out
    assert "removed passwd (1 chunk)" in out and "removed secret (1 chunk)" in out
    assert {r["doc_id"] for r in list_sources(a.store)} == {"notes", "inside"}
    kw = KeywordIndex.load(data / "keywords")
    assert kw is not None and not kw.search("administrator account", 5)
    assert sorted(kw.ids) == sorted(a.store.all_metadata()[0])
    assert main(["--data-dir", str(data), "remove", "no-such-doc"]) == 2
    assert "no indexed document has this id or path" in capsys.readouterr().err


def test_a_folder_tree_1500_deep_is_ingested(tmp_path: Path) -> None:
    """Path.rglob recursed once per level: "maximum recursion depth exceeded" aborted the ingest."""
    from cluster_assistant.assistant.ingest import discover

    root = tmp_path / "deep"
    root.mkdir()
    (root / "top.txt").write_text("Cluster members share plans.\n")
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(1500):  # by file descriptor: os.makedirs recurses too
            os.mkdir("d", dir_fd=fd)
            nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        with os.fdopen(os.open("bottom.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
            f.write("The deepest note about clusters.\n")
    finally:
        os.close(fd)
    try:
        files, failed = discover([root])
        assert failed == [] and sorted(f.name for f in files) == ["bottom.txt", "top.txt"]
        assert load_file(max(files, key=lambda f: len(str(f)))).parts[0].text == "The deepest note about clusters."
    finally:  # bottom up: pytest's own clean-up (shutil.rmtree) recurses once per level too
        (root / "/".join(["d"] * 1500) / "bottom.txt").unlink()
        for depth in range(1500, 0, -1):
            os.rmdir(root / "/".join(["d"] * depth))


def test_dev_null_and_a_pipe_are_named_for_what_they_are(tmp_path: Path) -> None:
    from cluster_assistant.assistant.ingest import discover

    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "pipe.txt")  # reading it would block the ingest forever
    _, failed = discover([Path("/dev/null"), folder, tmp_path / "nothing-here"])
    assert [(f.reason, f.detail) for f in failed] == [
        ("not-a-file", "a character device, not a file or folder"),
        ("not-a-file", "a pipe, not a file"),
        ("missing", "no such file or folder")]


def test_chat_goes_on_after_a_line_that_is_not_utf8(tmp_path: Path) -> None:
    """`chat` ended with a UnicodeDecodeError traceback on the first such byte."""


    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text("Cluster coordinators meet every quarter to review the action plan.\n")
    index(make_assistant(tmp_path / "data"), [folder])
    stdin = ("Koordinatorių susitikimas?\n".encode("cp1257") + b"\xff\xfe\n"
             + b"How often do coordinators meet?\n/exit\n")
    done = run_bounded(["-m", "cluster_assistant", "chat"], mem_mb=3072, seconds=120, stdin=stdin,
                       env={"ASSISTANT_DATA_DIR": str(tmp_path / "data"), "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "every quarter" in done.stdout


def test_the_time_limit_covers_reading_every_format(tmp_path: Path) -> None:
    from cluster_assistant.assistant.documents import Limits


    path = tmp_path / "notes.md"
    path.write_text("# Notes\nCluster members meet every quarter.\n")
    for f in (path, PDF_SAMPLES / "pdflatex-4-pages.pdf"):
        with pytest.raises(LoadError) as e:
            load_file(f, Limits(timeout_s=1e-9))
        assert e.value.reason == "timeout"


def test_an_empty_or_dot_target_removes_nothing(tmp_path: Path) -> None:
    from cluster_assistant.assistant.removal import remove


    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\nCluster members meet every month to plan joint projects.\n")
    a = make_assistant(tmp_path / "data")
    index(a, [docs])
    before = a.store.count()
    cwd = os.getcwd()
    os.chdir(docs)  # "." would be the folder that holds the document
    try:
        out = remove(["", "."], a.store, a.settings.keywords_dir)
    finally:
        os.chdir(cwd)
    assert out.removed == {} and out.unmatched == ["", "."] and a.store.count() == before
