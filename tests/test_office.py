"""Word and PowerPoint files built with python-docx/python-pptx: reading order, sections, slides,
notes, tables; and the bad ones (damaged, password-protected, empty) as classified one-line errors."""

import io
import zipfile
from pathlib import Path

import pytest
from cluster_assistant.assistant.documents import Limits, LoadError, load_file

from .conftest import index, make_assistant
from .office_files import NOTES_FACT, TABLE_FACT, make_docx, make_pptx


def test_docx_reads_in_order_with_heading_paths_and_table_rows(tmp_path: Path) -> None:
    doc = load_file(make_docx(tmp_path / "strategy.docx"))
    assert (doc.title, doc.format, doc.doc_id) == ("Cluster Strategy 2030", "docx", "strategy")
    assert [p.section for p in doc.parts] == ["", "Strategy", "Strategy > Funding", "Members"]
    assert all(p.page is None for p in doc.parts)
    strategy = doc.parts[1].text.splitlines()
    assert strategy == ["The cluster concentrates on smart manufacturing and on exports to the Nordic countries.",
                        "- Run two joint research projects a year", "- Open a shared test laboratory for members"]
    funding = doc.parts[2].text.splitlines()
    # The table sits between the paragraphs around it, one line a row, each value under its column name.
    assert funding == [
        "The budget of the strategy comes from three sources.",
        f"Funding source: Interreg Baltic Sea Region; Annual amount: {TABLE_FACT}; Used for: trade missions to Finland "
        "and Sweden.",
        "Funding source: Membership fees; Annual amount: 21 000 EUR; Used for: the cluster secretariat.",
        "Funding source: National cluster programme; Annual amount: 60 000 EUR; Used for: the shared test laboratory.",
        "The board reviews the budget every spring.",
    ]


def test_pptx_slides_are_locations_and_notes_are_marked(tmp_path: Path) -> None:
    doc = load_file(make_pptx(tmp_path / "onboarding.pptx"))
    assert (doc.title, doc.format, doc.pages) == ("Member onboarding training", "pptx", 5)
    got = [(p.page, p.section) for p in doc.parts]
    assert got == [(1, "Member onboarding training"), (2, "Welcome pack"), (2, "Welcome pack > Speaker notes"),
                   (3, "Mentoring"), (3, "Mentoring > Speaker notes"), (4, "Onboarding calendar"),
                   (5, "Questions?")]
    texts = {(p.page, p.section): p.text for p in doc.parts}
    assert texts[(3, "Mentoring")] == ("- Every new member gets a mentor company\n"
                                       "- Mentors are experienced member companies")
    assert NOTES_FACT in texts[(3, "Mentoring > Speaker notes")] and NOTES_FACT not in texts[(3, "Mentoring")]
    assert texts[(4, "Onboarding calendar")] == "Week: 1; Step: Welcome meeting.\nWeek: 4; Step: First working group."
    assert texts[(5, "Questions?")] == "Questions?"  # a title-only slide can still be found


def test_sidecar_metadata_wins_over_the_files_own_title(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "strategy.docx")
    (tmp_path / "strategy.docx.meta.yaml").write_text("title: Strategy of the Smart Factory cluster\nkind: policy\n")
    doc = load_file(path)
    assert (doc.title, doc.kind) == ("Strategy of the Smart Factory cluster", "policy")


