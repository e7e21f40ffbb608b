"""Property tests for the citation parser and check: markers always resolve, or are reported."""

from dataclasses import replace

from cluster_assistant.assistant.answering.citations import citation_problems, markers
from cluster_assistant.assistant.schema import Answer, Citation
from hypothesis import given, settings
from hypothesis import strategies as st

words = st.text(alphabet=st.sampled_from(list("abc xyz.,;:()[]0123456789")), max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(words, st.integers(min_value=0, max_value=120)), max_size=8),
       st.integers(min_value=0, max_value=5))
def test_markers_round_trip_and_unknown_ones_are_flagged(parts: list[tuple[str, int]], n_sources: int) -> None:
    # Plain words never contain a well-formed marker once brackets are stripped.
    text = " ".join(f"{w.replace('[', '(').replace(']', ')')} [{n}]" for w, n in parts)
    assert markers(text) == [n for _, n in parts]
    chunk = "Clusters grow when members trust each other."
    cites = [Citation(n=i, doc_id="d", title="T", source="s", page=None, section="S",
                      quote="members trust each other", chunk_id="c") for i in range(1, n_sources + 1)]
    found = citation_problems(Answer(question="q", answer=text, refused=False, citations=cites), {"c": chunk})
    bad = sorted({n for _, n in parts if not 1 <= n <= n_sources})
    assert sorted(int(p.split("[")[1].split("]")[0]) for p in found if p.startswith("marker")) == sorted(
        n for _, n in parts if not 1 <= n <= n_sources)
    if not bad and parts and cites:
        assert found == []


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_quote_check_is_whitespace_insensitive_and_exact_otherwise(text: str) -> None:
    chunk = "  ".join(text.split("\n"))
    quote = " ".join(text.split())
    cite = Citation(n=1, doc_id="d", title="T", source="s", page=1, section="", quote=quote or "x", chunk_id="c")
    ans = Answer(question="q", answer="x [1]", refused=False, citations=[cite])
    if quote:
        assert citation_problems(ans, {"c": chunk}) == []
        mutated = replace(cite, quote=quote + " NOT-IN-CHUNK")
        assert citation_problems(Answer(question="q", answer="x [1]", refused=False, citations=[mutated]), {"c": chunk})


def test_where_names_the_page_or_the_section_without_repeating_the_title() -> None:
    def cite(page: int | None, section: str) -> Citation:
        return Citation(n=1, doc_id="d", title="InoLink", source="s", page=page, section=section, quote="q")

    assert cite(4, "InoLink > Results").where() == "p. 4"
    assert cite(None, "InoLink > Evidence of success").where() == "Evidence of success"
    assert cite(None, "InoLink > Results > 2016").where() == "Results > 2016"
    assert cite(None, "InoLink").where() == ""
    assert cite(None, "Annex > Results").where() == "Annex > Results"  # another heading stays whole
    assert cite(None, "InoLinked > Results").where() == "InoLinked > Results"
