"""A local stand-in for the Slack Web API (and response_url webhooks), on 127.0.0.1.

Answers the methods the bot uses, records every call (method, parsed body, headers, status, time), and
can be scripted to fail a method once (e.g. `ratelimited`: HTTP 429 with Retry-After). Also helpers to
sign requests the way Slack does (v0 HMAC-SHA256)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0000001"


@dataclass
class Call:
    method: str                 # "chat.postMessage", or "response_url" for webhook posts
    body: dict[str, Any]
    headers: dict[str, str]
    status: int
    path: str
    at: float = field(default_factory=time.perf_counter)
    result_ts: str = ""         # the ts the fake gave a posted message


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.replies: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._failures: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = {}
        self._cond = threading.Condition()
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self)

            def do_GET(self) -> None:  # noqa: N802 (conversations.replies is a GET in slack_sdk)
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    # --- addresses ---

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.url}/response/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- scripting ---

    def fail_once(self, method: str, status: int = 429, error: str = "ratelimited", retry_after: int = 1) -> None:
        headers = {"Retry-After": str(retry_after)} if status == 429 else {}
        self._failures.setdefault(method, []).append((status, {"ok": False, "error": error}, headers))

    # --- inspection ---

    def calls_to(self, method: str, ok_only: bool = True) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method and (c.status == 200 or not ok_only)]

    def wait_for(self, method: str, n: int = 1, timeout: float = 10.0, ok_only: bool = True) -> list[Call]:
        """Block until `n` calls of `method` were recorded; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if c.method == method and (c.status == 200 or not ok_only)]
                if len(found) >= n:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"expected {n} {method} call(s) within {timeout} s; calls: {seen}")
                self._cond.wait(left)

    # --- the server side ---

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        path = url.path
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0)).decode("utf-8")
        ctype = h.headers.get("Content-Type", "")
        body: dict[str, Any] = {k: v[0] for k, v in parse_qs(url.query).items()}
        if "json" in ctype:
            body.update(json.loads(raw or "{}"))
        else:
            body.update({k: v[0] for k, v in parse_qs(raw).items()})
            for key in ("blocks", "view"):
                if isinstance(body.get(key), str):
                    body[key] = json.loads(body[key])
        if path.startswith("/api/"):
            method = path[len("/api/"):]
        elif path.startswith("/response/"):
            method = "response_url"
        else:
            method = path
        status, payload, extra = 200, self._result(method, body), {}
        with self._cond:
            queue = self._failures.get(method)
            if queue:
                status, payload, extra = queue.pop(0)
            self.calls.append(Call(method, body, dict(h.headers.items()), status, path,
                                   result_ts=str(payload.get("ts", "")) if isinstance(payload, dict) else ""))
            self._cond.notify_all()
        data = json.dumps(payload).encode() if method != "response_url" or status != 200 else b"ok"
        h.send_response(status)
        h.send_header("Content-Type", "application/json" if method != "response_url" else "text/plain")
        for k, v in extra.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _result(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://example.slack.com/", "team": "Test", "user": "cluster-assistant",
                    "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}
        if method == "chat.postMessage":
            ts = f"1800000000.{next(self._ts):06d}"
            return {"ok": True, "channel": body.get("channel"), "ts": ts,
                    "message": {"text": body.get("text"), "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1800000000.{next(self._ts):06d}"}
        if method == "conversations.replies":
            key = (str(body.get("channel")), str(body.get("ts")))
            # Pages as Slack gives them: `limit` messages from the `cursor` on, the next cursor while more are left.
            thread = self.replies.get(key, [])
            start, limit = int(body.get("cursor") or 0), int(body.get("limit") or 1000)
            more = start + limit < len(thread)
            return {"ok": True, "messages": thread[start:start + limit], "has_more": more,
                    "response_metadata": {"next_cursor": str(start + limit) if more else ""}}
        if method == "views.open":
            return {"ok": True, "view": {"id": "V1"}}
        if method in ("reactions.add", "reactions.remove", "response_url"):
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}


# --- signing -------------------------------------------------------------------------------------

def sign(body: str | bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack sends with a request: timestamp and v0 signature of `v0:{ts}:{body}` (its bytes)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    raw = body if isinstance(body, bytes) else body.encode()
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": ts, "x-slack-signature": f"v0={digest}"}


def event_body(event: Any, event_id: str) -> str:
    return json.dumps({
        "token": "legacy-verification-token-unused", "team_id": TEAM_ID, "api_app_id": "A0000001",
        "type": "event_callback", "event_id": event_id, "event_time": int(time.time()), "event": event,
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    })


def post(url: str, body: str | bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST to the bot as Slack would; the HTTP status and body, errors included."""
    import urllib.error
    import urllib.request

    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@contextlib.contextmanager
def serve_http(settings: Any, assistant: Any) -> Iterator[str]:
    """The bot's HTTP server (`run_http`) on a free loopback port, in a thread; yields its base URL."""
    import queue

    from cluster_assistant.bots.slack.server import run_http

    ready: queue.Queue[Any] = queue.Queue()
    thread = threading.Thread(target=run_http, args=(settings,),
                              kwargs={"port": 0, "assistant": assistant, "on_ready": ready.put}, daemon=True)
    thread.start()
    server = ready.get(timeout=30)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=15)
    assert not thread.is_alive()
