"""Chat: follow-up questions over the same assistant, each made standalone before retrieval.

`Conversation(assistant).ask(text) -> Answer`. A follow-up ("and what about funding?", "who runs
it?") is condensed with the last `max_turns` turns into a standalone question, which is what is
retrieved and answered (`Answer.question` shows it):

- with a model (llm openai/ollama): `prompts/condense.md`; if the model fails or replies with
  something unusable, the offline heuristic below is used instead;
- offline (extractive), a heuristic: a question is a follow-up when it starts with a continuation
  ("and", "what about", "how about", "also", "what else", "how so", "tell me more"...), refers back
  with a pronoun or demonstrative ("it", "they", "them", "this", "these", "those"...; possessives
  like "its", "their", and "is that…", only in a short question), or is too short to have a subject of
  its own: one content word, or two words, and no name or number ("why?", "who leads?", "staff costs?").
  A follow-up gets the key terms of the previous standalone question appended: "Who runs it?" after
  "What is INOKLASTER?" becomes "Who runs it? (about: INOKLASTER)". A short noun phrase after "and" or
  "what about" takes the place of what the previous question asked for instead: "and threats?" after
  "What are the weaknesses of X?" becomes "What are the threats of X?".
  Anything else is taken as a new question.

`handle(line) -> str` runs the REPL commands (/sources, /topic [id|off], /reset, /help, /exit) and
returns the text to print; no I/O happens here."""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from langchain_core.messages import HumanMessage

from .answering.model import generate
from .answering.render import shown_sentences
from .keywords import STOPWORDS
from .language import LT_WORDS, is_lithuanian
from .pipeline import clean_question
from .prompts import load_prompt
from .source_doc import printable
from .text import WORD, clip

if TYPE_CHECKING:
    from .pipeline import AnswerStream, Assistant
    from .schema import Answer

log = logging.getLogger(__name__)

# "and what about", "and" ("o", "ir"), "also"
_LT_CONTINUATION = re.compile(r"^\s*(?:o\s+kaip|o|ir|dar|be\s+to)\b", re.I)
_CONTINUATION = re.compile(
    r"^\s*(?:o\s+kaip|o|ir|dar|be\s+to|"
    r"and|also|plus|but|or|so|then|what\s+about|how\s+about|what\s+else|how\s+so|"
    r"tell\s+me\s+more|more\s+(?:on|about)|same\s+for|in\s+what\s+way|which\s+ones?|anything\s+else|"
    r"for\s+example|such\s+as|and\s+what|what\s+if)\b", re.I)
# Words that point back. Possessives ("its", "their") often point inside the question itself
# ("how can a cluster promote its members?"), so they count only in short questions.
_PRONOUN = re.compile(r"\b(?:it|itself|they|them|themselves|this|these|those|he|she|him|"
                      r"the\s+same|the\s+former|the\s+latter|that\s+one|"
                      r"(?:first|second|third|fourth|fifth|last|next|other)\s+ones?(?=\s*[?.!,]|\s*$))\b", re.I)
# "that" after a verb or a preposition points ("is that programme under?", "what does that mean?", "Is that a
# requirement?"); after a noun or an adjective it joins a clause ("proof that clusters work"). Like a possessive,
# it counts only in a short question: "Do clusters need a legal entity, and what is that used for?" has a subject.
_THAT = re.compile(r"\b(?:is|was|are|were|of|in|on|for|from|with|about|under|by|to|does|did|do)\s+that\b"
                   r"(?!\s+(?:is|are|was|were|it|they|we|you|i|there|our|their|its|this)\b)", re.I)
