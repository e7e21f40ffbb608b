"""Chat follow-ups, scored: `cluster-assistant eval --conversations`.

Each conversation (`evals/conversations.yaml`) is typed turn by turn into a `Conversation`, as the CLI chat
and Slack threads do. Only the last turn is scored:
- its key facts, against the same question asked in full on its own (`standalone`): a follow-up should find
  what the full question finds. A fact an earlier answer already showed is not asked of it again (a chat does
  not repeat itself); a conversation whose facts were all shown before is not scored on them;
- the sentences it repeats from the earlier answers (it should bring what is new);
- whether it was refused, and whether a turn with a subject of its own (`kind: new_question`) was read on its
  own, without the earlier subject carried into it."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cluster_assistant.assistant.answering.render import shown_sentences
from cluster_assistant.assistant.conversation import Conversation
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.assistant.settings import shipped
from cluster_assistant.evals import metrics as m
from cluster_assistant.evals.runner import DatasetError, held_out, read_list

DEFAULT_CONVERSATIONS = shipped("evals", "conversations.yaml")
DEFAULT_CONVERSATIONS_BASELINE = shipped("evals", "conversations_baseline.json")
KINDS = ("follow_up", "new_question")
GATED = ("key_fact_recall", "follow_ups_read_with_subject", "new_questions_read_alone")
GATED_LOWER = ("repeated", "refused")
TOLERANCE = 0.05  # about three of the 60 scored conversations: a small set moves in big steps


@dataclass
class Dialogue:
    id: str
    language: str
    kind: str
    turns: list[str]
    standalone: str
    key_facts: list[str]
    expected_docs: list[str]

    @property
    def held_out(self) -> bool:
        return held_out(self.id)


@dataclass
class DialogueResult:
    id: str
    language: str
    kind: str
    held_out: bool
    asked: str                # the last turn, as typed
    read_as: str              # what the chat answered it as (`Conversation.condense`)
    answer: str
    refused: bool
    key_fact_recall: float | None   # of the facts no earlier answer showed (None: all were shown)
    standalone_recall: float | None  # the same, for the question asked in full, on its own
    shown_before: list[str]          # key facts an earlier answer already showed
    repeated: float           # share of the answer's sentences an earlier answer showed
    carried_over: bool        # the chat added the earlier subject to the last turn
    missing_facts: list[str]


def load_conversations(path: Path) -> list[Dialogue]:
    out: list[Dialogue] = []
    for n, r in enumerate(read_list(path, "conversations"), 1):
        if not isinstance(r, dict):
            raise DatasetError(f"{path}: conversation {n} is not a mapping of fields")
        try:
            d = Dialogue(id=str(r["id"]), language=str(r.get("language", "en")), kind=str(r["kind"]),
                         turns=_texts(r["turns"], "turns"), standalone=_texts([r["standalone"]], "standalone")[0],
                         key_facts=_texts(r["key_facts"], "key_facts"),
                         expected_docs=[str(s["doc_id"]) for s in r.get("expected_sources") or []])
        except KeyError as e:
            raise DatasetError(f"{path}: conversation {n} lacks a field: {e}") from e
        except (TypeError, ValueError) as e:
            raise DatasetError(f"{path}: conversation {n}: {e}") from e
        if d.kind not in KINDS:
            raise DatasetError(f"{path}: {d.id}: kind must be one of {', '.join(KINDS)}, not {d.kind!r}")
        if len(d.turns) < 2:
            raise DatasetError(f"{path}: {d.id}: a conversation needs two turns or more")
        if any(o.id == d.id for o in out):
            raise DatasetError(f"{path}: duplicate id {d.id}")
        out.append(d)
    return out


def _texts(value: object, name: str) -> list[str]:
    """A list of non-empty texts, or a TypeError/ValueError that names the field."""
    if not isinstance(value, list) or not value:
        raise TypeError(f"{name} must be a non-empty list of texts")
    if not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{name} must hold only non-empty texts")
    return list(value)


def score(d: Dialogue, assistant: Assistant) -> DialogueResult:
    chat = Conversation(assistant)
    before = " ".join(a.answer for a in (chat.ask(turn) for turn in d.turns[:-1]) if not a.refused)
    pending = [f for f in d.key_facts if not m.fact_present(f, before)]
    earlier = chat.shown()
    last = chat.ask(d.turns[-1])
    read_as = chat.history[-1].standalone
    text = "" if last.refused else last.answer
    said = [s for s in shown_sentences(text) if not s.endswith(":")]  # a list's intro may come again
    alone = assistant.answer(d.standalone)
    return DialogueResult(
        id=d.id, language=d.language, kind=d.kind, held_out=d.held_out, asked=d.turns[-1], read_as=read_as,
        answer=last.answer, refused=last.refused,
        key_fact_recall=m.key_fact_recall(pending, text) if pending else None,
        standalone_recall=m.key_fact_recall(pending, "" if alone.refused else alone.answer) if pending else None,
        shown_before=[f for f in d.key_facts if f not in pending],
        repeated=sum(s in earlier for s in said) / len(said) if said else 0.0,
        carried_over=chat.history[-1].rewritten,
        missing_facts=[f for f in pending if not m.fact_present(f, text)])


def summary(results: list[DialogueResult]) -> dict[str, float | None]:
    """The figures of a group of conversations; None for a figure the group has nothing to measure by (no
    change of subject among them, say), which a comparison then skips."""
    def mean(xs: list[float]) -> float | None:
        return sum(xs) / len(xs) if xs else None

    scored = [r for r in results if r.key_fact_recall is not None]
    return {
        "conversations": len(results),
        "scored": len(scored),  # the others' facts were all shown by an earlier answer
        "key_fact_recall": mean([r.key_fact_recall or 0.0 for r in scored]),
        "standalone_recall": mean([r.standalone_recall or 0.0 for r in scored]),
        "repeated": mean([r.repeated for r in results if not r.refused]),  # a refusal repeats nothing
        "refused": mean([float(r.refused) for r in results]),
        "follow_ups_read_with_subject": mean([float(r.carried_over) for r in results if r.kind == "follow_up"]),
        "new_questions_read_alone": mean([float(not r.carried_over) for r in results if r.kind == "new_question"]),
    }


def run_conversations(assistant: Assistant, dialogues: list[Dialogue]) -> dict[str, Any]:
    started = time.perf_counter()
    results = [score(d, assistant) for d in dialogues]
    return {
        "overall": summary(results),
        "halves": {half: summary([r for r in results if r.held_out == (half == "held_out")])
                   for half in ("dev", "held_out")},
        "by_kind": {k: summary([r for r in results if r.kind == k]) for k in KINDS},
        "by_language": {lang: summary([r for r in results if r.language == lang])
                        for lang in sorted({r.language for r in results})},
        "seconds": round(time.perf_counter() - started, 1),
        "items": [asdict(r) for r in results],
    }


def _figure(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def lines(report: dict[str, Any]) -> list[str]:
    """What `eval --conversations` prints."""
    out = []
    for name, s in [("all", report["overall"]), *report["halves"].items()]:
        if s["conversations"]:
            f = {k: _figure(v) for k, v in s.items()}
            out.append(f"{name:8} n={s['conversations']:3} ({s['scored']} scored)  last turn: key-fact recall "
                       f"{f['key_fact_recall']} (asked in full: {f['standalone_recall']}), repeated {f['repeated']}, "
                       f"refused {f['refused']}; follow-ups read with their subject "
                       f"{f['follow_ups_read_with_subject']}, new questions read alone {f['new_questions_read_alone']}")
    return out


def compare(report: dict[str, Any], baseline: dict[str, Any], tolerance: float = TOLERANCE) -> tuple[list[str], bool]:
    """Lines of deltas against a baseline run, and whether a gated figure got worse by more than `tolerance`."""
    out, failed = [], False
    for name in GATED + GATED_LOWER:
        new, old = report["overall"][name], baseline["overall"][name]
        if new is None or old is None:  # nothing to measure it by in one of the runs (`summary`)
            out.append(f"  {name}: {_figure(old)} -> {_figure(new)}")
            continue
        worse = (old - new if name in GATED else new - old) > tolerance
        failed |= worse
        out.append(f"  {name}: {old:.3f} -> {new:.3f}{'  WORSE' if worse else ''}")
    return out, failed


def baseline_problem(data: object) -> str | None:
    """What makes `data` no conversations baseline (None when it is one): every gated figure a number or,
    where the baseline run had nothing to measure it by, null."""
    overall = data.get("overall") if isinstance(data, dict) else None
    if not isinstance(overall, dict):
        return 'it has no "overall" figures'
    bad = [k for k in GATED + GATED_LOWER if k not in overall or not (
        overall[k] is None or (isinstance(overall[k], (int, float)) and math.isfinite(overall[k])))]
    return f"it lacks a number for {', '.join(bad)}" if bad else None
