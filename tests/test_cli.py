"""The CLI doors, run as a user would: subprocesses on the shipped corpus's store."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.evals.runner import GATED, GATED_LOWER


def run(corpus_assistant: Assistant, *args: str, stdin: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "ASSISTANT_DATA_DIR": str(corpus_assistant.settings.data_dir), **(env or {})}
    return subprocess.run([sys.executable, "-m", "cluster_assistant",
                          *args], input=stdin, capture_output=True, text=True,
                          env=full_env, timeout=300)


def test_ask_prints_answer_sources_and_topic(corpus_assistant: Assistant) -> None:
    out = run(corpus_assistant, "ask", "What is INOKLASTER?")
    assert out.returncode == 0, out.stderr
    assert "[1]" in out.stdout and "Sources:" in out.stdout and "Topic:" in out.stdout
    assert "ClusterFY Action Plan" in out.stdout


def test_chat_follow_up_and_commands(corpus_assistant: Assistant) -> None:
    out = run(corpus_assistant, "chat", stdin="What is INOKLASTER?\nWho approves it?\n/sources\n/exit\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("Sources:") == 2
    assert "Traceback" not in out.stderr
    # The follow-up's reading is shown (what "it" was taken to be); the first question's is not: it was not changed.
    assert out.stdout.count("(read as: ") == 1 and "(read as: Who approves it? (about: INOKLASTER))" in out.stdout


def test_a_follow_up_with_nothing_before_it_says_so(corpus_assistant: Assistant) -> None:
    """"why?" opening a chat (or after refusals only) was refused as a subject the knowledge base lacks; it lacks
    an earlier answer. After one, it is read with that answer's subject and gets no note."""
    out = run(corpus_assistant, "chat", stdin="why?\nWhat is INOKLASTER?\nwhy?\n/exit\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("reads like a follow-up to an earlier answer") == 1
    assert out.stdout.index("reads like a follow-up") < out.stdout.index("INOKLASTER supports")
    ask = run(corpus_assistant, "ask", "why?")
    assert ask.returncode == 0 and "reads like a follow-up, but `ask` has no earlier question" in ask.stderr
    assert "note:" not in run(corpus_assistant, "ask", "Funding?").stderr  # a subject of its own


def test_ask_reads_a_piped_question_and_any_case_of_a_topic(corpus_assistant: Assistant) -> None:
    """`echo "…" | cluster-assistant ask` said the question was empty; "--topic Funding" was an unknown topic."""
    piped = run(corpus_assistant, "ask", stdin="What is INOKLASTER?\n")
    assert piped.returncode == 0 and "INOKLASTER" in piped.stdout, piped.stderr
    cased = run(corpus_assistant, "ask", "--topic", "Funding", "What is INOKLASTER?")
    assert cased.returncode == 0 and "Topic: funding" in cased.stdout, cased.stderr
    empty = run(corpus_assistant, "ask", stdin="")
    assert empty.returncode == 2 and "the question is empty" in empty.stderr


def test_prepare_writes_a_plan(corpus_assistant: Assistant, tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    out = run(corpus_assistant, "prepare", "member engagement", "--minutes", "60", "--out", str(plan))
    assert out.returncode == 0, out.stderr
    assert "## Agenda" in plan.read_text()
    bad = run(corpus_assistant, "prepare", "member engagement", "--minutes", "5")
    assert bad.returncode == 2 and "at least" in bad.stderr
    folder = run(corpus_assistant, "prepare", "member engagement", "--out", str(tmp_path))
    assert folder.returncode == 2 and "is a folder: name a file" in folder.stderr and "Errno" not in folder.stderr


def test_gaps_report(corpus_assistant: Assistant) -> None:
    out = run(corpus_assistant, "gaps")
    assert out.returncode == 0, out.stderr
    assert "| Communication & marketing |" in out.stdout


def test_eval_gate_fails_on_a_regression(corpus_assistant: Assistant, tmp_path: Path) -> None:
    impossible = tmp_path / "baseline.json"
    impossible.write_text(json.dumps({"overall": {**dict.fromkeys(GATED, 1.0), **dict.fromkeys(GATED_LOWER, 1)}}))
    out = run(corpus_assistant, "eval", "--limit", "6", "--out", str(tmp_path / "out"), "--baseline", str(impossible))
    assert out.returncode == 1 and "quality regression" in out.stderr
    assert (tmp_path / "out" / "summary.md").is_file()
    again = run(corpus_assistant, "eval", "--limit", "6", "--out", str(tmp_path / "again"), "--compare",
                str(tmp_path / "out" / "report.json"))
    assert again.returncode == 0, again.stderr
    assert "item by item against" in again.stdout and "0 better / 0 worse (p 1.00)" in again.stdout


def test_eval_of_chat_follow_ups(corpus_assistant: Assistant, tmp_path: Path) -> None:
    """`eval --conversations` types the shipped conversations into a chat and gates on their baseline."""
    impossible = tmp_path / "baseline.json"
    # Below no repeats at all: the first three conversations may well score 1.0 on everything else.
    impossible.write_text(json.dumps({"overall": {"key_fact_recall": 1.0, "follow_ups_read_with_subject": 1.0,
                                                  "new_questions_read_alone": 1.0, "repeated": -1, "refused": 0}}))
    out = run(corpus_assistant, "eval", "--conversations", "--limit", "3", "--out", str(tmp_path / "out"),
              "--baseline", str(impossible))
    assert out.returncode == 1 and "follow-ups got worse" in out.stderr, out.stderr
    assert "last turn: key-fact recall" in out.stdout
    assert len(json.loads((tmp_path / "out" / "conversations.json").read_text())["items"]) == 3
    assert "(tolerance 0.05)" in out.stdout
    for text in ('{"overall": {"mrr": 0.9}}', "[1, 2]", '{"overall": [1]}'):  # e.g. the main eval's baseline
        hollow = tmp_path / "hollow.json"
        hollow.write_text(text)
        out = run(corpus_assistant, "eval", "--conversations", "--out", str(tmp_path / "x"), "--baseline", str(hollow))
        assert out.returncode == 2 and "is no conversations baseline" in out.stderr, out.stderr
        assert not (tmp_path / "x").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: c1\n  kind: chat\n  turns: [a, b]\n  standalone: b\n  key_facts: [x]\n")
    out = run(corpus_assistant, "eval", "--conversations", "--dataset", str(bad), "--out", str(tmp_path / "y"))
    assert out.returncode == 2 and "kind must be one of follow_up, new_question" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("args", "says"), [
    (["--baseline", "{missing}"], "No such file"),
    (["--baseline", "{bad}"], "is not valid JSON"),
    (["--baseline", "{empty}"], 'no "overall" metrics'),
    (["--limit", "0"], "must be at least 1"),
    (["--tolerance", "-1"], "must be at least 0.0"),
    (["--tolerance", "nan"], "must be at least 0.0"),
    (["--baseline", "{hollow}"], "lacks a number for hit_at_5"),
    (["--compare", "{missing}"], "No such file"),
    (["--compare", "{hollow}"], "has no items: pass the report.json an eval wrote"),
    (["--compare", "{old_report}"], "an item lacks wording, language, key_fact_recall, lead_fact_recall_40"),
    (["--conversations", "--compare", "{old_report}"], "--compare cannot be used with --conversations"),
])
def test_eval_arguments_that_cannot_work_fail_before_the_run(corpus_assistant: Assistant, tmp_path: Path,
                                                             args: list[str], says: str) -> None:
    """Exit 2 (usage), not 1: CI must tell a broken baseline from a quality regression."""
    files = {"missing": tmp_path / "nothere.json", "bad": tmp_path / "bad.json", "empty": tmp_path / "empty.json",
             "hollow": tmp_path / "hollow.json"}
    files["bad"].write_text("{bad")
    files["empty"].write_text("{}")
    files["hollow"].write_text('{"overall": {"mrr": "0.9"}}')
    files["old_report"] = tmp_path / "old_report.json"
    files["old_report"].write_text('{"items": [{"id": "q001", "in_scope": true}]}')
    args = [a.format(**files) for a in args]
    out = run(corpus_assistant, "eval", "--out", str(tmp_path / "out"), *args)
    assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "out").exists()  # nothing was run


