"""Mentor session plans, built offline from cited answers to a few angles on the topic.

The plan is Markdown a mentor can print: objectives, an agenda whose timings add up to the length
asked for, key points with citations, discussion questions, a short exercise, further reading."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
from langchain_core.documents import Document
from langchain_core.messages import HumanMessage

from .answering.citations import ground
from .answering.extractive import points_back
from .answering.model import failure_notice, format_sources, generate
from .answering.render import citation_for, unlinked
from .keywords import terms
from .language import english_part, expand, untranslated
from .prompts import load_prompt
from .schema import Answer, Citation
from .text import BULLET, MARKER, WORD, clip, squash, strip_markers

if TYPE_CHECKING:
    from .pipeline import Assistant

Stage = Literal["emerging", "formed", "developing", "mature"]
STAGES: tuple[Stage, ...] = ("emerging", "formed", "developing", "mature")

# What a cluster at each stage of development typically needs from a session.
STAGE_FOCUS: dict[str, str] = {
    "emerging": "agreeing why to cooperate and the first joint activities",
    "formed": "building routines, member services and trust",
    "developing": "joint projects, growth and international links",
    "mature": "strategy renewal, international value chains and excellence",
}

# Share of the session for each agenda block; the last block absorbs rounding.
AGENDA = [("Welcome and goals", 0.10), ("Input: what the sources say", 0.30),
          ("Discussion in small groups", 0.25), ("Exercise", 0.25), ("Wrap-up and next steps", 0.10)]
# Under half an hour there is no time for groups to form or for an exercise: one discussion with everyone.
SHORT_SESSION = 30
SHORT_AGENDA = [("Welcome and goals", 0.15), ("Input: what the sources say", 0.45), ("Discussion with everyone", 0.25),
                ("Wrap-up and next steps", 0.15)]

ANGLES = [
    "What is {topic} and why does it matter for clusters?",
    "What are the main challenges or weaknesses of {topic}?",
    "What good practices or steps help with {topic} for {focus}?",
    "What support, funding or policy measures exist for {topic}?",
]
MAX_KEY_POINTS = 8
MIN_KEY_POINTS = 3
# A point's cosine to the topic below which it is off the topic. On 272 points of 34 plans judged blind (stop 25),
# 0.3 left out 58, of which 3 were judged on the topic; 0.35 left out 96, 19 of them on it.
POINT_FLOOR = 0.3
STAGE_WEIGHT = 0.5  # how much the stage's focus counts beside the topic when key points are ranked


@dataclass
class KeyPoint:
    text: str
    citations: list[Citation]


@dataclass
class SessionPlan:
    topic: str
    stage: str
    minutes: int
    objectives: list[str]
    agenda: list[tuple[str, int]]
    key_points: list[KeyPoint]
    discussion: list[str]
    exercise: str
    reading: list[Citation] = field(default_factory=list)
    provider: str = "extractive"
    notice: str = ""

    def to_markdown(self) -> str:
        lines = [f"# Coaching session: {self.topic}", "",
                 f"*Cluster stage: {self.stage} · Length: {self.minutes} minutes*", ""]
        if self.notice:
            lines += [f"> Note: {self.notice}", ""]
        lines += ["## Learning objectives", ""]
        lines += [f"- {o}" for o in self.objectives]
        lines += ["", "## Agenda", "", "| time | block | minutes |", "| --- | --- | --- |"]
        start = 0
        for name, mins in self.agenda:
            lines.append(f"| {start // 60:d}:{start % 60:02d} | {name} | {mins} |")
            start += mins
        lines += ["", "## Key points", ""]
        for kp in self.key_points:
            lines.append(f"- {kp.text}")
        lines += ["", "## Discussion questions for the cluster members", ""]
        lines += [f"{i}. {q}" for i, q in enumerate(self.discussion, 1)]
        lines += ["", "## Exercise", "", self.exercise, "", "## Further reading (sources)", ""]
        for c in self.reading:
            lines.append(f"[{c.n}] {c.label()}." + (f" “{clip(c.quote, 200)}”" if c.quote else ""))
        return "\n".join(lines) + "\n"


MAX_MINUTES = 480
BREAK_EVERY, BREAK_MINUTES = 150, 15  # a break for each full 150 minutes (at most three)
BLOCK_CAPS = {"Welcome and goals": 15, "Wrap-up and next steps": 20}  # minutes, whatever the session's length


def agenda_for(minutes: int) -> list[tuple[str, int]]:
    """Blocks in proportion; whole minutes that add up exactly to `minutes`."""
    if minutes < len(AGENDA) * 3:
        raise ValueError(f"a session needs at least {len(AGENDA) * 3} minutes")
    if minutes > MAX_MINUTES:
        raise ValueError(f"a session plan covers at most {MAX_MINUTES} minutes (a working day); "
                         "split longer programmes into sessions")
    agenda = SHORT_AGENDA if minutes < SHORT_SESSION else AGENDA
    breaks = min(minutes // BREAK_EVERY, len(agenda) - 2)  # a long session pauses: after input, discussion...
    working = minutes - breaks * BREAK_MINUTES
    mins = [max(3, int(working * share)) for _, share in agenda]
    # A welcome or a wrap-up needs no more than a few minutes, however long the day: the working blocks get the rest.
    spare = sum(max(0, m - BLOCK_CAPS.get(name, m)) for (name, _), m in zip(agenda, mins, strict=True))
    mins = [min(m, BLOCK_CAPS.get(name, m)) for (name, _), m in zip(agenda, mins, strict=True)]
    open_blocks = [i for i, (name, _) in enumerate(agenda) if name not in BLOCK_CAPS]
    for i in open_blocks:
        mins[i] += int(spare * agenda[i][1] / sum(agenda[j][1] for j in open_blocks))
    while sum(mins) > working:  # three minutes at least took some from the rest: the longest block gives them
        mins[max(range(len(mins)), key=mins.__getitem__)] -= 1
    main = max(range(len(mins)), key=mins.__getitem__)
    mins[main] += working - sum(mins)  # the longest block absorbs the rounding
    blocks = [(name, m) for (name, _), m in zip(agenda, mins, strict=True)]
    for i in range(breaks, 0, -1):  # after block i + 1, counting from the welcome
        blocks.insert(i + 1, ("Break", BREAK_MINUTES))
    return blocks


def prepare(assistant: Assistant, topic: str, stage: Stage = "formed", minutes: int = 90) -> SessionPlan:
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}")
    topic = " ".join(topic.split())
    if not any(ch.isalnum() for ch in topic):
        raise ValueError("the topic has no words in it: name a topic, e.g. \"member engagement\"")
    agenda = agenda_for(minutes)
    if assistant.answer(topic).refused:  # the angles' own words must not carry an uncovered topic
        raise ValueError(f"the knowledge base has nothing on {topic!r}; try a broader topic")
    focus = STAGE_FOCUS[stage]
    # The angles are English: a Lithuanian topic ("eksportas") is asked about in its English words.
    # Words it cannot translate stay: "braškių eksportas" is about strawberries, not export at large.
    search = expand(topic)
    missing = unmentioned(assistant, topic, search)
    subject = " ".join(dict.fromkeys([*english_part(search).split(), *untranslated(search)])) or topic
    # Longer answers than a question gets: eight points need a pool that holds more than four answers'
    # best three sentences each, or points off the topic fill the plan.
    answers: list[Answer] = [assistant.answer(a.format(topic=subject, focus=focus),
                                              word_cap=assistant.settings.plan_source_words) for a in ANGLES]
    answered = [a for a in answers if not a.refused]
    if not answered:
        raise ValueError(f"the knowledge base has nothing on {topic!r}; try a broader topic")
    points = _rank(assistant, _candidate_points(answered), topic, focus)
    chosen = points[:MAX_KEY_POINTS]
    # The retrieved chunks too: a point's own sentence may sit in another chunk of the passage its [n] cites.
    chunks = assistant.store.get(sorted({c.chunk_id for p in chosen for c in p.sources}
                                        | {r["id"] for a in answered for r in a.retrieved}))
    key_points, reading = _renumbered(chosen, chunks)
    objectives = [
        f"Understand what the sources say about {topic} for a cluster at the {stage} stage ({focus}).",
        *[f"Explain to members: {_gist(kp.text)}" for kp in key_points[:2]],
        "Agree on one concrete next step the cluster will take, with an owner and a date.",
    ]
    # Each question starts from a cited point, so the discussion stays on what the sources say.
    discussion = [f"The sources say: “{_gist(kp.text)}” What would this mean for our cluster, at the {stage} "
                  f"stage ({focus})?" for kp in key_points[:3]]
    discussion.append(f"How will we know in six months that our work on {topic} is paying off?")
    exercise_minutes = dict(agenda).get("Exercise", 0)
    exercise = ("None in the session: there is no time for one. Ask each member to pick one key point above and "
                "bring one action for it to the next meeting." if not exercise_minutes else
                f"In groups of three to five ({exercise_minutes} minutes): pick one key point above, write down "
                f"one action for {focus}, who in the cluster leads it, what it needs and the first milestone. "
                "Each group presents its action in one minute; the cluster chooses which to start."
                if exercise_minutes >= 10 else  # no time for groups to form and present
                f"Alone or in pairs ({exercise_minutes} minutes): pick one key point above and write down one "
                f"action for {focus}, who in the cluster leads it and the first milestone.")
    plan = SessionPlan(topic, stage, minutes, objectives, agenda, key_points, discussion, exercise, reading)
    if missing:  # "blockchain for clusters": what the sources say of clusters, and the mentor is told so
        plan.notice = (f"no document mentions {', '.join(missing)}: the points are what the sources say about the "
                       "rest of the topic.")
    if assistant.settings.llm != "extractive":
        _improve_with_model(assistant, plan)
    return plan


def unmentioned(assistant: Assistant, topic: str, search: str) -> list[str]:
    """The topic's words that no indexed chunk holds ("blockchain", "Latvia"), as typed; a Lithuanian topic's
    (`search`: the topic expanded) by its English terms and the words the glossary could not translate."""
    english = english_part(search)
    typed = [w for w in WORD.findall(english) if terms(w)] if english != search else [
        w for w in WORD.findall(topic) if terms(w)]
    words = [*typed, *(untranslated(search) if english != search else [])]
    return list(dict.fromkeys(w for w in words if not assistant.knows(w)))


@dataclass
class _Point:
    text: str                 # the sentence, its [n] markers numbered as in its answer
    sources: list[Citation]   # the citations its markers point to
    quote: str = ""           # the sentence as its source words it (a list item without its bullet)


def _candidate_points(answers: list[Answer]) -> list[_Point]:
    """Every sentence of the answers that says something, with the sources its own markers cite; a
    sentence that repeats one already taken (most of its words) is left out. A list item stands as a
    sentence of its own ("improve SMEs' access…; and" reads "Improve SMEs' access…."), and no point opens
    with a link word ("In addition, …")."""
    out: list[_Point] = []
    seen: list[set[str]] = []
    for ans in answers:
        by_n = {c.n: c for c in ans.citations}
        for sentence in _sentences(ans.answer):
            item = bool(BULLET.match(sentence.strip()))
            text = BULLET.sub("", sentence.strip())  # no bullet or list number
            body = strip_markers(text).strip()
            if item and body and not body.endswith(":"):
                body = as_sentence(body)
            body = unlinked(body)  # a point stands alone: "In addition, …" links to nothing
            if body != strip_markers(text).strip():
                text = " ".join([body, *(f"[{n}]" for n in MARKER.findall(text))])
            if not body or body.endswith(":") or points_back(body):
                continue  # a list intro says nothing on its own; "This approach will…" needs what came before
            words = set(terms(body))
            if not words or any(len(words & other) >= REPEAT_SHARE * len(words) for other in seen):
                continue
            cited = [by_n[int(n)] for n in MARKER.findall(text) if int(n) in by_n]
            if cited:
                seen.append(words)
                out.append(_Point(text, cited, strip_markers(BULLET.sub("", sentence.strip())).strip()))
    return out


REPEAT_SHARE = 0.7  # a point with this share of its terms in a point already taken repeats it
_ITEM_TAIL = re.compile(r"(?:\s*[;,]\s*(?:and|or)?|\s+(?:and|or))\s*$")


def as_sentence(item: str) -> str:
    """A list item as a sentence: "improve access to clusters; and" -> "Improve access to clusters."."""
    text = _ITEM_TAIL.sub("", item.strip())
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "”", '"')) else text + "."


def _rank(assistant: Assistant, points: list[_Point], topic: str, focus: str) -> list[_Point]:
    """Best first: the points that name what the topic is about (`topic_head`, or a word near it: "funds"
    for "funding") before those that do not; within each, closest to the topic and (STAGE_WEIGHT) to what
    a cluster at this stage needs. A funding plan opened with a point on trust, near the stage's "why to
    cooperate" but not about funding."""
    if not points:
        return []
    embed = assistant.embedder
    topic = expand(topic)  # a Lithuanian topic ("eksportas") is compared by its English words too
    vectors = np.asarray(embed.embed_documents([strip_markers(p.text) for p in points]))
    on_topic = vectors @ np.asarray(embed.embed_query(topic))
    score = on_topic + STAGE_WEIGHT * (vectors @ np.asarray(embed.embed_query(focus)))
    keywords, words, _ = assistant.derived()
    english = english_part(topic)  # the head of "export | eksportas" is "export"
    about = topic_head(english, keywords.focus(terms(english)))
    texts = [set(terms(strip_markers(p.text))) for p in points]
    vocab = sorted(set().union(*texts))
    near = words.matches(about, vocab).max(axis=0) > 0 if about and vocab else np.zeros(len(vocab), dtype=bool)
    named = {w for w, hit in zip(vocab, near, strict=True) if hit}
    order = sorted(range(len(points)), key=lambda i: (not texts[i] & named, -score[i]))
    # Below the floor a point is off the topic, whatever the stage: a plan stops there (with a few points at least).
    return [points[i] for n, i in enumerate(order) if n < MIN_KEY_POINTS or on_topic[i] >= POINT_FLOOR]


