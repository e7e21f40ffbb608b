"""The Slack door: a sync slack-bolt `App` with lazy listeners, in Socket Mode or over HTTP.

Every listener acknowledges at once and does the work in a *lazy* function on bolt's thread pool.
The app runs with `process_before_response=True`: the (trivial) ack function runs inside the request,
its response is what Slack receives (e.g. the "Looking that up…" text of `/ask`), and only then the lazy
function starts on a worker thread. Acks therefore never wait for an answer, and no ack depends on a
thread hop (bolt's default mode runs the ack function on a thread and polls for it).

Triggers
- `app_mention` in a channel: answered in a thread (the message's thread, or a new one under it).
- a direct message (`message`, channel_type "im"): answered in the DM.
- `/ask question`: an ephemeral answer with a "Share to channel" button.
- a later message in a thread the bot answered: a follow-up (see `previous_question`; rewritten as in `chat`).
Ignored: the bot's own messages, other bots, edits and other subtypes, channel messages that neither
mention the bot nor continue a thread it answered.

State in `settings.data_dir` (SQLite, shared by workers, survives restarts): `slack_state.sqlite3`
(seen event ids, answered threads, per-user rate window) and `feedback.sqlite3` (`FeedbackStore`).

Tokens come from the environment when the app is built, never at import and never into logs:
SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (HTTP mode), SLACK_APP_TOKEN (Socket Mode), SLACK_API_URL
(optional Web API base URL, e.g. a local fake in tests).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.error import URLError
from urllib.parse import urlsplit

from cluster_assistant.assistant.conversation import heuristic_standalone, is_follow_up
from cluster_assistant.assistant.feedback import FeedbackStore, new_answer_id
from cluster_assistant.assistant.schema import Answer, BadQuestion
from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from .slack_blocks import (
    ACTION_DOWN,
    ACTION_SHARE,
    ACTION_UP,
    feedback_modal,
    mentions,
    render_answer,
    slack_to_plain,
)

if TYPE_CHECKING:
    from cluster_assistant.assistant.chain import Assistant
    from cluster_assistant.assistant.settings import Settings

log = logging.getLogger("cluster_assistant.bots.slack")

MAX_BODY_BYTES = 1_000_000      # larger HTTP requests get 413 (Slack's own payloads are far smaller)
STATE_FILE = "slack_state.sqlite3"
WORKING_REACTION = "hourglass_flowing_sand"
RATE_WINDOW_S = 60.0
SEEN_TTL_S = 2 * 24 * 3600      # Slack retries an event for at most a few minutes
THREAD_TTL_S = 90 * 24 * 3600
ANSWERED_SUBTYPES = (None, "thread_broadcast", "file_share")

# Answers are serialized per process: the chain takes ~30 ms and its parts are not all thread-safe.
_ANSWER_LOCK = threading.Lock()


class SlackConfigError(RuntimeError):
    """Missing or rejected Slack configuration; the message says which variable, never its value."""


def _require_env(name: str, what: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SlackConfigError(f"{name} is not set: it must hold {what} (see docs/slack.md)")
    return value


def api_base_url() -> str:
    url = os.environ.get("SLACK_API_URL", "").strip() or WebClient.BASE_URL
    return url if url.endswith("/") else url + "/"


def make_web_client(token: str) -> WebClient:
    """A Web API client on SLACK_API_URL that waits out `ratelimited` (429 + Retry-After), twice at most."""
    return WebClient(token=token, base_url=api_base_url(), timeout=30,
                     retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1),
                                     RateLimitErrorRetryHandler(max_retry_count=2)])


# --- persistent state ----------------------------------------------------------------------------

class SlackState:
    """Seen events, answered threads and the per-user rate window, in SQLite (WAL) so several workers
    and restarts agree."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._calls = 0
        db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
        finally:
            db.close()
        with self._tx() as db:
            db.execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, time REAL NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS threads (channel TEXT NOT NULL, thread_ts TEXT NOT NULL, "
                       "question TEXT NOT NULL, time REAL NOT NULL, PRIMARY KEY (channel, thread_ts))")
            db.execute("CREATE TABLE IF NOT EXISTS rate (user TEXT NOT NULL, time REAL NOT NULL)")
            db.execute("CREATE INDEX IF NOT EXISTS rate_user_time ON rate (user, time)")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def claim(self, key: str) -> bool:
        """True the first time `key` is claimed (by any worker), False afterwards."""
        now = time.time()
        with self._tx() as db:
            self._calls += 1
            if self._calls % 200 == 1:
                db.execute("DELETE FROM seen WHERE time < ?", (now - SEEN_TTL_S,))
                db.execute("DELETE FROM threads WHERE time < ?", (now - THREAD_TTL_S,))
            return db.execute("INSERT OR IGNORE INTO seen (key, time) VALUES (?, ?)", (key, now)).rowcount == 1

    def remember_thread(self, channel: str, thread_ts: str, question: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO threads (channel, thread_ts, question, time) VALUES (?, ?, ?, ?)",
                       (channel, thread_ts, question, time.time()))

    def thread_question(self, channel: str, thread_ts: str) -> str | None:
        """The last base question answered in the thread, or None if the bot never answered there."""
        with self._tx() as db:
            row = db.execute("SELECT question FROM threads WHERE channel = ? AND thread_ts = ?",
                             (channel, thread_ts)).fetchone()
        return None if row is None else str(row[0])

    def allow(self, user: str, per_minute: int) -> bool:
        """Count a question by `user`; False (and not counted) if they reached `per_minute` already."""
        now = time.time()
        with self._tx() as db:
            db.execute("DELETE FROM rate WHERE time < ?", (now - RATE_WINDOW_S,))
            n = db.execute("SELECT COUNT(*) FROM rate WHERE user = ? AND time >= ?",
                           (user, now - RATE_WINDOW_S)).fetchone()[0]
            if n >= per_minute:
                return False
            db.execute("INSERT INTO rate (user, time) VALUES (?, ?)", (user, now))
        return True


