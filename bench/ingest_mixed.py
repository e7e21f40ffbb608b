"""Ingest throughput on a folder of mixed formats (a script, not a timed test).

    python bench/ingest_mixed.py                 # 50 files: 10 PDF, 10 Word, 10 PowerPoint, 10 HTML, 5 Markdown, 5 text
    python bench/ingest_mixed.py --files 100 --keep /tmp/mixed

Generates the files (deterministically, from the shipped corpus's own sentences, so the text is
real policy prose), then measures in this process, after the embedding model is loaded:
- reading alone: `load_file` on every file, per format (parse and extract, no embedding);
- a first ingest into an empty store, end to end (read, chunk, embed, write): documents/s, chunks/s;
- a second ingest of the unchanged folder (0 chunks embedded): documents/s.
Writes bench/out/ingest_mixed.json and prints a Markdown table. PDFs need fpdf2 (a dev extra)."""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Share of each format in the folder (of 50: 10 pdf, 10 docx, 10 pptx, 10 html, 5 md, 5 txt).
MIX = [("pdf", 10), ("docx", 10), ("pptx", 10), ("html", 10), ("md", 5), ("txt", 5)]


def sentence_pool() -> list[str]:
    """Whole sentences of the shipped corpus, long enough to say something."""
    import re

    from cluster_assistant.assistant.documents import load_file
    from cluster_assistant.assistant.settings import shipped

    pool: list[str] = []
    for path in sorted(shipped("corpus").iterdir()):
        if path.suffix in {".pdf", ".md"} and path.name.lower() != "readme.md":
            for part in load_file(path).parts:
                text = " ".join(part.text.split())
                pool += [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text) if 8 <= len(s.split()) <= 60]
    return pool


def _sections(rng: random.Random, pool: list[str], n: int) -> list[tuple[str, list[str]]]:
    """n sections: a heading from a sentence's first words, and 2-4 paragraphs of 2-4 sentences."""
    out = []
    for _ in range(n):
        head = " ".join(rng.choice(pool).split()[:4]).rstrip(".,;:")
        paras = [" ".join(rng.sample(pool, rng.randint(2, 4))) for _ in range(rng.randint(2, 4))]
        out.append((head, paras))
    return out


def write_pdf(path: Path, title: str, sections: list[tuple[str, list[str]]]) -> None:
    from fpdf import FPDF

    def latin(t: str) -> str:  # the PDF core fonts are Latin-1
        return t.encode("latin-1", "replace").decode("latin-1")

    pdf = FPDF()
    pdf.set_title(latin(title))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 10, latin(title), new_x="LMARGIN", new_y="NEXT")
    for head, paras in sections:
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 8, latin(head), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        for p in paras:
            pdf.multi_cell(0, 6, latin(p), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    pdf.output(str(path))


def write_docx(path: Path, title: str, sections: list[tuple[str, list[str]]], rng: random.Random) -> None:
    import docx

    d = docx.Document()
    d.add_paragraph(title, style="Title")
    for i, (head, paras) in enumerate(sections):
        d.add_heading(head, 1 if i % 2 == 0 else 2)
        for p in paras:
            d.add_paragraph(p)
        if i == 1:
            table = d.add_table(rows=4, cols=3)
            rows = [("Measure", "Budget", "Year")]
            rows += [(f"Measure {k}", f"{rng.randint(5, 90)} 000 EUR", str(2020 + k)) for k in range(3)]
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
    d.save(str(path))


def write_pptx(path: Path, title: str, sections: list[tuple[str, list[str]]]) -> None:
    import pptx

    deck = pptx.Presentation()
    deck.core_properties.title = title
    s = deck.slides.add_slide(deck.slide_layouts[0])
    s.shapes.title.text = title
    for head, paras in sections:
        s = deck.slides.add_slide(deck.slide_layouts[1])
        s.shapes.title.text = head
        frame = s.placeholders[1].text_frame
        frame.text = paras[0][:120]
        for p in paras[1:]:
            frame.add_paragraph().text = p[:120]
        s.notes_slide.notes_text_frame.text = " ".join(paras)
    deck.save(str(path))


def write_html(path: Path, title: str, sections: list[tuple[str, list[str]]]) -> None:
    from html import escape

    body = "".join(f"<h2>{escape(h)}</h2>" + "".join(f"<p>{escape(p)}</p>" for p in paras) for h, paras in sections)
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)} | Portal</title>"
                    f"</head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><main><article>"
                    f"<h1>{escape(title)}</h1>{body}</article></main><footer>Copyright. Privacy. Cookies.</footer>"
                    "</body></html>", encoding="utf-8")


