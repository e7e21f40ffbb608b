"""The Slack door end to end: the real bolt app and the real Assistant (shipped corpus) against a local
fake of the Slack Web API (tools/slack_fake.py), with signed requests, both through `app.dispatch` and over
HTTP (`run_http`: waitress and bolt's WSGI adapter).

Lazy listeners run on threads: tests wait for the fake to record a call (with a timeout) and, before
counting calls, drain the app's thread pool so that nothing is still in flight."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import yaml
from cluster_assistant.assistant.feedback import FeedbackStore
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.assistant.schema import Answer, Citation
from cluster_assistant.assistant.settings import Settings
from cluster_assistant.bots.slack.app import build_app
from cluster_assistant.bots.slack.blocks import (
    MAX_BLOCKS,
    SECTION_LIMIT,
    answer_blocks,
    block_text_length,
    slack_to_plain,
    split_text,
)
from cluster_assistant.bots.slack.config import SlackConfigError
from cluster_assistant.bots.slack.gate import MAX_BODY_BYTES
from cluster_assistant.bots.slack.server import run_socket_mode
from cluster_assistant.bots.slack.threads import previous_question
from cluster_assistant.evals.runner import load_dataset
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt import App, BoltRequest, BoltResponse

from tools.slack_fake import BOT_ID, BOT_USER_ID, TEAM_ID, Call, FakeSlack, event_body, post, serve_http, sign

TOKEN = "xoxb-1234567890-0987654321-TOKENsecretVALUE42"
SECRET = "8f14e45fceea167a5a36dedd4bea2543-signing"
CLUSTERFY = "ClusterFY Action Plan, Lithuania 2020–2023"
QUESTION = "What is INOKLASTER?"


# --- fixtures and helpers ------------------------------------------------------------------------

@pytest.fixture
def slack_env(monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)


def bot_settings(assistant: Assistant, data_dir: Path, **kw: Any) -> Settings:
    """The assistant's settings with the bot's own state folder (the Chroma store stays shared)."""
    return assistant.settings.model_copy(update={"data_dir": data_dir, **kw})


def drain(app: App) -> None:
    app.listener_runner.listener_executor.shutdown(wait=True)


@pytest.fixture
def make_app(corpus_assistant: Assistant, tmp_path: Path, slack_env: None) -> Iterator[Callable[..., App]]:
    apps: list[App] = []

    def make(**kw: Any) -> App:
        app = build_app(bot_settings(corpus_assistant, tmp_path / "slack", **kw), assistant=corpus_assistant)
        apps.append(app)
        return app

    yield make
    for app in apps:
        drain(app)


def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore.in_dir(tmp_path / "slack")


def dispatch(app: App, body: str, headers: dict[str, str] | None = None, form: bool = False) -> BoltResponse:
    h = {"content-type": "application/x-www-form-urlencoded" if form else "application/json", **sign(body, SECRET)}
    h.update(headers or {})
    return app.dispatch(BoltRequest(body=body, headers=h))


_ids = iter(range(1, 10**6))


def mention(text: str = QUESTION, channel: str = "C0000001", ts: str | None = None, thread_ts: str | None = None,
            user: str = "U0000001") -> tuple[str, dict[str, Any]]:
    n = next(_ids)
    ts = ts or f"1700000000.{n:06d}"
    ev: dict[str, Any] = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}",
                          "ts": ts, "channel": channel, "event_ts": ts}
    if thread_ts:
        ev["thread_ts"] = thread_ts
    return event_body(ev, f"Ev{n:08d}"), ev


def message(text: str, channel: str = "D0000001", channel_type: str = "im", user: str | None = "U0000001",
            thread_ts: str | None = None, ts: str | None = None, **extra: Any) -> tuple[str, dict[str, Any]]:
    n = next(_ids)
    ts = ts or f"1700000001.{n:06d}"
    ev: dict[str, Any] = {"type": "message", "text": text, "ts": ts, "channel": channel,
                          "channel_type": channel_type, "event_ts": ts, **extra}
    if user:
        ev["user"] = user
    if thread_ts:
        ev["thread_ts"] = thread_ts
    return event_body(ev, f"Ev{n:08d}"), ev


def slash(fake_slack: FakeSlack, text: str, channel: str = "C0000001", user: str = "U0000001") -> str:
    return urlencode({"token": "unused", "team_id": TEAM_ID, "channel_id": channel, "channel_name": "general",
                      "user_id": user, "user_name": "ona", "command": "/ask", "text": text, "api_app_id": "A0000001",
                      "response_url": fake_slack.response_url("cmd"), "trigger_id": "111.222.333"})


def block_action(fake_slack: FakeSlack, action_id: str, value: str, user: str = "U0000001",
                 channel: str = "C0000001") -> str:
    payload = {"type": "block_actions", "user": {"id": user, "team_id": TEAM_ID}, "team": {"id": TEAM_ID},
               "api_app_id": "A0000001", "trigger_id": "444.555.666", "channel": {"id": channel},
               "container": {"type": "message", "channel_id": channel, "is_ephemeral": False},
               "response_url": fake_slack.response_url("act"),
               "actions": [{"type": "button", "action_id": action_id, "block_id": "answer_actions",
                            "value": value, "action_ts": "1700000002.000001"}]}
    return "payload=" + quote(json.dumps(payload))


def all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def answer_id_of(call: Call) -> str:
    actions = [b for b in call.body["blocks"] if b["type"] == "actions"]
    return str(actions[0]["elements"][0]["value"])


def assert_cited(call: Call) -> None:
    text = all_text(call.body["blocks"])
    assert "[1]" in text and CLUSTERFY in text, text[:500]
    assert call.body.get("text"), "a plain-text fallback is always sent"


# --- events --------------------------------------------------------------------------------------

def test_mention_gets_a_threaded_cited_answer(make_app: Callable[..., App], fake_slack: FakeSlack,
                                              tmp_path: Path) -> None:
    app = make_app()
    body, ev = mention()
    t0 = time.perf_counter()
    resp = dispatch(app, body)
    ack_s = time.perf_counter() - t0
    assert resp.status == 200
    post = fake_slack.wait_for("chat.postMessage")[0]
    print(f"ack {ack_s * 1000:.0f} ms, answer posted {(post.at - t0) * 1000:.0f} ms after the event")
    assert ack_s < 2.0
    assert post.body["channel"] == "C0000001" and post.body["thread_ts"] == ev["ts"]
    assert_cited(post)
    assert post.headers.get("Authorization") == f"Bearer {TOKEN}"
    drain(app)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    adds, removes = fake_slack.calls_to("reactions.add"), fake_slack.calls_to("reactions.remove")
    assert adds[0].body["name"] == removes[0].body["name"] == "hourglass_flowing_sand"
    assert adds[0].at < post.at < removes[0].at
    aid = answer_id_of(post)
    got = store(tmp_path).get_answer(aid)
    assert got is not None and got.question == QUESTION and got.citations
    assert [q["question"] for q in store(tmp_path).questions()] == [QUESTION]


def test_mention_inside_a_thread_answers_in_that_thread(make_app: Callable[..., App], fake_slack: FakeSlack) -> None:
    app = make_app()
    fake_slack.replies[("C0000001", "1699999999.000001")] = [
        {"user": "U0000002", "text": "How do Lithuanian clusters get funding?", "ts": "1699999999.000001"}]
    body, ev = mention("what is INOKLASTER in that context?", thread_ts="1699999999.000001")
    dispatch(app, body)
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.body["thread_ts"] == "1699999999.000001"
    assert fake_slack.calls_to("conversations.replies")[0].body["ts"] == "1699999999.000001"


def test_direct_message_is_answered(make_app: Callable[..., App], fake_slack: FakeSlack) -> None:
    app = make_app()
    body, _ = message(QUESTION)
    dispatch(app, body)
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.body["channel"] == "D0000001" and not post.body.get("thread_ts")
    assert_cited(post)


def test_bots_edits_and_chatter_are_ignored(make_app: Callable[..., App], fake_slack: FakeSlack) -> None:
    app = make_app()
    ignored = [
        message(QUESTION, bot_id="B0000009", user=None),                        # another bot
        message(QUESTION, subtype="bot_message", user=None, bot_id="B0000009"),
        message(QUESTION, user=BOT_USER_ID),                                    # ourselves
        message(QUESTION, bot_id=BOT_ID, user=BOT_USER_ID),
        message(QUESTION, subtype="message_changed"),                           # an edit
        message(QUESTION, channel="C0000001", channel_type="channel"),          # channel chatter
        message(QUESTION, channel="C0000001", channel_type="channel",           # a thread we never answered
                thread_ts="1699999999.000009"),
    ]
    for body, _ in ignored:
        assert dispatch(app, body).status == 200
    body, _ = message("How can a cluster attract members?", user="U0000002")  # the one that counts
    dispatch(app, body)
    fake_slack.wait_for("chat.postMessage")
    drain(app)
    posts = fake_slack.calls_to("chat.postMessage")
    reaction = fake_slack.calls_to("reactions.add")[0]
    assert len(posts) == 1 and reaction.body["timestamp"] == json.loads(body)["event"]["ts"]


def test_mention_also_delivered_as_message_is_answered_once(make_app: Callable[..., App],
                                                            fake_slack: FakeSlack) -> None:
    app = make_app()
    body, ev = mention()
    dispatch(app, body)
    # Slack also sends the same message as message.channels; it mentions the bot, so app_mention owns it.
    twin = event_body({**ev, "type": "message", "channel_type": "channel"}, "EvTWIN0001")
    dispatch(app, twin)
    fake_slack.wait_for("chat.postMessage")
    drain(app)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_follow_up_in_an_answered_thread(make_app: Callable[..., App], fake_slack: FakeSlack, tmp_path: Path) -> None:
    app = make_app()
    body, ev = mention(ts="1700000100.000100")
    dispatch(app, body)
    first = fake_slack.wait_for("chat.postMessage")[0]
    fake_slack.wait_for("reactions.remove")  # the first answer is complete
    root = ev["ts"]
    fake_slack.replies[("C0000001", root)] = [
        {"user": "U0000001", "text": f"<@{BOT_USER_ID}> {QUESTION}", "ts": root, "thread_ts": root},
        {"user": BOT_USER_ID, "bot_id": BOT_ID, "text": first.body["text"], "ts": "1700000100.000200",
         "thread_ts": root},
        {"user": "U0000001", "text": "who funds it?", "ts": "1700000100.000300", "thread_ts": root},
    ]
    follow, _ = message("who funds it?", channel="C0000001", channel_type="channel", thread_ts=root,
                        ts="1700000100.000300")
    dispatch(app, follow)
    second = fake_slack.wait_for("chat.postMessage", n=2)[1]
    assert second.body["thread_ts"] == root
    replies = fake_slack.calls_to("conversations.replies")
    assert replies and replies[0].body["channel"] == "C0000001" and replies[0].body["ts"] == root
    asked = [q["question"] for q in store(tmp_path).questions()]
    assert asked[0] == QUESTION and asked[1].startswith("who funds it? (about: ")
    assert "INOKLASTER" in asked[1]
    assert "who funds it? (about: " in all_text(second.body["blocks"])  # the answered question is shown
    assert_cited(second)
    # The follow-up brings what is new: no sentence of the first answer again.
    from cluster_assistant.bots.slack.threads import shown_in_thread

    before = shown_in_thread([first.body | {"user": BOT_USER_ID}], BOT_USER_ID, BOT_ID)
    after = shown_in_thread([second.body | {"user": BOT_USER_ID}], BOT_USER_ID, BOT_ID)
    assert before and after and not before & after
    # A third turn carries on from the second as the bot read it (its answer shows that question), as chat does.
    fake_slack.replies[("C0000001", root)] += [
        {"user": BOT_USER_ID, "bot_id": BOT_ID, "text": second.body["text"], "blocks": second.body["blocks"],
         "ts": "1700000100.000400", "thread_ts": root},
        {"user": "U0000001", "text": "since when?", "ts": "1700000100.000500", "thread_ts": root},
    ]
    third_event, _ = message("since when?", channel="C0000001", channel_type="channel", thread_ts=root,
                             ts="1700000100.000500")
    dispatch(app, third_event)
    fake_slack.wait_for("chat.postMessage", n=3)
    third = store(tmp_path).questions()[2]["question"]
    assert third.startswith("since when? (about: ") and "funds" in third and "INOKLASTER" in third, third


def test_a_follow_up_in_a_long_thread_reads_the_thread_to_its_end(make_app: Callable[..., App],
                                                                   fake_slack: FakeSlack, tmp_path: Path) -> None:
    """conversations.replies gives a thread 100 messages a page, oldest first: the question a follow-up
    continues is on the last page."""
    app = make_app()
    root = "1700000300.000001"
    ours = {"user": BOT_USER_ID, "bot_id": BOT_ID, "text": "answer\nSources: [1] T", "thread_ts": root}
    thread = [{"user": "U0000001", "text": f"<@{BOT_USER_ID}> What is InoLink?", "ts": root, "thread_ts": root},
              {**ours, "ts": "1700000300.000002"}]
    for i in range(60):  # 120 messages of "why?" and answers
        thread += [{"user": "U0000001", "text": "why?", "ts": f"1700000300.{100 + 2 * i:06d}", "thread_ts": root},
                   {**ours, "ts": f"1700000300.{101 + 2 * i:06d}"}]
    thread += [{"user": "U0000001", "text": f"<@{BOT_USER_ID}> {QUESTION}", "ts": "1700000300.000500",
                "thread_ts": root}, {**ours, "ts": "1700000300.000501"}]
    fake_slack.replies[("C0000001", root)] = thread
    dispatch(app, mention("who funds it?", ts="1700000300.000600", thread_ts=root)[0])
    fake_slack.wait_for("chat.postMessage")
    asked = store(tmp_path).questions()[-1]["question"]
    assert asked.startswith("who funds it? (about: ") and "INOKLASTER" in asked and "InoLink" not in asked, asked
    pages = fake_slack.calls_to("conversations.replies")
    assert len(pages) == 2 and pages[1].body.get("cursor") == "100"


def test_a_thread_too_long_to_read_goes_on_from_what_the_bot_saved(make_app: Callable[..., App],
                                                                   fake_slack: FakeSlack, tmp_path: Path) -> None:
    """Past 1,000 messages the thread is read only in part, and its part ends long ago: the question the bot
    saved when it last answered in the thread is newer than anything read."""
    app = make_app()
    root = "1700000500.000001"
    ours = {"user": BOT_USER_ID, "bot_id": BOT_ID, "text": "answer\nSources: [1] T", "thread_ts": root}
    thread = [{"user": "U0000001", "text": f"<@{BOT_USER_ID}> What is InoLink?", "ts": root, "thread_ts": root},
              {**ours, "ts": "1700000500.000002"}]
    for i in range(600):
        thread += [{"user": "U0000001", "text": "why?", "ts": f"1700000500.{1000 + 2 * i:06d}", "thread_ts": root},
                   {**ours, "ts": f"1700000500.{1001 + 2 * i:06d}"}]
    fake_slack.replies[("C0000001", root)] = thread
    dispatch(app, mention(QUESTION, ts="1700000500.009000", thread_ts=root)[0])  # answered, and saved
    fake_slack.wait_for("chat.postMessage")
    fake_slack.wait_for("reactions.remove")
    dispatch(app, mention("who funds it?", ts="1700000500.009100", thread_ts=root)[0])
    fake_slack.wait_for("chat.postMessage", n=2)
    asked = store(tmp_path).questions()[-1]["question"]
    assert "INOKLASTER" in asked and "InoLink" not in asked, asked
    assert len(fake_slack.calls_to("conversations.replies")) == 20  # 10 pages for each of the two turns


def test_when_the_thread_cannot_be_read_the_last_reading_is_the_subject(make_app: Callable[..., App],
                                                                        fake_slack: FakeSlack,
                                                                        tmp_path: Path) -> None:
    """Without conversations.replies (a missing scope), a follow-up goes on from what the bot saved: the last
    question as it read it, as when the thread can be read."""
    app = make_app()
    body, ev = mention(ts="1700000400.000100")
    dispatch(app, body)
    fake_slack.wait_for("chat.postMessage")
    fake_slack.wait_for("reactions.remove")
    root = ev["ts"]
    dispatch(app, message("who funds it?", channel="C0000001", channel_type="channel", thread_ts=root,
                          ts="1700000400.000300")[0])
    fake_slack.wait_for("chat.postMessage", n=2)
    fake_slack.wait_for("reactions.remove", n=2)
    fake_slack.fail_once("conversations.replies", status=200, error="missing_scope")
    dispatch(app, message("since when?", channel="C0000001", channel_type="channel", thread_ts=root,
                          ts="1700000400.000500")[0])
    fake_slack.wait_for("chat.postMessage", n=3)
    second, third = (q["question"] for q in store(tmp_path).questions()[1:3])
    assert second.startswith("who funds it? (about: ") and "INOKLASTER" in second, second
    assert third.startswith("since when? (about: ") and "funds" in third and "INOKLASTER" in third, third


def test_retried_event_is_posted_once(make_app: Callable[..., App], fake_slack: FakeSlack) -> None:
    app = make_app()
    body, _ = mention()
    assert dispatch(app, body).status == 200
    retry = {"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"}
    assert dispatch(app, body, retry).status == 200
    other_worker = make_app()  # same data_dir: another process, or the app after a restart
    assert dispatch(other_worker, body, {"x-slack-retry-num": "2", "x-slack-retry-reason": "http_timeout"}).status \
        == 200
    fake_slack.wait_for("chat.postMessage")
    drain(app)
    drain(other_worker)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert len(fake_slack.calls_to("reactions.add")) == 1


def test_ratelimited_post_is_retried_after_retry_after(make_app: Callable[..., App], fake_slack: FakeSlack) -> None:
    app = make_app()
    fake_slack.fail_once("chat.postMessage", status=429, error="ratelimited", retry_after=1)
    body, _ = message(QUESTION)
    dispatch(app, body)
    ok = fake_slack.wait_for("chat.postMessage")
    drain(app)
    attempts = fake_slack.calls_to("chat.postMessage", ok_only=False)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.9  # waited for Retry-After
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert_cited(ok[0])


def test_channel_allow_list(make_app: Callable[..., App], fake_slack: FakeSlack) -> None:
    app = make_app(slack_allowed_channels=["CALLOWED1"])
    dispatch(app, mention(channel="COTHER001")[0])
    note = fake_slack.wait_for("chat.postEphemeral")[0]
    assert "not enabled in this channel" in note.body["text"] and note.body["user"] == "U0000001"
    resp = dispatch(app, slash(fake_slack, QUESTION, channel="COTHER001"), form=True)
    assert "not enabled in this channel" in resp.body
    dispatch(app, mention(channel="CALLOWED1")[0])
    dispatch(app, message(QUESTION)[0])  # DMs are always allowed
    posts = fake_slack.wait_for("chat.postMessage", n=2)
    drain(app)
    assert sorted(p.body["channel"] for p in posts) == ["CALLOWED1", "D0000001"]
    assert len(fake_slack.calls_to("chat.postMessage")) == 2 and not fake_slack.calls_to("response_url")


def test_per_user_rate_limit(make_app: Callable[..., App], fake_slack: FakeSlack) -> None:
    app = make_app(slack_user_rate_per_min=2)
    for _ in range(3):
        dispatch(app, message(QUESTION)[0])
    note = fake_slack.wait_for("chat.postEphemeral")[0]
    assert "limit" in note.body["text"] and "wait" in note.body["text"]
    fake_slack.wait_for("chat.postMessage", n=2)
    dispatch(app, message(QUESTION, user="U0000002")[0])  # someone else is not limited
    fake_slack.wait_for("chat.postMessage", n=3)
    drain(app)
    assert len(fake_slack.calls_to("chat.postMessage")) == 3 and len(fake_slack.calls_to("chat.postEphemeral")) == 1


def test_too_long_or_empty_question_gets_a_polite_note(make_app: Callable[..., App], fake_slack: FakeSlack) -> None:
    app = make_app()
    dispatch(app, mention("why " * 600)[0])  # 2,400 characters; the limit is 2,000
    note = fake_slack.wait_for("chat.postEphemeral")[0]
    assert "limit is 2000" in note.body["text"]
    dispatch(app, mention("")[0])
    note = fake_slack.wait_for("chat.postEphemeral", n=2)[1]
    assert "empty" in note.body["text"]
    resp = dispatch(app, slash(fake_slack, "x" * 2500), form=True)
    assert resp.status == 200 and "limit is 2000" in resp.body
    drain(app)
    assert not fake_slack.calls_to("chat.postMessage") and not fake_slack.calls_to("response_url")


def test_refusal_says_so_and_suggests_topics(make_app: Callable[..., App], fake_slack: FakeSlack) -> None:
    app = make_app()
    dispatch(app, message("How do I bake sourdough bread at home?")[0])
    post = fake_slack.wait_for("chat.postMessage")[0]
    text = all_text(post.body["blocks"])
    assert "does not cover this question" in text
    assert "Communication &amp; marketing" in text and "Internationalisation" in text
    assert "feedback_down" in text


def test_a_follow_up_with_no_thread_before_it_says_what_is_missing(make_app: Callable[..., App],
                                                                   fake_slack: FakeSlack) -> None:
    """A bare "why?" posted on its own has no subject to carry on from: the refusal says so. A refusal also says
    what in particular the documents lack (it listed only the topics)."""
    app = make_app()
    dispatch(app, message("why?")[0])
    text = all_text(fake_slack.wait_for("chat.postMessage")[0].body["blocks"])
    assert "reads like a follow-up to an earlier answer" in text and "does not cover this question" in text
    dispatch(app, message("What support programme do clusters in Latvia get?")[0])
    text = all_text(fake_slack.wait_for("chat.postMessage", n=2)[1].body["blocks"])
    assert "No document mentions Latvia." in text and "reads like a follow-up" not in text


# --- /ask and buttons ----------------------------------------------------------------------------

def test_slash_command_is_ephemeral_and_can_be_shared(make_app: Callable[..., App], fake_slack: FakeSlack,
                                                      tmp_path: Path) -> None:
    app = make_app()
    resp = dispatch(app, slash(fake_slack, QUESTION), form=True)
    assert resp.status == 200 and "Looking that up" in resp.body
    reply = fake_slack.wait_for("response_url")[0]
    assert reply.path == "/response/cmd"
    assert reply.body["response_type"] == "ephemeral"
    blocks = reply.body["blocks"]
    assert "[1]" in all_text(blocks) and CLUSTERFY in all_text(blocks)
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["feedback_up", "feedback_down", "share_answer"]
    assert not fake_slack.calls_to("chat.postMessage")

    share = dispatch(app, block_action(fake_slack, "share_answer", buttons[2]["value"], user="U0000001"), form=True)
    assert share.status == 200
    post = fake_slack.wait_for("chat.postMessage")[0]
    assert post.body["channel"] == "C0000001" and not post.body.get("thread_ts")
    assert_cited(post)
    assert "Shared by <@U0000001>" in all_text(post.body["blocks"])
    done = fake_slack.wait_for("response_url", n=2)[1]
    assert done.path == "/response/act" and done.body.get("delete_original") is True
    got = store(tmp_path).get_answer(buttons[2]["value"])
    assert got is not None and got.question == QUESTION


def test_feedback_click_is_stored_and_exported(make_app: Callable[..., App], fake_slack: FakeSlack,
                                               tmp_path: Path) -> None:
    app = make_app()
    dispatch(app, mention()[0])
    aid = answer_id_of(fake_slack.wait_for("chat.postMessage")[0])

    dispatch(app, block_action(fake_slack, "feedback_up", aid, user="U0000001"), form=True)
    thanks = fake_slack.wait_for("response_url")[0]
    assert "Thanks" in thanks.body["text"] and thanks.body["replace_original"] is False
    dispatch(app, block_action(fake_slack, "feedback_down", aid, user="U0000001"), form=True)  # changes their mind
    modal = fake_slack.wait_for("views.open")[0]
    assert modal.body["trigger_id"] == "444.555.666" and modal.body["view"]["private_metadata"] == aid
    submission = {"type": "view_submission", "user": {"id": "U0000001"}, "team": {"id": TEAM_ID},
                  "api_app_id": "A0000001",
                  "view": {"id": "V1", "type": "modal", "callback_id": "feedback_comment", "private_metadata": aid,
                           "state": {"values": {"comment": {"text": {"type": "plain_text_input",
                                                                     "value": "It does not say who funds it."}}}}}}
    resp = dispatch(app, "payload=" + quote(json.dumps(submission)), form=True)
    assert resp.status == 200  # an empty ack closes the dialog
    dispatch(app, block_action(fake_slack, "feedback_up", aid, user="U0000002"), form=True)
    fake_slack.wait_for("response_url", n=2)
    drain(app)

    fb = store(tmp_path)
    assert fb.votes(aid) == {"U0000001": -1, "U0000002": 1}
    out = tmp_path / "candidates.yaml"
    assert fb.export_candidates(out) == 1
    items = yaml.safe_load(out.read_text(encoding="utf-8"))
    item = items[0]
    assert item["question"] == QUESTION and item["candidate"] is True and item["in_scope"] is True
    assert item["reference_answer"] == "" and item["key_facts"] == []
    assert item["area"] == "funding"
    assert {"doc_id": "clusterfy-action-plan-2020-2023"} .items() <= item["expected_sources"][0].items()
    assert item["feedback"]["comment"] == "It does not say who funds it."
    assert item["feedback"]["votes_down"] == 1 and item["feedback"]["votes_up"] == 1
    assert [i.id for i in load_dataset(out)] == [item["id"]]  # loads with the eval runner


# --- HTTP mode -----------------------------------------------------------------------------------

@pytest.fixture
def http_bot(corpus_assistant: Assistant, tmp_path: Path, slack_env: None) -> Iterator[str]:
    with serve_http(bot_settings(corpus_assistant, tmp_path / "slack"), corpus_assistant) as url:
        yield url


def test_done_when_http_mode_answers_a_signed_mention_in_a_thread(http_bot: str, fake_slack: FakeSlack) -> None:
    body, ev = mention()
    t0 = time.perf_counter()
    status, _ = post(f"{http_bot}/slack/events", body, {"Content-Type": "application/json", **sign(body, SECRET)})
    ack_s = time.perf_counter() - t0
    assert status == 200
    answer = fake_slack.wait_for("chat.postMessage", timeout=10)[0]
    latency = answer.at - t0
    print(f"\nHTTP mode: ack {ack_s * 1000:.0f} ms; signed app_mention -> chat.postMessage in {latency * 1000:.0f} ms")
    assert latency < 10
    assert answer.body["thread_ts"] == ev["ts"]
    assert_cited(answer)

    bad = mention()[0]
    status, _ = post(f"{http_bot}/slack/events", bad, {"Content-Type": "application/json",
                                                       **sign(bad, "not-the-secret")})
    assert status == 401


def test_unsigned_wrongly_signed_and_stale_requests_get_401(http_bot: str, fake_slack: FakeSlack) -> None:
    url = f"{http_bot}/slack/events"
    body = mention()[0]
    json_type = {"Content-Type": "application/json"}
    assert post(url, body, json_type)[0] == 401
    assert post(url, body, {**json_type, **sign(body, "wrong-secret")})[0] == 401
    assert post(url, body, {**json_type, **sign(body, SECRET, timestamp=int(time.time()) - 6 * 60)})[0] == 401
    tampered = sign(body, SECRET)
    assert post(url, body.replace("INOKLASTER", "INOKLASTER!"), {**json_type, **tampered})[0] == 401
    cmd = slash(fake_slack, QUESTION)
    assert post(url, cmd, {"Content-Type": "application/x-www-form-urlencoded", **sign(cmd, "nope")})[0] == 401
    # a correctly signed request goes through (the server is fine), and then nothing else was posted
    # Rejected requests never reach a listener, so no work was started for them.
    ok = mention()[0]
    assert post(url, ok, {**json_type, **sign(ok, SECRET)})[0] == 200
    fake_slack.wait_for("reactions.remove")  # the last step of the accepted request's answer
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert not fake_slack.calls_to("response_url") and len(fake_slack.calls_to("reactions.add")) == 1


def test_oversized_payload_gets_413(http_bot: str, fake_slack: FakeSlack) -> None:
    big = json.dumps({"type": "event_callback", "padding": "x" * (MAX_BODY_BYTES + 1000)})
    status, _ = post(f"{http_bot}/slack/events", big, {"Content-Type": "application/json", **sign(big, SECRET)})
    assert status == 413
    status, text = post(f"{http_bot}/elsewhere", "{}", {"Content-Type": "application/json"})
    assert status == 404
    assert not fake_slack.calls_to("chat.postMessage")


def test_signature_checked_by_dispatch_too(make_app: Callable[..., App], fake_slack: FakeSlack) -> None:
    app = make_app()
    body = mention()[0]
    resp = app.dispatch(BoltRequest(body=body, headers={"content-type": "application/json",
                                                        **sign(body, SECRET, timestamp=int(time.time()) - 3600)}))
    assert resp.status == 401
    drain(app)
    assert not fake_slack.calls_to("chat.postMessage")


# --- secrets and configuration -------------------------------------------------------------------

def test_tokens_never_appear_in_logs(make_app: Callable[..., App], fake_slack: FakeSlack,
                                     caplog: pytest.LogCaptureFixture,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("slack_bolt", "slack_sdk", "cluster_assistant.bots", "urllib3"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    app = make_app()
    dispatch(app, mention()[0])
    dispatch(app, slash(fake_slack, QUESTION), form=True)
    dispatch(app, mention()[0], {"x-slack-signature": "v0=deadbeef"})  # rejected
    fake_slack.fail_once("chat.postMessage")
    dispatch(app, message(QUESTION)[0])
    fake_slack.wait_for("chat.postMessage", n=2)
    fake_slack.wait_for("response_url")
    drain(app)
    out = capsys.readouterr()
    logged = caplog.text + out.out + out.err
    assert "chat.postMessage" in caplog.text  # DEBUG logging really was on
    for secret in (TOKEN, SECRET, TOKEN.split("-")[-1]):
        assert secret not in logged


def test_missing_configuration_names_the_variable(corpus_assistant: Assistant, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, slack_env: None) -> None:
    cfg = bot_settings(corpus_assistant, tmp_path / "slack")
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    with pytest.raises(SlackConfigError, match="SLACK_SIGNING_SECRET is not set"):
        build_app(cfg, corpus_assistant)
    with pytest.raises(SlackConfigError, match="SLACK_APP_TOKEN is not set"):
        run_socket_mode(cfg, assistant=corpus_assistant)
    monkeypatch.setenv("SLACK_APP_TOKEN", TOKEN)
    with pytest.raises(SlackConfigError, match="xapp-") as e:
        run_socket_mode(cfg, assistant=corpus_assistant)
    assert TOKEN not in str(e.value)
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    with pytest.raises(SlackConfigError, match="SLACK_BOT_TOKEN is not set"):
        build_app(cfg, corpus_assistant)


def test_rejected_token_is_a_clear_error(corpus_assistant: Assistant, tmp_path: Path, fake_slack: FakeSlack,
                                         slack_env: None) -> None:
    fake_slack.fail_once("auth.test", status=200, error="invalid_auth")
    with pytest.raises(SlackConfigError, match="rejected SLACK_BOT_TOKEN") as e:
        build_app(bot_settings(corpus_assistant, tmp_path / "slack"), corpus_assistant)
    assert "invalid_auth" in str(e.value) and TOKEN not in str(e.value)


# --- rendering (pure) ----------------------------------------------------------------------------

def _synthetic(answer_chars: int, n_cites: int) -> Answer:
    words = ("Clusters <grow> & share knowledge with members [1]. " * (answer_chars // 50 + 1))[:answer_chars]
    cites = [Citation(n=i, doc_id=f"doc-{i}", title=f"A rather long document title number {i} " * 3,
                      source=f"doc-{i}.pdf", page=i if i % 2 else None, section=f"Section {i} › Part",
                      quote="A long quote & more <text> " * 30) for i in range(1, n_cites + 1)]
    return Answer(question="q?", answer=words, refused=False, topic="management", citations=cites)


def _check_limits(blocks: list[dict[str, Any]], text: str) -> None:
    assert len(blocks) <= MAX_BLOCKS
    for b in blocks:
        if b["type"] == "section":
            assert 0 < len(b["text"]["text"]) <= SECTION_LIMIT
    assert block_text_length(blocks) < 12_000
    assert 0 < len(text) <= 4_000


def test_very_long_answer_stays_inside_slack_limits() -> None:
    ans = _synthetic(20_000, 60)
    blocks, text = answer_blocks(ans, answer_id="abc123", topics={"management": "Cluster management & strategy"})
    _check_limits(blocks, text)
    dumped = all_text(blocks)
    assert "…and " in dumped and "more sources" in dumped
    assert "&lt;grow&gt; &amp; share" in dumped and "<grow>" not in dumped
    assert "*[1]*" in dumped and "feedback_up" in dumped
    assert sum(1 for b in blocks if b["type"] == "section") >= 3  # the answer is split across sections


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=30_000), st.integers(min_value=0, max_value=80), st.booleans())
def test_rendering_limits_hold_for_any_size(chars: int, cites: int, refused: bool) -> None:
    ans = _synthetic(chars, cites)
    ans.refused = refused
    blocks, text = answer_blocks(ans, answer_id="x", topics={"management": "Management"}, share=True,
                                 show_question=True, shared_by="U0000001")
    _check_limits(blocks, text)


def test_split_text_never_cuts_an_entity() -> None:
    text = "&amp;" * 1000
    pieces = split_text(text, 3000)
    assert "".join(pieces) == text and all(len(p) <= 3000 and p.endswith(";") for p in pieces)


def test_incoming_text_is_cleaned() -> None:
    raw = f"<@{BOT_USER_ID}> what does <https://x.eu/a|the plan> say about R&amp;D in <#C1|general>? <!here>"
    assert slack_to_plain(raw, BOT_USER_ID) == "what does the plan say about R&D in #general?"


# --- follow-up logic (pure) ----------------------------------------------------------------------

def test_previous_question_from_the_thread() -> None:
    me = {"user": BOT_USER_ID, "bot_id": BOT_ID, "text": "answer"}
    thread = [
        {"user": "U1", "text": f"<@{BOT_USER_ID}> What is INOKLASTER?", "ts": "1.000001"},
        {**me, "ts": "1.000002"},
        {"user": "U1", "text": "who funds it?", "ts": "1.000003"},   # elliptical: the base stays
        {**me, "ts": "1.000004"},
        {"user": "U2", "text": "nice", "ts": "1.000005"},            # not answered: not a question
        {"user": "U1", "text": "and since when?", "ts": "1.000006"},  # the current message
    ]
    kw = {"bot_user_id": BOT_USER_ID, "bot_id": BOT_ID}
    assert previous_question(thread, current_ts="1.000006", **kw) == "What is INOKLASTER?"
    assert previous_question(thread[:1] + thread[4:], current_ts="1.000006", **kw) == "What is INOKLASTER?"
    assert previous_question([], current_ts="1.000006", **kw) is None
    # A short ask with a subject of its own is what a later "who approves them?" is about.
    costs = thread[:2] + [{"user": "U1", "text": "Eligible costs?", "ts": "1.000003"}, *thread[3:]]
    assert previous_question(costs, current_ts="1.000006", **kw) == "Eligible costs?"
    # Our answer to a follow-up shows the question as it was read: the next follow-up carries on from it.
    read = {**me, "ts": "1.000004", "blocks": [{"type": "context", "elements": [
        {"type": "mrkdwn", "text": "*Question:* who funds it? (about: INOKLASTER &amp; R&amp;D)"}]}]}
    chain = thread[:3] + [read, *thread[4:]]
    assert previous_question(chain, current_ts="1.000006", **kw) == "who funds it? (about: INOKLASTER & R&D)"


def _shows(question: str, text: str = "answer\nSources: [1] T") -> dict[str, Any]:
    """One of our answers, showing the question as it read it."""
    return {"user": BOT_USER_ID, "bot_id": BOT_ID, "text": text, "blocks": answer_blocks(
        Answer(question=question, answer="x", refused=False), answer_id="a1", show_question=True)[0]}


def test_previous_question_skips_refusals_cut_questions_and_pairs_answers_in_order() -> None:
    """The reviews' cases: a refused reading, a reading the block cut short, two questions before one answer,
    chatter and questions that got no answer."""
    from cluster_assistant.bots.slack.blocks import fallback_text

    kw = {"bot_user_id": BOT_USER_ID, "bot_id": BOT_ID}
    first = [{"user": "U1", "text": "What is INOKLASTER?", "ts": "1.000001"},
             {**_shows("What is INOKLASTER?"), "ts": "1.000002"}]
    # A refused follow-up is no subject (chat skips it too): "who funds it?" goes on from INOKLASTER.
    refused = Answer(question="and the weather in Paris? (about: INOKLASTER)", answer="", refused=True)
    weather = [{"user": "U1", "text": "and the weather in Paris?", "ts": "1.000003"},
               {**_shows(refused.question, fallback_text(refused)), "ts": "1.000004"}]
    assert previous_question(first + weather, current_ts="1.000009", **kw) == "What is INOKLASTER?"
    # A reading shown cut short ("…") lost its "(about: …)" end: the question before stays the subject.
    long_ask = "who funds it and how much money do they give " + "to small member companies " * 12
    cut = [{"user": "U1", "text": long_ask, "ts": "1.000003"},
           {**_shows(long_ask + "(about: INOKLASTER)"), "ts": "1.000004"}]
    assert "…" in str(cut[1]["blocks"])
    assert previous_question(first + cut, current_ts="1.000009", **kw) == "What is INOKLASTER?"
    # Two people ask before the first answer is posted: each answer answers the oldest open question, and the
    # last answer's question is the subject, shown or not.
    both = [{"user": "U1", "text": "who funds it?", "ts": "1.000003"},
            {"user": "U2", "text": "What is InoLink?", "ts": "1.000004"},
            {**_shows("who funds it? (about: INOKLASTER)"), "ts": "1.000005"},
            {"user": BOT_USER_ID, "bot_id": BOT_ID, "text": "answer\nSources: [1] T", "ts": "1.000006"}]
    assert previous_question(first + both, current_ts="1.000009", **kw) == "What is InoLink?"
    both[1]["text"] = "and what about staff costs?"
    both[3] = {**_shows("and what about staff costs? (about: INOKLASTER)"), "ts": "1.000006"}
    assert previous_question(first + both, current_ts="1.000009", **kw) == (
        "and what about staff costs? (about: INOKLASTER)")
    # People chat in a thread, and a question turned away privately (too long) gets no answer: an answer that
    # shows no reading answered the latest message, not the oldest unanswered one.
    chatter = [{"user": "U2", "text": "Team, our export plan is due Friday", "ts": "1.000001"},
               {"user": "U3", "text": "ok, I'll draft it", "ts": "1.000002"},
               {"user": "U2", "text": f"<@{BOT_USER_ID}> What is INOKLASTER?", "ts": "1.000003"},
               {"user": BOT_USER_ID, "bot_id": BOT_ID, "text": "answer\nSources: [1] T", "ts": "1.000004"}]
    assert previous_question(chatter, current_ts="1.000009", **kw) == "What is INOKLASTER?"
    turned_away = [*first, {"user": "U1", "text": "x " * 1500, "ts": "1.000003"},
                   {"user": "U1", "text": "What is InoLink?", "ts": "1.000004"},
                   {"user": BOT_USER_ID, "bot_id": BOT_ID, "text": "answer\nSources: [1] T", "ts": "1.000005"}]
    assert previous_question(turned_away, current_ts="1.000009", **kw) == "What is InoLink?"


def test_follow_up_in_a_direct_message_thread(make_app: Callable[..., App], fake_slack: FakeSlack,
                                              tmp_path: Path) -> None:
    app = make_app()
    dispatch(app, message(QUESTION)[0])
    first = fake_slack.wait_for("chat.postMessage")[0]
    fake_slack.wait_for("reactions.remove")
    answer_ts = first.result_ts
    fake_slack.replies[("D0000001", answer_ts)] = [  # the DM thread starts at the bot's answer
        {"user": BOT_USER_ID, "bot_id": BOT_ID, "text": "answer", "ts": answer_ts},
        {"user": "U0000001", "text": "and who funds it?", "ts": "1800000001.000001", "thread_ts": answer_ts}]
    dispatch(app, message("and who funds it?", thread_ts=answer_ts, ts="1800000001.000001")[0])
    second = fake_slack.wait_for("chat.postMessage", n=2)[1]
    assert second.body["thread_ts"] == answer_ts
    assert store(tmp_path).questions()[-1]["question"].startswith("and who funds it? (about: ")


def test_url_verification_over_http(http_bot: str) -> None:
    body = json.dumps({"token": "x", "challenge": "challenge-123", "type": "url_verification"})
    status, text = post(f"{http_bot}/slack/events", body, {"Content-Type": "application/json", **sign(body, SECRET)})
    assert status == 200 and "challenge-123" in text


def test_manifest_matches_what_the_bot_uses() -> None:
    manifest = yaml.safe_load((Path(__file__).resolve().parent.parent / "bots" / "slack_manifest.yaml").read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "reactions:write", "im:history", "im:read",
            "channels:history", "groups:history"} <= scopes
    assert {"app_mention", "message.im", "message.channels"} <= set(manifest["settings"]["event_subscriptions"]
                                                                       ["bot_events"])
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/ask"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_a_refusal_in_the_thread_hides_nothing_from_the_next_answer() -> None:
    """A refusal lists every competence area; taken as "shown", it hid later sentences that name them."""
    from cluster_assistant.bots.slack.blocks import fallback_text
    from cluster_assistant.bots.slack.threads import shown_in_thread

    refused = Answer(question="What is the capital of Australia?", answer="", refused=True)
    source = Citation(n=1, doc_id="d", title="T", source="d.md", page=None, section="", quote="MITA runs InoLink.")
    cited = Answer(question="Who runs InoLink?", answer="MITA runs InoLink with the LIC. [1]", refused=False,
                   citations=[source])
    messages = [{"user": BOT_USER_ID, "text": fallback_text(refused, ["Cluster management & strategy",
                                                                     "R&D & innovation"])},
                {"user": BOT_USER_ID, "text": fallback_text(cited)}, {"user": "U123", "text": "thanks! [1]"}]
    assert shown_in_thread(messages, BOT_USER_ID, BOT_ID) == {"mita runs inolink with the lic."}