_PREPOSITION = re.compile(r"\b(?:for|of|in|with|to|on|about|through|by|at)\b", re.I)
# Heads that say how, not what: in "role of universities in clusters" the topic is the universities.
_VAGUE_HEADS = frozenset(terms("role roles importance impact use access way ways aspect aspects issue issues "
                               "question questions topic basics overview introduction"))


def topic_head(topic: str, focus: frozenset[str]) -> list[str]:
    """What a topic is about: the head of its noun phrase ("funding" in "funding for cluster projects",
    "engagement" in "member engagement"), if it is one of the topic's rare terms (`focus`) and says what;
    else those terms ("role of universities in clusters": "universities")."""
    before = terms(_PREPOSITION.split(topic, maxsplit=1)[0])
    if before and before[-1] in focus and before[-1] not in _VAGUE_HEADS:
        return [before[-1]]
    return sorted(focus - _VAGUE_HEADS)


def _renumbered(points: list[_Point], chunks: dict[str, Document]) -> tuple[list[KeyPoint], list[Citation]]:
    """Key points with one numbering across them, and the reading list: exactly the places (a document's page
    or section) they cite, one entry each, quoting the first point that cites it in its source's own words. A
    point not found verbatim in its source (a list item shown after its intro) is quoted by its answer's quote
    of the place when that is part of the point, else not at all: it may be a sentence the plan does not show."""
    reading: list[Citation] = []
    number: dict[tuple[str, str], int] = {}
    key_points = []
    for p in points:
        local = {}
        for cited in p.sources:
            c = _home(p.quote, cited, chunks) if len(p.sources) == 1 else cited
            where = (c.doc_id, c.label())
            if where not in number:
                number[where] = len(reading) + 1
                own = _source_sentence(p.quote, _text(chunks, c.chunk_id))
                # Else the answer's quote of that place, if it is part of the point (the item of "The specific
                # objectives are: to promote…"); another sentence of the place would back nothing shown.
                part = set(terms(unlinked(c.quote))) <= set(terms(p.quote))
                reading.append(replace(c, n=number[where], quote=own or (c.quote if part else "")))
            local[cited.n] = number[where]
        text = _SAME_MARKER.sub(r"\1", _renumber(p.text, local))  # two chunks of one page: "[1] [1]" reads "[1]"
        key_points.append(KeyPoint(text, list({local[c.n]: reading[local[c.n] - 1] for c in p.sources}.values())))
    return key_points, reading