# --- follow-ups ----------------------------------------------------------------------------------

def _ts(m: dict[str, Any]) -> float:
    try:
        return float(m.get("ts") or 0)
    except ValueError:
        return 0.0


def previous_question(messages: Sequence[dict[str, Any]], *, current_ts: str, bot_user_id: str | None,
                      bot_id: str | None) -> str | None:
    """The question a follow-up continues, from a `conversations.replies` thread.

    Walks the thread up to the current message. A person's message that our bot replied to was a
    question: it becomes the base question unless it was itself elliptical (then the base stays).
    If the bot never replied in the thread (a mention inside someone else's thread), the thread's
    first message is the context. None when nothing fits."""
    base: str | None = None
    pending: str | None = None
    parent: str | None = None
    current = float(current_ts)
    for m in sorted(messages, key=_ts):
        if _ts(m) >= current:
            break
        ours = (bot_user_id is not None and m.get("user") == bot_user_id) or (
            bot_id is not None and m.get("bot_id") == bot_id)
        if ours:
            if pending is not None and (base is None or not is_follow_up(pending)):
                base = pending
            pending = None
        elif not m.get("bot_id") and m.get("subtype") in ANSWERED_SUBTYPES:
            text = slack_to_plain(m.get("text", ""), bot_user_id)
            if text:
                pending = text
                if parent is None:
                    parent = text
    return base or parent


# --- the bot -------------------------------------------------------------------------------------

def _err(e: Exception) -> str:
    """What went wrong in a Web API call, for logs (Slack's error code; never the request)."""
    if isinstance(e, SlackApiError):
        return str(e.response.get("error"))
    return type(e).__name__


# A Web API call can fail with Slack's error or with a network error (URLError is an OSError).
API_ERRORS = (SlackApiError, OSError)


def _is_dm(channel: str | None) -> bool:
    return bool(channel) and str(channel).startswith("D")


