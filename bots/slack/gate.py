"""The checks every HTTP request passes before bolt sees it (a WSGI middleware in front of bolt's adapter).

In this order: the path (`GET /health`, `POST /slack/events`, else 404), the body size (1 MB, else 413), the
Slack signature over the raw bytes with a strictly parsed timestamp (else 401), then the body itself: UTF-8,
JSON or a form whose `payload` is JSON, an object, and an Events API `event` that is an object with a type
(else 400). A rejected request costs one log line and never reaches a listener; nothing in it is parsed
before its signature is checked. bolt checks the signature again; that is cheap and harmless."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("cluster_assistant.bots.slack")

MAX_BODY_BYTES = 1_000_000      # larger requests get 413 (Slack's own payloads are far smaller)
MAX_SKEW_S = 5 * 60             # Slack: reject requests more than five minutes old (replays)
_TIMESTAMP = re.compile(r"\d{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def verify(secret: str, body: bytes, timestamp: str | None, signature: str | None, now: float) -> None:
    """Raise Rejected(401) unless `signature` is Slack's v0 HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    if not timestamp or not signature:
        raise Rejected(401, "unsigned")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Rejected(401, "malformed timestamp")
    if abs(now - int(timestamp)) > MAX_SKEW_S:
        raise Rejected(401, "stale timestamp")
    if not _SIGNATURE.fullmatch(signature):
        raise Rejected(401, "malformed signature")
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest("v0=" + digest, signature):
        raise Rejected(401, "bad signature")


def check_body(raw: bytes, content_type: str) -> None:
    """Raise Rejected(400) unless the body is what bolt can route: the shapes it would otherwise fail on."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "body is not UTF-8") from None
    if not text:
        raise Rejected(400, "empty body")
    # bolt's own rule: JSON if the content type says so or the body starts with "{", else a form.
    if content_type.startswith("application/json") or text.startswith("{"):
        body = _json_object(text, "body")
        if body.get("type") == "event_callback":
            event = body.get("event")
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                raise Rejected(400, "event_callback without an event object")
        return
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        payload = _json_object(form["payload"][0], "payload")
        if not isinstance(payload.get("type"), str):
            raise Rejected(400, "payload without a type")


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise Rejected(400, f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise Rejected(400, f"{what} is not a JSON object")
    return value


class SlackGate:
    """WSGI app: the checks above, then `inner` (bolt's WSGI adapter) with the body it was given."""

    def __init__(self, inner: WSGIApplication, secret: str, path: str = "/slack/events",
                 clock: Callable[[], float] = time.time) -> None:
        self.inner = inner
        self.path = path
        self.secret = secret
        self.clock = clock

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
        if method == "GET" and path in ("/health", "/healthz"):
            return _reply(start_response, 200, "ok")
        if method != "POST" or path != self.path:
            return _reply(start_response, 404, "not found")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        try:
            if length < 0:
                raise Rejected(400, "bad Content-Length")
            if length > MAX_BODY_BYTES:
                raise Rejected(413, "payload too large")
            raw = environ["wsgi.input"].read(length) if length else b""
            verify(self.secret, raw, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                   environ.get("HTTP_X_SLACK_SIGNATURE"), self.clock())
            check_body(raw, environ.get("CONTENT_TYPE") or "")
        except Rejected as r:
            log.warning("rejected %s %s from %s: %s (HTTP %d)", method, path[:100], environ.get("REMOTE_ADDR", "?"),
                        r.reason, r.status)
            return _reply(start_response, r.status, r.reason)
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        return self.inner(environ, start_response)


def _reply(start_response: StartResponse, status: int, text: str) -> list[bytes]:
    body = text.encode()
    phrase = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 413: "Payload Too Large"}
    start_response(f"{status} {phrase.get(status, '')}".strip(), [("Content-Type", "text/plain; charset=utf-8"),
                                                                  ("Content-Length", str(len(body)))])
    return [body]
