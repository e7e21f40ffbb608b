"""Arrays derived from the store (word vectors, the corpus centre), kept in one .npz file each: written
whole and swapped in, read with a check, and computed again, with a warning, when damaged."""

from __future__ import annotations

import logging
import os
import zipfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def save_arrays(path: Path, **arrays: np.ndarray) -> None:
    """Write the arrays to a temporary file beside `path` and swap it in: a reader sees the old file
    or the new one, never half of one. OSError (a read-only or full disk) is the caller's to handle."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.tmp{os.getpid()}.npz")
    try:
        np.savez(tmp, **arrays)  # type: ignore[arg-type]
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def load_arrays(path: Path, what: str) -> dict[str, np.ndarray] | None:
    """The arrays saved in `path`, or None when there is no such file or it cannot be read (then a
    warning names the file and says it is `what` that is computed again)."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as saved:
            return {name: saved[name] for name in saved.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        log.warning("the %s file %s cannot be used (%s); computing it again", what, path,
                    str(e) or type(e).__name__)
        return None