class SlackBot:
    def __init__(self, settings: Settings, assistant: Assistant, state: SlackState, feedback: FeedbackStore) -> None:
        self.settings = settings
        self.assistant = assistant
        self.state = state
        self.feedback = feedback
        self.topics = {t.id: t.label for t in assistant.classifier.topics}

    def register(self, app: App) -> None:
        app.use(self.dedupe_events)
        app.event("app_mention")(ack=_ack, lazy=[self.on_mention])
        app.event("message")(ack=_ack, lazy=[self.on_message])
        app.command("/ask")(ack=self.ack_ask, lazy=[self.on_ask])
        app.action(ACTION_UP)(ack=_ack, lazy=[self.on_vote])
        app.action(ACTION_DOWN)(ack=_ack, lazy=[self.on_vote])
        app.action(ACTION_SHARE)(ack=_ack, lazy=[self.on_share])
        app.view("feedback_comment")(ack=_ack, lazy=[self.on_comment])

    # --- middleware ---

    def dedupe_events(self, body: dict[str, Any], req: BoltRequest,
                      next_: Callable[[], BoltResponse]) -> BoltResponse:
        """Each Events API event is handled once: a retry (X-Slack-Retry-Num) or duplicate delivery of an
        event_id already claimed, by this or another worker, is acked and dropped."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not self.state.claim(f"event:{event_id}"):
            retry = (req.headers.get("x-slack-retry-num") or ["-"])[0]
            reason = (req.headers.get("x-slack-retry-reason") or ["-"])[0]
            log.info("dropping duplicate event %s (retry %s, reason %s)", event_id, retry, reason)
            return BoltResponse(status=200, body="")
        return next_()

    # --- helpers ---

    def allowed(self, channel: str | None) -> bool:
        allow = self.settings.slack_allowed_channels
        return not allow or _is_dm(channel) or channel in allow

    def ask(self, question: str) -> Answer:
        with _ANSWER_LOCK:
            return self.assistant.answer(question)

    @staticmethod
    def _ephemeral(client: WebClient, channel: str, user: str | None, text: str, thread_ts: str | None = None) -> None:
        if not user:
            return
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
        except API_ERRORS as e:
            log.warning("chat.postEphemeral failed: %s", _err(e))

    @staticmethod
    def _react(client: WebClient, add: bool, channel: str, ts: str) -> None:
        try:
            if add:
                client.reactions_add(channel=channel, timestamp=ts, name=WORKING_REACTION)
            else:
                client.reactions_remove(channel=channel, timestamp=ts, name=WORKING_REACTION)
        except API_ERRORS as e:  # missing scope, already reacted, message gone: not worth failing for
            log.debug("reaction %s failed: %s", "add" if add else "remove", _err(e))

    @staticmethod
    def _from_bot(event: dict[str, Any], context: BoltContext) -> bool:
        return bool(event.get("bot_id") or event.get("subtype") == "bot_message"
                    or (context.bot_user_id and event.get("user") == context.bot_user_id))

    def _rate_limited_text(self) -> str:
        n = self.settings.slack_user_rate_per_min
        return (f"You have asked {n} question{'s' if n != 1 else ''} in the last minute, which is my limit. "
                "Please wait a moment and ask again.")

    def _context_question(self, client: WebClient, context: BoltContext, channel: str, thread_ts: str,
                          ts: str) -> str | None:
        try:
            resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=100)
            messages = list(resp.get("messages") or [])
        except API_ERRORS as e:
            log.warning("conversations.replies failed: %s", _err(e))
            messages = []
        prev = previous_question(messages, current_ts=ts, bot_user_id=context.bot_user_id, bot_id=context.bot_id)
        return prev or self.state.thread_question(channel, thread_ts)

    # --- events ---

    def on_mention(self, event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if self._from_bot(event, context):
            return
        channel, ts, user = event["channel"], event["ts"], event.get("user")
        thread = event.get("thread_ts")
        if not self.state.claim(f"msg:{channel}:{ts}"):
            return  # the same message also came as a `message` event
        if not self.allowed(channel):
            self._ephemeral(client, channel, user, "I'm not enabled in this channel. Ask me in a direct message, "
                            "or ask the app's admin to enable this channel.", thread)
            return
        in_thread = thread is not None and thread != ts
        self.answer_message(client, context, channel=channel, user=user, ts=ts, reply_ts=thread or ts,
                            text=event.get("text", ""), followup_of=thread if in_thread else None)

    def on_message(self, event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("subtype") not in ANSWERED_SUBTYPES or self._from_bot(event, context):
            return
        channel, ts, user = event.get("channel"), event.get("ts"), event.get("user")
        if not channel or not ts:
            return
        thread: str | None = event.get("thread_ts")
        in_thread = thread is not None and thread != ts
        text = event.get("text", "")
        answered = thread is not None and in_thread and self.state.thread_question(channel, thread) is not None
        if event.get("channel_type") == "im":
            followup = thread if answered else None
            reply_ts = thread if in_thread else None
        elif answered and not mentions(text, context.bot_user_id) and self.allowed(channel):
            followup, reply_ts = thread, thread
        else:
            return  # channel chatter; mentions arrive as app_mention
        if not self.state.claim(f"msg:{channel}:{ts}"):
            return
        self.answer_message(client, context, channel=channel, user=user, ts=ts, reply_ts=reply_ts, text=text,
                            followup_of=followup)

    def answer_message(self, client: WebClient, context: BoltContext, *, channel: str, user: str | None, ts: str,
                       reply_ts: str | None, text: str, followup_of: str | None) -> None:
        """Answer one message with exactly one chat.postMessage (or a polite ephemeral note)."""
        if user and not self.state.allow(user, self.settings.slack_user_rate_per_min):
            self._ephemeral(client, channel, user, self._rate_limited_text(), reply_ts)
            return
        question = base = slack_to_plain(text, context.bot_user_id)
        if followup_of and question:
            prev = self._context_question(client, context, channel, followup_of, ts)
            if prev and is_follow_up(question):  # the same rewrite as `cluster-assistant chat` offline
                question = heuristic_standalone(question, prev)[: self.settings.max_question_chars]
                base = prev
        self._react(client, True, channel, ts)
        try:
            try:
                ans = self.ask(question)
            except BadQuestion as e:
                self._ephemeral(client, channel, user, f"Sorry, I can't answer that: {e}", reply_ts)
                return
            except Exception:
                log.exception("answering failed")
                self._ephemeral(client, channel, user, "Sorry, something went wrong while answering. "
                                "Please try again later.", reply_ts)
                return
            answer_id = self.feedback.record_answer(ans, answer_id=new_answer_id(), user=user, channel=channel,
                                                    source="slack")
            blocks, fallback = render_answer(ans, answer_id=answer_id, topics=self.topics,
                                             show_question=question != slack_to_plain(text, context.bot_user_id))
            if reply_ts:  # known before posting: a quick follow-up already finds the thread
                self.state.remember_thread(channel, reply_ts, base)
            try:
                resp = client.chat_postMessage(channel=channel, thread_ts=reply_ts, text=fallback, blocks=blocks,
                                               unfurl_links=False, unfurl_media=False)
            except API_ERRORS as e:
                log.error("chat.postMessage failed: %s", _err(e))
                return
            posted = resp.get("ts")
            self.feedback.set_message(answer_id, channel, posted)
            if not reply_ts and posted:  # a top-level DM answer: replies in its thread are follow-ups
                self.state.remember_thread(channel, posted, base)
            log.debug("answered in %s (%.0f ms, refused=%s)", channel, ans.timings_ms.get("total", 0), ans.refused)
        finally:
            self._react(client, False, channel, ts)

    # --- /ask ---

    def _ask_problem(self, command: dict[str, Any]) -> str | None:
        text = (command.get("text") or "").strip()
        limit = self.settings.max_question_chars
        if not text:
            return "Ask a question after the command, e.g. `/ask How can a cluster attract members?`"
        if len(text) > limit:
            return f"Your question is {len(text)} characters long; the limit is {limit}. Please ask a shorter one."
        if not self.allowed(command.get("channel_id")):
            return ("I'm not enabled in this channel. Ask me in a direct message, or ask the app's admin "
                    "to enable this channel.")
        return None

    def ack_ask(self, ack: Callable[..., Any], command: dict[str, Any]) -> None:
        problem = self._ask_problem(command)
        ack(response_type="ephemeral", text=problem or ":hourglass_flowing_sand: Looking that up…")

    def on_ask(self, command: dict[str, Any], respond: Callable[..., Any]) -> None:
        if self._ask_problem(command):
            return  # the ack already said why
        user, channel = command.get("user_id"), command.get("channel_id")
        if user and not self.state.allow(user, self.settings.slack_user_rate_per_min):
            respond(text=self._rate_limited_text(), response_type="ephemeral", replace_original=True)
            return
        try:
            ans = self.ask(slack_to_plain(command.get("text", "")))
        except BadQuestion as e:
            respond(text=f"Sorry, I can't answer that: {e}", response_type="ephemeral", replace_original=True)
            return
        except Exception:
            log.exception("answering failed")
            respond(text="Sorry, something went wrong while answering. Please try again later.",
                    response_type="ephemeral", replace_original=True)
            return
        answer_id = self.feedback.record_answer(ans, user=user, channel=channel, source="slack-command")
        blocks, text = render_answer(ans, answer_id=answer_id, topics=self.topics, share=not ans.refused)
        r = respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)
        if getattr(r, "status_code", 200) >= 300:
            log.warning("response_url answered %s", r.status_code)

    # --- buttons and the comment dialog ---

    def on_vote(self, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                respond: Callable[..., Any]) -> None:
        answer_id, user = str(action.get("value", "")), body.get("user", {}).get("id", "")
        vote = 1 if action.get("action_id") == ACTION_UP else -1
        if not user or not self.feedback.vote(answer_id, user, vote):
            respond(text="Sorry, I no longer have that answer on record.", response_type="ephemeral",
                    replace_original=False)
            return
        if vote < 0 and body.get("trigger_id"):
            try:
                client.views_open(trigger_id=body["trigger_id"], view=feedback_modal(answer_id))
                return
            except API_ERRORS as e:
                log.warning("views.open failed: %s", _err(e))
        respond(text="Thanks for the feedback!" + (" A maintainer will look at this answer." if vote < 0 else ""),
                response_type="ephemeral", replace_original=False)

    def on_comment(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        answer_id, user = view.get("private_metadata", ""), body.get("user", {}).get("id", "")
        value = (((view.get("state") or {}).get("values") or {}).get("comment") or {}).get("text") or {}
        text = (value.get("value") or "").strip()
        if text and user:
            self.feedback.comment(answer_id, user, text)

    def on_share(self, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                 respond: Callable[..., Any]) -> None:
        answer_id, user = str(action.get("value", "")), body.get("user", {}).get("id")
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        ans = self.feedback.get_answer(answer_id)
        if ans is None or not channel:
            respond(text="Sorry, I no longer have that answer on record.", response_type="ephemeral",
                    replace_original=False)
            return
        if not self.allowed(channel):
            respond(text="I'm not enabled in this channel.", response_type="ephemeral", replace_original=False)
            return
        blocks, text = render_answer(ans, answer_id=answer_id, topics=self.topics, show_question=True,
                                     shared_by=user)
        try:
            resp = client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False,
                                           unfurl_media=False)
        except API_ERRORS as e:
            error = _err(e)
            hint = " Invite me first: `/invite @cluster-assistant`." if error == "not_in_channel" else ""
            respond(text=f"Sorry, I couldn't post in this channel ({error}).{hint}",
                    response_type="ephemeral", replace_original=False)
            return
        posted = resp.get("ts")
        self.feedback.set_message(answer_id, channel, posted)
        if posted:
            self.state.remember_thread(channel, posted, ans.question)
        respond(delete_original=True)


def _ack(ack: Callable[..., Any]) -> None:
    ack()


class _DropClientTokenWarning(logging.Filter):
    """bolt warns that the env token is unused when a client is given; we pass the client on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("As you gave `client` as well")


