"""Issue 17's Slack defects, each through signed HTTP requests against the real server and the fake Web API:
interactive actions de-duplicated and checked against their owner (6), malformed requests answered with
400/401 and one log line, the signature checked first (7), and the length note for long follow-ups (8)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from cluster_assistant.assistant.pipeline import Assistant

from tools.slack_fake import BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlack, event_body, post, serve_http, sign

TOKEN = "xoxb-1234567890-0987654321-FAULTSsecretVALUE7"
SECRET = "3c59dc048e8850243be8079a5c74d079-signing"
QUESTION = "What is INOKLASTER?"
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def bot(corpus_assistant: Assistant, tmp_path: Path, fake_slack: FakeSlack,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    cfg = corpus_assistant.settings.model_copy(update={"data_dir": tmp_path / "slack"})
    with serve_http(cfg, corpus_assistant) as url:
        yield f"{url}/slack/events"


def signed(body: str | bytes, content_type: dict[str, str] = JSON, **kw: Any) -> dict[str, str]:
    return {**content_type, **sign(body, SECRET, **kw)}


def settle(fake_slack: FakeSlack, s: float = 1.0) -> None:
    """Lazy listeners run on threads: give any (unwanted) extra post time to arrive before counting."""
    time.sleep(s)


# --- 6: "Share to channel" once per answer, only by the asker -------------------------------------

def _share(fake_slack: FakeSlack, answer_id: str, user: str, action_ts: str) -> str:
    payload = {"type": "block_actions", "user": {"id": user, "team_id": TEAM_ID}, "team": {"id": TEAM_ID},
               "api_app_id": "A0000001", "trigger_id": "444.555.666", "channel": {"id": "C0000001"},
               "container": {"type": "message", "channel_id": "C0000001", "is_ephemeral": True},
               "response_url": fake_slack.response_url(f"act-{user}"),
               "actions": [{"type": "button", "action_id": "share_answer", "block_id": "answer_actions",
                            "value": answer_id, "action_ts": action_ts}]}
    return "payload=" + quote(json.dumps(payload))


def test_share_is_once_per_answer_and_only_by_the_asker(bot: str, fake_slack: FakeSlack) -> None:
    cmd = urlencode({"token": "unused", "team_id": TEAM_ID, "channel_id": "C0000001", "user_id": "U0000001",
                     "command": "/ask", "text": QUESTION, "api_app_id": "A0000001",
                     "response_url": fake_slack.response_url("cmd"), "trigger_id": "111.222.333"})
    assert post(bot, cmd, signed(cmd, FORM))[0] == 200
    blocks = fake_slack.wait_for("response_url")[0].body["blocks"]
    answer_id = [e for b in blocks if b["type"] == "actions" for e in b["elements"]][2]["value"]

    other = _share(fake_slack, answer_id, "U0000002", "1700000002.000001")       # not the asker
    assert post(bot, other, signed(other, FORM))[0] == 200
    refusal = fake_slack.wait_for("response_url", n=2)[1]
    assert refusal.path == "/response/act-U0000002" and "only the person who asked" in refusal.body["text"].lower()

    first = _share(fake_slack, answer_id, "U0000001", "1700000003.000001")
    second = _share(fake_slack, answer_id, "U0000001", "1700000003.300001")     # a second click 0.3 s later
    assert post(bot, first, signed(first, FORM))[0] == 200
    time.sleep(0.3)
    assert post(bot, second, signed(second, FORM))[0] == 200
    assert post(bot, first, signed(first, FORM))[0] == 200                # the same signed payload replayed
    fake_slack.wait_for("chat.postMessage")
    settle(fake_slack)
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 1 and posts[0].body["channel"] == "C0000001"
    assert "Shared by <@U0000001>" in json.dumps(posts[0].body["blocks"])


# --- 7: malformed or unauthenticated requests: 400 or 401, one log line, never a traceback ---------

def _our_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    # waitress's "Task queue depth is N" is a capacity note that a loaded machine may add; not ours.
    return [r for r in caplog.records if r.levelno >= logging.INFO and r.name != "waitress.queue"]


@pytest.mark.parametrize("timestamp", ["abc", "1700000000.5", "9" * 400, "", "-1"],
                         ids=["letters", "decimal", "400-digits", "empty", "negative"])
def test_malformed_timestamp_gets_401_and_one_log_line(bot: str, fake_slack: FakeSlack,
                                                       caplog: pytest.LogCaptureFixture, timestamp: str) -> None:
    caplog.set_level(logging.INFO)
    body = event_body({"type": "app_mention", "user": "U1", "text": "hi", "ts": "1.1", "channel": "C1"}, "EvTS01")
    headers = {**JSON, **sign(body, SECRET), "x-slack-request-timestamp": timestamp}
    assert post(bot, body, headers)[0] == 401
    lines = _our_lines(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert not any(r.exc_info for r in caplog.records) and "Traceback" not in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.parametrize(("body", "content_type", "status"), [
    ('{"type": "event_callback", "event": {', JSON, 401),          # unsigned, malformed: 401, not parsed
    ('{"type": "event_callback", "event": {', JSON, 400),          # signed, malformed JSON
    ('[1, 2, 3]', JSON, 400),                                      # JSON, but not an object
    (event_body(None, "EvNULL01"), JSON, 400),                     # "event": null
    (event_body("app_mention", "EvSTR01"), JSON, 400),             # "event" a string
    ('{"type": "event_callback", "event": {"text": "no type"}}', JSON, 400),
    (b'{"type": "event_callback", "x": "\xff\xfe"}', JSON, 400),   # not UTF-8
    ("payload=%7Bnot-json", FORM, 400),                            # interactivity payload that is not JSON
    ("payload=%5B%5D", FORM, 400),                                 # ... or not an object
], ids=["unsigned-bad-json", "bad-json", "json-array", "event-null", "event-string", "event-no-type", "not-utf8",
        "payload-not-json", "payload-array"])
def test_malformed_body_gets_a_4xx_and_one_log_line(bot: str, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture,
                                                     body: str | bytes, content_type: dict[str, str],
                                                     status: int) -> None:
    caplog.set_level(logging.INFO)
    headers = {**content_type} if status == 401 else signed(body, content_type)
    assert post(bot, body, headers)[0] == status
    lines = _our_lines(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert not any(r.exc_info for r in caplog.records) and "Traceback" not in caplog.text
    settle(fake_slack, 0.3)
    assert not fake_slack.calls_to("chat.postMessage") and not fake_slack.calls_to("chat.postEphemeral")


# --- 8: a very long thread follow-up gets the same polite length note as a long mention -----------

def test_long_thread_follow_up_gets_the_length_note(bot: str, fake_slack: FakeSlack) -> None:
    root = "1700000100.000100"
    body = event_body({"type": "app_mention", "user": "U0000001", "text": f"<@{BOT_USER_ID}> {QUESTION}",
                       "ts": root, "event_ts": root, "channel": "C0000001"}, "EvLONG01")
    assert post(bot, body, signed(body))[0] == 200
    first = fake_slack.wait_for("chat.postMessage")[0]
    fake_slack.wait_for("reactions.remove")
    follow_ts = "1700000100.000300"
    long_text = "and " + "why " * 240_000                      # 960,004 characters, elliptical ("and …")
    fake_slack.replies[("C0000001", root)] = [
        {"user": "U0000001", "text": f"<@{BOT_USER_ID}> {QUESTION}", "ts": root, "thread_ts": root},
        {"user": BOT_USER_ID, "bot_id": BOT_ID, "text": first.body["text"], "ts": "1700000100.000200",
         "thread_ts": root},
        {"user": "U0000001", "text": long_text, "ts": follow_ts, "thread_ts": root}]
    follow = event_body({"type": "message", "user": "U0000001", "text": long_text, "ts": follow_ts,
                         "event_ts": follow_ts, "thread_ts": root, "channel": "C0000001",
                         "channel_type": "channel"}, "EvLONG02")
    assert len(follow.encode()) < 1_000_000
    assert post(bot, follow, signed(follow))[0] == 200
    note = fake_slack.wait_for("chat.postEphemeral")[0]
    assert "limit is 2000" in note.body["text"] and note.body["user"] == "U0000001"
    assert note.body.get("thread_ts") == root
    settle(fake_slack)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1           # only the first answer


@pytest.mark.parametrize(("length", "status"), [("abc", 400), ("-5", 400), (str(2_000_000), 413)])
def test_a_bad_or_huge_content_length_is_refused_before_the_body_is_read(length: str, status: int) -> None:
    """The gate itself, as a WSGI app: nothing reaches bolt, and a malformed header is a 400, not a 413."""
    import io

    from cluster_assistant.bots.slack.gate import SlackGate

    reached: list[dict[str, Any]] = []
    gate = SlackGate(lambda environ, start: reached.append(environ) or [b""], SECRET)
    statuses: list[str] = []
    body = gate({"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "CONTENT_LENGTH": length,
                 "wsgi.input": io.BytesIO(b"{}")}, lambda s, headers: statuses.append(s))
    list(body)
    assert statuses and statuses[0].startswith(str(status)) and reached == []


def test_the_http_server_stops_when_its_wake_up_pipe_is_already_closed(caplog: pytest.LogCaptureFixture) -> None:
    """`shutdown()` wakes waitress's loop through a pipe; once, in CI, that pipe was closed before a test's
    teardown and shutdown raised EBADF. It then closes the connections itself, and the server stops."""
    import threading
    import urllib.request

    from cluster_assistant.bots.slack.server import HttpServer

    def app(environ: dict[str, Any], start: Any) -> list[bytes]:
        start("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = HttpServer(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    assert urllib.request.urlopen(url, timeout=5).read() == b"ok"
    server._server.trigger.close()  # the pipe gone, as it was in CI
    with caplog.at_level(logging.WARNING, logger="cluster_assistant.bots.slack"):
        server.shutdown()
    thread.join(timeout=15)
    assert not thread.is_alive()
    assert "wake-up pipe was closed" in caplog.text
