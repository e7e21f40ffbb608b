"""A real HTTP server on 127.0.0.1 for the URL tests: pages, redirects, a 404, a slow answer and
oversized bodies. `pages` can be edited while it runs (a page that changes between two ingests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTICLE = """<!doctype html><html><head><meta charset="utf-8">
<title>Newsletters that members read: a good practice | Cluster Portal</title>
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About the portal</a></li>
<li><a href="/login">Member login and password reset</a></li></ul></nav>
<main><article>
<h1>Cluster newsletters</h1>
<p>A monthly newsletter keeps the members of a cluster informed about joint projects, events and open
funding calls. The coordinator collects news from the working groups in the last week of each month.</p>
<h2>Funding</h2>
<p>The regional development fund pays for up to {share} of the newsletter's production costs during the
first two years of the programme.</p>
<h3>Eligibility</h3>
<p>Only clusters registered with the national cluster agency for at least one year may apply for the
newsletter subsidy.</p>
<h2>Results</h2>
<p>Clusters that publish a newsletter every month report that their members attend twice as many joint
events as before.</p>
</article></main>
<footer><p>Copyright 2026 Cluster Portal. Cookie policy and privacy statement. Contact the webmaster.</p></footer>
</body></html>"""

EMPTY = """<!doctype html><html><head><title>Loading…</title><script>window.app = {};</script></head>
<body><div id="root"></div><script src="/app.js"></script></body></html>"""

HUGE_MB = 50


class _Handler(BaseHTTPRequestHandler):
    server: WebServer

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        path = self.path
        try:
            if path in self.server.pages:
                self._send(200, self.server.pages[path].encode("utf-8"), "text/html; charset=utf-8")
            elif path.startswith("/redirect/"):  # /redirect/N/...: N more hops, then the article
                n = int(path.split("/")[2])
                self._redirect("/article" if n <= 1 else f"/redirect/{n - 1}/")
            elif path == "/to-ftp":
                self._redirect("ftp://127.0.0.1/article")
            elif path == "/slow":
                time.sleep(self.server.slow_s)
                self._send(200, ARTICLE.format(share="half").encode(), "text/html")
            elif path == "/huge":  # says how big it is: refused before reading
                self._stream(HUGE_MB, declare=True)
            elif path == "/huge-undeclared":  # no Content-Length: refused while reading
                self._stream(HUGE_MB, declare=False)
            elif path == "/report.pdf":
                self._send(200, b"%PDF-1.4\n%%EOF\n", "application/pdf")
            else:
                self._send(404, b"<html><body><h1>Not found</h1></body></html>", "text/html")
        except (BrokenPipeError, ConnectionResetError):  # the client gave up, as it should
            pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, to: str) -> None:
        self.send_response(302)
        self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _stream(self, mb: int, declare: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if declare:
            self.send_header("Content-Length", str(mb * 2**20))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        block = b"<p>" + b"x" * (2**16 - 7) + b"</p>\n"
        for _ in range(mb * 16):
            self.wfile.write(block)


class WebServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages: dict[str, str] = {"/article": ARTICLE.format(share="half"), "/empty": EMPTY}
        self.slow_s = 3.0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@contextmanager
def web_server() -> Iterator[WebServer]:
    server = WebServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
