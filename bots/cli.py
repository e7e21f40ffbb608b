"""`cluster-assistant`: a thin door onto the core. No retrieval or answering logic lives here."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Cheap modules (no third-party imports); the heavy core loads inside the command that needs it, so
# `--help` and argument errors stay instant.
from cluster_assistant.assistant.source_doc import printable
from cluster_assistant.assistant.text import clip

if TYPE_CHECKING:
    from cluster_assistant.assistant.conversation import Conversation
    from cluster_assistant.assistant.pipeline import AnswerStream, Assistant
    from cluster_assistant.assistant.schema import Answer
    from cluster_assistant.assistant.settings import Settings

EXIT_USAGE = 2      # bad question or arguments
EXIT_PARTIAL = 3    # some files failed to ingest
EXIT_BUSY = 4       # another writer holds the store


class CliError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _settings(args: argparse.Namespace) -> Settings:
    from cluster_assistant.assistant.settings import load_settings

    overrides = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    return load_settings(args.config, **overrides)


def _assistant(args: argparse.Namespace) -> Assistant:
    from cluster_assistant.assistant.pipeline import Assistant

    assistant = Assistant(_settings(args))
    assistant.preload()
    if assistant.store.count() == 0:
        raise CliError("the index is empty: run `cluster-assistant ingest` first")
    return assistant


def _log_question(assistant: Assistant, ans: Answer, source: str) -> None:
    """The question log feeds `gaps`; failing to write it must not cost the user the answer."""
    from cluster_assistant.assistant.feedback import FeedbackStore

    try:
        FeedbackStore.in_dir(assistant.settings.data_dir).log_question(ans, source=source)
    except Exception as e:  # noqa: BLE001 - a read-only data dir, a locked database
        logging.getLogger(__name__).warning("question not logged: %s", e)


def format_answer(ans: Answer, with_text: bool = True) -> str:
    from cluster_assistant.assistant.conversation import citation_lines

    lines = [ans.answer, ""] if with_text else [""]
    if ans.notice:
        lines.insert(0, f"({ans.notice})\n")
    if ans.citations:
        lines += ["Sources:", *citation_lines(ans, indent="  ")]
    topic = "" if ans.refused else f"Topic: {ans.topic}   "  # a refusal's nearest topic says nothing
    lines.append(f"{topic}({ans.timings_ms.get('total', 0):.0f} ms)")
    return "\n".join(lines)


# --- commands ------------------------------------------------------------------------------------

def cmd_ingest(args: argparse.Namespace) -> int:
    from cluster_assistant.assistant.fetch import is_url
    from cluster_assistant.assistant.ingest import ingest
    from cluster_assistant.assistant.pipeline import Assistant

    settings = _settings(args)
    assistant = Assistant(settings)
    paths: list[Path | str] = [p if is_url(p) else Path(p) for p in args.paths] or [settings.corpus_dir]
    report = ingest(paths, settings, assistant.store, assistant.embedder, assistant.classifier,
                    progress=sys.stderr.isatty())
    for f in report.failed:
        print(printable(f"warning: {f.path}: {f.reason}: {f.detail}"), file=sys.stderr)
    for g in report.flagged:  # indexed, but these sentences are never quoted
        print(printable(f"flagged: {g.path}: {g.sentences} sentence(s) address the assistant or ask for credentials "
                    f"and will not be quoted, e.g. \"{clip(g.example, 120)}\""), file=sys.stderr)
    print(report.summary())
    return EXIT_PARTIAL if report.failed else 0


def cmd_remove(args: argparse.Namespace) -> int:
    from cluster_assistant.assistant.removal import remove
    from cluster_assistant.assistant.store import Store

    settings = _settings(args)
    result = remove(args.targets, Store(settings), settings.keywords_dir)
    for doc_id, n in sorted(result.removed.items()):
        print(f"removed {doc_id} ({n} chunk{'s' * (n != 1)})")
    for target in result.unmatched:
        print(printable(f"warning: {target}: no indexed document has this id or path "
                        "(see `cluster-assistant sources`)"), file=sys.stderr)
    if not result.unmatched:
        return 0
    return EXIT_PARTIAL if result.removed else EXIT_USAGE


def cmd_ask(args: argparse.Namespace) -> int:
    from cluster_assistant.assistant.conversation import needs_context
    from cluster_assistant.assistant.pipeline import clean_question

    question = " ".join(args.question)
    if not args.question and not sys.stdin.isatty():  # `echo "…" | cluster-assistant ask`
        question = sys.stdin.read()
    clean_question(question, 10**9)  # an empty question fails before anything heavy loads
    if needs_context(question):
        print("note: this reads like a follow-up, but `ask` has no earlier question: ask it in full, or use "
              "`cluster-assistant chat`", file=sys.stderr)
    assistant = _assistant(args)
    topics = [t.id for t in assistant.classifier.topics]
    args.topic = args.topic.lower() if args.topic else None  # "--topic Funding"
    if args.topic and args.topic not in topics:
        raise CliError(f"unknown topic {args.topic!r}; choose one of: {', '.join(topics)}", EXIT_USAGE)
    if args.json:
        ans = assistant.answer(question, topic=args.topic, kind=args.kind)
        print(json.dumps(ans.to_json(), ensure_ascii=False, indent=2))
    else:
        ans = _print_streamed(assistant.stream(question, topic=args.topic, kind=args.kind))
    _log_question(assistant, ans, "cli")
    return 0


def _print_streamed(run: AnswerStream, chat: Conversation | None = None) -> Answer:
    """Print the answer as it arrives, then its sources; re-print it if the citation check changed it. In a
    `chat`, a follow-up's reading ("who funds it? (about: INOKLASTER)") is shown, as Slack shows it: a reader can
    see what "it" was taken to be."""
    streamed = False
    for piece in run:
        if not streamed and not run.answer_ready:
            print("draft (the model's words as they arrive, before the citation check):")
        streamed = True
        print(piece, end="", flush=True)
    print()
    ans = run.answer
    if ans.provider != "extractive" or run.changed:
        print("---- checked answer ----")
        print(ans.answer)
    if chat is not None and chat.history and chat.history[-1].answer is ans and chat.history[-1].rewritten:
        print(f"(read as: {ans.question})")
    print(format_answer(ans, with_text=False))
    return ans


def cmd_chat(args: argparse.Namespace) -> int:
    from cluster_assistant.assistant.conversation import NO_CONTEXT_NOTE, Conversation
    from cluster_assistant.assistant.schema import BadQuestion

    conv = Conversation(_assistant(args), max_turns=6)
    if hasattr(sys.stdin, "reconfigure"):  # a byte that is not UTF-8 (a pasted Latin-1 text) ended the chat
        sys.stdin.reconfigure(errors="replace")
    print("Ask about clusters. Follow-up questions build on the last answers. /help for commands, /exit to leave.")
    while not conv.done:
        try:
            line = input("> ").strip()
        except EOFError:  # end of input: end the prompt's line too
            print()
            break
        except UnicodeDecodeError as e:  # a stdin that cannot be reconfigured
            print(f"error: that line is not {e.encoding} text; type it again")
            continue
        if not line:
            continue
        if conv.is_command(line):
            print(conv.handle(line))
            continue
        if conv.lacks_context(line):
            print(f"note: {NO_CONTEXT_NOTE}")
        try:
            ans = _print_streamed(conv.stream(line), chat=conv)
        except BadQuestion as e:
            print(f"error: {e}")
            continue
        except KeyboardInterrupt:
            print("\n(interrupted; ask again or /exit)")
            continue
        except Exception as e:  # noqa: BLE001 - one failed turn must not end the conversation
            print(f"error: {_describe(e)}")
            continue
        _log_question(conv.assistant, ans, "chat")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    from cluster_assistant.assistant.mentor_plans import prepare

    if args.out and args.out.is_dir():  # before the plan is made: it would be lost
        raise CliError(f"--out {args.out} is a folder: name a file, e.g. {args.out / 'plan.md'}", EXIT_USAGE)
    try:
        plan = prepare(_assistant(args), " ".join(args.topic), args.stage, args.minutes).to_markdown()
    except ValueError as e:  # too short, empty topic, nothing in the corpus
        raise CliError(str(e), EXIT_USAGE) from e
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(plan, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(plan)
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    from cluster_assistant.assistant.gaps import gap_map, render

    if args.since:
        from datetime import datetime

        try:
            datetime.fromisoformat(args.since)
        except ValueError:
            raise CliError(f"--since {args.since!r} is not an ISO date such as 2026-01-31", EXIT_USAGE) from None
    assistant = _assistant(args)
    print(render(gap_map(assistant, since=args.since), min_relevance=assistant.settings.min_relevance))
    return 0


def cmd_slack(args: argparse.Namespace) -> int:
    from cluster_assistant.bots.slack.server import run_http, run_socket_mode

    settings = _settings(args)
    if args.http:
        run_http(settings, port=args.port, host=args.host)
    else:
        run_socket_mode(settings)
    return 0


def cmd_feedback_export(args: argparse.Namespace) -> int:
    from cluster_assistant.assistant.feedback import FeedbackStore

    n = FeedbackStore.in_dir(_settings(args).data_dir).export_candidates(args.out)
    print(f"wrote {n} candidate item(s) to {args.out}")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    from cluster_assistant.assistant.catalog import list_sources
    from cluster_assistant.assistant.store import Store

    rows = list_sources(Store(_settings(args)))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no documents indexed: run `cluster-assistant ingest`")
        return 0

    print(f"{'doc_id':34} {'format':6} {'kind':13} {'chunks':>6} {'locations':>13}  {'last ingested':20} title")
    for r in rows:
        where = f"{r['locations']} {r['location'] if r['locations'] != 1 else r['location'][:-1]}"
        n = r["instructions"]
        flag = f"  [flagged: {n} instruction-like sentence(s), never quoted]" if n else ""
        print(f"{r['doc_id']:34} {r['format']:6} {r['kind']:13} {r['chunks']:>6} {where:>13}  "
              f"{r['ingested_at']:20} {printable(r['title'])}{flag}")
    return 0


def _eval_conversations(args: argparse.Namespace) -> int:
    from cluster_assistant.evals import conversations as conv

    unused = [flag for flag, value in (("--compare", args.compare), ("--claims", args.claims),
                                       ("--planted", args.planted), ("--calibrate", args.calibrate)) if value]
    if unused:
        raise CliError(f"{', '.join(unused)} cannot be used with --conversations", EXIT_USAGE)
    baseline = _read_json(args.baseline, "baseline") if args.baseline else None
    if baseline is not None and (problem := conv.baseline_problem(baseline)):
        raise CliError(f"baseline {args.baseline} is no conversations baseline ({problem}): write one with "
                       "--conversations --write-baseline", EXIT_USAGE)
    dialogues = conv.load_conversations(args.dataset or conv.DEFAULT_CONVERSATIONS)
    if args.limit:
        dialogues = dialogues[: args.limit]
    report = conv.run_conversations(_assistant(args), dialogues)
    print("\n".join(conv.lines(report)))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "conversations.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    if args.write_baseline:
        _write_baseline(args.write_baseline, report, ("overall", "halves", "by_kind", "by_language"))
    if baseline is None:
        return 0
    tolerance = conv.TOLERANCE if args.tolerance is None else args.tolerance
    found, failed = conv.compare(report, baseline, tolerance)
    return _verdict(f"against {args.baseline} (tolerance {tolerance}):", found, failed,
                    "a gated figure of the follow-ups got worse")


def cmd_eval(args: argparse.Namespace) -> int:
    from cluster_assistant.evals.runner import (
        DEFAULT_DATASET,
        TOLERANCE,
        compare,
        load_dataset,
        paired,
        run,
        write_outputs,
    )

    if args.conversations:
        return _eval_conversations(args)
    if args.claims:  # the support check alone, on labelled claims (no index needed)
        from cluster_assistant.evals.claims import run_cli

        return run_cli(_settings(args), args.out, args.dataset, args.calibrate)

    baseline = _read_baseline(args.baseline) if args.baseline else None  # before the run, not after it
    before = _read_report(args.compare) if args.compare else None
    items = load_dataset(args.dataset or DEFAULT_DATASET)
    if args.limit:
        items = items[: args.limit]
    report = run(_assistant(args), items, progress=sys.stderr.isatty())
    if args.planted or report["settings"]["llm"] != "extractive":
        from cluster_assistant.evals.model_check import lines as check_lines
        from cluster_assistant.evals.model_check import read_planted, summarise

        planted = read_planted(args.planted) if args.planted else None  # after the run: written during it
        report["model_check"] = summarise(report["items"], planted)
    o = report["overall"]
    print(f"{o['items']} items in {report['seconds']} s: hit@5 {o['hit_at_5']:.3f}, MRR {o['mrr']:.3f}, "
          f"key-fact recall {o['key_fact_recall']:.3f}, ROUGE-L {o['rouge_l']:.3f}, "
          f"citation validity {o['citation_validity']:.3f}, refusal accuracy {o['refusal_accuracy']:.3f}, "
          f"p50 {o['latency_p50_ms']:.0f} ms, p95 {o['latency_p95_ms']:.0f} ms")
    for half in ("dev", "held_out"):
        for name, g in report["halves"][half].items():
            if g["items"]:
                low, high = g["key_fact_recall_low"], g["key_fact_recall_high"]
                print(f"  {half:8} {name:14} n={g['items']:3}  key-fact recall {g['key_fact_recall']:.3f} "
                      f"(95% interval {low:.2f}–{high:.2f}), lead "
                      f"(1st sentence / 40 words) {g['lead_fact_recall_first']:.3f} / {g['lead_fact_recall_40']:.3f}, "
                      f"precision {g['sentence_precision']:.3f}, words {g['words_median']:.0f} / "
                      f"{g['words_p90']:.0f}, refusal accuracy {g['refusal_accuracy']:.3f}, topic accuracy "
                      f"{g['topic_accuracy']:.3f}")
    if "model_check" in report:
        print("\n".join(check_lines(report["model_check"])))
    for path in write_outputs(report, args.out):
        print(f"wrote {path}")
    if args.write_baseline:
        _write_baseline(args.write_baseline, report, ("overall", "by_area", "by_language", "by_wording", "halves",
                                                      "settings"))
    if before is not None:
        print(f"item by item against {args.compare}:")
        print("\n".join(paired(report, before)))
    if baseline is None:
        return 0
    tolerance = TOLERANCE if args.tolerance is None else args.tolerance
    lines, failed = compare(report, baseline, tolerance)
    return _verdict(f"against {args.baseline} (tolerance {tolerance}):", lines, failed,
                    "a gated metric dropped beyond the tolerance")


def _verdict(header: str, lines: list[str], failed: bool, what: str) -> int:
    """Print a comparison with a baseline; exit 1 when a gated figure got worse."""
    print(header)
    print("\n".join(lines))
    if failed:
        print(f"quality regression: {what}", file=sys.stderr)
        return 1
    return 0


def _write_baseline(path: Path, report: dict[str, Any], kept: tuple[str, ...]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({k: report[k] for k in kept}, indent=2) + "\n")
    print(f"wrote baseline {path}")


def _read_json(path: Path, what: str) -> Any:
    """A JSON file the eval compares with; one it cannot read is a usage error (exit 2)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise CliError(f"{what} {path}: {e.strerror or e}", EXIT_USAGE) from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CliError(f"{what} {path} is not valid JSON: {e}", EXIT_USAGE) from e


