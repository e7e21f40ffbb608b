"""Bounded load test of the Slack bot's HTTP mode on loopback (a script, not a timed test).

N signed `app_mention` requests, C at a time, from N different users, against `cluster-assistant
slack --http` (waitress + bolt's WSGI adapter) wired to the local fake Slack Web API in tools/slack_fake.py
(shared with the tests; this script imports nothing from tests/). Reports the acknowledgement latency (p50/p95/max),
the time until the last answer was posted, and whether any reply was lost or duplicated.

    python bench/slack_load.py --requests 60 --concurrency 20
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "load-test-signing-secret"
QUESTIONS = ["What is INOKLASTER?", "How did InoLink help clusters?", "What are Innovation Partnerships?",
             "What do coordinators still need to learn?", "What is the ClusterFY action plan?"]


def run_load(assistant: Any, data_dir: Path, requests: int = 40, concurrency: int = 20,
             wait_s: float = 60.0) -> dict[str, Any]:
    from cluster_assistant.bots.slack.server import run_http
    from cluster_assistant.evals.metrics import percentile

    from tools.slack_fake import BOT_USER_ID, FakeSlack, event_body, sign

    fake = FakeSlack()
    saved = {k: os.environ.get(k) for k in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")}
    os.environ.update(SLACK_BOT_TOKEN="xoxb-load-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.api_url)
    settings = assistant.settings.model_copy(update={"data_dir": data_dir})
    ready: queue.Queue[Any] = queue.Queue()
    thread = threading.Thread(target=run_http, args=(settings,),
                              kwargs={"port": 0, "assistant": assistant, "on_ready": ready.put}, daemon=True)
    thread.start()
    server = ready.get(timeout=60)
    url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"

    def one(i: int) -> tuple[int, float, str]:
        ts = f"1800000000.{i:06d}"
        ev = {"type": "app_mention", "user": f"ULOAD{i:05d}", "ts": ts, "event_ts": ts, "channel": "CLOAD0001",
              "text": f"<@{BOT_USER_ID}> {QUESTIONS[i % len(QUESTIONS)]}"}
        body = event_body(ev, f"EvLoad{i:06d}")
        req = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json", **sign(body, SECRET)})
        t = time.perf_counter()
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, time.perf_counter() - t, ts

    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(one, range(requests)))
        posts = fake.wait_for("chat.postMessage", n=requests, timeout=wait_s)
        time.sleep(1.0)  # let any duplicate arrive before counting
        posts = fake.calls_to("chat.postMessage")
        done = max(c.at for c in posts) - started if posts else float("nan")
    finally:
        server.shutdown()
        thread.join(timeout=15)
        fake.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    acks = sorted(r[1] for r in results)
    threads = [c.body.get("thread_ts") for c in posts]
    expected = {r[2] for r in results}
    return {
        "requests": requests, "concurrency": concurrency,
        "status_200": sum(r[0] == 200 for r in results),
        "ack_p50_ms": percentile(acks, 50) * 1000, "ack_p95_ms": percentile(acks, 95) * 1000,
        "ack_max_ms": acks[-1] * 1000, "all_answered_s": done,
        "replies": len(posts), "lost": len(expected - set(threads)), "duplicated": len(threads) - len(set(threads)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=60)
    ap.add_argument("--concurrency", type=int, default=20)
    args = ap.parse_args()
    from cluster_assistant.assistant.ingest import ingest
    from cluster_assistant.assistant.pipeline import Assistant
    from cluster_assistant.assistant.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        a = Assistant(load_settings(data_dir=Path(tmp) / "data"))
        ingest([a.settings.corpus_dir], a.settings, a.store, a.embedder, a.classifier)
        print(json.dumps(run_load(a, Path(tmp) / "slack", args.requests, args.concurrency), indent=2))


if __name__ == "__main__":
    main()
