"""`ingest https://…`: fetch one web page, safely, and turn it into a `SourceDoc`.

Only http(s); a time limit on connecting, on each read and on the whole download; a size limit
checked against Content-Length and again while reading; at most a few redirects. Every failure is
a `LoadError` with a class (`bad-url`, `timeout`, `http-error`, `too-large`, `unsupported`, …),
reported like a bad file."""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from .documents import drop_footnote_marks, slugify
from .loaders.html import html_parts
from .source_doc import LoadError, SourceDoc

_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(arg: object) -> bool:
    """Does a command-line argument name a URL rather than a path? Any scheme counts, so `ftp://…`
    is refused as a URL (not looked for as a folder called "ftp:")."""
    return isinstance(arg, str) and bool(_URL.match(arg))


@dataclass(frozen=True)
class FetchLimits:
    timeout_s: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 3


@dataclass
class Page:
    url: str  # after redirects
    body: bytes
    content_type: str
    charset: str | None


def url_doc_id(url: str) -> str:
    """A readable, stable doc id for a URL: host and path, with a short hash when it had to be cut or
    when a query string makes the page differ."""
    parts = urlsplit(url)
    slug = slugify(f"{parts.hostname or ''}{parts.path}")
    digest = hashlib.sha1(url.encode()).hexdigest()[:8]
    if len(slug) > 80 or parts.query:
        return f"{slug[:80].rstrip('-')}-{digest}"
    return slug


def fetch(url: str, limits: FetchLimits = FetchLimits()) -> Page:
    import httpx

    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as e:  # "http://[::1": not a URL at all
        raise LoadError(url, "bad-url", f"not a valid URL ({e})") from e
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise LoadError(url, "bad-url", f"only http:// and https:// URLs can be fetched, not {scheme or 'this'}")
    if not host:
        raise LoadError(url, "bad-url", "the URL names no host")
    deadline = time.monotonic() + limits.timeout_s
    limit_mb = f"{limits.max_bytes / 2**20:.3g} MB"
    try:
        with httpx.Client(follow_redirects=True, max_redirects=limits.max_redirects,
                          timeout=httpx.Timeout(limits.timeout_s),
                          headers={"User-Agent": "cluster-assistant (document ingest)"}) as client, \
                client.stream("GET", url) as r:
            if r.status_code >= 400:
                raise LoadError(url, "http-error", f"the server answered {r.status_code} {r.reason_phrase}")
            length = r.headers.get("content-length", "")
            if length.isdigit() and int(length) > limits.max_bytes:
                raise LoadError(url, "too-large", f"the page is {int(length) / 2**20:.3g} MB, over the {limit_mb} "
                                "limit (ASSISTANT_MAX_PAGE_MB)")
            body = bytearray()
            for piece in r.iter_bytes():
                body += piece
                if len(body) > limits.max_bytes:
                    raise LoadError(url, "too-large", f"the page is larger than the {limit_mb} limit "
                                    "(ASSISTANT_MAX_PAGE_MB)")
                if time.monotonic() > deadline:
                    raise LoadError(url, "timeout", f"the download took longer than {limits.timeout_s:g} s "
                                    "(ASSISTANT_FETCH_TIMEOUT_S)")
            content_type = r.headers.get("content-type", "").split(";")[0].strip().lower()
            return Page(str(r.url), bytes(body), content_type, r.charset_encoding)
    except LoadError:
        raise
    except httpx.TimeoutException as e:
        raise LoadError(url, "timeout", f"no answer within {limits.timeout_s:g} s (ASSISTANT_FETCH_TIMEOUT_S)"
                        ) from e
    except httpx.TooManyRedirects as e:
        raise LoadError(url, "too-many-redirects", f"more than {limits.max_redirects} redirects "
                        "(ASSISTANT_MAX_REDIRECTS)") from e
    except httpx.UnsupportedProtocol as e:  # a redirect to ftp:, file: or the like
        raise LoadError(url, "bad-url", f"redirected to a URL that is not http(s): {e}") from e
    except httpx.ConnectError as e:
        raise LoadError(url, "unreachable", f"cannot connect: {e}") from e
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, OSError) as e:
        raise LoadError(url, "fetch-failed", f"{type(e).__name__}: {e}") from e


def load_url(url: str, limits: FetchLimits = FetchLimits()) -> SourceDoc:
    """Fetch a web page and read its main content. The doc id comes from the URL as given, the
    citation's source is the page's own URL (after redirects), and the content hash covers what is
    indexed, not the raw bytes (a page's ads and tokens change on every request)."""
    page = fetch(url, limits)
    if page.content_type and page.content_type not in _HTML_TYPES:
        raise LoadError(url, "unsupported", f"the URL serves {page.content_type}, not a web page: download the "
                        "file and ingest it from disk")
    html: str | bytes = page.body
    if page.charset:
        with contextlib.suppress(LookupError):  # an unknown charset name: the extractor guesses from the bytes
            html = page.body.decode(page.charset, errors="replace")
    parts, meta = html_parts(url, html)
    texts = drop_footnote_marks([p.text for p in parts])  # as for files
    parts = [replace(p, text=t) for p, t in zip(parts, texts, strict=True)]
    title = meta.get("title") or next((p.section.split(" > ")[0] for p in parts if p.section), "") \
        or urlsplit(page.url).hostname or url
    indexed = repr((title, meta.get("publisher"), meta.get("date"), [(p.section, p.text) for p in parts]))
    return SourceDoc(
        doc_id=url_doc_id(url),
        title=title,
        kind="training",  # as for files without metadata
        source=page.url,
        content_hash=hashlib.sha256(indexed.encode()).hexdigest()[:16],
        parts=parts,
        publisher=meta.get("publisher", ""),
        date=meta.get("date", ""),
        format="html",
    )
