"""Check evals/dataset.yaml: required fields, unique ids, and that every key fact is a verbatim span.

Every key fact (each " | " alternative) of every in-scope item must occur, under the dataset's matching
rule (evals/metrics.py `normalise`: lower-case, punctuation to spaces, whitespace folded, then a
word-boundary substring), in at least one of the item's expected source documents. Markdown files are
read without their YAML front matter; PDFs through pypdf, as the assistant extracts them (footnote marks
glued to words dropped).

    python tools/check_dataset.py [--dataset PATH] [--corpus DIR]

Exits 1 and lists the problems when any check fails.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import yaml
from cluster_assistant.assistant.documents import drop_footnote_marks
from cluster_assistant.assistant.topics import AREAS
from cluster_assistant.evals.metrics import normalise
from cluster_assistant.evals.runner import STYLES, WORDINGS

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("id", "question", "language", "area", "style", "wording", "in_scope", "reference_answer",
            "key_facts", "expected_sources")
ALLOWED = {"language": {"en", "lt"}, "area": set(AREAS), "style": set(STYLES), "wording": set(WORDINGS)}


def doc_texts(corpus: Path) -> dict[str, str]:
    """doc_id -> text (front matter stripped for Markdown, pypdf text for PDFs)."""
    texts = {}
    for p in sorted(corpus.iterdir()):
        if p.suffix == ".md" and p.name != "README.md":
            raw = p.read_text(encoding="utf-8")
            meta, body = {}, raw
            if raw.startswith("---"):
                _, fm, body = raw.split("---", 2)
                meta = yaml.safe_load(fm) or {}
            texts[str(meta.get("doc_id", p.stem))] = body
        elif p.suffix == ".pdf":
            from pypdf import PdfReader
            meta_path = p.with_name(p.name + ".meta.yaml")
            meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
            # As the assistant reads it: footnote marks glued to words ("Intelektas15") dropped.
            text = "\n".join(drop_footnote_marks([page.extract_text() or "" for page in PdfReader(str(p)).pages]))
            texts[str(meta.get("doc_id", p.stem))] = text
    return texts


def check(items: list, docs: dict[str, str]) -> list[str]:
    problems = []
    norm_docs = {d: f" {normalise(t)} " for d, t in docs.items()}
    ids = Counter(str(i.get("id")) for i in items if isinstance(i, dict))
    problems += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    for n, it in enumerate(items, 1):
        if not isinstance(it, dict):
            problems.append(f"item {n}: not a mapping")
            continue
        iid = it.get("id", f"item {n}")
        missing = [k for k in REQUIRED if k not in it]
        if missing:
            problems.append(f"{iid}: missing {', '.join(missing)}")
            continue
        for k, allowed in ALLOWED.items():
            if it[k] not in allowed:
                problems.append(f"{iid}: {k} {it[k]!r} not in {sorted(allowed)}")
        facts, sources = it["key_facts"] or [], it["expected_sources"] or []
        if not it["in_scope"]:
            if facts or sources or it["reference_answer"]:
                problems.append(f"{iid}: out of scope but has key facts, sources or a reference answer")
            continue
        if not 1 <= len(facts) <= 5:
            problems.append(f"{iid}: {len(facts)} key facts (want 1-5)")
        if not sources or not it["reference_answer"]:
            problems.append(f"{iid}: in scope without expected sources or reference answer")
        src = [str(s.get("doc_id")) for s in sources]
        for d in src:
            if d not in docs:
                problems.append(f"{iid}: unknown doc_id {d}")
        for fact in facts:
            for alt in str(fact).split(" | "):
                needle = f" {normalise(alt)} "
                if needle.strip() and not any(needle in norm_docs.get(d, "") for d in src):
                    problems.append(f"{iid}: key fact {alt!r} is not a verbatim span of {', '.join(src)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, default=ROOT / "evals" / "dataset.yaml")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    a = ap.parse_args(argv)
    items = yaml.safe_load(a.dataset.read_text(encoding="utf-8"))
    if not isinstance(items, list) or not items:
        print(f"{a.dataset}: expected a non-empty list of items")
        return 1
    docs = doc_texts(a.corpus)
    problems = check(items, docs)
    tally = Counter((i.get("wording"), i.get("language"), bool(i.get("in_scope"))) for i in items)
    print(f"{len(items)} items, {len(docs)} documents")
    for (w, lang, scope), n in sorted(tally.items(), key=str):
        print(f"  wording={w} language={lang} in_scope={scope}: {n}")
    for p in problems:
        print("FAIL", p)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
