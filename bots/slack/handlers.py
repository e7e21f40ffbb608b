"""The bot's listeners: events (mentions, DMs, thread follow-ups), `/ask`, buttons and the feedback dialog.

Each listener is an ack function (run inside the request) and a lazy one (run on bolt's thread pool) that
answers with the same `Assistant.answer` the CLI uses and posts exactly once. `dedupe` drops Slack's
retries of an event and replays of a button click before any listener runs.

Triggers
- `app_mention` in a channel: answered in a thread (the message's thread, or a new one under it).
- a direct message (`message`, channel_type "im"): answered in the DM.
- `/ask question`: an ephemeral answer with a "Share to channel" button (one share, by the asker only).
- a later message in a thread the bot answered: a follow-up (rewritten as in `chat`).
Ignored: the bot's own messages, other bots, edits and other subtypes, channel messages that neither
mention the bot nor continue a thread it answered."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cluster_assistant.assistant.conversation import NO_CONTEXT_NOTE, heuristic_standalone, is_follow_up, needs_context
from cluster_assistant.assistant.feedback import FeedbackStore, new_answer_id
from cluster_assistant.assistant.pipeline import clean_question
from cluster_assistant.assistant.schema import Answer, BadQuestion
from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient

from .blocks import ACTION_DOWN, ACTION_SHARE, ACTION_UP, answer_blocks, feedback_modal, mentions, slack_to_plain
from .config import API_ERRORS, api_error
from .state import SlackState
from .threads import ANSWERED_SUBTYPES, previous_question, shown_in_thread

if TYPE_CHECKING:
    from cluster_assistant.assistant.pipeline import Assistant
    from cluster_assistant.assistant.settings import Settings

log = logging.getLogger("cluster_assistant.bots.slack")

WORKING_REACTION = "hourglass_flowing_sand"
THREAD_PAGES = 10  # conversations.replies pages read for a follow-up (100 messages each)
NOT_ENABLED = ("I'm not enabled in this channel. Ask me in a direct message, or ask the app's admin to enable "
               "this channel.")
NOT_ON_RECORD = "Sorry, I no longer have that answer on record."

# Answers are serialized per process: the chain takes ~30 ms and its parts are not all thread-safe.
_ANSWER_LOCK = threading.Lock()


def _is_dm(channel: str | None) -> bool:
    return bool(channel) and str(channel).startswith("D")


def _obj(x: Any) -> dict[str, Any]:
    """A payload field that should be an object, or {} (a signed payload may still hold a surprise)."""
    return x if isinstance(x, dict) else {}


def _ack(ack: Callable[..., Any]) -> None:
    ack()


class SlackBot:
    def __init__(self, settings: Settings, assistant: Assistant, state: SlackState, feedback: FeedbackStore) -> None:
        self.settings = settings
        self.assistant = assistant
        self.state = state
        self.feedback = feedback
        self.topics = {t.id: t.label for t in assistant.classifier.topics}

    def register(self, app: App) -> None:
        app.use(self.dedupe)
        app.event("app_mention")(ack=_ack, lazy=[self.on_mention])
        app.event("message")(ack=_ack, lazy=[self.on_message])
        app.command("/ask")(ack=self.ack_ask, lazy=[self.on_ask])
        app.action(ACTION_UP)(ack=_ack, lazy=[self.on_vote])
        app.action(ACTION_DOWN)(ack=_ack, lazy=[self.on_vote])
        app.action(ACTION_SHARE)(ack=_ack, lazy=[self.on_share])
        app.view("feedback_comment")(ack=_ack, lazy=[self.on_comment])

    # --- middleware ---

    def dedupe(self, body: dict[str, Any], req: BoltRequest, next_: Callable[[], BoltResponse]) -> BoltResponse:
        """Each Events API event and each button click is handled once: a retry (X-Slack-Retry-Num) or
        duplicate delivery of an event_id, or a replayed click (same user, button and action_ts), already
        claimed by this or another worker, is acked and dropped."""
        key = None
        if body.get("type") == "event_callback" and body.get("event_id"):
            key = f"event:{body['event_id']}"
        elif body.get("type") == "block_actions":
            actions = body.get("actions")
            first = _obj(actions[0]) if isinstance(actions, list) and actions else {}
            user = _obj(body.get("user")).get("id")
            if first.get("action_ts"):
                key = f"action:{user}:{first.get('action_id')}:{first['action_ts']}"
        if key and not self.state.claim(key):
            retry = (req.headers.get("x-slack-retry-num") or ["-"])[0]
            reason = (req.headers.get("x-slack-retry-reason") or ["-"])[0]
            log.info("dropping duplicate %s (retry %s, reason %s)", key, retry, reason)
            return BoltResponse(status=200, body="")
        return next_()

    # --- helpers ---

    def allowed(self, channel: str | None) -> bool:
        allow = self.settings.slack_allowed_channels
        return not allow or _is_dm(channel) or channel in allow

    def ask(self, question: str, shown: frozenset[str] = frozenset()) -> Answer:
        with _ANSWER_LOCK:
            return self.assistant.answer(question, shown=shown)

    @staticmethod
    def _ephemeral(client: WebClient, channel: str, user: str | None, text: str, thread_ts: str | None = None) -> None:
        if not user:
            return
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
        except API_ERRORS as e:
            log.warning("chat.postEphemeral failed: %s", api_error(e))

    @staticmethod
    def _react(client: WebClient, add: bool, channel: str, ts: str) -> None:
        try:
            if add:
                client.reactions_add(channel=channel, timestamp=ts, name=WORKING_REACTION)
            else:
                client.reactions_remove(channel=channel, timestamp=ts, name=WORKING_REACTION)
        except API_ERRORS as e:  # missing scope, already reacted, message gone: not worth failing for
            log.debug("reaction %s failed: %s", "add" if add else "remove", api_error(e))

    @staticmethod
    def _from_bot(event: dict[str, Any], context: BoltContext) -> bool:
        return bool(event.get("bot_id") or event.get("subtype") == "bot_message"
                    or (context.bot_user_id and event.get("user") == context.bot_user_id))

    def _rate_limited_text(self) -> str:
        n = self.settings.slack_user_rate_per_min
        return (f"You have asked {n} question{'s' if n != 1 else ''} in the last minute, which is my limit. "
                "Please wait a moment and ask again.")

    @staticmethod
    def _thread(client: WebClient, channel: str, thread_ts: str) -> tuple[list[dict[str, Any]], bool]:
        """A thread's messages, page by page: a page holds the oldest 100, and a follow-up continues from the
        latest answers (up to THREAD_PAGES pages; each message once, by its ts); and whether that was all."""
        by_ts: dict[str, dict[str, Any]] = {}
        cursor: str | None = None
        for _ in range(THREAD_PAGES):
            resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=100, cursor=cursor)
            for m in resp.get("messages") or []:
                if isinstance(m, dict):
                    by_ts.setdefault(str(m.get("ts")), m)
            cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return list(by_ts.values()), cursor is None

    def _context_question(self, client: WebClient, context: BoltContext, channel: str, thread_ts: str,
                          ts: str) -> tuple[str | None, frozenset[str]]:
        """The question a follow-up continues, and the sentences the bot already showed in the thread
        (a follow-up brings what is new, as in `cluster-assistant chat`)."""
        try:
            messages, whole = self._thread(client, channel, thread_ts)
        except API_ERRORS as e:
            log.warning("conversations.replies failed: %s", api_error(e))
            messages, whole = [], False
        saved = self.state.thread_question(channel, thread_ts)
        prev = previous_question(messages, current_ts=ts, bot_user_id=context.bot_user_id, bot_id=context.bot_id)
        # A thread read only in part (over THREAD_PAGES pages) ends long before now: what the bot saved is newer.
        question = (prev or saved) if whole else (saved or prev)
        return question, shown_in_thread(messages, context.bot_user_id, context.bot_id)

    # --- events ---

    def on_mention(self, event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if self._from_bot(event, context):
            return
        channel, ts, user = event.get("channel"), event.get("ts"), event.get("user")
        if not channel or not ts:
            return
        thread = event.get("thread_ts")
        if not self.state.claim(f"msg:{channel}:{ts}"):
            return  # the same message also came as a `message` event
        if not self.allowed(channel):
            self._ephemeral(client, channel, user, NOT_ENABLED, thread)
            return
        in_thread = thread is not None and thread != ts
        self.answer_message(client, context, channel=channel, user=user, ts=ts, reply_ts=thread or ts,
                            text=str(event.get("text") or ""), followup_of=thread if in_thread else None)

    def on_message(self, event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("subtype") not in ANSWERED_SUBTYPES or self._from_bot(event, context):
            return
        channel, ts, user = event.get("channel"), event.get("ts"), event.get("user")
        if not channel or not ts:
            return
        thread: str | None = event.get("thread_ts")
        in_thread = thread is not None and thread != ts
        text = str(event.get("text") or "")
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
        limit = self.settings.max_question_chars
        question = base = asked = slack_to_plain(text, context.bot_user_id)
        shown: frozenset[str] = frozenset()
        prev: str | None = None
        if followup_of and question:
            try:  # the asker's own words are held to the limit, as in a mention, before any rewrite
                clean_question(question, limit)
            except BadQuestion as e:
                self._ephemeral(client, channel, user, f"Sorry, I can't answer that: {e}", reply_ts)
                return
            prev, shown = self._context_question(client, context, channel, followup_of, ts)
            if prev and is_follow_up(question):  # the same rewrite as `cluster-assistant chat` offline
                rewritten = heuristic_standalone(question, prev, self.assistant.knows)
                question = rewritten if len(rewritten) <= limit else question
                base = prev
        self._react(client, True, channel, ts)
        try:
            try:
                ans = self.ask(question, shown)
            except BadQuestion as e:
                self._ephemeral(client, channel, user, f"Sorry, I can't answer that: {e}", reply_ts)
                return
            except Exception:
                log.exception("answering failed")
                self._ephemeral(client, channel, user, "Sorry, something went wrong while answering. "
                                "Please try again later.", reply_ts)
                return
            if ans.refused and prev is None and needs_context(asked):  # "why?" with no answer before it to follow
                ans.notice = NO_CONTEXT_NOTE
            answer_id = self.feedback.record_answer(ans, answer_id=new_answer_id(), user=user, channel=channel,
                                                    source="slack")
            blocks, fallback = answer_blocks(ans, answer_id=answer_id, topics=self.topics,
                                             show_question=question != asked)
            # What the thread's next follow-up carries on from if its history cannot be read: the question as
            # read, as `previous_question` finds it shown; a refused one is no subject (the one before stays).
            if question != asked and not ans.refused:
                base = question
            if reply_ts:  # known before posting: a quick follow-up already finds the thread
                self.state.remember_thread(channel, reply_ts, base)
            try:
                resp = client.chat_postMessage(channel=channel, thread_ts=reply_ts, text=fallback, blocks=blocks,
                                               unfurl_links=False, unfurl_media=False)
            except API_ERRORS as e:
                log.error("chat.postMessage failed: %s", api_error(e))
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
        text = str(command.get("text") or "").strip()
        if not text:
            return "Ask a question after the command, e.g. `/ask How can a cluster attract members?`"
        try:
            clean_question(slack_to_plain(text), self.settings.max_question_chars)
        except BadQuestion as e:
            return f"Sorry, I can't answer that: {e}"
        if not self.allowed(command.get("channel_id")):
            return NOT_ENABLED
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
            ans = self.ask(slack_to_plain(str(command.get("text") or "")))
        except BadQuestion as e:
            respond(text=f"Sorry, I can't answer that: {e}", response_type="ephemeral", replace_original=True)
            return
        except Exception:
            log.exception("answering failed")
            respond(text="Sorry, something went wrong while answering. Please try again later.",
                    response_type="ephemeral", replace_original=True)
            return
        answer_id = self.feedback.record_answer(ans, user=user, channel=channel, source="slack-command")
        blocks, text = answer_blocks(ans, answer_id=answer_id, topics=self.topics, share=not ans.refused)
        r = respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)
        if getattr(r, "status_code", 200) >= 300:
            log.warning("response_url answered %s", r.status_code)

    # --- buttons and the comment dialog ---

    @staticmethod
    def _note(respond: Callable[..., Any], text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    def on_vote(self, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                respond: Callable[..., Any]) -> None:
        answer_id, user = str(action.get("value", "")), str(_obj(body.get("user")).get("id") or "")
        vote = 1 if action.get("action_id") == ACTION_UP else -1
        if not user or not self.feedback.vote(answer_id, user, vote):
            self._note(respond, NOT_ON_RECORD)
            return
        if vote < 0 and body.get("trigger_id"):
            try:
                client.views_open(trigger_id=body["trigger_id"], view=feedback_modal(answer_id))
                return
            except API_ERRORS as e:
                log.warning("views.open failed: %s", api_error(e))
        later = " A maintainer will look at this answer." if vote < 0 else ""
        self._note(respond, "Thanks for the feedback!" + later)

    def on_comment(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        answer_id, user = str(view.get("private_metadata") or ""), _obj(body.get("user")).get("id")
        value = _obj(_obj(_obj(_obj(view.get("state")).get("values")).get("comment")).get("text"))
        text = str(value.get("value") or "").strip()
        if text and user:
            self.feedback.comment(answer_id, str(user), text)

    def on_share(self, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                 respond: Callable[..., Any]) -> None:
        """Post an ephemeral /ask answer to the channel: once per answer, and only by the person who asked."""
        answer_id, user = str(action.get("value", "")), _obj(body.get("user")).get("id")
        channel = _obj(body.get("channel")).get("id") or _obj(body.get("container")).get("channel_id")
        ans, origin = self.feedback.get_answer(answer_id), self.feedback.asked_by(answer_id)
        if ans is None or origin is None or not channel:
            self._note(respond, NOT_ON_RECORD)
            return
        if not user or origin[0] != user:
            log.info("share of answer %s by %s refused: not the asker", answer_id, user)
            self._note(respond, "Only the person who asked can share this answer.")
            return
        if not self.allowed(channel):
            self._note(respond, "I'm not enabled in this channel.")
            return
        if not self.state.start_share(answer_id, user, channel):
            self._note(respond, "This answer has already been shared.")
            return
        blocks, text = answer_blocks(ans, answer_id=answer_id, topics=self.topics, show_question=True,
                                     shared_by=user)
        try:
            resp = client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False,
                                           unfurl_media=False)
        except Exception as e:
            self.state.cancel_share(answer_id)  # whatever failed, the asker may share again
            if not isinstance(e, API_ERRORS):
                raise
            error = api_error(e)
            hint = " Invite me first: `/invite @cluster-assistant`." if error == "not_in_channel" else ""
            self._note(respond, f"Sorry, I couldn't post in this channel ({error}).{hint}")
            return
        posted = resp.get("ts")
        self.state.finish_share(answer_id, posted)
        self.feedback.set_message(answer_id, channel, posted)
        if posted:
            self.state.remember_thread(channel, posted, ans.question)
        respond(delete_original=True)
