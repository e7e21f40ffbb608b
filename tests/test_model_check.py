"""Model answers checked for what they say, end to end: the real chain and the real langchain-openai
client against a fake OpenAI-compatible server on 127.0.0.1 (issue 20's done-when), what users see
(CLI, `ask --json`, Slack blocks), and `cluster-assistant eval` in model mode with planted wrong facts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cluster_assistant.assistant.answering.citations import citation_problems
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.bots.slack.blocks import answer_blocks

from tools.fake_openai import FakeOpenAI, Paraphraser, Request, sources

QUESTION = "What did InoLink achieve, and what would a similar mentoring programme need?"
RESULTS = "14 clusters formulated cluster development strategy"   # [A] in the issue
RESOURCES = "Required resources are a mentor"                      # [B]
FAITHFUL = ("InoLink helped fourteen clusters write their development strategies, and eight of them received the "
            "bronze European cluster excellence label [{a}]. A similar programme needs a mentor who works with the "
            "cluster for two to three years, plus external expertise, costing roughly 100,000 per cluster [{b}].")
WRONG = ("InoLink helped 40 clusters write strategies and all of them got gold labels [{a}]. "
         "A programme needs no mentor and costs nothing [{b}].")

pytestmark = pytest.mark.usefixtures("fake_llm")


def cites(template: str) -> Callable[[Request], str]:
    """A reply citing the sources that hold the InoLink results ([A]) and resources ([B])."""
    def reply(req: Request) -> str:
        found = sources(req)
        a = next(n for n, t in found.items() if RESULTS in " ".join(t.split()))
        b = next(n for n, t in found.items() if RESOURCES in " ".join(t.split()))
        return template.format(a=a, b=b)
    return reply


def _texts(a: Assistant, ans: object) -> dict[str, str]:
    stored = a.store.get([c.chunk_id for c in ans.citations])  # type: ignore[attr-defined]
    return {cid: d.page_content for cid, d in stored.items()}


def test_a_faithful_paraphrase_is_shown_as_grounded(model_assistant: Assistant, fake_llm: FakeOpenAI) -> None:
    fake_llm.push(cites(FAITHFUL))
    ans = model_assistant.answer(QUESTION)
    assert ans.provider == "openai" and not ans.refused and ans.notice == ""
    assert ans.answer == FAITHFUL.format(a=1, b=2)
    assert [c.doc_id for c in ans.citations] == ["inolink-good-practice"] * 2
    assert "14 clusters" in ans.citations[0].quote and "100 000" in ans.citations[1].quote
    assert ans.support == {"checked": 2, "removed": 0, "reasons": {}}
    assert citation_problems(ans, _texts(model_assistant, ans)) == []


def test_the_wrong_facts_reply_is_not_shown_as_grounded(
        model_assistant: Assistant, corpus_assistant: Assistant, fake_llm: FakeOpenAI) -> None:
    fake_llm.push(cites(WRONG))
    ans = model_assistant.answer(QUESTION)
    # Nothing cited survives: the extractive answer, saying why.
    assert ans.provider == "extractive"
    assert ans.notice == "2 sentences removed: not supported by their sources; showing the extractive answer"
    assert "40 clusters" not in ans.answer and "gold" not in ans.answer and "no mentor" not in ans.answer
    assert ans.answer == corpus_assistant.answer(QUESTION).answer
    assert ans.support is not None and ans.support["removed"] == 2 and ans.support["reasons"]["number"] == 1
    assert citation_problems(ans, _texts(model_assistant, ans)) == []


def test_one_wrong_sentence_is_removed_and_the_rest_shown(model_assistant: Assistant, fake_llm: FakeOpenAI) -> None:
    first, _, _ = FAITHFUL.partition(" A similar")
    fake_llm.push(cites(first + " A programme needs no mentor and costs nothing [{b}]."))
    ans = model_assistant.answer(QUESTION)
    assert ans.provider == "openai" and ans.answer == first.format(a=1)
    assert ans.notice == "1 sentence removed: not supported by their sources"
    assert ans.to_json()["support_check"]["removed"] == 1
    # Slack shows the same notice (it renders `Answer.notice`).
    blocks, _ = answer_blocks(ans)
    assert "1 sentence removed: not supported by their sources" in json.dumps(blocks)


def _env(a: Assistant, fake_llm: FakeOpenAI) -> dict[str, str]:
    return {**os.environ, "ASSISTANT_DATA_DIR": str(a.settings.data_dir), "ASSISTANT_LLM": "openai",
            "ASSISTANT_OPENAI_BASE_URL": fake_llm.base_url}


def test_cli_shows_the_notice_and_json_the_counts(corpus_assistant: Assistant, fake_llm: FakeOpenAI) -> None:
    first, _, _ = FAITHFUL.partition(" A similar")
    fake_llm.default = cites(first + " InoLink also created 500 new initiatives [{a}].")
    out = subprocess.run([sys.executable, "-m", "cluster_assistant", "ask", QUESTION], capture_output=True,
                         text=True, env=_env(corpus_assistant, fake_llm), timeout=300)
    assert out.returncode == 0, out.stderr
    assert "(1 sentence removed: not supported by their sources)" in out.stdout
    checked = out.stdout.split("---- checked answer ----")[1]
    assert "500" not in checked and "fourteen clusters" in checked

    out = subprocess.run([sys.executable, "-m", "cluster_assistant", "ask", "--json", QUESTION], capture_output=True,
                         text=True, env=_env(corpus_assistant, fake_llm), timeout=300)
    data = json.loads(out.stdout)
    assert set(data) == {"question", "answer", "refused", "topic", "citations", "timings_ms", "support_check"}
    assert data["support_check"] == {"checked": 2, "removed": 1, "reasons": {"number": 1}}


def test_model_mode_eval_reports_what_the_check_removed_and_let_through(
        corpus_assistant: Assistant, fake_llm: FakeOpenAI, tmp_path: Path) -> None:
    log = tmp_path / "planted.jsonl"
    fake_llm.default = Paraphraser(corrupt_every=3, log_file=log)
    out = subprocess.run([sys.executable, "-m", "cluster_assistant", "eval", "--limit", "40", "--planted", str(log),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True,
                         env=_env(corpus_assistant, fake_llm), timeout=900)
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["settings"]["llm"] == "openai"
    check = report["model_check"]
    planted = check["planted"]
    # The fake wrote about a third of its sentences wrong, of all three kinds.
    assert planted["wrong_facts_planted"] >= 0.25 * planted["sentences_written"] >= 15
    assert set(planted["wrong_facts_by_type"]) == {"number", "name", "negation"}
    # Nearly all wrong facts removed; nearly all faithful sentences kept.
    assert planted["wrong_facts_shown"] <= 0.05 * planted["wrong_facts_planted"], planted
    assert planted["faithful_shown"] >= 0.90 * planted["faithful_written"], planted
    caught = planted["wrong_facts_planted"] - planted["wrong_facts_shown"]
    assert check["sentences_removed"] >= caught
    assert f"planted wrong facts: {planted['wrong_facts_shown']} of {planted['wrong_facts_planted']} still shown" \
        in out.stdout
    assert "model sentences checked" in out.stdout
    assert report["overall"]["citation_validity"] == 1.0
