"""Embedders. `make_embedder` is a factory keyed by mode; each branch imports its library itself.

The default is the bundled all-MiniLM-L6-v2 run by onnxruntime: the model is exported from the
safetensors folder once (that one time needs torch), then every process loads it in a fraction of
a second with no torch import. Its int8 weights are quantised per output channel: vectors keep a
cosine of ~0.995 to the float model (per-tensor int8 gave ~0.957).

Each text runs through the model on its own, in one worker thread per core. Dynamic quantisation
scales activations per call, so in a batch a text's vector would depend on its batch mates; alone,
a chunk embeds exactly as it would as a query. On 2 cores this is also the fastest layout measured
(the model alone: ~70 chunks/s, against 45–65 for batches of 16 on two intra-op threads)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from .model_files import BUNDLED_MODEL_NAMES, resolve_model_dir

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)


def _quiet_hf() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")  # no weight-loading progress bars
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


class LocalEmbeddings(Embeddings):
    """sentence-transformers on the CPU, loaded from a local folder; normalised vectors."""

    def __init__(self, model_name: str, batch_size: int = 16) -> None:
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
            _quiet_hf()
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


class OnnxEmbeddings(Embeddings):
    """The same model under onnxruntime: tokenizers for input, mean pooling, L2 normalisation."""

    def __init__(self, model_dir: Path, cache_dir: Path, quantize: bool = False, workers: int | None = None) -> None:
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens"):
            raise ValueError(f"{model_dir}: the onnx backend supports mean pooling only; use embedding_backend=torch")
        self.model_dir, self.cache_dir = model_dir, cache_dir
        self.quantize = quantize
        self.workers = workers or _usable_cpus()
        cfg = model_dir / "sentence_bert_config.json"
        self.max_length = int(json.loads(cfg.read_text()).get("max_seq_length", 256)) if cfg.is_file() else 256
        self._session: Any = None
        self._tokenizer: Any = None
        self._pool: Any = None  # shared by concurrent callers (Slack workers), so threads stay bounded
        self._loading = threading.Lock()

    def preload(self) -> None:
        """Start loading the model in the background: onnxruntime builds its session without the
        GIL, so a cold `ask` opens the store meanwhile. The one-time export stays in the caller's
        thread (it changes process-wide warning and logging state), and so does any error: a failed
        background load is left for the caller's own load to raise, with its clear message."""
        if self._session is not None or not self.onnx_path.is_file():
            return

        def load() -> None:
            with contextlib.suppress(Exception):
                self._load(repair=False)

        threading.Thread(target=load, name="embedder-load", daemon=True).start()

    @property
    def onnx_path(self) -> Path:
        weights = self.model_dir / "model.safetensors"
        stamp = hashlib.sha1(f"{weights.stat().st_size}:{weights.stat().st_mtime_ns}".encode()).hexdigest()[:10]
        name = f"{self.model_dir.name}-{stamp}{'-int8pc' if self.quantize else ''}.onnx"
        return self.cache_dir / "onnx" / name

    def _load(self, repair: bool = True) -> None:
        with self._loading:
            if self._session is None:
                self._load_now(repair)

    def _load_now(self, repair: bool = True) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = self.onnx_path
        if not path.is_file():
            export_onnx(self.model_dir, path, self.quantize)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # parallel across texts instead (see the module docstring)
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        try:
            session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # a truncated or damaged file in the cache: it is derived, so export it again
            if not repair:
                raise
            log.warning("the exported embedding model %s cannot be loaded (%s); exporting it again",
                        path, _first_line(e))
            path.unlink(missing_ok=True)
            export_onnx(self.model_dir, path, self.quantize)
            try:
                session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            except Exception as again:
                raise RuntimeError(f"cannot load the embedding model exported to {path} "
                                   f"({_first_line(again)})") from again
        tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        tok.enable_truncation(max_length=self.max_length)
        tok.no_padding()
        self._tokenizer = tok
        self._session = session  # last: a set session means a ready embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_with_spans(texts, [[] for _ in texts])[0]

    def embed_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                         ) -> tuple[list[list[float]], list[list[list[float]]]]:
        """Embed texts, and in the same pass each (start, end) character span of each text, by
        mean-pooling the span's contextual token vectors: sentence vectors at no extra model cost."""
        import numpy as np

        if not texts:
            return [], []
        if self._session is None:
            self._load()
        encodings = self._tokenizer.encode_batch(texts)

        def embed_one(i: int) -> tuple[list[float], list[list[float]]]:
            e = encodings[i]
            ids = np.array([e.ids], dtype=np.int64)
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                              "token_type_ids": np.zeros_like(ids)})[0][0]
            offsets = np.array(e.offsets)
            real = offsets[:, 1] > offsets[:, 0]  # not [CLS]/[SEP]
            return (_pool(hidden, np.ones(len(ids[0]), dtype=bool)),
                    [_pool(hidden, real & (offsets[:, 0] >= s) & (offsets[:, 1] <= end)) for s, end in spans[i]])

        if len(texts) == 1 or self.workers == 1:
            results = [embed_one(i) for i in range(len(texts))]
        else:  # onnxruntime releases the GIL while it runs
            results = list(self._workers().map(embed_one, range(len(texts))))
        return [r[0] for r in results], [r[1] for r in results]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def _workers(self) -> Any:
        with self._loading:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="embed")
            return self._pool


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def _usable_cpus() -> int:
    """The CPUs this process may run on (a container's share, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _pool(hidden: Any, select: Any) -> list[float]:
    import numpy as np

    v = hidden[select].mean(axis=0) if select.any() else np.zeros(hidden.shape[-1], dtype=hidden.dtype)
    n = float(np.linalg.norm(v))
    return (v / n if n > 0 else v).tolist()


def export_onnx(model_dir: Path, target: Path, quantize: bool = False) -> None:
    """One-time export of a BERT-style model folder to ONNX (needs torch, ~10 s)."""
    _quiet_hf()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import torch
        from transformers import AutoModel
    except ImportError as e:
        raise RuntimeError("exporting the embedding model needs torch: pip install torch==2.13.0") from e

    class LastHidden(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    model = LastHidden(AutoModel.from_pretrained(str(model_dir)).eval())
    ids = torch.ones(1, 8, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(tmp),
                          input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]},
                          opset_version=17, dynamo=False)
    if quantize:
        import logging

        from onnxruntime.quantization import QuantType, quantize_dynamic

        q = target.with_name(f"{target.stem}.q{os.getpid()}.onnx")
        logging.disable(logging.WARNING)  # its advice to pre-process applies to static quantisation
        try:
            quantize_dynamic(str(tmp), str(q), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            logging.disable(logging.NOTSET)
        tmp.unlink()
        tmp = q
    tmp.replace(target)  # atomic: a concurrent process sees the old state or the whole file


def embedder_id(settings: Settings) -> str:
    """Names the vector space the settings embed into. Ingest stores it with every chunk and embeds
    again the chunks stored under another one, so a store never mixes vectors of two models."""
    name = settings.embedding_model
    if settings.embedding_mode != "local":
        return f"{settings.embedding_mode}:{settings.openai_base_url or 'default'}:{name}"
    folder = resolve_model_dir(name)
    if name in BUNDLED_MODEL_NAMES:
        name = BUNDLED_MODEL_NAMES[0]  # one name however it is spelled
    elif folder is not None:
        name = str(folder.resolve())
    quantized = settings.embedding_backend == "onnx" and folder is not None and settings.embedding_quantize
    return f"local:{name}:{'int8-per-channel' if quantized else 'float'}"


def make_embedder(settings: Settings) -> Embeddings:
    mode = settings.embedding_mode
    if mode == "local":
        folder = resolve_model_dir(settings.embedding_model)
        if settings.embedding_backend == "onnx" and folder is not None:
            return OnnxEmbeddings(folder, settings.model_cache_dir, settings.embedding_quantize)
        return LocalEmbeddings(settings.embedding_model, settings.embedding_batch_size)
    if mode == "openai":
        try:
            from langchain_openai import OpenAIEmbeddings
        except ImportError as e:
            raise RuntimeError("embedding_mode=openai needs: pip install 'cluster-assistant[openai]'") from e
        return OpenAIEmbeddings(model=settings.embedding_model, base_url=settings.openai_base_url,
                                api_key=settings.openai_api_key, check_embedding_ctx_length=False)
    raise ValueError(f"unknown embedding mode {mode!r}")
