import hashlib
import os
import subprocess
import sys
from pathlib import Path

from cluster_assistant.assistant.token_counting import CL100K_SHA256, CL100K_URL


def test_tiktoken_works_offline_from_the_bundled_file(tmp_path: Path) -> None:
    # A fresh cache dir and a broken proxy: any download attempt would fail.
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path), "HTTPS_PROXY": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9"}
    code = ("from cluster_assistant.assistant.token_counting import cl100k; "
            "print(len(cl100k().encode('Lithuanian clusters')))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout) > 0
    cached = tmp_path / hashlib.sha1(CL100K_URL.encode()).hexdigest()
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == CL100K_SHA256
