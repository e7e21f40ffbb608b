"""The people-facing outputs: a Markdown summary and a PNG chart per competence area."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLUMNS = [("hit_at_5", "hit@5"), ("mrr", "MRR"), ("key_fact_recall", "fact recall"),
           ("lead_fact_recall_first", "lead 1st"), ("lead_fact_recall_40", "lead 40w"),
           ("sentence_precision", "precision"), ("context_fact_recall", "ctx facts"), ("rouge_l", "ROUGE-L"),
           ("citation_validity", "cite valid"), ("citation_precision", "cite prec"),
           ("refusal_accuracy", "refusal acc"), ("topic_accuracy", "topic")]


def _table(groups: dict[str, dict[str, float]], title: str) -> list[str]:
    head = (f"| {title} | n | " + " | ".join(label for _, label in COLUMNS)
            + " | fact recall, 95% interval | words p50/p90 | p50 ms |")
    lines = [head, "|" + " --- |" * (len(COLUMNS) + 5)]
    for name, g in groups.items():
        cells = " | ".join(f"{g[k]:.2f}" for k, _ in COLUMNS)
        interval = f"{g['key_fact_recall_low']:.2f}–{g['key_fact_recall_high']:.2f}"
        lines.append(f"| {name} | {g['items']} | {cells} | {interval} "
                     f"| {g['words_median']:.0f}/{g['words_p90']:.0f} | {g['latency_p50_ms']:.0f} |")
    return lines


def markdown(report: dict[str, Any]) -> str:
    o = report["overall"]
    lines = ["# Evaluation summary", "",
             f"{o['items']} questions ({o['in_scope']} in scope), answerer `{report['settings']['llm']}`, "
             f"{report['seconds']} s.", ""]
    lines += _table({"all": o}, "set") + [""]
    lines += ["*ctx facts*: the share of key facts present in the chunks the answerer read (top chunks and their "
              "neighbours), the ceiling of an answer composed from them. Fact recall below it is lost in answer "
              "composition; ctx facts below 1 is lost in retrieval.", ""]
    lines += ["*lead 1st* / *lead 40w*: key facts in the answer's first sentence / first 40 words; *precision*: "
              "the share of answer sentences that hold a key fact; words without [n] markers and bullets; *topic*: the "
              "share of in-scope questions tagged with their competence area.", ""]
    for half, title in (("dev", "Dev half (tuning decisions look only here)"),
                        ("held_out", "Held-out half (fixed by a hash of the item id)")):
        lines += [f"## {title}", ""] + _table(report["halves"][half], "slice") + [""]
    lines += ["## By wording", ""] + _table(report["by_wording"], "wording") + [""]
    lines += ["## By competence area", ""] + _table(report["by_area"], "area") + [""]
    lines += ["## By language", ""] + _table(report["by_language"], "language") + [""]
    lines += ["## By style", ""] + _table(report["by_style"], "style") + [""]
    worst = sorted(report["items"], key=lambda r: (not r["why"], r["key_fact_recall"] + r["hit_at_5"]
                                                   + r["refusal_correct"] + r["citation_valid"]))[:10]
    lines += ["## The ten worst items", "", "| id | area | lang | question | why |", "| --- | --- | --- | --- | --- |"]
    for r in worst:
        why = "; ".join(r["why"]) or "(passes)"
        lines.append(f"| {r['id']} | {r['area']} | {r['language']} | {r['question'].replace('|', '/')} "
                     f"| {why.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    shown = [("hit_at_5", "hit@5"), ("key_fact_recall", "key-fact recall"), ("lead_fact_recall_40", "lead (40 w)"),
             ("sentence_precision", "precision"),
             ("citation_validity", "citation validity"), ("refusal_accuracy", "refusal accuracy")]
    areas = list(report["by_area"]) + ["ALL"]
    data = {**report["by_area"], "ALL": report["overall"]}
    x = np.arange(len(areas))
    width = 0.8 / len(shown)
    fig, ax = plt.subplots(figsize=(11, 4.8), dpi=110)
    for i, (key, label) in enumerate(shown):
        ax.bar(x + i * width - 0.4 + width / 2, [data[a][key] for a in areas], width, label=label)
    ax.set_xticks(x, areas)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title("cluster-assistant evaluation by competence area")
    ax.axhline(0.8, color="grey", lw=0.6, ls="--")
    ax.legend(ncol=6, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, -0.25))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