_SAME_MARKER = re.compile(r"(\[\d+\])(?:\s*\1)+")


def _text(chunks: dict[str, Document], chunk_id: str) -> str:
    doc = chunks.get(chunk_id)
    return doc.page_content if doc is not None else ""


def _home(quote: str, c: Citation, chunks: dict[str, Document]) -> Citation:
    """`c` pointed at the chunk that holds the point's own sentence. An answer's [n] names a passage (a page
    or section) and the chunk of its best sentence, which may not be this point's: the reading entry would
    quote a sentence the plan does not show."""
    if _source_sentence(quote, _text(chunks, c.chunk_id)) is not None:
        return c
    home = next((d for d in chunks.values()
                 if d.metadata.get("doc_id") == c.doc_id and _source_sentence(quote, d.page_content)), None)
    return citation_for(c.n, home, c.quote) if home is not None else c


def _source_sentence(quote: str, chunk_text: str) -> str | None:
    """The source's own words for a point: the point itself, or, for a sentence the answer showed without its
    link word ("The clusters could…" for "Additionally, the clusters could…"), the sentence with it."""
    source, shown = squash(chunk_text), squash(quote)
    if not shown or shown in source:
        return shown or None
    lowered = shown[:1].lower() + shown[1:]
    at = source.find(lowered)
    head = re.split(r"(?<=[.!?;:])\s", source[:at])[-1] if at >= 0 else ""
    return head + lowered if at >= 0 and 0 < len(head.split()) <= 4 else None


