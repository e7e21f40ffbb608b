"""Commands load only what they need: no torch or sentence-transformers outside the one-time export."""

import json
import os
import subprocess
import sys

import pytest
from cluster_assistant.assistant.pipeline import Assistant

PROBE = """
import json, sys
from cluster_assistant.bots.cli import main
code = main(sys.argv[1:])
heavy = [m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules]
print(json.dumps({"code": code, "heavy": heavy}))
"""


@pytest.mark.parametrize("argv", [["sources"], ["ask", "--json", "What is INOKLASTER?"]])
def test_no_torch_on_the_query_path(corpus_assistant: Assistant, argv: list[str]) -> None:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(corpus_assistant.settings.data_dir)}
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "heavy": []}
