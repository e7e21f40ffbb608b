"""What the support check did in a model-mode eval run (`cluster-assistant eval` with a model set up):
sentences checked and removed, answers that fell back to the extractive one, and, given a log of the
sentences a test model wrote with wrong facts planted in some (`--planted`), how many of those wrong
facts still reached the shown answer and how many faithful sentences were kept."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cluster_assistant.assistant.text import MARKER


def _plain(text: str) -> str:
    """Text as compared: markers out, whitespace folded, no final full stop, lower case."""
    return " ".join(MARKER.sub(" ", text).split()).rstrip(" .").lower()


def read_planted(path: Path) -> list[dict[str, Any]]:
    """The JSON lines a test model wrote: {"question", "source", "type", "sentence"} per sentence."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"cannot read planted sentences {path}: {e}") from e


def summarise(items: Sequence[Mapping[str, Any]], planted: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Totals over a run's items (each with "question", "answer", "refused" and "support")."""
    checked = [i["support"] for i in items if i.get("support")]
    reasons: dict[str, int] = {}
    for s in checked:
        for r, n in s["reasons"].items():
            reasons[r] = reasons.get(r, 0) + n
    out: dict[str, Any] = {
        "answers_checked": len(checked),
        "sentences_checked": sum(s["checked"] for s in checked),
        "sentences_removed": sum(s["removed"] for s in checked),
        "removed_by_reason": dict(sorted(reasons.items())),
        "answers_with_removals": sum(1 for s in checked if s["removed"]),
    }
    if planted is None:
        return out
    shown = {" ".join(str(i["question"]).split()): _plain(str(i["answer"])) for i in items if not i.get("refused")}
    wrong = [p for p in planted if p["type"] != "faithful"]
    faithful = [p for p in planted if p["type"] == "faithful"]

    def reached(p: Mapping[str, Any]) -> bool:
        return _plain(str(p["sentence"])) in shown.get(" ".join(str(p["question"]).split()), "")

    through = [p for p in wrong if reached(p)]
    out["planted"] = {
        "sentences_written": len(planted),
        "wrong_facts_planted": len(wrong),
        "wrong_facts_shown": len(through),
        "wrong_facts_by_type": {t: {"planted": sum(p["type"] == t for p in wrong),
                                    "shown": sum(p["type"] == t for p in through)}
                                for t in sorted({p["type"] for p in wrong})},
        "faithful_written": len(faithful),
        "faithful_shown": sum(reached(p) for p in faithful),
        "wrong_facts_that_got_through": [dict(p) for p in through],
    }
    return out


def lines(summary: Mapping[str, Any]) -> list[str]:
    """The people-facing report lines."""
    why = ", ".join(f"{r} {n}" for r, n in summary["removed_by_reason"].items()) or "none"
    out = [f"support check: {summary['sentences_checked']} model sentences checked in {summary['answers_checked']} "
           f"answers; {summary['sentences_removed']} removed ({why})"]
    p = summary.get("planted")
    if p:
        kinds = ", ".join(f"{t} {v['shown']}/{v['planted']}" for t, v in p["wrong_facts_by_type"].items())
        out.append(f"planted wrong facts: {p['wrong_facts_shown']} of {p['wrong_facts_planted']} still shown "
                   f"({kinds}); faithful sentences shown: {p['faithful_shown']} of {p['faithful_written']}")
    return out
