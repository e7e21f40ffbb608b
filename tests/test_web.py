"""Web pages: .html files and URLs fetched from a real HTTP server on 127.0.0.1 (tests/web_server.py):
main content only, headings as sections, the page title and URL in citations, incremental re-ingest,
and every way a fetch can fail as a classified one-line warning that costs the index nothing."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_assistant.assistant.documents import LoadError, load_file
from cluster_assistant.assistant.fetch import FetchLimits, is_url, load_url, url_doc_id

from .conftest import index, make_assistant
from .web_server import ARTICLE, EMPTY, WebServer, web_server


@pytest.fixture(scope="module")
def web() -> Iterator[WebServer]:
    with web_server() as server:
        yield server


def _texts(a) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for _, text, m in a.store.iter_texts():
        out.setdefault(m["doc_id"], []).append((m["section"], text))
    return out


def test_html_file_main_content_split_at_headings(tmp_path: Path) -> None:
    path = tmp_path / "newsletters.html"
    path.write_text(ARTICLE.format(share="half"), encoding="utf-8")
    doc = load_file(path)
    # trafilatura's title: the page's one <h1> here, rather than its <title> with the site's name.
    assert (doc.title, doc.format, doc.date) == ("Cluster newsletters", "html", "")
    assert [p.section for p in doc.parts] == ["Cluster newsletters", "Cluster newsletters > Funding",
                                              "Cluster newsletters > Funding > Eligibility",
                                              "Cluster newsletters > Results"]
    everything = " ".join(p.text for p in doc.parts)
    assert "up to half of the newsletter's production costs" in everything
    for chrome in ("About the portal", "password reset", "Cookie policy", "webmaster"):  # menus and footer
        assert chrome not in everything


def test_html_file_without_main_text_is_no_text(tmp_path: Path) -> None:
    path = tmp_path / "app.html"
    path.write_text(EMPTY)
    with pytest.raises(LoadError) as e:
        load_file(path)
    assert e.value.reason == "no-text" and "app.html" in str(e.value)


def test_url_is_indexed_cited_by_its_url_and_reingested_incrementally(web: WebServer, tmp_path: Path) -> None:
    url = web.url("/article")
    a = make_assistant(tmp_path / "data")
    first = index(a, [url])
    assert (first.added, first.failed) == (1, [])
    doc_id = url_doc_id(url)
    sections = {s for s, _ in _texts(a)[doc_id]}
    assert "Cluster newsletters > Funding > Eligibility" in sections
    ans = a.answer("How much of the newsletter's production costs does the regional development fund pay?")
    assert not ans.refused and "half" in ans.answer
    c = ans.citations[0]
    assert (c.source, c.title, c.section, c.page) == (url, "Cluster newsletters",
                                                      "Cluster newsletters > Funding", None)
    assert c.where() == "Funding"
    # Unchanged page: nothing embedded. An edited section: only its chunk.
    again = index(a, [url])
    assert (again.unchanged, again.updated, again.chunks_embedded) == (1, 0, 0)
    web.pages["/article"] = ARTICLE.format(share="three quarters")
    try:
        edited = index(a, [url])
    finally:
        web.pages["/article"] = ARTICLE.format(share="half")
    assert (edited.updated, edited.chunks_embedded) == (1, 1)
    assert any("three quarters" in t for _, t in _texts(a)[doc_id])
    assert not any("up to half" in t for _, t in _texts(a)[doc_id])


def test_redirects_are_followed_a_few_times_and_the_final_url_is_the_source(web: WebServer) -> None:
    doc = load_url(web.url("/redirect/3/"), FetchLimits(max_redirects=3))
    assert doc.source == web.url("/article") and doc.doc_id == url_doc_id(web.url("/redirect/3/"))
    with pytest.raises(LoadError) as e:
        load_url(web.url("/redirect/4/"), FetchLimits(max_redirects=3))
    assert e.value.reason == "too-many-redirects"


@pytest.mark.parametrize(("path", "limits", "reason", "says"), [
    ("/missing", FetchLimits(), "http-error", "404 Not Found"),
    ("/slow", FetchLimits(timeout_s=0.5), "timeout", "within 0.5 s"),
    ("/huge", FetchLimits(), "too-large", "50 MB, over the 10 MB limit"),
    ("/huge-undeclared", FetchLimits(), "too-large", "larger than the 10 MB limit"),
    ("/empty", FetchLimits(), "no-text", "no main text"),
    ("/to-ftp", FetchLimits(), "bad-url", "not http(s)"),
    ("/report.pdf", FetchLimits(), "unsupported", "application/pdf"),
])
def test_failed_fetches_are_classified_one_line_errors(web: WebServer, path: str, limits: FetchLimits,
                                                       reason: str, says: str) -> None:
    url = web.url(path)
    with pytest.raises(LoadError) as e:
        load_url(url, limits)
    assert (e.value.reason, url in str(e.value), "\n" in str(e.value)) == (reason, True, False), str(e.value)
    assert says in str(e.value)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/article", "file:///etc/passwd", "javascript://alert(1)"])
def test_only_http_urls_are_fetched(url: str) -> None:
    assert is_url(url)
    with pytest.raises(LoadError) as e:
        load_url(url)
    assert e.value.reason == "bad-url"


def test_unreachable_host_is_reported() -> None:
    from .conftest import free_port

    with pytest.raises(LoadError) as e:
        load_url(f"http://127.0.0.1:{free_port()}/page", FetchLimits(timeout_s=2))
    assert e.value.reason == "unreachable"


def test_failing_urls_cost_the_index_nothing(web: WebServer, tmp_path: Path) -> None:
    """A page indexed once and now gone (404) keeps its chunks; bad URLs and a good file in one run:
    each URL one warning, the file indexed."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "notes.txt").write_text("Cluster coordinators meet every quarter to review the action plan.\n")
    a = make_assistant(tmp_path / "data", fetch_timeout_s=0.5)
    web.pages["/gone-soon"] = ARTICLE.format(share="half")
    assert index(a, [web.url("/gone-soon")]).added == 1
    before = sorted(a.store.all_metadata()[0])
    del web.pages["/gone-soon"]
    report = index(a, [folder, web.url("/gone-soon"), web.url("/slow"), web.url("/huge-undeclared"),
                     web.url("/empty")])
    assert sorted((f.path.rsplit("/", 1)[-1], f.reason) for f in report.failed) == [
        ("empty", "no-text"), ("gone-soon", "http-error"), ("huge-undeclared", "too-large"), ("slow", "timeout")]
    assert report.added == 1
    after = sorted(a.store.all_metadata()[0])
    assert set(before) < set(after)  # the page that is gone now is still indexed, beside the new file