def test_slack_without_tokens_names_the_variable(corpus_assistant: Assistant) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    out = subprocess.run([sys.executable, "-m", "cluster_assistant",
                          "slack", "--http", "--port", "0"], capture_output=True,
                         text=True, env={**env, "ASSISTANT_DATA_DIR": str(corpus_assistant.settings.data_dir)},
                         timeout=120)
    assert out.returncode == 1 and "SLACK_BOT_TOKEN" in out.stderr and "Traceback" not in out.stderr


def test_bad_settings_are_one_line(corpus_assistant: Assistant) -> None:
    out = run(corpus_assistant, "sources", env={"ASSISTANT_K": "zero"})
    assert out.returncode == 1 and out.stderr.startswith("error: invalid settings: k:")


def test_settings_checked_across_fields_and_bad_toml_name_the_problem(corpus_assistant: Assistant,
                                                                      tmp_path: Path) -> None:
    out = run(corpus_assistant, "sources", env={"ASSISTANT_K": "30", "ASSISTANT_FETCH_K": "10"})
    assert out.returncode == 1 and out.stderr == "error: invalid settings: fetch_k must be at least k\n"
    bad = tmp_path / "bad.toml"
    bad.write_text("k = \n")
    out = run(corpus_assistant, "--config", str(bad), "sources")
    assert out.returncode == 1 and f"config file {bad} is not valid TOML" in out.stderr
    assert len(out.stderr.splitlines()) == 1


def test_a_damaged_store_or_feedback_file_is_named(corpus_assistant: Assistant, tmp_path: Path) -> None:
    (tmp_path / "chroma").mkdir()
    (tmp_path / "chroma" / "chroma.sqlite3").write_text("junk")
    out = run(corpus_assistant, "sources", env={"ASSISTANT_DATA_DIR": str(tmp_path)})
    assert out.returncode == 1 and f"cannot open the store at {tmp_path / 'chroma'}" in out.stderr
    out = run(corpus_assistant, "sources", env={"ASSISTANT_CHROMA_URL": "http://127.0.0.1:9"})
    assert out.returncode == 1 and "cannot open the store at http://127.0.0.1:9" in out.stderr
    assert "Traceback" not in out.stderr


def test_ask_notes_a_question_that_needs_an_earlier_one(corpus_assistant: Assistant) -> None:
    out = run(corpus_assistant, "ask", "Who runs it?")
    assert out.returncode == 0 and "reads like a follow-up" in out.stderr and "chat" in out.stderr
    for plain in ("What is INOKLASTER?", "What is a cluster?", "What does it cost to join a cluster?"):
        out = run(corpus_assistant, "ask", plain)
        assert out.returncode == 0 and "follow-up" not in out.stderr