def _encrypted(src: Path, dst: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with src.open("rb") as f, dst.open("wb") as out:
        OOXMLFile(f).encrypt("secret", out)
    return dst


def _bomb(path: Path) -> Path:
    """A .docx whose document.xml inflates to 5 MB from a few KB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document>" + " " * 5_000_000 + "</w:document>")
    path.write_bytes(buf.getvalue())
    return path


@pytest.mark.parametrize(("name", "make", "reason", "says"), [
    ("cut.docx", lambda p: p.write_bytes(make_docx(p.with_suffix(".tmp")).read_bytes()[:4000]), "corrupt",
     "zip archive is damaged"),
    ("cut.pptx", lambda p: p.write_bytes(make_pptx(p.with_suffix(".tmp")).read_bytes()[:9000]), "corrupt",
     "zip archive is damaged"),
    ("plain.docx", lambda p: p.write_bytes(b"Just some text saved with the wrong name.\n"), "not-docx",
     "not a Word file (not a zip archive)"),
    ("locked.docx", lambda p: _encrypted(make_docx(p.with_suffix(".tmp")), p), "encrypted", "password-protected"),
    ("locked.pptx", lambda p: _encrypted(make_pptx(p.with_suffix(".tmp")), p), "encrypted", "password-protected"),
    ("empty.pptx", lambda p: make_pptx(p, slides=False), "no-text", "the deck has no slides"),
    ("word.pptx", lambda p: p.write_bytes(make_docx(p.with_suffix(".tmp")).read_bytes()), "not-pptx",
     "not a PowerPoint file (no ppt/presentation.xml)"),
])
def test_bad_office_files_are_classified_one_line_errors(tmp_path: Path, name: str, make, reason: str,
                                                         says: str) -> None:
    path = tmp_path / name
    make(path)
    with pytest.raises(LoadError) as e:
        load_file(path)
    assert (e.value.reason, name in str(e.value), "\n" in str(e.value)) == (reason, True, False), str(e.value)
    assert says in str(e.value)


def test_deck_of_blank_slides_has_no_text(tmp_path: Path) -> None:
    import pptx

    deck = pptx.Presentation()
    for _ in range(3):
        deck.slides.add_slide(deck.slide_layouts[6])  # "Blank": no placeholders
    deck.save(str(tmp_path / "blank.pptx"))
    with pytest.raises(LoadError, match="none of its 3 slides has text") as e:
        load_file(tmp_path / "blank.pptx")
    assert e.value.reason == "no-text"


def test_xml_that_inflates_far_beyond_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bomb.docx")
    assert path.stat().st_size < 100_000
    with pytest.raises(LoadError) as e:
        load_file(path, Limits(max_bytes=1_000_000))
    assert e.value.reason == "decompression-bomb"


def test_extraction_time_limit_applies_to_office_files(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as e:
        load_file(make_pptx(tmp_path / "deck.pptx"), Limits(timeout_s=1e-9))
    assert e.value.reason == "timeout"


def test_bad_office_files_never_cost_the_index_anything(tmp_path: Path) -> None:
    """Good Word and PowerPoint files are indexed; then one turns corrupt and others arrive broken:
    each is one classified failure, and every chunk already indexed stays."""
    folder = tmp_path / "in"
    folder.mkdir()
    make_docx(folder / "strategy.docx")
    make_pptx(folder / "onboarding.pptx")
    a = make_assistant(tmp_path / "data")
    first = index(a, [folder])
    assert (first.added, first.failed) == (2, [])
    before = sorted(a.store.all_metadata()[0])
    (folder / "strategy.docx").write_bytes((folder / "strategy.docx").read_bytes()[:5000])
    make_pptx(folder / "empty.pptx", slides=False)
    _encrypted(make_docx(tmp_path / "x.docx"), folder / "locked.docx")
    (folder / "~$rategy.docx").write_bytes(b"\x0bEditor Name" + b"\x00" * 150)  # Word's owner file: not a document
    report = index(a, [folder])
    assert sorted((Path(f.path).name, f.reason) for f in report.failed) == [
        ("empty.pptx", "no-text"), ("locked.docx", "encrypted"), ("strategy.docx", "corrupt")]
    assert report.unchanged == 1 and report.chunks_embedded == 0
    assert sorted(a.store.all_metadata()[0]) == before


@pytest.fixture(scope="module")
def office_assistant(tmp_path_factory: pytest.TempPathFactory):
    """The shipped corpus's neighbours in a real folder: a Word strategy and a training deck, indexed once."""
    folder = tmp_path_factory.mktemp("office")
    make_docx(folder / "strategy.docx")
    make_pptx(folder / "onboarding.pptx")
    a = make_assistant(tmp_path_factory.mktemp("data"))
    report = index(a, [folder])
    assert (report.added, report.failed) == (2, [])
    return a


def test_answer_only_in_speaker_notes_cites_that_slide(office_assistant) -> None:
    ans = office_assistant.answer("For how long is a new member paired with its mentor company?")
    assert not ans.refused and NOTES_FACT in ans.answer
    c = next(c for c in ans.citations if NOTES_FACT in c.quote)
    assert (c.doc_id, c.page, c.section) == ("onboarding", 3, "Mentoring > Speaker notes")
    assert c.where() == "slide 3 (speaker notes)" and c.label() == "Member onboarding training, slide 3 (speaker notes)"
    assert c.source.endswith("onboarding.pptx")


def test_answer_only_in_a_word_table_cites_its_section(office_assistant) -> None:
    ans = office_assistant.answer("How much does the Interreg Baltic Sea Region programme contribute each year?")
    assert not ans.refused and TABLE_FACT in ans.answer
    c = next(c for c in ans.citations if TABLE_FACT in c.quote)
    assert (c.doc_id, c.page, c.section) == ("strategy", None, "Strategy > Funding")
    assert c.label() == "Cluster Strategy 2030, Strategy > Funding"


def test_cli_ingests_office_files_and_urls_and_sources_shows_format_and_locations(tmp_path: Path) -> None:
    """As a user runs it: `ingest FOLDER URL`, a warning line per bad input, `sources`, `ask --json`."""
    import json
    import os
    import subprocess
    import sys

    from .web_server import web_server

    folder = tmp_path / "in"
    folder.mkdir()
    make_docx(folder / "strategy.docx")
    make_pptx(folder / "onboarding.pptx")
    (folder / "guide.md").write_text("# Guide\n## Events\nHold a members' day every spring.\n")
    (folder / "broken.pptx").write_bytes(b"PK\x03\x04 not really a deck")
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path / "data")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cluster_assistant", *args], capture_output=True, text=True,
                              env=env, timeout=300)

    with web_server() as web:
        out = cli("ingest", str(folder), web.url("/article"), web.url("/missing"))
    assert out.returncode == 3, out.stderr  # some inputs failed
    warnings = out.stderr.strip().splitlines()
    assert sorted(warnings) == sorted([
        f"warning: {folder / 'broken.pptx'}: corrupt: not a readable PowerPoint file: the zip archive is damaged "
        "(File is not a zip file)",
        f"warning: {web.url('/missing')}: http-error: the server answered 404 Not Found"])
    assert "4 added" in out.stdout and "Traceback" not in out.stderr
    listing = cli("sources").stdout
    rows = {line.split()[0]: line.split() for line in listing.splitlines()[1:]}
    assert rows["onboarding"][1:3] == ["pptx", "training"] and "5 slides" in listing
    assert rows["strategy"][1] == "docx" and "4 sections" in listing
    assert rows["guide"][1] == "md" and rows[url_id(web.url("/article"))][1] == "html"
    data = json.loads(cli("sources", "--json").stdout)
    deck = next(r for r in data if r["doc_id"] == "onboarding")
    assert (deck["format"], deck["locations"], deck["location"], deck["pages"]) == ("pptx", 5, "slides", 5)
    ask = cli("ask", "--json", "For how long is a new member paired with its mentor company?")
    cited = json.loads(ask.stdout)["citations"]
    # The stable JSON shape: a slide's number is its citation's `page`.
    assert any(c["doc_id"] == "onboarding" and c["page"] == 3 for c in cited)
    assert set(cited[0]) == {"n", "doc_id", "title", "source", "page", "section", "quote"}