_BOLT_APP_LOG_FILTER = _DropClientTokenWarning()


# --- building and running ------------------------------------------------------------------------

def build_app(settings: Settings, assistant: Assistant | None = None, client: WebClient | None = None, *,
              socket_mode: bool = False) -> App:
    """The bolt App with every listener registered. Reads SLACK_BOT_TOKEN (unless `client` is given),
    SLACK_SIGNING_SECRET (required unless `socket_mode`) and SLACK_API_URL; checks the token with
    auth.test. Raises SlackConfigError with a one-line message on missing or rejected configuration."""
    if client is None:
        client = make_web_client(_require_env("SLACK_BOT_TOKEN", "the bot token (xoxb-…) from OAuth & Permissions"))
    secret = os.environ.get("SLACK_SIGNING_SECRET", "").strip()
    if not secret:
        if not socket_mode:
            raise SlackConfigError("SLACK_SIGNING_SECRET is not set: HTTP mode needs the signing secret from "
                                   "Basic Information → App Credentials (see docs/slack.md)")
        secret = secrets.token_hex(32)  # unused in Socket Mode; random so that no HTTP request could verify
    if assistant is None:
        from cluster_assistant.assistant.chain import Assistant

        assistant = Assistant(settings)
    if assistant.store.count() == 0:
        raise SlackConfigError("the index is empty: run `cluster-assistant ingest` first")
    # Warm up: load the embedding model, topic vectors and keyword index now, not on the first question.
    assistant.embedder.embed_query("warm-up")
    _ = assistant.keywords
    bot = SlackBot(settings, assistant, SlackState(Path(settings.data_dir) / STATE_FILE),
                   FeedbackStore.in_dir(settings.data_dir))
    bolt_log = logging.getLogger("slack_bolt.App")
    if _BOLT_APP_LOG_FILTER not in bolt_log.filters:
        bolt_log.addFilter(_BOLT_APP_LOG_FILTER)
    try:
        app = App(client=client, signing_secret=secret, name="cluster-assistant",
                  process_before_response=True, request_verification_enabled=True,
                  listener_executor=ThreadPoolExecutor(max_workers=8, thread_name_prefix="slack-lazy"))
    except BoltError as e:
        raise SlackConfigError(f"Slack rejected SLACK_BOT_TOKEN ({_auth_error(e)})") from None
    except (URLError, OSError) as e:
        raise SlackConfigError(f"cannot reach the Slack Web API at {_safe_url(client.base_url)}: {e}") from None
    bot.register(app)
    return app


