"""The one settings object. Sources, strongest first: arguments, `ASSISTANT_*` env vars, a TOML file, defaults."""

from __future__ import annotations

import os
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def shipped(package: str, name: str = "") -> Path:
    """A folder or file shipped inside the installed package: `shipped("corpus")`, `shipped("assistant",
    "taxonomy.yaml")`. Read through importlib.resources, so it works from a wheel as from a checkout."""
    folder = files(f"cluster_assistant.{package}")
    return Path(str(folder / name if name else folder))


def default_data_dir() -> Path:
    """The user's data folder (~/.local/share/cluster-assistant on Linux), never inside the package."""
    return platformdirs.user_data_path("cluster-assistant")


LLMMode = Literal["extractive", "openai", "ollama"]
EmbeddingMode = Literal["local", "openai"]
EmbeddingBackend = Literal["onnx", "torch"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid", validate_default=True)

    # Set by load_settings() just before construction; read by settings_customise_sources.
    _toml_path: ClassVar[Path | None] = None

    # --- paths ---
    data_dir: Path = Field(default_factory=default_data_dir, description="Where the Chroma store, keyword "
                           "index, feedback and question log live (default: the user's data folder, "
                           "~/.local/share/cluster-assistant on Linux).")
    corpus_dir: Path = Field(default_factory=lambda: shipped("corpus"),
                             description="Default folder that `ingest` reads (the shipped corpus).")
    prompts_dir: Path = Field(default_factory=lambda: shipped("prompts"), description="Folder of prompt templates.")
    taxonomy_file: Path = Field(default_factory=lambda: shipped("assistant", "taxonomy.yaml"),
                                description="Competence-area taxonomy: topics, descriptions, examples.")

    # --- store ---
    collection: str = Field("cluster_assistant", description="Chroma collection name.")
    chroma_url: str | None = Field(None, description="http://host:port of a Chroma server; "
                                   "unset means the embedded store in data_dir.")

    # --- embeddings and chunking ---
    embedding_mode: EmbeddingMode = Field("local", description="local = the bundled model on the CPU "
                                          "(see embedding_backend); openai = an OpenAI-compatible embeddings API.")
    embedding_model: str = Field("all-MiniLM-L6-v2", description="Bundled model name, a local folder, "
                                 "or a sentence-transformers model id.")
    embedding_backend: EmbeddingBackend = Field("onnx", description="local mode: onnx = onnxruntime on a "
                                                "model exported once (fast start, no torch at query time); "
                                                "torch = sentence-transformers.")
    embedding_quantize: bool = Field(True, description="onnx backend: int8 weights, quantised per channel "
                                     "(measured: faster ingest, retrieval quality held; see README).")
    embedding_batch_size: int = Field(16, ge=1, le=1024, description="Texts per embedding batch (torch "
                                      "backend; the onnx backend embeds each text alone, one thread per core).")
    model_cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "cluster-assistant",
                                  description="Where the exported ONNX model is kept (shared by all data dirs).")
    embedding_max_tokens: int = Field(256, ge=16, description="Model input limit in word pieces "
                                      "(including [CLS]/[SEP]); no chunk may exceed it.")
    chunk_tokens: int = Field(180, ge=32, le=2000, description="Target chunk size in cl100k tokens.")
    chunk_overlap: int = Field(40, ge=0, description="Overlap between neighbouring chunks, cl100k tokens.")

    # --- retrieval and answering ---
    k: int = Field(8, ge=1, le=50, description="Chunks handed to the answerer.")
    fetch_k: int = Field(20, ge=1, le=500, description="Candidates per ranking before fusion.")
    dense_weight: float = Field(0.3, ge=0.0, le=1.0, description="Share of dense (vector) similarity in the "
                                "fused retrieval score; the rest is keyword (BM25). Each is divided by its best "
                                "score among the candidates first.")
    answer_words: int = Field(120, ge=20, le=1000, description="Word cap of the extractive answer, counted "
                              "without [n] markers and bullets (list questions get a quarter more, a number or a "
                              "name a fifth less).")
    plan_source_words: int = Field(240, ge=20, le=1000, description="Word cap of each extractive answer a mentor "
                                   "plan (`prepare`) draws its key points from: a plan lists more points than one "
                                   "answer holds, and with 120 words half of them missed the topic.")
    min_relevance: float = Field(0.25, ge=0.0, le=1.0, description="Refuse when the best evidence "
                                 "scores below this (0.7 × the best dense cosine + 0.3 × the share of the "
                                 "question's terms in the best chunk).")
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are rejected.")

    # --- model providers ---
    llm: LLMMode = Field("extractive", description="Answerer: extractive (offline), openai, ollama.")
    llm_model: str = Field("gpt-4o-mini", description="Model name for openai/ollama.")
    openai_base_url: str | None = Field(None, description="OpenAI-compatible base URL, e.g. "
                                        "http://127.0.0.1:8080/v1 for llama.cpp.")
    openai_api_key: SecretStr = Field(SecretStr("not-needed"), description="API key; local servers ignore it.")
    ollama_base_url: str = Field("http://127.0.0.1:11434", description="Ollama server URL.")
    llm_timeout_s: float = Field(30.0, gt=0, description="Per-request model timeout; then extractive fallback.")
    llm_temperature: float = Field(0.1, ge=0.0, le=2.0, description="Sampling temperature.")
    support_threshold: float = Field(0.45, ge=-1.0, le=1.0, description="Model answers: a cited sentence is kept "
                                     "only if its embedding's cosine to the best-matching sentence (or pair) of its "
                                     "sources reaches this. Calibrated on the dev half of evals/claims.yaml "
                                     "(`cluster-assistant eval --claims --calibrate`); see docs/model-check.md.")

    # --- ingestion limits ---
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are skipped.")
    max_pages: int = Field(2000, ge=1, description="PDFs with more pages are skipped.")
    extraction_timeout_s: float = Field(60.0, gt=0, description="Per-file time limit on reading a file and "
                                        "cutting it into chunks (every format); a file past it is skipped.")
    pdf_password: SecretStr | None = Field(None, description="Password tried on encrypted PDFs.")
    follow_links_outside: bool = Field(False, description="Index files that links in an ingested folder point "
                                       "to outside it. Off: such links are skipped with a symlink-outside "
                                       "warning (a link to /etc/passwd must not be indexed and quoted).")

    # --- web pages (`ingest https://…`) ---
    fetch_timeout_s: float = Field(20.0, gt=0, description="Time limit for fetching one URL: to connect, for "
                                   "each wait for data, and for the whole download.")
    max_page_mb: float = Field(10.0, gt=0, description="A URL whose body is larger is skipped (read no further "
                               "than the limit).")
    max_redirects: int = Field(3, ge=0, le=20, description="Redirects followed when fetching a URL (http and "
                               "https only).")

    # --- slack ---
    slack_allowed_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="If set, the bot answers only in these channel ids (DMs always "
        "allowed). In the environment: comma-separated, e.g. C0123,C0456.")
    slack_user_rate_per_min: int = Field(6, ge=1, description="Questions per user per minute.")

    @field_validator("slack_allowed_channels", mode="before")
    @classmethod
    def _split_channels(cls, v: Any) -> Any:
        return [c.strip() for c in v.split(",") if c.strip()] if isinstance(v, str) else v

    @field_validator("chroma_url")
    @classmethod
    def _check_url(cls, v: str | None) -> str | None:
        if v is not None:
            parts = urlsplit(v)
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                raise ValueError(f"{v!r} is not an http(s)://host:port URL")
        return v

    @model_validator(mode="before")
    @classmethod
    def _removed(cls, data: Any) -> Any:
        if isinstance(data, dict) and "rrf_k" in data:
            raise ValueError("rrf_k was removed: retrieval now fuses scores, not ranks. Delete it; "
                             "dense_weight (0-1, default 0.3) sets the dense share instead")
        return data

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("chunk_overlap must be smaller than chunk_tokens")
        if self.fetch_k < self.k:
            raise ValueError("fetch_k must be at least k")
        return self

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def keywords_dir(self) -> Path:
        """The keyword (BM25) index, derived from the store."""
        return self.data_dir / "keywords"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls._toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls._toml_path))
        return tuple(sources)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings. The TOML file is `config_file`, else $ASSISTANT_CONFIG, else ./cluster-assistant.toml."""
    path = config_file
    if path is None and os.environ.get("ASSISTANT_CONFIG"):
        path = Path(os.environ["ASSISTANT_CONFIG"])
    if path is None and Path("cluster-assistant.toml").is_file():
        path = Path("cluster-assistant.toml")
    if path is not None and not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    Settings._toml_path = path
    try:
        return Settings(**overrides)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"config file {path} is not valid TOML: {e}") from e
    finally:
        Settings._toml_path = None
