"""Loaders on real PDFs from ../shared/pdf-samples and on hand-made bad files."""

from pathlib import Path

import pytest

from assistant.documents import Limits, LoadError, load_file

from .conftest import PDF_SAMPLES


def test_pdf_pages_are_numbered() -> None:
    doc = load_file(PDF_SAMPLES / "pdflatex-4-pages.pdf")
    assert [p.page for p in doc.parts] == [1, 2, 3, 4]
    assert doc.pages == 4
    assert all(len(p.text) > 1000 for p in doc.parts)


def test_two_column_pdf_reads_column_by_column() -> None:
    doc = load_file(PDF_SAMPLES / "multicolumn.pdf")
    first = doc.parts[0].text
    # A sentence wrapped (and hyphenated) inside the left column reads back whole.
    assert "consectetuer adipiscing elit. Ut purus elit" in " ".join(first.split())
    assert "filled" in first  # the "ﬁ" ligature is unfolded
    assert [p.page for p in doc.parts] == [1, 2, 3]


def test_other_producers_text_and_title() -> None:
    doc = load_file(PDF_SAMPLES / "google-doc-document.pdf")
    assert doc.title == "PDF Example Document"
    assert "Beautiful is better than ugly." in doc.parts[0].text
    assert "Lorem ipsum" in load_file(PDF_SAMPLES / "002-trivial-libre-office-writer.pdf").parts[0].text


def test_encrypted_pdf_opens_with_password_and_is_reported_without() -> None:
    path = PDF_SAMPLES / "libreoffice-writer-password.pdf"
    with pytest.raises(LoadError) as e:
        load_file(path)
    assert e.value.reason == "encrypted" and "libreoffice-writer-password.pdf" in str(e.value)
    with pytest.raises(LoadError):
        load_file(path, Limits(pdf_password="wrong"))
    doc = load_file(path, Limits(pdf_password="openpassword"))
    assert doc.parts and doc.parts[0].text.strip()


def test_image_only_pdf_is_no_text_not_a_crash() -> None:
    with pytest.raises(LoadError) as e:
        load_file(PDF_SAMPLES / "grayscale-image.pdf")
    assert e.value.reason == "no-text"


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("empty.txt", b"", "empty"),
    ("fake.pdf", b"this is not a pdf at all\n" * 10, "not-pdf"),
    ("truncated.pdf", None, "corrupt"),
    ("junk.txt", bytes(range(256)) * 40, "binary"),
    ("notes.docx", b"PK\x03\x04", "unsupported"),
])
def test_bad_files_get_a_classified_error(tmp_path: Path, name: str, data: bytes | None, reason: str) -> None:
    path = tmp_path / name
    if data is None:  # the first 40% of a real PDF
        real = (PDF_SAMPLES / "pdflatex-4-pages.pdf").read_bytes()
        data = real[: len(real) * 2 // 5]
    path.write_bytes(data)
    with pytest.raises(LoadError) as e:
        load_file(path)
    assert e.value.reason == reason
    assert name in str(e.value)


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 5000)
    with pytest.raises(LoadError) as e:
        load_file(path, Limits(max_bytes=1000))
    assert e.value.reason == "too-large"


def test_legacy_encoding_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "lt.txt"
    path.write_bytes("Klasterių plėtra ir šalies ūkis.".encode("cp1257"))
    doc = load_file(path)
    assert doc.parts[0].text == "Klasterių plėtra ir šalies ūkis."


def test_markdown_front_matter_and_heading_path(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text("---\ntitle: Guide\nkind: training\ntopics: [communication]\ndoc_id: my-guide\n---\n"
                    "# Guide\nIntro text.\n## Internal\nTell members first.\n### Newsletters\nMonthly.\n"
                    "## External\nPress releases.\n")
    doc = load_file(path)
    assert (doc.doc_id, doc.title, doc.kind, doc.topics) == ("my-guide", "Guide", "training", ["communication"])
    assert [(p.section, p.text) for p in doc.parts] == [
        ("Guide", "Intro text."), ("Guide > Internal", "Tell members first."),
        ("Guide > Internal > Newsletters", "Monthly."), ("Guide > External", "Press releases."),
    ]


def test_bad_metadata_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\nkind: novel\n---\nText.\n")
    with pytest.raises(LoadError) as e:
        load_file(path)
    assert e.value.reason == "bad-metadata"