def _auth_error(e: BoltError) -> str:
    m = re.search(r"'error': '([a-z_]+)'", str(e))
    return m.group(1) if m else "auth.test failed"


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}{parts.path}"


class _SlackHTTPHandler(BaseHTTPRequestHandler):
    server: _SlackHTTPServer
    timeout = 15  # seconds per socket operation: a slow client cannot hold a thread forever

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if urlsplit(self.path).path in ("/health", "/healthz"):
            self._send(200, b"ok", {"Content-Type": ["text/plain"]})
        else:
            self._send(404, b"not found", {"Content-Type": ["text/plain"]})

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if not url.path.startswith("/slack/"):
            self._send(404, b"not found", {"Content-Type": ["text/plain"]})
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._send(411, b"length required", {"Content-Type": ["text/plain"]})
            return
        if length < 0 or length > MAX_BODY_BYTES:
            if 0 < length <= 8 * MAX_BODY_BYTES:  # drain, so the client reads the 413 instead of a reset
                left = length
                while left > 0:
                    chunk = self.rfile.read(min(left, 65536))
                    if not chunk:
                        break
                    left -= len(chunk)
            self.close_connection = True
            self._send(413, b"payload too large", {"Content-Type": ["text/plain"]})
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        headers: dict[str, str | Sequence[str]] = {k.lower(): v for k, v in self.headers.items()}
        resp = self.server.app.dispatch(BoltRequest(body=body, query=url.query, headers=headers))
        self._send(resp.status, resp.body.encode("utf-8"), resp.headers)

    def _send(self, status: int, payload: bytes, headers: dict[str, Sequence[str]]) -> None:
        self.send_response(status)
        for name, values in headers.items():
            if name.lower() == "content-length":
                continue
            for v in values:
                self.send_header(name, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s %s", self.address_string(), format % args)


class _SlackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops SYNs under a burst of events; the client then
    # retries after 1 s, which breaks Slack's 3-second budget.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-response is not worth a traceback on the console.
        log.warning("HTTP request from %s failed: %s", client_address[0], sys.exc_info()[1])

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        super().__init__(address, _SlackHTTPHandler)


def make_http_server(app: App, port: int = 3000, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A threaded HTTP server for the app on every path under /slack/ (events, commands, interactivity);
    bodies over 1 MB get 413. Call `serve_forever()`; `shutdown()` from another thread stops it."""
    return _SlackHTTPServer((host, port), app)


def run_http(settings: Settings, port: int = 3000, host: str = "127.0.0.1", *, assistant: Assistant | None = None,
             on_ready: Callable[[ThreadingHTTPServer], None] | None = None) -> None:
    """Serve the Events API, /ask and interactivity over HTTP until interrupted (or `server.shutdown()`).
    Slack's request URL is https://<public host>/slack/events (a TLS proxy in front of this port)."""
    app = build_app(settings, assistant)
    server = make_http_server(app, port, host)
    bound_host, bound_port = server.server_address[:2]
    print(f"Slack HTTP endpoint: http://{bound_host!s}:{bound_port}/slack/events (Ctrl-C stops)", file=sys.stderr)
    if on_ready is not None:
        on_ready(server)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        _shutdown(app)


def run_socket_mode(settings: Settings, *, assistant: Assistant | None = None) -> None:
    """Connect to Slack over Socket Mode (no public URL needed) and serve until interrupted."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app_token = _require_env("SLACK_APP_TOKEN", "an app-level token (xapp-…) with the connections:write scope")
    if not app_token.startswith("xapp-"):
        raise SlackConfigError("SLACK_APP_TOKEN does not look like an app-level token (it should start with xapp-)")
    app = build_app(settings, assistant, socket_mode=True)
    print("Slack Socket Mode: connecting (Ctrl-C stops)", file=sys.stderr)
    try:
        SocketModeHandler(app, app_token).start()
    finally:
        _shutdown(app)


def _shutdown(app: App, wait: bool = True) -> None:
    """Let running lazy listeners finish (answers in flight get posted)."""
    executor = getattr(app.listener_runner, "listener_executor", None)
    if executor is not None:
        executor.shutdown(wait=wait)
