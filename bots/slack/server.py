"""Running the bot: HTTP mode on waitress (a production WSGI server) through bolt's own WSGI adapter, or
Socket Mode. Both stop on Ctrl-C and let answers in flight get posted.

HTTP: waitress → `gate.SlackGate` (path, 1 MB limit, signature first, body shape) → bolt's
`slack_bolt.adapter.wsgi.SlackRequestHandler` → the sync `App`. A sync App on a threaded sync server: each
request's ack runs on one of waitress's threads, and answers run on bolt's lazy-listener pool."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from .app import build_app, shutdown, signing_secret
from .config import SlackConfigError, require_env
from .gate import MAX_BODY_BYTES, SlackGate

if TYPE_CHECKING:
    from cluster_assistant.assistant.pipeline import Assistant
    from cluster_assistant.assistant.settings import Settings

log = logging.getLogger("cluster_assistant.bots.slack")

HTTP_THREADS = 16        # requests acknowledged at once; a burst beyond waits in waitress's queue
# waitress reads a whole body (spooled to a temporary file past 512 KB) before the gate answers 413 above
# 1 MB, so the client reads the 413 instead of a reset; past this hard cap waitress itself refuses.
READ_CAP_BYTES = 8 * MAX_BODY_BYTES
PATH = "/slack/events"


class HttpServer:
    """waitress serving one WSGI app until `shutdown()` (from any thread)."""

    def __init__(self, wsgi_app: Any, host: str, port: int) -> None:
        self._server: Any = create_server(
            wsgi_app, host=host, port=port, threads=HTTP_THREADS, backlog=1024, connection_limit=1000,
            max_request_body_size=READ_CAP_BYTES, channel_timeout=30, ident="cluster-assistant",
            expose_tracebacks=False)
        self._stopping = False

    @property
    def server_address(self) -> tuple[str, int]:
        return str(self._server.effective_host), int(self._server.effective_port)

    def serve_forever(self) -> None:
        try:
            self._server.run()
        finally:
            self._server.task_dispatcher.shutdown()

    def shutdown(self) -> None:
        """Stop accepting, close the open connections, and let `serve_forever` return."""
        if not self._stopping:
            self._stopping = True
            try:
                self._server.trigger.pull_trigger(self._close_all)
            except OSError as e:  # the loop's wake-up pipe is closed already (seen once in CI): close from here
                log.warning("the server's wake-up pipe was closed (%s); closing its connections directly", e)
                self._close_all()

    def _close_all(self) -> None:  # runs on the server's own loop thread (or, when its pipe is gone, `shutdown`'s)
        # waitress has no public call that closes open connections; its asyncore map holds them
        # (a private name, so pyproject pins waitress below 4; the Slack tests stop a server through
        # tools/slack_fake.serve_http and check that it stopped).
        for channel in list(self._server._map.values()):
            if channel is not self._server.trigger and channel is not self._server:
                channel.close()
        self._server.close()


def make_http_server(settings: Settings, port: int = 3000, host: str = "127.0.0.1", *,
                     assistant: Assistant | None = None) -> tuple[HttpServer, Any]:
    """The server and its bolt App (for `shutdown(app)` after the server stopped)."""
    app = build_app(settings, assistant)
    gate = SlackGate(SlackRequestHandler(app, path=PATH), signing_secret(socket_mode=False), path=PATH)
    return HttpServer(gate, host, port), app


def run_http(settings: Settings, port: int = 3000, host: str = "127.0.0.1", *, assistant: Assistant | None = None,
             on_ready: Callable[[HttpServer], None] | None = None) -> None:
    """Serve the Events API, /ask and interactivity on POST /slack/events until interrupted (or
    `server.shutdown()`). Slack's request URL is https://<public host>/slack/events (a TLS proxy in front)."""
    server, app = make_http_server(settings, port, host, assistant=assistant)
    bound_host, bound_port = server.server_address
    print(f"Slack HTTP endpoint: http://{bound_host}:{bound_port}{PATH} (Ctrl-C stops)", file=sys.stderr)
    if on_ready is not None:
        on_ready(server)
    try:
        server.serve_forever()
    finally:
        shutdown(app)


def run_socket_mode(settings: Settings, *, assistant: Assistant | None = None) -> None:
    """Connect to Slack over Socket Mode (no public URL needed) and serve until interrupted."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app_token = require_env("SLACK_APP_TOKEN", "an app-level token (xapp-…) with the connections:write scope")
    if not app_token.startswith("xapp-"):
        raise SlackConfigError("SLACK_APP_TOKEN does not look like an app-level token (it should start with xapp-)")
    app = build_app(settings, assistant, socket_mode=True)
    print("Slack Socket Mode: connecting (Ctrl-C stops)", file=sys.stderr)
    try:
        SocketModeHandler(app, app_token).start()
    finally:
        shutdown(app)