# Lithuanian (in Lithuanian questions only): šis/ši/šie (this, these), jis/ji/jie/jos (he, she, they)...
_LT_PRONOUN = re.compile(r"\b(?:šis|ši|šie|šios|šio|šią|jis|ji|jie|jos|jų|juos|jam|jai|jiems)\b", re.I)
_POSSESSIVE = re.compile(r"\b(?:its|their|theirs|his|her)\b", re.I)
# Question words and generic verbs that say nothing about the subject.
_FILLER = STOPWORDS | LT_WORDS | frozenset("""
who whom whose which what when where why how much many does do did can could should would may might
must shall will is are was were be been get got make made use used need needs help helps way ways
thing things something anything about also more else other example examples like one ones o ta ok okay
""".split())  # noqa: SIM905 (a word list reads better as text)
# Nouns that name something of something else: "What were the results?" asks the results of what was asked
# before ("What is a cluster?" names its subject). Without a subject such a question is read alone and missed:
# "results" alone is near sports results.
_ATTRIBUTES = frozenset("""
result results outcome outcomes achievement achievements impact effect effects benefit benefits advantage
advantages cost costs price budget timeline timeframe deadline deadlines duration goal goals aim aims objective
objectives requirement requirements criteria condition conditions step steps stage stages phase phases milestone
milestones weakness weaknesses strength strengths threat threats opportunity opportunities risk risks challenge
challenges problem problems lesson lessons role roles task tasks activities partner partners participant
participants member members funding funder funders source sources
""".split())  # noqa: SIM905 (a word list reads better as text)
MAX_SUBJECT_TERMS = 8
CHAIN_START_TERMS = 3  # of those, kept from the end: what the chain of follow-ups began with
# What a question asks for: "What are the weaknesses of …", "what's the minimum number of members for …" (the
# noun after "what is/are (the)", before "of", "for" or "in"). `heuristic_standalone` puts "and threats?" there.
# "Which cluster has the most members?" names its subject there, not what it asks for: not read so.
_ASKED_FOR = re.compile(r"^\s*(?:what|which)(?:'s|’s|\s+(?:are|is|were|was))\s+(?:the\s+)?"
                        r"((?!(?:of|about|it|they|them|this|these|those|that)\b)[\w-]+(?:\s+[\w-]+){0,2}?)"
                        r"\s+(?=(?:of|for|in)\b)", re.I)


@dataclass
class ChatTurn:
    asked: str          # what the user typed
    standalone: str     # what was retrieved and answered
    answer: Answer

    @property
    def rewritten(self) -> bool:
        """Was the question read otherwise than typed (a follow-up, with the earlier subject)?"""
        return self.standalone != clean_question(self.asked, len(self.asked))


def content_words(text: str) -> list[str]:
    """Words that carry the subject, in order, each once, as written."""
    seen: dict[str, str] = {}
    for w in WORD.findall(text):
        # a lower-case letter alone says nothing ("s" of "What's"); "R" and "D" of "R&D" do
        if (w.lower() not in _FILLER and not w.isdigit() and not (len(w) == 1 and w.islower())) or (
                w.isdigit() and len(w) == 4):
            seen.setdefault(w.lower(), w)
    return list(seen.values())


def refers_back(text: str) -> bool:
    """Does the question point at something said before ("and…", "it", "the second one")?"""
    lithuanian = is_lithuanian(text)
    continuation = _CONTINUATION.match(text) and (lithuanian or not _LT_CONTINUATION.match(text))
    return bool(continuation or _PRONOUN.search(text) or (lithuanian and _LT_PRONOUN.search(text)))


def keeps_subject(text: str) -> bool:
    """Is the question about what was asked before, naming no subject of its own: it points back ("who funds
    it?", "what are their weaknesses?", "is that programme under…?") or has one content word at most ("Why?",
    "Who leads?")? "Eligible costs?" is read with what came before (`is_follow_up`) but names what later turns
    are about. Possessives and "that" often point inside the question itself ("how can a cluster promote its
    members?"), so they count only in short questions."""
    words = content_words(text)
    return refers_back(text) or (_POSSESSIVE.search(text) is not None and len(words) <= 2) or (
        _THAT.search(text) is not None and len(words) <= 4) or (
        len(words) <= 1 and len(WORD.findall(text)) <= 3 and not _has_name(text)) or (
        len(words) == 1 and words[0].lower() in _ATTRIBUTES and len(WORD.findall(text)) <= 6 and not _has_name(text))


def _has_name(text: str) -> bool:
    """A name or a number of its own. A capital opens any first word; one inside it marks a name there too
    ("EU funding?", "InoLink results?"), unless it is a word typed in capitals ("WHY?", "OK, why?")."""
    said = WORD.findall(text)
    return any(w[:1].isupper() or any(ch.isdigit() for ch in w) for w in said[1:]) or any(
        any(ch.isdigit() for ch in w) or (any(ch.isupper() for ch in w[1:]) and w.lower() not in _FILLER)
        for w in said[:1])


def is_follow_up(text: str) -> bool:
    """Is the question read with what came before? It keeps the subject (`keeps_subject`), or it is too short to
    have one: "Funding?", "average size?", "staff costs?" (two words at most, no name); "What is a cluster?" has
    one."""
    return keeps_subject(text) or (len(WORD.findall(text)) <= 2 and not _has_name(text))


NO_CONTEXT_NOTE = ("This reads like a follow-up to an earlier answer, and there is none here to follow: ask the "
                   "whole question, naming what it is about.")


def needs_context(text: str) -> bool:
    """Can the question be read only with an earlier one? It points back and names two things at most ("tell me
    more", "who runs it?", "what does it cost?"), or names nothing at all ("why?", "how so?"). "Funding?" names
    its subject; "it" in a question with a subject of its own is fine ("how can a cluster promote it best?")."""
    words = content_words(text)
    return (refers_back(text) and len(words) <= 2) or not words


