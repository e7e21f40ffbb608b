"""The corpus's centre: the mean of its chunk vectors, taken from a question and the competence areas.

The sentence model places every text of one corpus in a narrow cone (here the mean chunk vector
has norm 0.8: two chunks have cosine ~0.65 on average), and a question about clusters is close to
every competence area's description. Subtracting the corpus's mean from the question and the areas
first compares what the question asks beyond what every question here shares (the first step of
the "all-but-the-top" correction of Mu and Viswanath, 2018). Dev half: topic accuracy 0.562 -> 0.625
(0.613 after the EU back cover left the index).

Measured and not kept (docs/evaluation.md): the same correction for sentence scoring (the answer's
weights are set on raw cosines; a SWOT's strengths then outranked the threats asked for) and for
Chroma's ranking (paraphrased questions found their documents less often). Saved beside the
keyword index, computed again when the store's content changes."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .saved_arrays import load_arrays, save_arrays

if TYPE_CHECKING:
    from .store import Store

log = logging.getLogger(__name__)

FILE = "centre.npz"
SAMPLE = 5000  # chunk vectors averaged: the mean of a large corpus settles well before all are read


def corpus_centre(store: Store, folder: Path) -> np.ndarray | None:
    """The mean chunk vector of the store's current content (None for an empty store), from the
    file in `folder` when it was computed for this content, else computed and saved there."""
    version = store.content_version()
    saved = load_arrays(folder / FILE, "corpus centre")
    if saved is not None and str(saved.get("version")) == version:
        centre = saved.get("centre")
        if centre is not None and centre.ndim == 1 and not centre.size:
            return None  # saved for an empty store
        usable = as_centre(centre)
        if usable is not None:
            return usable
        log.warning("the corpus centre file %s holds no vector; computing it again", folder / FILE)
    vectors = store.sample_vectors(SAMPLE)
    centre = vectors.mean(axis=0).astype(np.float32) if len(vectors) else np.zeros(0, dtype=np.float32)
    with contextlib.suppress(OSError):  # a read-only data dir: still usable in memory
        save_arrays(folder / FILE, version=np.array(version), centre=centre)
    return centre if centre.size else None


def as_centre(saved: np.ndarray | None) -> np.ndarray | None:
    """A saved centre, if it is one (a vector of finite numbers), else None."""
    if saved is None or saved.ndim != 1 or not saved.size or not np.isfinite(saved).all():
        return None
    return saved.astype(np.float32)


def centred(vectors: np.ndarray, centre: np.ndarray | None) -> np.ndarray:
    """Vectors (one, or one per row) minus the centre, normalised again; unchanged without a centre."""
    if centre is None or centre.shape[-1] != vectors.shape[-1]:
        return vectors
    moved = vectors - centre
    norms = np.linalg.norm(moved, axis=-1, keepdims=True)
    return moved / np.where(norms > 0, norms, 1.0)
