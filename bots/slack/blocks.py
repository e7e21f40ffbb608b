"""Slack Block Kit rendering of an `Answer`: pure functions, no Slack calls.

`answer_blocks(answer, ...) -> (blocks, text)`: the answer (Slack mrkdwn, `[n]` markers kept), a sources
list (number, title, page or section, a short quote), a topic line and 👍/👎 buttons. It always fits
Slack's limits: at most 3,000 characters per section, at most 50 blocks, and all block text together
under `TEXT_BUDGET` (Slack allows 12,000 for a message's blocks): a long answer is shortened, and
sources that do not fit are summarised as "…and N more". `text` is a plain fallback for notifications
and clients without blocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cluster_assistant.assistant.schema import Answer, Citation

Block = dict[str, Any]

SECTION_LIMIT = 3000      # Slack: section text
MAX_BLOCKS = 50           # Slack: blocks per message
TEXT_BUDGET = 10_000      # ours: total text of all blocks (Slack's message limit is 12,000)
ANSWER_BUDGET = 6_000     # the answer part never takes more than this
QUOTE_CHARS = 200
TITLE_CHARS = 150
FALLBACK_CHARS = 3_000

ACTION_UP = "feedback_up"
ACTION_DOWN = "feedback_down"
ACTION_SHARE = "share_answer"

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


# --- text helpers --------------------------------------------------------------------------------

def escape(text: str) -> str:
    """Escape the three characters Slack mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def to_mrkdwn(text: str) -> str:
    """Answer text (plain or light Markdown) to escaped Slack mrkdwn; `[n]` markers are kept."""
    out = escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"*\1*", out)                          # **bold** -> *bold*
    out = re.sub(r"(?m)^#{1,6}\s+(.+)$", r"*\1*", out)                      # # Heading -> *Heading*
    out = re.sub(r"(?m)^(\s*)[-*]\s+", lambda m: m.group(1) + "• ", out)   # - item -> • item
    return out


ELLIPSIS = "…"


