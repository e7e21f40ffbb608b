"""Loaders on real PDFs (tests/fixtures/pdfs) and on hand-made bad files."""

from pathlib import Path

import pytest
from cluster_assistant.assistant.documents import Limits, LoadError, load_file

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
    assert "no password is configured" in str(e.value)
    with pytest.raises(LoadError, match="ASSISTANT_PDF_PASSWORD does not open it"):
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
    ("notes.odt", b"PK\x03\x04", "unsupported"),
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


def test_western_legacy_encoding_is_not_read_as_baltic(tmp_path: Path) -> None:
    path = tmp_path / "es.txt"
    path.write_bytes("España: señales del clúster, año, Øresund.".encode("cp1252"))
    assert load_file(path).parts[0].text == "España: señales del clúster, año, Øresund."


def test_italian_legacy_text_is_not_read_as_baltic(tmp_path: Path) -> None:
    path = tmp_path / "it.txt"
    path.write_bytes("Il cluster è già attivo, la città è pronta.".encode("cp1252"))
    assert load_file(path).parts[0].text == "Il cluster è già attivo, la città è pronta."


def test_utf16_text_with_a_byte_order_mark_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "win.txt"
    path.write_bytes("Klasterių plėtra.".encode("utf-16"))
    assert load_file(path).parts[0].text == "Klasterių plėtra."


@pytest.mark.parametrize(("front", "says"), [
    ("topics: 5\n", "topics must be a list"),
    ("title: [a, b]\n", "title must be a single value"),
    ("date: 2020-13-45\n", "month must be in 1..12"),
    ("tags: [a\n", "line 1, column"),
])
def test_bad_metadata_values_are_one_line_errors(tmp_path: Path, front: str, says: str) -> None:
    path = tmp_path / "x.md"
    path.write_text(f"---\n{front}---\n# T\nText.\n")
    with pytest.raises(LoadError) as e:
        load_file(path)
    assert e.value.reason == "bad-metadata" and says in str(e.value) and "\n" not in str(e.value)