def _read_report(path: Path) -> dict[str, Any]:
    """An earlier run's report.json, whose items `--compare` pairs with this run's (exit 2 if unusable)."""
    from cluster_assistant.evals.runner import PAIRED

    data = _read_json(path, "report")
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise CliError(f"report {path} has no items: pass the report.json an eval wrote (a baseline keeps none)",
                       EXIT_USAGE)
    needed = ("id", "in_scope", "wording", "language", *PAIRED)
    bad = next((i for i in items if not isinstance(i, dict) or any(k not in i for k in needed)), None)
    if bad is not None:
        missing = [k for k in needed if not isinstance(bad, dict) or k not in bad]
        raise CliError(f"report {path}: an item lacks {', '.join(missing)} (written by an older version? run the "
                       "eval on the old code again)", EXIT_USAGE)
    return data


def _read_baseline(path: Path) -> dict[str, Any]:
    """A baseline file that cannot be compared with is a usage error (exit 2), told before the run:
    CI must not mistake it for a quality regression (exit 1)."""
    data = _read_json(path, "baseline")
    if not isinstance(data, dict) or not isinstance(data.get("overall"), dict):
        raise CliError(f"baseline {path} has no \"overall\" metrics: write one with --write-baseline", EXIT_USAGE)
    from cluster_assistant.evals.runner import GATED, GATED_LOWER

    bad = [k for k in GATED + GATED_LOWER if not isinstance(data["overall"].get(k), (int, float))
           or not math.isfinite(data["overall"][k])]
    if bad:  # a gate without its figures would pass whatever the run scores
        raise CliError(f"baseline {path} lacks a number for {', '.join(bad)}: write one with --write-baseline",
                       EXIT_USAGE)
    return data