def build_folder(out: Path, files: int, seed: int = 18) -> dict[str, int]:
    rng = random.Random(seed)
    pool = sentence_pool()
    out.mkdir(parents=True, exist_ok=True)
    total = sum(n for _, n in MIX)
    counts: dict[str, int] = {}
    made = 0
    for k, (fmt, share) in enumerate(MIX):
        n = files - made if k == len(MIX) - 1 else round(files * share / total)
        counts[fmt] = n
        made += n
        for i in range(n):
            title = f"Cluster practice {fmt} {i + 1}"
            sections = _sections(rng, pool, rng.randint(3, 6))
            path = out / f"{fmt}-{i + 1:02d}.{fmt}"
            if fmt == "pdf":
                write_pdf(path, title, sections)
            elif fmt == "docx":
                write_docx(path, title, sections, rng)
            elif fmt == "pptx":
                write_pptx(path, title, sections)
            elif fmt == "html":
                write_html(path, title, sections)
            elif fmt == "md":
                path.write_text(f"# {title}\n\n" + "\n\n".join(f"## {h}\n\n" + "\n\n".join(ps) for h, ps in sections))
            else:
                path.write_text(f"{title}\n\n" + "\n\n".join("\n\n".join(ps) for _, ps in sections))
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--keep", type=Path, help="build the folder and store here (default: a temp folder)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "ingest_mixed.json")
    args = ap.parse_args()

    from cluster_assistant.assistant.documents import load_file
    from cluster_assistant.assistant.ingest import ingest
    from cluster_assistant.assistant.pipeline import Assistant
    from cluster_assistant.assistant.settings import load_settings

    work = args.keep or Path(tempfile.mkdtemp(prefix="ingest-mixed-"))
    folder = work / "files"
    counts = build_folder(folder, args.files)
    files = sorted(folder.iterdir())

    for fmt in counts:  # the first file of a format pays for importing its library: not reading
        load_file(next(p for p in files if p.suffix == f".{fmt}"))
    read_s: dict[str, float] = defaultdict(float)
    for path in files:
        started = time.perf_counter()
        load_file(path)
        read_s[path.suffix[1:]] += time.perf_counter() - started

    assistant = Assistant(load_settings(data_dir=work / "data"))
    assistant.embedder.embed_query("warm up")  # the model's load is not ingest throughput
    parts = (assistant.settings, assistant.store, assistant.embedder, assistant.classifier)
    first = ingest([folder], *parts)
    again = ingest([folder], *parts)
    assert not first.failed, first.failed

    result = {
        "files": len(files), "by_format": counts,
        "read_ms_per_file": {f: round(1000 * read_s[f] / counts[f], 1) for f in counts if counts[f]},
        "first_ingest": {"seconds": round(first.seconds, 2), "documents": first.added,
                         "chunks": first.chunks_embedded,
                         "documents_per_s": round(first.added / first.seconds, 2),
                         "chunks_per_s": round(first.chunks_embedded / first.seconds, 1)},
        "unchanged_reingest": {"seconds": round(again.seconds, 2), "chunks_embedded": again.chunks_embedded,
                               "documents_per_s": round(again.unchanged / again.seconds, 1)},
        "embedder": assistant.vector_space,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    f, a = result["first_ingest"], result["unchanged_reingest"]
    print(f"| files | first ingest | documents/s | chunks/s | unchanged re-ingest |\n|---|---|---|---|---|\n"
          f"| {len(files)} ({', '.join(f'{n} {k}' for k, n in counts.items())}) | {f['seconds']} s, "
          f"{f['chunks']} chunks | {f['documents_per_s']} | {f['chunks_per_s']} | {a['seconds']} s, "
          f"{a['chunks_embedded']} embedded ({a['documents_per_s']} documents/s) |")
    print("reading alone, ms per file: " + ", ".join(f"{k} {v}" for k, v in result["read_ms_per_file"].items()))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
