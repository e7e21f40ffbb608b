"""Property tests of the loaders (issue 17): random bytes, random Markdown and random YAML front
matter or sidecars either load or fail with a classified LoadError, chunk within the model's
input, and never raise out of `ingest` (nor land in its catch-all "error" class)."""

from __future__ import annotations

from pathlib import Path

import yaml
from cluster_assistant.assistant.chunking import ChunkSpec, chunk_document
from cluster_assistant.assistant.documents import LoadError, SourceDoc, load_file
from cluster_assistant.assistant.token_counting import count_wordpieces
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import index, make_assistant

SPEC = ChunkSpec()
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.function_scoped_fixture])

# YAML-ish text: keys we read, anchors, aliases, merge keys, flow and block collections, tags, dates.
_TOKENS = ["title", "kind", "topics", "doc_id", "date", "publisher", "policy", "news", ":", ": ", "- ", "[", "]",
           "{", "}", ",", "&a", "*a", "&b", "*b", "<<: *a", "!!str", "!!binary", "!!python/object", "2020-13-45",
           "'", '"', "|", ">", "#", "---", "...", "\n", "\n  ", "\t", "~", "null", "yes", "1e400", "ą", "\x1b[2J",
           "9" * 50]
yaml_ish = st.lists(st.sampled_from(_TOKENS), max_size=60).map("".join)


def _json_scalars() -> st.SearchStrategy[object]:
    return st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30),
                     st.floats(allow_nan=False, allow_infinity=False))


metadata = st.dictionaries(st.sampled_from(["title", "kind", "topics", "doc_id", "date", "publisher", "other"]),
                           st.recursive(_json_scalars(), lambda inner: st.lists(inner, max_size=4)
                                        | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12),
                           max_size=6)
markdown_body = st.lists(st.one_of(
    st.sampled_from(["# Heading", "## Sub ###", "###### Deep", "#" * 300, "- item", "1. step", "", "---",
                     ". . . . . . . 12", "Members meet every quarter.", "```", "| a | b |"]),
    st.text(max_size=80)), max_size=30).map("\n".join)


def _check(path: Path) -> None:
    try:
        doc = load_file(path)
    except LoadError as e:
        assert e.reason and "\n" not in str(e)
        return
    assert isinstance(doc, SourceDoc) and doc.parts and doc.doc_id.isascii()
    for c in chunk_document(doc, SPEC):
        assert count_wordpieces(SPEC.model_name, c.text) <= SPEC.max_wordpieces


@FUZZ
@given(data=st.binary(max_size=4000), suffix=st.sampled_from([".md", ".txt", ".pdf", ".markdown"]))
def test_random_bytes_load_or_fail_cleanly(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    _check(path)


@FUZZ
@given(front=yaml_ish, body=markdown_body)
def test_random_front_matter_loads_or_fails_cleanly(tmp_path: Path, front: str, body: str) -> None:
    path = tmp_path / "random.md"
    path.write_text(f"---\n{front}\n---\n{body}\nCluster members meet every quarter.\n", encoding="utf-8",
                    errors="surrogatepass")
    _check(path)


@FUZZ
@given(meta=metadata, sidecar=yaml_ish, use_sidecar=st.booleans())
def test_random_metadata_values_load_or_fail_cleanly(tmp_path: Path, meta: dict[str, object], sidecar: str,
                                                     use_sidecar: bool) -> None:
    path = tmp_path / "doc.md"
    path.write_text(f"---\n{yaml.safe_dump(meta, allow_unicode=True)}---\n# Guide\nMembers meet every quarter.\n",
                    encoding="utf-8", errors="surrogatepass")
    side = tmp_path / "doc.md.meta.yaml"
    if use_sidecar:
        side.write_text(sidecar, encoding="utf-8")
    else:
        side.unlink(missing_ok=True)
    _check(path)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.tuples(st.sampled_from([".md", ".txt"]), st.one_of(st.binary(max_size=600),
                                                                            yaml_ish.map(lambda y: f"---\n{y}\n---\n"
                                                                                         "# T\nText.\n".encode()))),
                      min_size=1, max_size=4))
def test_ingest_never_raises_on_random_files(tmp_path_factory, files: list[tuple[str, bytes]]) -> None:  # noqa: ANN001
    """Through the real store: every file is added or reported with a classified reason."""
    folder = tmp_path_factory.mktemp("fuzz")
    for i, (suffix, data) in enumerate(files):
        (folder / f"f{i}{suffix}").write_bytes(data)
    report = index(make_assistant(tmp_path_factory.mktemp("data")), [folder])
    assert report.seen == len(files) == report.added + len(report.failed)
    assert not [f for f in report.failed if f.reason == "error"], report.failed  # the catch-all for loader bugs
