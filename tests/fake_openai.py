"""A fake OpenAI-compatible server on 127.0.0.1 for tests: `POST /v1/chat/completions`, plain JSON
or streamed (SSE `data: {...}` chunks, then `data: [DONE]`), driven through the real client over HTTP.

    with FakeOpenAI() as fake:
        fake.push("An answer [1].")                      # replies are used in order...
        fake.push(lambda req: "...")                     # ...a function of the request body
        fake.push(Reply("late", delay_s=3))              # ...or with a delay / per-token delay
        fake.default = lambda req: ...                   # used when the queue is empty
        settings: openai_base_url=fake.base_url
        fake.requests                                    # every request body, in order
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Request = dict[str, Any]
_SOURCE = re.compile(r'<source n="(\d+)"[^>]*>\n(.*?)\n</source>', re.S)


@dataclass
class Reply:
    text: str | Callable[[Request], str]
    delay_s: float = 0.0        # before the response starts
    token_delay_s: float = 0.0  # between streamed tokens
    status: int = 200           # not 200: an error response with `text` as the message


Scripted = str | Callable[[Request], str] | Reply


def tokens(text: str) -> list[str]:
    """How the fake splits a reply into streamed pieces: words with their following whitespace."""
    return re.findall(r"\S+\s*|\s+", text)


def messages(req: Request) -> list[dict[str, Any]]:
    return list(req.get("messages", []))


def user_text(req: Request) -> str:
    return "\n".join(str(m.get("content", "")) for m in messages(req) if m.get("role") == "user")


def sources(req: Request) -> dict[int, str]:
    """The numbered sources the assistant fenced into the request: {n: chunk text}."""
    return {int(n): text for n, text in _SOURCE.findall(user_text(req))}


def is_condense(req: Request) -> bool:
    return "Follow-up question:" in user_text(req)


class FakeOpenAI:
    def __init__(self) -> None:
        self.queue: deque[Scripted] = deque()
        self.default: Scripted = "NOT_COVERED"
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                reply = fake._next(body)
                if fake.stopping.wait(reply.delay_s):
                    return
                text = reply.text(body) if callable(reply.text) else reply.text
                try:
                    if reply.status != 200:
                        self._json(reply.status, {"error": {"message": text, "type": "server_error"}})
                    elif body.get("stream"):
                        self._stream(body, text, reply.token_delay_s)
                    else:
                        self._json(200, _completion(body, text))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def _json(self, status: int, data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _stream(self, body: Request, text: str, token_delay_s: float) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()  # HTTP/1.0: the stream ends when the connection closes

                def send(data: dict[str, Any] | str) -> None:
                    payload = data if isinstance(data, str) else json.dumps(data)
                    self.wfile.write(f"data: {payload}\n\n".encode())
                    self.wfile.flush()

                send(_chunk(body, {"role": "assistant", "content": ""}))
                for piece in tokens(text):
                    if fake.stopping.wait(token_delay_s):
                        return
                    send(_chunk(body, {"content": piece}))
                send(_chunk(body, {}, finish="stop"))
                if (body.get("stream_options") or {}).get("include_usage"):
                    send({**_chunk(body, {}), "choices": [], "usage": _usage(text)})
                send("[DONE]")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="fake-openai", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def push(self, *replies: Scripted) -> None:
        self.queue.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self.queue.clear()
            self.requests.clear()
        self.default = "NOT_COVERED"

    def _next(self, body: Request) -> Reply:
        with self._lock:
            self.requests.append(body)
            item = self.queue.popleft() if self.queue else self.default
        return item if isinstance(item, Reply) else Reply(item)

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _usage(text: str) -> dict[str, int]:
    n = len(tokens(text))
    return {"prompt_tokens": 100, "completion_tokens": n, "total_tokens": 100 + n}


def _completion(body: Request, text: str) -> dict[str, Any]:
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": _usage(text)}


def _chunk(body: Request, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