def test_html_lists_and_tables_read_like_word_ones(tmp_path: Path) -> None:
    path = tmp_path / "calls.html"
    path.write_text("<html><head><title>Open calls</title></head><body><main><h1>Open calls</h1>"
                    "<p>Clusters can apply to the following calls for joint projects this year.</p>"
                    "<ul><li>Export missions to Japan</li><li>Shared testing facilities</li></ul>"
                    "<h2>Deadlines</h2><table><tr><th>Call</th><th>Deadline</th></tr>"
                    "<tr><td>Export missions</td><td>15 March</td></tr>"
                    "<tr><td>Testing facilities</td><td>30 June</td></tr></table></main></body></html>")
    doc = load_file(path)
    assert [(p.section, p.text.splitlines()) for p in doc.parts] == [
        ("Open calls", ["Clusters can apply to the following calls for joint projects this year.",
                        "- Export missions to Japan", "- Shared testing facilities"]),
        ("Open calls > Deadlines", ["Call: Export missions; Deadline: 15 March.",
                                    "Call: Testing facilities; Deadline: 30 June."]),
    ]


@pytest.mark.parametrize(("url", "says"), [("https://", "names no host"), ("http://[::1", "not a valid URL")])
def test_a_url_with_no_host_or_a_broken_one_says_so(url: str, says: str) -> None:
    with pytest.raises(LoadError) as e:
        load_url(url)
    assert e.value.reason == "bad-url" and says in e.value.detail