def truncate(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """At most `limit` characters, cut at a word boundary when one is near; never inside an &entity;."""
    if len(text) <= limit:
        return text
    cut = _safe_cut(text, max(0, limit - len(ellipsis)))
    return text[:cut].rstrip() + ellipsis


def _safe_cut(text: str, limit: int) -> int:
    cut = limit
    space = text.rfind(" ", 0, limit + 1)
    if space > limit * 0.6:
        cut = space
    amp = text.rfind("&", max(0, cut - 6), cut)     # do not split "&amp;" / "&lt;" / "&gt;"
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    return cut


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split into pieces of at most `limit` characters, preferring paragraph, line, sentence, word breaks."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = -1
        for sep in ("\n\n", "\n", ". ", " "):
            i = rest.rfind(sep, 0, limit - len(sep) + 1)
            if i > limit // 3:
                cut = i + len(sep)
                break
        if cut <= 0:
            cut = _safe_cut(rest, limit) or limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def slack_to_plain(text: str, bot_user_id: str | None = None) -> str:
    """An incoming message's text as a plain question: drops user mentions (the bot's and others')
    and broadcasts, keeps link labels and channel names, undoes Slack's &amp;/&lt;/&gt; escaping."""

    def repl(m: re.Match[str]) -> str:
        target, label = m.group(1), m.group(2)
        if target.startswith("@") or target.startswith("!"):
            return ""
        if target.startswith("#"):
            return "#" + (label or target[1:])
        return label or target

    return " ".join(unescape(_LINK.sub(repl, text or "")).split())


def mentions(text: str, user_id: str | None) -> bool:
    return bool(user_id) and f"<@{user_id}" in (text or "")


# --- blocks --------------------------------------------------------------------------------------

def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


QUESTION_LABEL = "*Question:* "


def answered_question(message: dict[str, Any]) -> str | None:
    """The question one of our answers shows it answered (`answer_blocks(show_question=True)`: a follow-up as it
    was read, "who funds it? (about: INOKLASTER)"), or None when it shows none, or shows it cut short (its
    "(about: …)" end is what a cut loses first)."""
    for block in message.get("blocks") or []:
        if not isinstance(block, dict) or block.get("type") != "context":
            continue
        for element in block.get("elements") or []:
            text = element.get("text") if isinstance(element, dict) else None
            if isinstance(text, str) and text.startswith(QUESTION_LABEL):
                question = unescape(text[len(QUESTION_LABEL):]).strip()
                return question if question and not question.endswith(ELLIPSIS) else None
    return None


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    b: Block = {"type": "button", "text": {"type": "plain_text", "text": text, "emoji": True},
                "action_id": action_id, "value": value}
    if style:
        b["style"] = style
    return b


def source_line(c: Citation) -> str:
    where = c.where()
    head = f"*[{c.n}]* {escape(truncate(c.title or c.doc_id, TITLE_CHARS))}"
    if where:
        head += f" — {escape(truncate(where, 120))}"
    quote = " ".join((c.quote or "").split())
    if quote:
        head += f"\n>“{escape(truncate(quote, QUOTE_CHARS))}”"
    return head


def block_text_length(blocks: Iterable[Any]) -> int:
    """Total characters of all `text` strings in the blocks (what Slack's size limits count)."""
    total = 0

    def walk(x: Any) -> None:
        nonlocal total
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "text" and isinstance(v, str):
                    total += len(v)
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(list(blocks))
    return total


def answer_blocks(answer: Answer, *, answer_id: str | None = None, topics: Mapping[str, str] | None = None,
                  share: bool = False, show_question: bool = False,
                  shared_by: str | None = None) -> tuple[list[Block], str]:
    """Blocks and the plain-text fallback for one answer.

    answer_id     value of the 👍/👎 (and share) buttons; no buttons without it
    topics        topic id -> label: the answer's topic is shown by label; a refusal suggests the labels
    share         add a "Share to channel" button (for ephemeral /ask answers)
    show_question show the question that was answered (follow-ups, shared answers)
    shared_by     a Slack user id, shown as "Shared by @user"
    """
    topics = dict(topics or {})
    head: list[Block] = []
    tail: list[Block] = []
    if shared_by and _USER_ID.match(shared_by):
        head.append(_context(f"Shared by <@{shared_by}>"))
    if show_question:
        head.append(_context(f"{QUESTION_LABEL}{escape(truncate(answer.question, 300))}"))
    if answer.notice:
        head.append(_context(f"_{escape(truncate(answer.notice, 300))}_"))

    if answer.refused:
        body = [_section(refusal_mrkdwn(answer, list(topics.values())))]
    else:
        body = [_section(t) for t in split_text(truncate(to_mrkdwn(answer.answer), ANSWER_BUDGET,
                                                         "… _(shortened)_"))] or [_section("_(no answer text)_")]

    if answer.topic and not answer.refused:
        tail.append(_context(f"Topic: {escape(topics.get(answer.topic, answer.topic))}"))
    if answer_id:
        buttons = [_button("👍 Helpful", ACTION_UP, answer_id), _button("👎 Not helpful", ACTION_DOWN, answer_id)]
        if share:
            buttons.append(_button("Share to channel", ACTION_SHARE, answer_id, style="primary"))
        tail.append({"type": "actions", "block_id": "answer_actions", "elements": buttons})

    used = block_text_length(head + body + tail)
    room_blocks = MAX_BLOCKS - len(head) - len(body) - len(tail) - 2   # divider, "…and N more"
    sources = _source_blocks(answer.citations, TEXT_BUDGET - used - 100, room_blocks)
    blocks = head + body + sources + tail
    return blocks, fallback_text(answer, list(topics.values()))


def _source_blocks(citations: Sequence[Citation], budget: int, max_blocks: int) -> list[Block]:
    if not citations:
        return []
    out: list[Block] = [{"type": "divider"}]
    current = "*Sources*"
    shown = 0
    for c in citations:
        line = source_line(c)
        if len(line) + 1 > budget:
            break
        if len(current) + 1 + len(line) > SECTION_LIMIT:
            if len(out) >= max_blocks:
                break
            out.append(_section(current))
            current = line
        else:
            current = f"{current}\n{line}"
        budget -= len(line) + 1
        shown += 1
    out.append(_section(current))
    if shown < len(citations):
        out.append(_context(f"…and {len(citations) - shown} more source{'s' if len(citations) - shown > 1 else ''}"))
    return out


# What a refusal says of this question in particular ("No document mentions Latvia."), between its opening and
# the topics it lists (`Assistant.refusal_text`).
_REASON = re.compile(r"from the sources\.\s*(.*?)\s*It covers", re.S)


def refusal_mrkdwn(answer: Answer, topic_labels: Sequence[str] = ()) -> str:
    if not topic_labels:
        return escape(truncate(answer.answer, SECTION_LIMIT))
    topics = "\n".join(f"• {escape(label)}" for label in topic_labels)
    reason = _REASON.search(answer.answer)
    why = f"\n{escape(truncate(reason.group(1), 500))}" if reason and reason.group(1) else ""
    return truncate(":mag: *The knowledge base does not cover this question*, so I can't answer it from the "
                    f"sources.{why}\nIt covers these topics; try asking about one of them:\n{topics}", SECTION_LIMIT)


REFUSED_TEXT = "The knowledge base does not cover this question"  # how a refusal's plain text opens


def fallback_text(answer: Answer, topic_labels: Sequence[str] = ()) -> str:
    """Plain text for notifications and clients without blocks (never empty)."""
    if answer.refused:
        text = f"{REFUSED_TEXT}, so I can't answer it from the sources."
        if topic_labels:
            text += " It covers: " + ", ".join(topic_labels) + "."
        return escape(truncate(text, FALLBACK_CHARS))
    text = truncate(answer.answer, FALLBACK_CHARS * 2 // 3)
    if answer.citations:
        refs = "; ".join(f"[{c.n}] {c.label()}" for c in answer.citations)
        text += "\nSources: " + refs
    return escape(truncate(text, FALLBACK_CHARS)) or "(no answer text)"


def feedback_modal(answer_id: str) -> dict[str, Any]:
    """The optional "what was wrong?" dialog opened after a 👎."""
    return {
        "type": "modal",
        "callback_id": "feedback_comment",
        "private_metadata": answer_id,
        "title": {"type": "plain_text", "text": "Thanks for the feedback"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [{
            "type": "input",
            "block_id": "comment",
            "optional": True,
            "label": {"type": "plain_text", "text": "What was wrong or missing? (optional)"},
            "element": {"type": "plain_text_input", "action_id": "text", "multiline": True, "max_length": 2000},
        }],
    }