# "and threats?", "what about the timeline?": a short noun phrase that takes the place of what was asked before.
_IN_PLACE = re.compile(r"^\s*(?:and|what\s+about|how\s+about|same\s+for)\s+(?:the\s+)?"
                       r"(?P<what>[\w’'-]{1,40}(?:\s+[\w’'-]{1,40}){0,3})\s*[?.!]*\s*$", re.I)
# Not a noun phrase to put there: a question word or verb, a preposition ("and for SMEs?": the same question
# for someone else), an owner ("the programme's threats"), a pronoun or a word with no content ("and then?").
_NOT_IN_PLACE = re.compile(r"^(?:for|in|on|of|with|to|at|by|from|about|after|before|during|not)\b|['’]s\b|"
                           r"\b(?:who|whom|whose|what|which|when|where|why|how|do|does|did|is|are|was|were|can|"
                           r"could|should|would|will|has|have)\b", re.I)


def _in_place(phrase: str) -> bool:
    """Can `phrase` stand for what a question asks ("threats", "staff costs"), in its place? Not a name or a
    number ("what about Latvia?", "and 2021?": the subject changes, not what is asked), nor a pronoun."""
    words = WORD.findall(phrase)
    return bool(content_words(phrase)) and not _NOT_IN_PLACE.search(phrase) and not _PRONOUN.search(phrase) \
        and not any(w[:1].isupper() or any(ch.isdigit() for ch in w) for w in words)


def asks_elsewhere(text: str, known: Callable[[str], bool]) -> bool:
    """Is a short question that does not point back about something else: no word of it is one the documents
    hold (`known`) or an attribute of what came before ("weather tomorrow?" after a question on funding)? Not a
    Lithuanian one: its words are never the English documents' ("Kiek tai kainuoja?")."""
    words = content_words(text)
    return bool(words) and not refers_back(text) and not is_lithuanian(text) and not any(
        w.lower() in _ATTRIBUTES or known(w) for w in words)


def heuristic_standalone(text: str, previous: str | None, known: Callable[[str], bool] | None = None) -> str:
    """The offline condensation. A short follow-up that names something else to ask about the same subject takes
    the place of what the previous question asked for: "and threats?" after "What are the weaknesses of
    Lithuania's industrial transition?" reads "What are the threats of Lithuania's industrial transition?".
    Any other follow-up carries the previous question's key terms along: "Who runs it? (about: INOKLASTER)".
    With `known` (does a document hold this word?), a short question about something else is read alone
    (`asks_elsewhere`)."""
    if not previous or not is_follow_up(text) or (known is not None and asks_elsewhere(text, known)):
        return text
    asked = _ASKED_FOR.match(previous)
    in_place = _IN_PLACE.match(text) if len(text) <= 80 else None
    if asked and in_place and _in_place(in_place["what"]) and not is_lithuanian(text):
        return f"{previous[:asked.start(1)]}{in_place['what'].strip()}{previous[asked.end(1):]}"
    own = {w.lower() for w in content_words(text)}
    subject = [w for w in content_words(previous) if w.lower() not in own]
    if len(subject) > MAX_SUBJECT_TERMS:
        # A chain of follow-ups: the newest words, and the last ones, which the chain began with ("why? (about:
        # refuse long take approves … funds INOKLASTER)"), matter most; the middle goes.
        subject = subject[:MAX_SUBJECT_TERMS - CHAIN_START_TERMS] + subject[-CHAIN_START_TERMS:]
    if not subject:
        return text
    return f"{text.rstrip()} (about: {' '.join(subject)})"