def test_unclosed_front_matter_is_reported_not_indexed(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("---\ntitle: Unclosed\nkind: policy\n\n# Head\nText.\n")
    with pytest.raises(LoadError, match="not closed"):
        load_file(path)
    rule = tmp_path / "rule.md"  # a Markdown rule on the first line is no front matter
    rule.write_text("---\n\n# Head\nText.\n")
    assert load_file(rule).title == "Head"
    rule.write_text("---\nNote: this guide is for new members.\n\n# Onboarding\nText.\n")
    assert load_file(rule).title == "Onboarding"


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


def _pdf_with_stream(content: bytes, compress: bool) -> bytes:
    """A minimal one-page PDF whose content stream is `content` (optionally Flate-compressed)."""
    import zlib

    stream = zlib.compress(content, 9) if compress else content
    filt = b"/Filter /FlateDecode " if compress else b""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< " + filt + b"/Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pdf"
    # 120 MB of content that compresses to ~120 KB: over pypdf's inflate limit.
    path.write_bytes(_pdf_with_stream(b"BT /F1 12 Tf 72 712 Td (boom) Tj ET\n" + b" " * 120_000_000, compress=True))
    assert path.stat().st_size < 1_000_000
    with pytest.raises(LoadError) as e:
        load_file(path)
    assert e.value.reason == "decompression-bomb"


def test_handmade_pdf_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.pdf"
    path.write_bytes(_pdf_with_stream(b"BT /F1 12 Tf 72 712 Td (Cluster news) Tj ET", compress=False))
    assert load_file(path).parts[0].text == "Cluster news"


def test_200_mb_text_file_is_skipped_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: costs no disk
    with pytest.raises(LoadError) as e:
        load_file(path)
    assert e.value.reason == "too-large" and "200" in e.value.detail


def test_pdf_page_limit(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as e:
        load_file(PDF_SAMPLES / "pdflatex-4-pages.pdf", Limits(max_pages=3))
    assert e.value.reason == "too-many-pages"


def test_pages_without_text_are_skipped_but_numbering_kept(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    src = PdfReader(PDF_SAMPLES / "pdflatex-4-pages.pdf")
    writer.add_page(src.pages[0])
    writer.add_blank_page()
    writer.add_page(src.pages[2])
    path = tmp_path / "gap.pdf"
    with path.open("wb") as f:
        writer.write(f)
    assert [p.page for p in load_file(path).parts] == [1, 3]


def test_footnote_numbers_glued_to_words_are_dropped_and_names_with_digits_kept(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("Integrate it with the programmes (Inoklaster12, Innovation Vouchers14, Intelektas15, etc.).\n"
                    "Smart specialisation (RIS3) covers NUTS2 regions in 2017, files in utf8.\n", encoding="utf-8")
    text = load_file(path).parts[0].text
    assert "(Inoklaster, Innovation Vouchers, Intelektas, etc.)" in text
    assert "(RIS3) covers NUTS2 regions in 2017, files in utf8." in text


def test_footnote_marks_after_names_are_dropped_when_they_number_upwards(tmp_path: Path) -> None:
    # "MITA7", "LIC8": the name stands alone elsewhere, and the marks count up through the document.
    # "NUTS2" after them is no footnote (2 < 8), and "ERDF17" is kept: "ERDF" never stands alone.
    path = tmp_path / "briefing.txt"
    path.write_text("Support comes from the agency (MITA7) and the centre (LIC8), funded by ERDF17.\n\n"
                    "MITA and LIC run the programme in the NUTS2 regions. NUTS regions differ.\n", encoding="utf-8")
    text = " ".join(p.text for p in load_file(path).parts)
    assert "(MITA) and the centre (LIC), funded by ERDF17." in text
    assert "in the NUTS2 regions" in text
    # Marks that extraction set apart from their name ("LINPRA 9 ,"), or glued to a bracket ("(LIC)8."),
    # when they go on counting upwards; a count in a sentence is no mark.
    path.write_text("The agency (MITA7) and the centre (LIC)8. Others (e.g. the engineering association - LINPRA 9 ,\n"
                    "the ICT association - INFOBALT 10 , Invest Lithuania 11 ) might help. Groups of 5 , 6 or 7 "
                    "members are common.\n", encoding="utf-8")
    text = " ".join(p.text for p in load_file(path).parts)
    assert "(LIC). Others (e.g. the engineering association - LINPRA,\nthe ICT association - INFOBALT, " \
           "Invest Lithuania) might help. Groups of 5 , 6 or 7 members" in text, text
    # A number that belongs to the word before it stays: "Table 3 ,", "Article 5 .".
    path.write_text("The agency (MITA7) and the centre (LIC)8. LINPRA 9 , INFOBALT 10 , see Table 11 , and "
                    "Article 12 . Invest Lithuania 13 ) helps.\n", encoding="utf-8")
    text = " ".join(p.text for p in load_file(path).parts)
    assert "LINPRA, INFOBALT, see Table 11 , and Article 12 . Invest Lithuania) helps." in text, text


def test_a_mark_after_a_name_that_never_stands_alone_goes_when_it_continues_the_count(tmp_path: Path) -> None:
    """"H2020" and "ERDF" never stand alone in the EOCIC briefing, but their 16 and 17 fill the gap
    between the notes before (…15) and after (18): footnote marks, not part of the names."""
    def read(text: str) -> str:
        path = tmp_path / "briefing.txt"
        path.write_text(text, encoding="utf-8")
        return " ".join(p.text for p in load_file(path).parts)

    text = read("Link it to the programmes (Inoklaster12, Vouchers14, Intelektas15, etc.).\n\nClusters could apply to "
                "funding streams e.g. H202016 for Research or ERDF17 funding for infrastructure, as the Scoreboard18 "
                "shows. COVID19 changed plans in EU27 countries.\n")
    assert "e.g. H2020 for Research or ERDF funding for infrastructure, as the Scoreboard shows." in text, text
    assert "COVID19 changed plans in EU27 countries." in text  # 19 and 27 go on from no mark
    # Only a gap between marks is filled: "H2020" and "G20" after note 19, with no note after them, keep
    # their digits, and so does a name the document also writes with a hyphen ("COVID-19").
    text = read("Programmes (Inoklaster18, Intelektas19).\n\nThey took part in H2020 projects and the G20 dialogue. "
                "The COVID-19 crisis hit, and the COVID19 recovery plan (Vouchers21) followed.\n")
    assert "took part in H2020 projects and the G20 dialogue. The COVID-19 crisis hit, and the COVID19 recovery " \
           "plan (Vouchers) followed." in text, text
    # A name inside the gap does not hide the mark that fills it, and a mark never opens with 0 ("H20203").
    text = read("Programmes (Inoklaster1, Intelektas2) then H2020 support for ERDF3 projects, then Mokslas4 and "
                "H20205 calls (Vouchers6).\n")
    assert "then H2020 support for ERDF projects, then Mokslas and H2020 calls (Vouchers6)." in text, text


def test_a_name_with_its_own_number_keeps_it_where_the_marks_count_through_it(tmp_path: Path) -> None:
    """"EU" stands alone and the notes run 25, 26, 28: "EU27" would fit the count, but it is a name
    (a known one, or one the document writes twice); the notes around it still go."""
    def read(text: str) -> str:
        path = tmp_path / "briefing.txt"
        path.write_text(text, encoding="utf-8")
        return " ".join(p.text for p in load_file(path).parts)

    text = read("The EU and the agency (MITA25, LIC26) help. Across EU27 countries, clusters grow, says LINPRA28. "
                "The MITA and LIC agree.\n")
    assert "The EU and the agency (MITA, LIC) help. Across EU27 countries, clusters grow" in text, text
    text = read("The KIC and the agency (MITA25, LIC26) help. Across KIC27 countries, clusters grow, says LINPRA28. "
                "The KIC27 average is 5%. The MITA and LIC and LINPRA agree.\n")
    assert "(MITA, LIC) help. Across KIC27 countries, clusters grow, says LINPRA. The KIC27 average" in text, text
    # Written once and unknown, it is read as the mark its place in the count makes it.
    text = read("The KIC and the agency (MITA25, LIC26) help. Across KIC27 countries, clusters grow, says LINPRA28. "
                "The MITA and LIC and LINPRA agree.\n")
    assert "(MITA, LIC) help. Across KIC countries, clusters grow, says LINPRA." in text, text


def test_an_eu_back_cover_is_not_indexed() -> None:
    """The shipped EOCIC briefing ends, as every EU publication does, with "Getting in touch with the
    EU": Europe Direct, phone numbers, the Open Data Portal. Its last page is not read; the rest is."""
    from cluster_assistant.assistant.documents import without_back_cover
    from cluster_assistant.assistant.source_doc import Part

    from .conftest import CORPUS

    doc = load_file(CORPUS / "eocic-lithuania-policy-briefing.pdf")
    text = "\n".join(p.text for p in doc.parts)
    assert "Europe Direct" not in text and "+32 22999696" not in text
    assert doc.parts[-1].page == 27 and "Service Innovation Scoreboard" in doc.parts[-1].text  # page 28 was the cover

    cover = "GETTING IN TOUCH WITH THE EU\nIn person\nAll over the European Union there are Europe Direct centres."
    pages = [Part(text=f"Page {i} about clusters.", page=i) for i in range(1, 6)]
    mixed = [*pages[:4], Part(text="Conclusions hold.\n" + cover, page=5)]
    assert [p.text for p in without_back_cover(mixed)][-1] == "Conclusions hold."
    early = [Part(text=cover, page=1), *pages[1:]]  # a page that quotes it early on is content
    assert without_back_cover(early) == early
    only = [Part(text=cover, page=1)]
    assert without_back_cover(only) == only


def test_a_pdf_table_is_read_row_by_row() -> None:
    """The EOCIC briefing's action plan (Table 2, p. 25) came out of pypdf as lines across its columns:
    "Deadline for applications Early Summer\\n2020\\nMinistry of the Economy…", so "when is the deadline
    for applications?" found no sentence that says it. Each row is now one line that starts with its cells."""
    from .conftest import CORPUS

    doc = load_file(CORPUS / "eocic-lithuania-policy-briefing.pdf")
    page = next(p.text for p in doc.parts if p.page == 25)
    assert "\nDeadline for applications: Early Summer 2020. Ministry of the Economy and Innovation and" in page
    assert "\nDelivery phase: From Autumn 2021. The Partnerships will develop" in page
    assert "\nTable columns: Action | Timing of the action | Owner and content of the action.\n" in page
    assert "To deliver the specific recommendations set out in Chapter 4" in page  # the prose around it stays
    # Bulleted lists ("•   Strong industrial base") are not tables, in this document or the other PDF.
    others = [p for d in (doc, load_file(CORPUS / "clusterfy-action-plan-2020-2023.pdf")) for p in d.parts
              if "Table columns:" in p.text]
    assert [p.page for p in others] == [25]
    swot = next(p.text for p in doc.parts if p.page == 10)
    assert "• Strong industrial base (20% of GDP and 80% of exports are generated by industry)" in swot


def test_table_rows_are_found_by_their_columns() -> None:
    from cluster_assistant.assistant.loaders.tables import page_text

    layout = "\n".join([
        "The plan:",
        "",
        " Step              When            Who",
        "",
        " Call opens        March           The ministry, with the",
        "                   2021            agency's help",
        "",
        " Jury meets        May 2021        Five experts",
        "",
        " Awards            June 2021       The ministry",
        "",
        "Then the projects start.",
    ])
    assert page_text(layout) == "\n".join([
        "The plan:", "", "Table columns: Step | When | Who.",
        "Call opens: March 2021. The ministry, with the agency's help.",
        "Jury meets: May 2021. Five experts.", "Awards: June 2021. The ministry.", "", "Then the projects start."])
    bullets = "\n".join(["Strengths", "•   Strong base", "•   Good links", "•   Skilled staff", "1.  First step"])
    assert page_text(bullets) is None


def test_prose_in_two_columns_and_centred_tables_are_left_to_plain_extraction() -> None:
    """Two columns of prose line up like a table of two columns; a table whose cells are centred or set
    right does not line up at all. Reading either row by row would mix their words: pypdf's plain text
    stays."""
    from cluster_assistant.assistant.loaders.tables import page_text
    from pypdf import PdfReader

    for name in ("multicolumn.pdf", "google-doc-document.pdf", "pdflatex-4-pages.pdf"):
        for page in PdfReader(PDF_SAMPLES / name).pages:
            assert page_text(page.extract_text(extraction_mode="layout")) is None, name
    doc = load_file(PDF_SAMPLES / "multicolumn.pdf")
    assert "Czech Republic 10.7 78,866 Prague Czech" in doc.parts[2].text


def _table_pdf(path: Path, prose_in_columns: bool, gap_after_header: float) -> Path:
    """A one-page PDF with a three-column table set tight (rows 6 mm apart), optionally with a gap after
    its header and two columns of prose above it."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    if prose_in_columns:
        pdf.set_xy(15, 20)
        pdf.multi_cell(85, 5, "Clusters in the north region grow quickly because the agency funds their managers. " * 4)
        pdf.set_xy(110, 20)
        pdf.multi_cell(85, 5, "Members of the southern clusters share laboratories and train staff together. " * 4)
    else:
        pdf.set_xy(15, 20)
        pdf.multi_cell(180, 5, "The plan below lists the steps of the call, their timing and who is responsible.")
    pdf.set_xy(15, 100)
    rows = [["Step", "When", "Who"], ["Call opens", "March 2021", "The ministry"], ["Jury meets", "May 2021",
            "Five experts"], ["Awards", "June 2021", "The ministry"], ["Contracts", "July 2021", "The agency"]]
    for k, row in enumerate(rows):
        pdf.set_x(15)
        for width, cell in zip([50, 40, 60], row, strict=True):
            pdf.cell(width, 6, cell)
        pdf.ln(6 + (gap_after_header if k == 0 else 0))
    pdf.output(str(path))
    return path


def test_a_table_set_tight_is_read_row_by_row(tmp_path: Path) -> None:
    """With a gap after its header only, a table's rows were taken for one row: "Call opens Jury meets
    Awards Contracts: March 2021 May 2021 …"."""
    for gap in (0, 8):
        text = load_file(_table_pdf(tmp_path / f"tight{gap}.pdf", False, gap)).parts[0].text
        assert "\nCall opens: March 2021. The ministry.\nJury meets: May 2021. Five experts.\n" in text, text


def test_a_page_with_prose_in_columns_beside_a_table_keeps_the_plain_text(tmp_path: Path) -> None:
    """Layout mode reads two columns of prose across, line by line: such a page is read as before."""
    from pypdf import PdfReader

    path = _table_pdf(tmp_path / "columns.pdf", True, 0)
    text = load_file(path).parts[0].text
    assert "Table columns:" not in text and text == _tidy(PdfReader(path).pages[0].extract_text())
    assert "the agency funds their managers. Clusters in the north" in " ".join(text.split())


def _tidy(text: str) -> str:
    from cluster_assistant.assistant.documents import _tidy_pdf_text

    return _tidy_pdf_text(text)


def test_a_wrapped_label_and_a_running_footer_do_not_break_a_table() -> None:
    from cluster_assistant.assistant.loaders.tables import page_text

    layout = "\n".join([
        " Step              When            Who",
        "",
        " Deadline for      March 2021      The ministry",
        " applications",
        " Jury meets        May 2021        Five experts",
        " Awards            June 2021       The ministry",
        "",
        "Page 3                                  Cluster report 2021",
    ])
    assert page_text(layout) == "\n".join([
        "Table columns: Step | When | Who.", "Deadline for applications: March 2021. The ministry.",
        "Jury meets: May 2021. Five experts.", "Awards: June 2021. The ministry.", "",
        "Page 3 Cluster report 2021"])
