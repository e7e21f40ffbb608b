"""A fake OpenAI-compatible server on 127.0.0.1 for tests: `POST /v1/chat/completions`, plain JSON
or streamed (SSE `data: {...}` chunks, then `data: [DONE]`), driven through the real client over HTTP.

    with FakeOpenAI() as fake:
        fake.push("An answer [1].")                      # replies are used in order...
        fake.push(lambda req: "...")                     # ...a function of the request body
        fake.push(Reply("late", delay_s=3))              # ...or with a delay / per-token delay
        fake.default = lambda req: ...                   # used when the queue is empty
        settings: openai_base_url=fake.base_url
        fake.requests                                    # every request body, in order

    fake.default = Paraphraser(corrupt_every=3)          # rewords its sources, plants a wrong fact in every 3rd
                                                         # sentence; .log says which (also a JSONL file)

Run alone (for `cluster-assistant eval` in model mode by hand):
    python -m tools.fake_openai --paraphrase --corrupt-every 3 --log planted.jsonl --port 8765
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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


def question_of(req: Request) -> str:
    m = re.search(r"^Question: (.*)$", user_text(req), re.M)
    return m.group(1).strip() if m else ""


# --- a model that answers from its sources, and gets a known share of its facts wrong --------------

_SYNONYMS = {"around": "about", "approximately": "about", "provides": "offers", "provide": "offer", "helps": "assists",
             "important": "significant", "main": "principal", "needs": "requires", "need": "require",
             "focus": "emphasis", "aim": "goal", "support": "backing", "develop": "build", "developing": "building",
             "increase": "raise", "encourage": "motivate", "various": "diverse", "different": "distinct",
             "strengthen": "reinforce", "strengthening": "reinforcing", "create": "build", "large": "big"}
_SMALL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen"]
_FOREIGN = ["Estonia", "OECD", "Bavaria", "Rotterdam", "Finland", "UNESCO"]  # in no corpus document
_AUX = re.compile(r"\b(is|are|was|were|will|can|should|must|would)\b")


def split_sentences(text: str) -> list[str]:
    """Whole sentences of at least six words, on one line, that read as prose (not list debris)."""
    flat = " ".join(text.split())
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z])", flat)
    return [p for p in parts if len(p.split()) >= 6 and re.search(r"[a-z)]\.$", p) and p[0].isupper()
            and "•" not in p and not re.search(r"https?://|www\.", p)]


def reword(sentence: str) -> str:
    """Same facts, other words: synonyms for common words, small numbers spelt out."""
    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        if w[0].isdigit():  # "14" -> "fourteen"; not "100 000", "14,900", "0.5" or the 2 of "NUTS2"
            return _SMALL[int(w)] if w.isdigit() and int(w) < len(_SMALL) else w
        new = _SYNONYMS.get(w.lower())
        if new is None:
            return w
        return new.capitalize() if w[0].isupper() else new
    return re.sub(r"(?<![\w.,])\d+(?:[ ,.]\d+)*(?!\w)|\b[^\W\d]+\b", word, sentence)


def corrupt(sentence: str, kind: str, k: int) -> str | None:
    """The sentence with one fact wrong, or None when it has nothing of that kind to change."""
    if kind == "number":
        m = re.search(r"(?<![\w.,])\d+(?![\w.,]\d)", sentence)
        if not m:
            return None
        v = int(m.group(0))
        return sentence[:m.start()] + str(v + 3 if 1900 <= v <= 2100 else v * 3 + 7) + sentence[m.end():]
    if kind == "name":
        for m in re.finditer(r"(?<=\s)(?:[A-Z]{2,}s?|[A-Z][a-z]+(?:[A-Z]\w*)?)\b", sentence):
            if m.group(0) not in {"The", "This", "It", "EU"}:
                return sentence[:m.start()] + _FOREIGN[k % len(_FOREIGN)] + sentence[m.end():]
        return None
    if kind == "negation":
        m = _AUX.search(sentence)
        return sentence[:m.end()] + " not" + sentence[m.end():] if m else None
    raise ValueError(kind)


class Paraphraser:
    """A reply function: rewords the first sentences of the first sources, each cited [n], and plants a
    wrong number, name or negation in every `corrupt_every`-th sentence it writes. `log` records every
    sentence written, faithful or not (and is appended to `log_file` as JSON lines, if given)."""

    KINDS = ("number", "name", "negation")

    def __init__(self, corrupt_every: int = 3, sources_used: int = 3, log_file: Path | None = None) -> None:
        self.corrupt_every, self.sources_used, self.log_file = corrupt_every, sources_used, log_file
        self.log: list[dict[str, Any]] = []
        self.written = 0
        self._lock = threading.Lock()

    def __call__(self, req: Request) -> str:
        question = question_of(req)
        out = []
        for n, text in list(sources(req).items())[:self.sources_used]:
            picked = split_sentences(text)[:1]
            if not picked:
                continue
            with self._lock:
                self.written += 1
                nth = self.written
            sentence, kind = picked[0], "faithful"
            if nth % self.corrupt_every == 0:
                start = (nth // self.corrupt_every) % len(self.KINDS)
                for kind in [*self.KINDS[start:], *self.KINDS[:start]]:
                    bad = corrupt(sentence, kind, nth)
                    if bad is not None:
                        sentence = bad
                        break
                else:
                    kind = "faithful"
            said = reword(sentence)
            self._record({"question": question, "source": n, "type": kind, "sentence": said})
            out.append(f"{said[:-1]} [{n}].")
        return " ".join(out) or "NOT_COVERED"

    def _record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.log.append(entry)
            if self.log_file is not None:
                with self.log_file.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(entry, ensure_ascii=False) + "\n")


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


def main() -> None:
    p = argparse.ArgumentParser(description="A fake OpenAI-compatible server on 127.0.0.1 (for tests and evals).")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--paraphrase", action="store_true", help="answer by rewording the sources (else NOT_COVERED)")
    p.add_argument("--corrupt-every", type=int, default=3, help="plant a wrong fact in every N-th sentence")
    p.add_argument("--log", type=Path, help="append every sentence written to this JSONL file")
    args = p.parse_args()
    fake = FakeOpenAI()
    if args.port:
        fake.server.server_close()
        fake.server = ThreadingHTTPServer(("127.0.0.1", args.port), fake.server.RequestHandlerClass)
        fake.server.daemon_threads = True
        fake._thread = threading.Thread(target=fake.server.serve_forever, name="fake-openai", daemon=True)
    if args.paraphrase:
        fake.default = Paraphraser(args.corrupt_every, log_file=args.log)
    fake.start()
    print(fake.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
