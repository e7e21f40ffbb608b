"""Chunks fit the embedder, lose no text, overlap, and keep stable ids."""

from pathlib import Path

from cluster_assistant.assistant.chunking import ChunkSpec, chunk_document, cl100k_len, split_spans
from cluster_assistant.assistant.documents import load_file
from cluster_assistant.assistant.token_counting import count_wordpieces
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import PDF_SAMPLES, SEEDS

SPEC = ChunkSpec(chunk_tokens=180, overlap=40, max_wordpieces=256)


def _uncovered(text: str, spans: list[tuple[int, int]]) -> str:
    covered = bytearray(len(text))
    for s, e in spans:
        covered[s:e] = b"\x01" * (e - s)
    return "".join(ch for ch, c in zip(text, covered, strict=True) if not c and not ch.isspace())


def test_no_chunk_exceeds_the_embedder_input_on_the_seeds() -> None:
    for seed in sorted(SEEDS.glob("0*.txt")):
        text = seed.read_text()
        spans = split_spans(text, SPEC)
        assert spans
        assert max(count_wordpieces(SPEC.model_name, text[s:e]) for s, e in spans) <= 256
        assert _uncovered(text, spans) == ""


def test_word_piece_heavy_text_is_split_below_the_limit() -> None:
    # Lithuanian compounds and codes cost far more word pieces than cl100k tokens suggest.
    text = " ".join(["nebeprisikiškiakopūsteliaudavome", "X7Q9-ZZ3K", "ąčęėįšųūž"] * 120)
    spans = split_spans(text, SPEC)
    assert len(spans) > 1
    assert all(count_wordpieces(SPEC.model_name, text[s:e]) <= 256 for s, e in spans)
    assert _uncovered(text, spans) == ""


def test_a_single_huge_word_is_still_cut() -> None:
    text = "x" + "7f3a" * 1500 + " end."
    spans = split_spans(text, SPEC)
    assert len(spans) > 1
    assert all(count_wordpieces(SPEC.model_name, text[s:e]) <= 256 for s, e in spans)
    assert _uncovered(text, spans) == ""


def test_neighbouring_chunks_overlap() -> None:
    text = " ".join(f"Sentence number {i} talks about cluster topic {i % 7}." for i in range(200))
    spans = split_spans(text, SPEC)
    assert len(spans) > 3
    for (s1, e1), (s2, _) in zip(spans, spans[1:], strict=False):
        assert s2 < e1, "consecutive chunks must share text"
        assert s2 > s1, "chunking must move forward"
        assert cl100k_len(text[s2:e1]) <= SPEC.overlap + 20


def test_ids_are_stable_and_carry_metadata() -> None:
    doc = load_file(PDF_SAMPLES / "pdflatex-4-pages.pdf")
    a, b = chunk_document(doc, SPEC), chunk_document(doc, SPEC)
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)
    for c in a:
        required = {"doc_id", "title", "kind", "source", "page", "section", "chunk_index", "content_hash"}
        assert required <= set(c.metadata)
        assert c.text in doc.parts[c.metadata["page"] - 1].text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("abcdeąčš XYZ.,:;!?\n-•1234567890")), min_size=0, max_size=3000))
def test_property_no_text_is_lost(text: str) -> None:
    spec = ChunkSpec(chunk_tokens=60, overlap=15, max_wordpieces=80)
    spans = split_spans(text, spec)
    assert _uncovered(text, spans) == ""
    for s, e in spans:
        assert 0 <= s < e <= len(text)
        assert count_wordpieces(spec.model_name, text[s:e]) <= 80


def test_markdown_sections_become_chunk_sections(tmp_path: Path) -> None:
    md = tmp_path / "g.md"
    md.write_text("# Guide\n## Internal communication\nTell members first. " * 3)
    chunks = chunk_document(load_file(md), SPEC)
    assert chunks[0].metadata["section"] == "Guide > Internal communication"
    assert "page" not in chunks[0].metadata


def test_numbered_items_keep_their_number() -> None:
    """"1. Step 1: ..." is one list item: its "1." is no sentence of its own (it used to be split off
    and dropped, so the item read as a bare heading and the list fell apart)."""
    from cluster_assistant.assistant.text import is_list_item, unit_spans

    text = ("There would be four steps.\n1. Step 1: Organisation of competition\n2. Step 2: Selection\n"
            "3. Step 3: Set-up and funding\nThe Ministry decides. See e.g. Foo. It ends.")
    units = [text[s:e] for s, e in unit_spans(text)]
    assert units == ["There would be four steps.", "1. Step 1: Organisation of competition", "2. Step 2: Selection",
                     "3. Step 3: Set-up and funding", "The Ministry decides.", "See e.g. Foo.", "It ends."]
    assert all(is_list_item(u) for u in units[1:4])


