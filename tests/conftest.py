"""Shared fixtures: the real embedding model, real Chroma stores in temp folders, the shipped corpus."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_assistant.assistant.ingest import IngestReport, ingest
from cluster_assistant.assistant.pipeline import Assistant
from cluster_assistant.assistant.settings import Settings, load_settings

from tools.fake_openai import FakeOpenAI
from tools.slack_fake import FakeSlack

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PDF_SAMPLES = PROJECT_ROOT / "tests" / "fixtures" / "pdfs"  # real PDFs, CC-BY-SA (see their README)
SEEDS = PROJECT_ROOT / "tools" / "seeds"
CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests must not pick up a developer's settings.
    import os

    for var in [v for v in os.environ if v.startswith("ASSISTANT_")]:
        monkeypatch.delenv(var, raising=False)


def make_settings(data_dir: Path, **kw: object) -> Settings:
    return load_settings(data_dir=data_dir, **kw)


_shared_embedder: object | None = None


def make_assistant(data_dir: Path, **kw: object) -> Assistant:
    """An assistant on its own store; the (stateless) embedding model is shared across tests."""
    global _shared_embedder
    a = Assistant(make_settings(data_dir, **kw), embedder=_shared_embedder)
    if _shared_embedder is None:
        _shared_embedder = a.embedder
    return a


def index(a: Assistant, paths: list[Path | str], **kw: bool) -> IngestReport:
    """Ingest `paths` into the assistant's store, with its embedder and topic tagger."""
    return ingest(paths, a.settings, a.store, a.embedder, a.classifier, **kw)


def one_document(tmp_path: Path, name: str, text: str) -> Assistant:
    """An assistant whose index holds one document, `name` with `text`, written under `tmp_path`."""
    docs = tmp_path / "docs"
    docs.mkdir(parents=True)
    (docs / name).write_text(text, encoding="utf-8")
    a = make_assistant(tmp_path / "data")
    index(a, [docs])
    return a


# A programme's objectives as a list of lower-case items under "The specific objectives are:".
OBJECTIVES_MD = (
    "# Cluster programme objectives\n\nThe programme supports business clusters in the region. It was approved "
    "by the ministry in 2019 after a long public consultation with many stakeholders.\n\n"
    "The specific objectives are:\n"
    "• to enhance cooperation between cluster members and research bodies across the regions of the country.\n"
    "• to foster excellence of cluster management through training of cluster managers and coordinators.\n"
    "• to promote exports of cluster members to foreign markets and international value chains.\n\n"
    "The ministry reviews the programme every year and publishes a short report about its results.\n")


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped corpus (tests may not touch the real one)."""
    dst = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, dst)
    return dst


@pytest.fixture(scope="session")
def corpus_assistant(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Iterator[Assistant]:
    """The shipped corpus ingested once into a real embedded Chroma store."""
    a = make_assistant(tmp_path_factory.mktemp("data"))
    report = index(a, [corpus_dir])
    assert report.failed == [], report.failed
    assert report.added == 5
    yield a


@pytest.fixture(scope="module")
def fake_llm_server() -> Iterator[FakeOpenAI]:
    """An OpenAI-compatible server on 127.0.0.1, one per test module."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def fake_llm(fake_llm_server: FakeOpenAI) -> FakeOpenAI:
    """The module's fake model, with no replies queued or requests recorded from earlier tests."""
    fake_llm_server.reset()
    return fake_llm_server


@pytest.fixture(scope="module")
def model_assistant(corpus_assistant: Assistant, fake_llm_server: FakeOpenAI) -> Assistant:
    """Model mode over the shipped corpus's store (the session embedder is reused)."""
    return make_assistant(corpus_assistant.settings.data_dir, llm="openai", openai_base_url=fake_llm_server.base_url,
                          llm_timeout_s=10)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A Slack Web API imitation on 127.0.0.1 (reached through SLACK_API_URL)."""
    f = FakeSlack()
    yield f
    f.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (`chroma run`) on loopback, for the server-mode store tests."""
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    chroma = Path(sys.executable).with_name("chroma")
    cmd = [str(chroma) if chroma.exists() else "chroma", "run", "--path", str(path), "--host", "127.0.0.1",
           "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"chroma server did not start: {' '.join(cmd)}")
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(params=["embedded", "server"])
def backend(request: pytest.FixtureRequest) -> dict[str, object]:
    """Store settings for both deployments: the same tests run against each."""
    if request.param == "embedded":
        return {}
    url = request.getfixturevalue("chroma_server")
    return {"chroma_url": url, "collection": f"t_{uuid.uuid4().hex[:12]}"}