def _gist(text: str, limit: int = 140) -> str:
    """A key point as a short quote, with its markers: "Clusters need a mentor for 2-3 years [1]"."""
    markers = " ".join(f"[{n}]" for n in dict.fromkeys(MARKER.findall(text)))
    body = strip_markers(text).strip()
    return f"{clip(body, limit)} {markers}".strip()


def _improve_with_model(assistant: Assistant, plan: SessionPlan) -> None:
    """Let the model write objectives, key points, questions and the exercise from the same sources.
    Key points must pass the citation check; the agenda stays ours (its minutes must add up)."""
    docs = list(assistant.store.get([c.chunk_id for c in plan.reading]).values())
    try:
        prompt = load_prompt("session_plan", assistant.settings).render(
            topic=plan.topic, stage=plan.stage, minutes=plan.minutes, sources=format_sources(docs))
        reply = generate(assistant.chat_model, [HumanMessage(prompt)], assistant.settings.llm_timeout_s)
    except Exception as e:  # noqa: BLE001 - any model failure keeps the offline plan
        logging.getLogger(__name__).warning("session plan model failed: %s", e)
        plan.notice = failure_notice(e, assistant.settings).replace("extractive answer", "offline plan")
        return
    sections = _sections(reply)
    g = ground(sections.get("key points", ""), docs)
    text, cites = g.text, g.citations
    if g.refused or not cites:
        plan.notice = "the model's key points did not pass the citation check; showing the offline plan"
        return
    plan.key_points = [KeyPoint(line.lstrip("-*• ").strip(), cites) for line in text.splitlines() if line.strip()]
    plan.reading = cites
    plan.objectives = _items(sections.get("learning objectives", "")) or plan.objectives
    plan.discussion = _items(sections.get("discussion questions for the cluster members", "")) or plan.discussion
    plan.exercise = sections.get("exercise", "").strip() or plan.exercise
    plan.provider = assistant.settings.llm


def _sections(markdown: str) -> dict[str, str]:
    out: dict[str, str] = {}
    name = ""
    for line in markdown.splitlines():
        if line.startswith("## "):
            name = line[3:].strip().lower()
            out[name] = ""
        elif name:
            out[name] += line + "\n"
    return out


def _items(section: str) -> list[str]:
    return [BULLET.sub("", ln).strip() for ln in section.splitlines() if ln.strip()]


def _sentences(answer: str) -> list[str]:
    """Split an answer at its markers: each piece is a sentence with its [n]."""
    out, cur = [], ""
    for token in answer.replace("\n", " ").split(" "):
        cur = f"{cur} {token}".strip()
        if token.startswith("[") and token.endswith("]") and token[1:-1].isdigit():
            out.append(cur)
            cur = ""
    return out


def _renumber(text: str, mapping: dict[int, int]) -> str:
    return MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), int(m.group(1)))}]", text)