def test_a_list_heading_is_its_own_unit_and_line_end_abbreviations_go_on() -> None:
    """PDF tables: "Weaknesses" on its own line used to be glued to the last strength, and "(i.e."
    at the end of a line used to end the sentence."""
    from cluster_assistant.assistant.text import unit_spans

    text = ("Strengths\n• Flexible businesses adapting quickly to changes in world markets\nWeaknesses\n"
            "• Small scale of cluster organisations\n• Cluster association, etc.\n• Lack of skills\nThe three levels\n"
            "(i.e.\nemerging, formed, mature) are used. Next one.\n• A last item\nThreats")
    units = [text[s:e] for s, e in unit_spans(text)]
    assert units == ["Strengths", "• Flexible businesses adapting quickly to changes in world markets", "Weaknesses",
                     "• Small scale of cluster organisations", "• Cluster association, etc.", "• Lack of skills",
                     "The three levels\n(i.e.\nemerging, formed, mature) are used.", "Next one.", "• A last item",
                     "Threats"]
    # A list item that wraps onto a short name stays whole.
    wrapped = "• The agreement was signed with the Lithuanian\nInnovation Agency\n• Ten clusters joined"
    assert [wrapped[s:e] for s, e in unit_spans(wrapped)] == [
        "• The agreement was signed with the Lithuanian\nInnovation Agency", "• Ten clusters joined"]
    # After the last item, a full line that opens like a sentence is prose again.
    after = ("• Understanding of cluster organisations as a loose set of activities with low commitment\n"
             "The above SWOT and PEST analyses have led to the formulation of several main challenges.")
    assert len(unit_spans(after)) == 2
    # Wrapped prose is still joined.
    prose = "Clusters in Lithuania are at one of the most important stages of\ntheir development today."
    assert [prose[s:e] for s, e in unit_spans(prose)] == [prose]
    # A short line that ends on "and" or "of" is no heading: its sentence goes on (a chunk of the ClusterFY
    # plan opens "Strengthening Research and Development and" / "Innovation; and Investment priority: 1.2.").
    cut = "Strengthening Research and Development and\nInnovation; and Investment priority: 1.2. Stimulating R&I."
    assert [cut[s:e] for s, e in unit_spans(cut)] == [
        "Strengthening Research and Development and\nInnovation; and Investment priority: 1.2.", "Stimulating R&I."]
    # An open parenthesis carries the sentence over the line end, even after a colon.
    paren = ("It goes for approval to the Monitoring committee (see webpage:\nhttp://www.esparama.lt/komitetas), "
             "coordinated by the\nMinistry of Finance.")
    assert [paren[s:e] for s, e in unit_spans(paren)] == [paren]
    # A line that closes a bracket left open goes on the unit, though it opens like a numbered item (the
    # ClusterFY plan's last timeline item wraps onto "1. Measures)."), and no sentence ends inside it.
    item = ("• Piloting the improved measure –2021 January (if there will be\nsavings from other OP in the "
            "Priority axis\n1. Measures).\nDate:")
    assert [item[s:e] for s, e in unit_spans(item)] == [
        "• Piloting the improved measure –2021 January (if there will be\nsavings from other OP in the "
        "Priority axis\n1. Measures).", "Date:"]
    # A short label and its short value are one unit ("2020 – January 2023." alone says nothing); a
    # label above a list, or above another label, stays apart.
    form = ("Timeframe:\n2020 – January 2023.\n• Upgrade the measure: 2020 February.\nDate:\nSignature:\n"
            "Other stakeholders:\n• NGOs.")
    assert [form[s:e] for s, e in unit_spans(form)] == [
        "Timeframe:\n2020 – January 2023.", "• Upgrade the measure: 2020 February.", "Date:", "Signature:",
        "Other stakeholders:", "• NGOs."]
    heading = "Weaknesses:\nLow cooperation among firms."  # a value is a date or an amount, not a sentence
    assert [heading[s:e] for s, e in unit_spans(heading)] == ["Weaknesses:", "Low cooperation among firms."]
    # A list item's own ")" does not close an earlier bracket; brackets opened later do not hold a sentence.
    annex = "The measures are listed below (see annex:\na) grants for clusters."
    assert [annex[s:e] for s, e in unit_spans(annex)] == ["The measures are listed below (see annex:",
                                                          "a) grants for clusters."]
    later = "Result (as of 2021. See below. Also the (MITA) report."
    assert [later[s:e] for s, e in unit_spans(later)] == ["Result (as of 2021.", "See below.",
                                                          "Also the (MITA) report."]
    # A heading of a dozen words stands apart from the full line that opens like a sentence after it; a
    # line that ends in a word a sentence goes on from ("like", "of") does not.
    page = ("Key economic and innovation indicators for the pilot region\nIn 2017, Lithuania had a gross domestic "
            "product of EUR 42 billion.\nSome countries see clusters as ecosystems that unite the actors, like\n"
            "The Netherlands, where regions and clusters are closely bound.")
    assert [page[s:e] for s, e in unit_spans(page)] == [
        "Key economic and innovation indicators for the pilot region",
        "In 2017, Lithuania had a gross domestic product of EUR 42 billion.",
        "Some countries see clusters as ecosystems that unite the actors, like\nThe Netherlands, where regions "
        "and clusters are closely bound."]
    # A numbered heading is a line of its own, however long; "Step 3" inside a sentence is not.
    step = (" Step 3: Setting up the Innovation Partnerships\nThe awarded partnerships would receive funding\n"
            "for 7-10 years. In the first year they complete Step\n3 of the plan.")
    assert [step[s:e] for s, e in unit_spans(step)] == [
        "Step 3: Setting up the Innovation Partnerships",
        "The awarded partnerships would receive funding\nfor 7-10 years.",
        "In the first year they complete Step\n3 of the plan."]
