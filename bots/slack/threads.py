"""Thread parsing: which question a follow-up in a Slack thread continues (pure, no Slack calls)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from cluster_assistant.assistant.answering.render import folded, shown_sentences
from cluster_assistant.assistant.conversation import keeps_subject

from .blocks import REFUSED_TEXT, answered_question, slack_to_plain

ANSWERED_SUBTYPES = (None, "thread_broadcast", "file_share")


def _ts(m: dict[str, Any]) -> float:
    try:
        return float(m.get("ts") or 0)
    except (TypeError, ValueError):
        return 0.0


def _ours(m: dict[str, Any], bot_user_id: str | None, bot_id: str | None) -> bool:
    return (bot_user_id is not None and m.get("user") == bot_user_id) or (
        bot_id is not None and m.get("bot_id") == bot_id)


def _fallback(m: dict[str, Any]) -> tuple[str, bool]:
    """One of our messages' plain-text fallback without its "Sources:" line, and whether it had one: a message
    without sources (a refusal, which lists every competence area, or a notice) showed no answer."""
    text, _, cited = html.unescape(str(m.get("text") or "")).partition("\nSources: ")
    return text, bool(cited)


def previous_question(messages: Sequence[dict[str, Any]], *, current_ts: str, bot_user_id: str | None,
                      bot_id: str | None) -> str | None:
    """The question a follow-up continues, from a `conversations.replies` thread.

    Walks the thread up to the current message. Our answer that shows the question as it read it ("who funds
    it? (about: INOKLASTER)") makes that the base, as `cluster-assistant chat` carries on from the last question
    as it read it; the message it answered is the one that reading starts with, so another one asked meanwhile
    stays open (two people asking before the first answer is posted). Our answer that shows no reading answered
    the latest open message (people chat in threads, and a question turned away privately gets no answer): it
    becomes the base unless it keeps the subject ("who funds it?", "Why?": then the base stays). A refused
    question is no base (chat skips it too). If the bot never replied in the thread (a mention inside someone
    else's thread), the thread's first message is the context. None when nothing fits."""
    base: str | None = None
    pending: list[str] = []  # people's messages since our last answer
    parent: str | None = None
    current = _ts({"ts": current_ts})
    for m in sorted((m for m in messages if isinstance(m, dict)), key=_ts):
        if _ts(m) >= current:
            break
        if _ours(m, bot_user_id, bot_id):
            read_as = answered_question(m)  # a follow-up our answer shows as it read it: what chat carries on from
            refused = _fallback(m)[0].startswith(REFUSED_TEXT)
            if read_as is not None:
                asked = next((p for p in pending if folded(read_as).startswith(folded(p))), None)
                pending = [p for p in pending if p is not asked] if asked is not None else []
                if not refused:
                    base = read_as
                continue
            asked = pending[-1] if pending else None
            pending = []
            # "Eligible costs?" is read with the base, but names what later turns are about: it becomes the base;
            # "who funds it?" points back and leaves the base as it was.
            if not refused and asked is not None and (base is None or not keeps_subject(asked)):
                base = asked
        elif not m.get("bot_id") and m.get("subtype") in ANSWERED_SUBTYPES:
            text = slack_to_plain(str(m.get("text") or ""), bot_user_id)
            if text:
                pending.append(text)
                if parent is None:
                    parent = text
    return base or parent


def shown_in_thread(messages: Sequence[dict[str, Any]], bot_user_id: str | None, bot_id: str | None) -> frozenset[str]:
    """The answer sentences our bot already posted in a thread (from each answer's plain-text fallback,
    without its "Sources:" line), as `Assistant.answer(shown=…)` compares them. A message without sources
    (a refusal, which lists every competence area, or a notice) showed no answer: a follow-up may say
    what it names."""
    out: set[str] = set()
    for m in messages:
        if isinstance(m, dict) and _ours(m, bot_user_id, bot_id):
            text, cited = _fallback(m)
            if cited:
                out |= shown_sentences(text)
    return frozenset(out)
