"""The repository stands on its own, and a wheel (not an editable install) answers from any folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import PROJECT_ROOT

# A clone elsewhere has no team folder beside it, so nothing may point there or above the repository.
# The folder's name is assembled, so that this file does not name it either and is checked like the rest.
NEIGHBOUR = "sha" + "red"
OUTSIDE = [
    re.compile(r"\.\./" + NEIGHBOUR + r"\b"),
    re.compile(r"""parent\s*/\s*["']""" + NEIGHBOUR + """["']"""),
    re.compile(r"\b(?:PROJECT_ROOT|ROOT|REPO|HERE)\.parent\.parent\b|\b(?:PROJECT_ROOT|ROOT|REPO)\.parent\b"),
]


def _tracked_files() -> list[Path]:
    if shutil.which("git") and (PROJECT_ROOT / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True)
        return [PROJECT_ROOT / name for name in out.stdout.decode().split("\0") if name]
    return [p for p in PROJECT_ROOT.rglob("*") if p.is_file() and ".git" not in p.parts]


def test_no_tracked_file_refers_outside_the_repository() -> None:
    offenders = []
    for path in _tracked_files():
        if path.suffix in {".pdf", ".png"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in OUTSIDE:
            offenders += [f"{path.relative_to(PROJECT_ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []


def test_the_outside_check_catches_what_it_is_for() -> None:
    # The patterns above must match the ways this repository used to reach its neighbour folder.
    root, repo = "PROJECT_ROOT", "REPO"  # assembled too, so this file passes its own check
    samples = [f'SEEDS = {root}.parent / "{NEIGHBOUR}"', f"seeds from ../{NEIGHBOUR}/seeds",
               f'{repo}.parent / "{NEIGHBOUR}"', f"{repo}.parent / 'data'"]
    assert all(any(p.search(s) for p in OUTSIDE) for s in samples)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the tracked files alone, as a fresh clone would build it."""
    src = tmp_path_factory.mktemp("clone")
    for path in _tracked_files():
        if path.is_file():
            dst = src / path.relative_to(PROJECT_ROOT)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dst)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(src)], check=True, capture_output=True, timeout=600)
    (built,) = dist.glob("cluster_assistant-*.whl")
    return built


def test_the_wheel_installs_one_package_with_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"cluster_assistant"}
    for needed in ["prompts/answer_system.md", "prompts/session_plan.md", "assistant/taxonomy.yaml",
                   "assistant/lt_glossary.yaml", "evals/dataset.yaml", "evals/baseline.json",
                   "corpus/inolink-good-practice.md", "corpus/eocic-lithuania-policy-briefing.pdf",
                   "corpus/eocic-lithuania-policy-briefing.pdf.meta.yaml", "bots/slack_manifest.yaml"]:
        assert f"cluster_assistant/{needed}" in names, needed


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if "__pycache__" not in p.parts}


def test_a_wheel_install_answers_from_any_folder_and_writes_nothing_into_it(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    # The dependencies come from the site-packages of the interpreter running the tests (a venv or not);
    # a .pth line adds them without running their .pth files, so this checkout's editable install stays
    # out. The package itself comes only from the wheel.
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    outer = [*site.getsitepackages(), site.getusersitepackages()]
    (Path(purelib) / "outer-site-packages.pth").write_text("\n".join(p for p in outer if Path(p).is_dir()) + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "-q",
                    str(wheel)], check=True,
                   capture_output=True, timeout=300)
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(py), "-c", "import cluster_assistant; print(cluster_assistant.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, check=True).stdout.strip()
    package = Path(where).parent
    assert package.is_relative_to(venv), where
    before = _snapshot(package)

    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    cli = str(venv / "bin" / "cluster-assistant")
    ingest = subprocess.run([cli, "ingest"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=900)
    assert ingest.returncode == 0, ingest.stderr
    assert "5 added" in ingest.stdout, ingest.stdout
    ask = subprocess.run([cli, "ask", "--json", "What support does MITA give to clusters?"], cwd=elsewhere, env=env,
                         capture_output=True, text=True, timeout=300)
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert not answer["refused"]
    assert answer["citations"] and all(c["doc_id"] for c in answer["citations"])
    assert {c["doc_id"] for c in answer["citations"]} & {"mita-innovation-networks", "inolink-good-practice",
                                                         "clusterfy-action-plan-2020-2023",
                                                         "eocic-lithuania-policy-briefing"}

    assert (tmp_path / "xdg" / "cluster-assistant" / "chroma").is_dir()  # the user's data folder
    assert _snapshot(package) == before  # nothing written into site-packages
    assert list(elsewhere.iterdir()) == []