def _at_least(minimum: float, kind: type[int] | type[float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {text}")
        return value
    return parse


# --- wiring --------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cluster-assistant", description="Cited answers for cluster coordinators.")
    p.add_argument("--config", type=Path, help="TOML settings file (default: ./cluster-assistant.toml)")
    p.add_argument("--data-dir", type=Path, help="override ASSISTANT_DATA_DIR")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", help="index files, folders or web page URLs (default: the shipped corpus)")
    s.add_argument("paths", nargs="*")
    s.set_defaults(func=cmd_ingest)

    s = sub.add_parser("ask", help="answer a question with cited sources")
    s.add_argument("question", nargs="*", help="the question (or read from standard input when none is given)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--topic", help="only retrieve chunks of this competence topic")
    s.add_argument("--kind", choices=["policy", "good-practice", "training", "news"])
    s.set_defaults(func=cmd_ask)

    s = sub.add_parser("chat", help="a conversation with follow-up questions (/sources, /topic, /exit)")
    s.set_defaults(func=cmd_chat)

    s = sub.add_parser("prepare", help="write a mentor session plan (Markdown) on a topic")
    s.add_argument("topic", nargs="+")
    s.add_argument("--stage", choices=["emerging", "formed", "developing", "mature"], default="formed")
    s.add_argument("--minutes", type=int, default=90)
    s.add_argument("--out", type=Path, help="write the plan to this file")
    s.set_defaults(func=cmd_prepare)

    s = sub.add_parser("gaps", help="coverage per competence topic and the questions it failed")
    s.add_argument("--since", help="only questions asked since this date (ISO)")
    s.set_defaults(func=cmd_gaps)

    s = sub.add_parser("eval", help="run the reference Q&A and score the answers")
    s.add_argument("--dataset", type=Path, help="reference Q&A file (default: the shipped evals/dataset.yaml)")
    s.add_argument("--out", type=Path, default=Path("evals/out"), help="folder for report.json, summary.md, PNG")
    s.add_argument("--baseline", type=Path, help="compare with this baseline and fail on a regression")
    s.add_argument("--tolerance", type=_at_least(0.0, float), help="allowed drop of a gated metric (default 0.02; "
                   "with --conversations 0.05, about three conversations)")
    s.add_argument("--write-baseline", type=Path, help="save this run as a baseline file")
    s.add_argument("--compare", type=Path, help="an earlier run's report.json: items better and worse, per half "
                   "and slice, with a sign test")
    s.add_argument("--limit", type=_at_least(1, int), help="only the first N items (a smoke run)")
    s.add_argument("--claims", action="store_true", help="score the model-answer support check on labelled claims "
                   "(--dataset: a claims file; default the shipped evals/claims.yaml); exit 1 below target")
    s.add_argument("--planted", type=Path, help="model mode: JSON lines of the sentences a test model wrote, wrong "
                   "facts marked (tools/fake_openai.py --log); reports how many still reached the answers")
    s.add_argument("--calibrate", action="store_true", help="with --claims: use the threshold calibrated on the "
                   "dev half instead of the configured support_threshold")
    s.add_argument("--conversations", action="store_true", help="score chat follow-ups instead (--dataset: a "
                   "conversations file, default the shipped evals/conversations.yaml; --baseline: e.g. "
                   "evals/conversations_baseline.json)")
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("slack", help="run the Slack bot (see docs/slack.md)")
    mode = s.add_mutually_exclusive_group()
    mode.add_argument("--socket", action="store_true", help="Socket Mode (default; needs SLACK_APP_TOKEN)")
    mode.add_argument("--http", action="store_true", help="serve Slack requests over HTTP on /slack/events")
    s.add_argument("--port", type=int, default=3000)
    s.add_argument("--host", default="127.0.0.1")
    s.set_defaults(func=cmd_slack)

    s = sub.add_parser("feedback", help="Slack feedback")
    fsub = s.add_subparsers(dest="feedback_command", required=True)
    e = fsub.add_parser("export", help="write 👎 answers as eval-dataset candidates")
    e.add_argument("--out", type=Path, default=Path("candidates.yaml"))
    e.set_defaults(func=cmd_feedback_export)

    s = sub.add_parser("remove", help="remove documents from the index by doc id or path (a folder: all under it)")
    s.add_argument("targets", nargs="+", metavar="DOC_ID|PATH")
    s.set_defaults(func=cmd_remove)

    s = sub.add_parser("sources", help="list the indexed documents")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_sources)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not args.debug:  # pypdf's warnings name no file; ingest reports each file that fails, by name
        logging.getLogger("pypdf").setLevel(logging.ERROR)
    # The libraries a command loads (Chroma, onnxruntime, LangChain) leave about a million objects that
    # each full collection walks again: a cold `ask` spent ~40 ms in one. Collect less often, as mypy does.
    gc.set_threshold(100_000, 50, 50)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except Exception as e:  # the user sees one line, never a traceback
        if args.debug:
            raise
        print(f"error: {_describe(e)}", file=sys.stderr)
        return e.code if isinstance(e, CliError) else _exit_code(e)


def _describe(e: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(e, ValidationError):
        # A check across fields has no location, and pydantic prefixes its message with "Value error, ".
        return "invalid settings: " + "; ".join(
            ": ".join(x for x in (".".join(map(str, err["loc"])), err["msg"].removeprefix("Value error, ")) if x)
            for err in e.errors())
    return str(e) or type(e).__name__


def _exit_code(e: Exception) -> int:
    from cluster_assistant.assistant.schema import BadQuestion
    from cluster_assistant.assistant.store import StoreBusy
    from cluster_assistant.evals.runner import DatasetError

    if isinstance(e, (BadQuestion, DatasetError)):  # a question or a reference file that cannot be used
        return EXIT_USAGE
    if isinstance(e, StoreBusy):
        return EXIT_BUSY
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
