"""Thread parsing: which question a follow-up in a Slack thread continues (pure, no Slack calls)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cluster_assistant.assistant.answering.render import shown_sentences
from cluster_assistant.assistant.conversation import keeps_subject

from .blocks import answered_question, slack_to_plain

ANSWERED_SUBTYPES = (None, "thread_broadcast", "file_share")


def _ts(m: dict[str, Any]) -> float:
    try:
        return float(m.get("ts") or 0)
    except (TypeError, ValueError):
        return 0.0


def previous_question(messages: Sequence[dict[str, Any]], *, current_ts: str, bot_user_id: str | None,
                      bot_id: str | None) -> str | None:
    """The question a follow-up continues, from a `conversations.replies` thread.

    Walks the thread up to the current message. A person's message that our bot replied to was a
    question: it becomes the base question unless it keeps the subject ("who funds it?", "Why?": then the base
    stays). When our reply shows the question as it was read ("who funds it? (about: INOKLASTER)"), that is
    the base, as `cluster-assistant chat` carries on from the last question as it read it.
    If the bot never replied in the thread (a mention inside someone else's thread), the thread's
    first message is the context. None when nothing fits."""
    base: str | None = None
    pending: str | None = None
    parent: str | None = None
    current = _ts({"ts": current_ts})
    for m in sorted((m for m in messages if isinstance(m, dict)), key=_ts):
        if _ts(m) >= current:
            break
        ours = (bot_user_id is not None and m.get("user") == bot_user_id) or (
            bot_id is not None and m.get("bot_id") == bot_id)
        if ours:
            read_as = answered_question(m)  # a follow-up our answer shows as it read it: what chat carries on from
            if pending is not None and read_as is not None:
                base = read_as
            # "Eligible costs?" is read with the base, but names what later turns are about: it becomes the base;
            # "who funds it?" points back and leaves the base as it was.
            elif pending is not None and (base is None or not keeps_subject(pending)):
                base = pending
            pending = None
        elif not m.get("bot_id") and m.get("subtype") in ANSWERED_SUBTYPES:
            text = slack_to_plain(str(m.get("text") or ""), bot_user_id)
            if text:
                pending = text
                if parent is None:
                    parent = text
    return base or parent


def shown_in_thread(messages: Sequence[dict[str, Any]], bot_user_id: str | None, bot_id: str | None) -> frozenset[str]:
    """The answer sentences our bot already posted in a thread (from each answer's plain-text fallback,
    without its "Sources:" line), as `Assistant.answer(shown=…)` compares them. A message without sources
    (a refusal, which lists every competence area, or a notice) showed no answer: a follow-up may say
    what it names."""
    import html

    out: set[str] = set()
    for m in messages:
        if not isinstance(m, dict):
            continue
        ours = (bot_user_id is not None and m.get("user") == bot_user_id) or (
            bot_id is not None and m.get("bot_id") == bot_id)
        text, cited, _ = html.unescape(str(m.get("text") or "")).partition("\nSources: ")
        if ours and cited:
            out |= shown_sentences(text)
    return frozenset(out)
