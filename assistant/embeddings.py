"""Embedders. `make_embedder` is a factory keyed by mode; each branch imports its library itself."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from .tokens import resolve_model_dir

if TYPE_CHECKING:
    from .settings import Settings


class LocalEmbeddings(Embeddings):
    """sentence-transformers on the CPU, loaded from a local folder; normalised vectors."""

    def __init__(self, model_name: str, batch_size: int = 64) -> None:
        self.model_name = model_name
        self.batch_size = batch_size
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            # The bundled model must load offline; a hub id may still try the network.
            folder = resolve_model_dir(self.model_name)
            if folder is not None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no weight-loading progress bars
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as e:
                raise RuntimeError("local embeddings need sentence-transformers: "
                                   "pip install sentence-transformers torch==2.13.0") from e
            self._model = SentenceTransformer(str(folder or self.model_name), device="cpu")
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vecs = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                 show_progress_bar=False, convert_to_numpy=True)
        return [v.tolist() for v in vecs]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def make_embedder(settings: Settings) -> Embeddings:
    mode = settings.embedding_mode
    if mode == "local":
        return LocalEmbeddings(settings.embedding_model, settings.embedding_batch_size)
    if mode == "openai":
        try:
            from langchain_openai import OpenAIEmbeddings
        except ImportError as e:
            raise RuntimeError("embedding_mode=openai needs: pip install 'cluster-assistant[openai]'") from e
        return OpenAIEmbeddings(model=settings.embedding_model, base_url=settings.openai_base_url,
                                api_key=settings.openai_api_key, check_embedding_ctx_length=False)
    raise ValueError(f"unknown embedding mode {mode!r}")