def url_id(url: str) -> str:
    from cluster_assistant.assistant.fetch import url_doc_id

    return url_doc_id(url)


def test_tracked_insertions_content_controls_and_merged_cells_are_read(tmp_path: Path) -> None:
    """Text python-docx's own `.text` would miss or repeat: a tracked insertion (not a deletion), a text
    box (once, not with its fallback copy), a paragraph inside a content control, a merged cell."""
    import docx
    from docx.oxml import OxmlElement, parse_xml
    from docx.oxml.ns import nsdecls, qn

    d = docx.Document()
    d.add_heading("Decisions", 1)
    p = d.add_paragraph("The assembly approved ")
    for tag, words in (("w:ins", "the new budget"), ("w:del", "the old plan")):
        run = p.add_run(words)
        wrapper = OxmlElement(tag)
        wrapper.set(qn("w:id"), "1")
        wrapper.set(qn("w:author"), "Editor")
        run._r.addprevious(wrapper)
        wrapper.append(run._r)
        if tag == "w:del":
            run._r.find(qn("w:t")).tag = qn("w:delText")
    p.add_run(" in May.")
    # A text box as Word writes it: the drawing, and a fallback copy of it for older readers.
    box = ('<w:txbxContent><w:p><w:r><w:t>Sidebar: members vote online.</w:t></w:r></w:p></w:txbxContent>')
    d.add_paragraph().add_run()._r.append(parse_xml(
        f'<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" {nsdecls("w")}>'
        f'<mc:Choice Requires="wps"><w:drawing>{box}</w:drawing></mc:Choice>'
        f'<mc:Fallback><w:pict>{box}</w:pict></mc:Fallback></mc:AlternateContent>'))
    control = d.add_paragraph("Signed by the cluster manager.")
    sdt, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    control._p.addprevious(sdt)
    sdt.append(content)
    content.append(control._p)
    table = d.add_table(rows=2, cols=3)
    for c, text in enumerate(("Item", "Owner", "Due")):
        table.cell(0, c).text = text
    table.cell(1, 0).text = "Newsletter"
    table.cell(1, 1).merge(table.cell(1, 2)).text = "Secretariat, by June"
    d.save(str(tmp_path / "minutes.docx"))
    (part,) = load_file(tmp_path / "minutes.docx").parts
    assert part.section == "Decisions"
    assert part.text.splitlines() == [
        "The assembly approved the new budget in May.", "Sidebar: members vote online.",
        "Signed by the cluster manager.", "Item: Newsletter; Owner: Secretariat, by June."]
