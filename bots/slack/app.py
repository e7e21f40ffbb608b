"""Building the bolt `App`: configuration checked, the assistant warmed up, every listener registered.

A sync `App` with lazy listeners and `process_before_response=True`: the (trivial) ack function runs inside
the request and its response is what Slack receives (e.g. the "Looking that up…" text of `/ask`); only
then does the lazy function start on a worker thread. Acks never wait for an answer, and none depends on a
thread hop (bolt's default mode runs the ack function on a thread and polls for it)."""

from __future__ import annotations

import logging
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING
from urllib.error import URLError

from cluster_assistant.assistant.feedback import FeedbackStore
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.assistant.text import safe_url
from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient

from .config import SlackConfigError, auth_error, make_web_client, require_env
from .handlers import SlackBot
from .state import SlackState

if TYPE_CHECKING:
    from cluster_assistant.assistant.settings import Settings

LAZY_WORKERS = 8


class _DropClientTokenWarning(logging.Filter):
    """bolt warns that the env token is unused when a client is given; we pass the client on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("As you gave `client` as well")


_BOLT_APP_LOG_FILTER = _DropClientTokenWarning()


def signing_secret(*, socket_mode: bool) -> str:
    """SLACK_SIGNING_SECRET (HTTP mode needs it); in Socket Mode a random one no request could match."""
    secret = os.environ.get("SLACK_SIGNING_SECRET", "").strip()
    if secret:
        return secret
    if not socket_mode:
        raise SlackConfigError("SLACK_SIGNING_SECRET is not set: HTTP mode needs the signing secret from "
                               "Basic Information → App Credentials (see docs/slack.md)")
    return secrets.token_hex(32)


def build_app(settings: Settings, assistant: Assistant | None = None, client: WebClient | None = None, *,
              socket_mode: bool = False) -> App:
    """The bolt App with every listener registered. Reads SLACK_BOT_TOKEN (unless `client` is given),
    SLACK_SIGNING_SECRET (required unless `socket_mode`) and SLACK_API_URL; checks the token with
    auth.test. Raises SlackConfigError with a one-line message on missing or rejected configuration."""
    if client is None:
        client = make_web_client(require_env("SLACK_BOT_TOKEN", "the bot token (xoxb-…) from OAuth & Permissions"))
    secret = signing_secret(socket_mode=socket_mode)
    if assistant is None:
        assistant = Assistant(settings)
    if assistant.store.count() == 0:
        raise SlackConfigError("the index is empty: run `cluster-assistant ingest` first")
    # Warm up: load the embedding model, topic vectors and keyword index now, not on the first question.
    assistant.embedder.embed_query("warm-up")
    _ = assistant.keywords
    bot = SlackBot(settings, assistant, SlackState.in_dir(settings.data_dir), FeedbackStore.in_dir(settings.data_dir))
    bolt_log = logging.getLogger("slack_bolt.App")
    if _BOLT_APP_LOG_FILTER not in bolt_log.filters:
        bolt_log.addFilter(_BOLT_APP_LOG_FILTER)
    try:
        app = App(client=client, signing_secret=secret, name="cluster-assistant",
                  process_before_response=True, request_verification_enabled=True,
                  listener_executor=ThreadPoolExecutor(max_workers=LAZY_WORKERS, thread_name_prefix="slack-lazy"))
    except BoltError as e:
        raise SlackConfigError(f"Slack rejected SLACK_BOT_TOKEN ({auth_error(e)})") from None
    except (URLError, OSError) as e:
        raise SlackConfigError(f"cannot reach the Slack Web API at {safe_url(client.base_url)}: {e}") from None
    bot.register(app)
    return app


def shutdown(app: App, wait: bool = True) -> None:
    """Let running lazy listeners finish (answers in flight get posted)."""
    executor = getattr(app.listener_runner, "listener_executor", None)
    if executor is not None:
        executor.shutdown(wait=wait)
