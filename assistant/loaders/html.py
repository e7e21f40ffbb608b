"""Web pages (.html files and fetched URLs) to parts: the main content only, as trafilatura finds it
(the article, not its menus, cookie banners or footers), split at its headings."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..source_doc import LoadError, Part, Sections
from .office import table_lines

# trafilatura logs its own view of every page it finds little in; ingest reports each failure by name.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


def html_parts(where: Path | str, html: str | bytes) -> tuple[list[Part], dict[str, Any]]:
    """Parts split at the page's headings (each keeps its heading path), and the page's title, site
    name and date as metadata. `where` (a path or URL) only names the page in errors."""
    import trafilatura
    from lxml import etree

    try:
        xml = trafilatura.extract(html, output_format="xml", include_tables=True, include_comments=False,
                                  include_links=False, include_images=False, deduplicate=False)
        # Not `extensive`: a date only from the page's own markup, never guessed from "© 2026" in a footer.
        meta = trafilatura.extract_metadata(html, extensive=False)
    except (ValueError, TypeError, etree.LxmlError) as e:
        raise LoadError(where, "corrupt", f"the page cannot be parsed ({type(e).__name__}: {e})") from e
    if not xml:
        raise LoadError(where, "no-text", "the page has no main text (only menus, scripts or an empty body)")
    root = etree.fromstring(xml.encode("utf-8"))
    main = root.find("main")
    parts = _parts(main if main is not None else root)
    if not parts:
        raise LoadError(where, "no-text", "the page has no main text (only menus, scripts or an empty body)")
    info: dict[str, Any] = {}
    if meta is not None:
        for key, value in (("title", meta.title), ("publisher", meta.sitename), ("date", meta.date)):
            if value:
                info[key] = " ".join(str(value).split())
    return parts, info


def _text(el: Any) -> str:
    return " ".join("".join(el.itertext()).split())


def _parts(main: Any) -> list[Part]:
    sections = Sections()
    lines = sections.lines
    for el in main:
        tag = el.tag
        if tag == "head":
            heading = _text(el)
            if not heading:
                continue
            rend = str(el.get("rend") or "h2")
            sections.heading(int(rend[1]) if len(rend) == 2 and rend[1].isdigit() else 2, heading)
        elif tag == "list":
            lines += [f"- {t}" for t in (_text(item) for item in el.iter("item")) if t]
        elif tag == "table":
            lines += table_lines([[_text(c) for c in row.iter("cell")] for row in el.iter("row")])
        else:  # p, quote, code and whatever trafilatura adds later: their text, one paragraph
            text = _text(el)
            if text:
                lines.append(text)
    return sections.done()