def _clean_condensed(reply: str, max_chars: int) -> str | None:
    lines = [ln.strip() for ln in reply.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    line = re.sub(r"^(?:standalone\s+question|question|rewritten)\s*:\s*", "", lines[0], flags=re.I)
    line = line.strip().strip("\"'“”‘’`").strip()
    if not line or len(line) > max_chars or not any(ch.isalnum() for ch in line):
        return None
    return line


def citation_lines(ans: Answer, indent: str = "") -> list[str]:
    """The answer's sources as a reader sees them: "[1] Title, p. 3  (doc-id)" and the quote, clipped.
    Titles come from documents, so they are made printable (a terminal escape sequence in a title)."""
    lines = []
    for c in ans.citations:
        lines.append(f"{indent}[{c.n}] {printable(c.label())}  ({c.doc_id})")
        lines.append(f"{indent}    “{clip(c.quote, 300)}”")
    return lines


class Conversation:
    def __init__(self, assistant: Assistant, max_turns: int = 6) -> None:
        self.assistant = assistant
        self.history: deque[ChatTurn] = deque(maxlen=max_turns)
        self.topic: str | None = None
        self.done = False

    @property
    def last(self) -> Answer | None:
        return self.history[-1].answer if self.history else None

    def subject(self) -> str | None:
        """The last answered question as read: a refused one (a miss, or a rephrasing being tried) has nothing a
        follow-up could refer to."""
        return next((t.standalone for t in reversed(self.history) if not t.answer.refused), None)

    def lacks_context(self, text: str) -> bool:
        """Does the question need an earlier answer (`needs_context`) that this chat does not have yet?"""
        return needs_context(text) and self.subject() is None

    # --- questions -----------------------------------------------------------------------------

    def condense(self, text: str) -> str:
        """The standalone form of `text` given the history (unchanged for a first question)."""
        text = clean_question(text, self.assistant.settings.max_question_chars)
        previous = self.subject()
        if previous is None:
            return text
        if self.assistant.settings.llm == "extractive":
            return heuristic_standalone(text, previous, self.assistant.knows)
        try:
            history = "\n".join(f"User: {t.standalone}\nAssistant: {_short(t.answer.answer)}" for t in self.history)
            prompt = load_prompt("condense", self.assistant.settings).render(history=history, question=text)
            reply = generate(self.assistant.chat_model, [HumanMessage(prompt)], self.assistant.settings.llm_timeout_s)
            condensed = _clean_condensed(reply, self.assistant.settings.max_question_chars)
        except Exception as e:  # noqa: BLE001 - the heuristic stands in for a failed model
            log.warning("condensing with the model failed, using the heuristic: %s: %s", type(e).__name__, e)
            condensed = None
        return condensed or heuristic_standalone(text, previous, self.assistant.knows)

    def shown(self) -> frozenset[str]:
        """The sentences earlier answers showed: a follow-up brings what is new."""
        return frozenset().union(*(shown_sentences(t.answer.answer) for t in self.history if not t.answer.refused))

    def ask(self, text: str) -> Answer:
        standalone = self.condense(text)
        ans = self.assistant.answer(standalone, topic=self.topic, shown=self.shown())
        self.history.append(ChatTurn(text, standalone, ans))
        return ans

    def stream(self, text: str) -> AnswerStream:
        """Like `ask`, streaming the model's tokens (see `Assistant.stream`); the turn is recorded
        when the stream has been read to the end."""
        standalone = self.condense(text)
        run = self.assistant.stream(standalone, topic=self.topic, shown=self.shown())
        run.on_done.append(lambda ans: self.history.append(ChatTurn(text, standalone, ans)))
        return run

    # --- commands ------------------------------------------------------------------------------

    @staticmethod
    def is_command(line: str) -> bool:
        return line.strip().startswith("/")

    def handle(self, line: str) -> str:
        """Run a REPL command and return what to print; sets `done` on /exit."""
        cmd, _, arg = line.strip().partition(" ")
        cmd, arg = cmd.lower(), arg.strip()
        if cmd in {"/exit", "/quit"}:
            self.done = True
            return "bye"
        if cmd == "/sources":
            return self._sources()
        if cmd == "/topic":
            return self._topic(arg)
        if cmd == "/reset":
            self.history.clear()
            return "conversation cleared: the next question starts afresh"
        if cmd == "/help":
            return HELP
        return f"unknown command {cmd!r}\n{HELP}"

    def _sources(self) -> str:
        ans = self.last
        if ans is None:
            return "no answer yet: ask a question first"
        if not ans.citations:
            return "the last answer cites no sources" + (" (it was a refusal)" if ans.refused else "")
        return "\n".join(citation_lines(ans))

    def _topic(self, arg: str) -> str:
        topics = self.assistant.classifier.topics
        if not arg:
            lines = [f"{'*' if t.id == self.topic else ' '} {t.id:22} {t.label}" for t in topics]
            current = self.topic or "off (all topics)"
            return "topics (/topic <id> to filter, /topic off to clear):\n" + "\n".join(lines) + \
                f"\ncurrent filter: {current}"
        if arg.lower() in {"off", "none", "all"}:
            self.topic = None
            return "topic filter off: searching all topics"
        match = next((t for t in topics if t.id == arg.lower()), None)
        if match is None:
            return f"unknown topic {arg!r}; choose one of: {', '.join(t.id for t in topics)} (or off)"
        self.topic = match.id
        return f"searching only {match.label} ({match.id})"


HELP = ("commands: /sources (sources of the last answer), /topic [id|off] (filter by topic; list topics), "
        "/reset (forget the conversation), /help, /exit")


def _short(text: str, words: int = 60) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")
