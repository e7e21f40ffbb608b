"""Slack configuration from the environment and the Web API client.

Tokens are read when the app is built, never at import and never into logs or messages: SLACK_BOT_TOKEN,
SLACK_SIGNING_SECRET (HTTP mode), SLACK_APP_TOKEN (Socket Mode), SLACK_API_URL (optional Web API base URL,
e.g. a local fake in tests)."""

from __future__ import annotations

import os
import re

from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

# A Web API call can fail with Slack's error or with a network error (URLError is an OSError).
API_ERRORS = (SlackApiError, OSError)


class SlackConfigError(RuntimeError):
    """Missing or rejected Slack configuration; the message says which variable, never its value."""


def require_env(name: str, what: str) -> str:
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


def api_error(e: Exception) -> str:
    """What went wrong in a Web API call, for logs (Slack's error code; never the request)."""
    if isinstance(e, SlackApiError):
        return str(e.response.get("error"))
    return type(e).__name__


def auth_error(e: BoltError) -> str:
    """Slack's error code from bolt's failed auth.test at start-up."""
    m = re.search(r"'error': '([a-z_]+)'", str(e))
    return m.group(1) if m else "auth.test failed"
