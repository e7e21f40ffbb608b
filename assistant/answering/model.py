"""The model answerer: a chat model (OpenAI-compatible or Ollama) writes the answer from numbered,
fenced sources; `citations.ground` checks it before anyone sees it.

- `make_chat_model(settings)`: one branch per `settings.llm`; each imports its library inside the
  branch, so the extractive mode never needs them, and a missing one says what to install.
- `format_sources(docs)`: the chunks as `<source n="1" title=".." page="4">..</source>` elements. Chunk
  text cannot close or open a source element: any such tag in it is neutralised.
- `answer_messages(...)`: system prompt first (it outranks the sources), then sources + question.
- `generate(...)`: invoke, or stream tokens to a callback, within `settings.llm_timeout_s`.
- `failure_notice(error, settings)`: the one-line reason shown when the extractive answer stands in."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from ..prompts import load_prompt
from ..text import safe_url

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from ..settings import Settings

PACKAGES = {"openai": "langchain-openai", "ollama": "langchain-ollama"}
# Opening or closing tags of the fence (<source ...>, </sources>, < / source >), in any case.
FENCE_TAG = re.compile(r"<\s*/?\s*sources?\b[^>]*>", re.I)


class ModelUnavailable(RuntimeError):
    """The configured model cannot be used (package missing, no reply in time, server error)."""


class ModelTimeout(ModelUnavailable, TimeoutError):
    """The model did not finish its reply within `llm_timeout_s`."""


def missing_package_message(provider: str) -> str:
    package = PACKAGES.get(provider, provider)
    return (f"llm = {provider!r} needs the {package} package, which is not installed. "
            f"Install it with: pip install 'cluster-assistant[{provider}]'  (or pip install {package}), "
            "or set ASSISTANT_LLM=extractive to answer offline.")


def make_chat_model(settings: Settings) -> BaseChatModel:
    """The chat model for `settings.llm`; raises ModelUnavailable when its package is missing."""
    if settings.llm == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as e:
            raise ModelUnavailable(missing_package_message("openai")) from e
        return ChatOpenAI(
            model=settings.llm_model,
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key,
            timeout=settings.llm_timeout_s,
            max_retries=0,             # a retry would double the wait before the fallback
            temperature=settings.llm_temperature,
            use_responses_api=False,   # OpenAI-compatible servers (llama.cpp, vLLM) speak chat completions
        )
    if settings.llm == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as e:
            raise ModelUnavailable(missing_package_message("ollama")) from e
        return ChatOllama(
            model=settings.llm_model,
            base_url=settings.ollama_base_url,
            temperature=settings.llm_temperature,
            client_kwargs={"timeout": settings.llm_timeout_s},
        )
    raise ModelUnavailable(f"llm = {settings.llm!r} has no chat model (extractive mode answers offline)")


# --- prompts ------------------------------------------------------------------------------------

def _attr(value: Any) -> str:
    return html.escape(" ".join(str(value).split()), quote=True)


def neutralise(text: str) -> str:
    """Chunk text as data: no tag in it can end the fence or forge another source."""
    return FENCE_TAG.sub("[tag removed]", text)


def format_sources(docs: Sequence[Document]) -> str:
    """Numbered sources, 1-based in the order given; the numbers the model cites as [n]."""
    parts = []
    for n, d in enumerate(docs, 1):
        m = d.metadata
        attrs = f'n="{n}" title="{_attr(m.get("title", ""))}"'
        if m.get("page") is not None:
            attrs += f' page="{_attr(m["page"])}"'
        if m.get("section") and m.get("section") != m.get("title"):
            attrs += f' section="{_attr(m["section"])}"'
        parts.append(f"<source {attrs}>\n{neutralise(d.page_content.strip())}\n</source>")
    return "\n".join(parts)


def answer_messages(question: str, docs: Sequence[Document], settings: Settings) -> list[BaseMessage]:
    system = load_prompt("answer_system", settings).render(max_words=settings.answer_words)
    user = load_prompt("answer_user", settings).render(question=question, sources=format_sources(docs))
    return [SystemMessage(system), HumanMessage(user)]


# --- calling the model --------------------------------------------------------------------------

def _text(content: Any) -> str:
    """Message content as text (some providers return a list of content blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content
                       if isinstance(b, str) or (isinstance(b, dict) and b.get("type", "text") == "text"))
    return str(content or "")


def generate(model: BaseChatModel, messages: list[BaseMessage], timeout_s: float,
             on_token: Callable[[str], None] | None = None) -> str:
    """The model's reply text. With `on_token`, streams and calls it with each piece as it arrives.

    The HTTP client enforces `timeout_s` per read; streaming also stops once the whole reply has
    taken longer than `timeout_s` (a server that trickles tokens cannot hold the answer forever)."""
    if on_token is None:
        return _text(model.invoke(messages).content)
    deadline = time.monotonic() + timeout_s
    pieces: list[str] = []
    stream = model.stream(messages)
    try:
        for chunk in stream:
            piece = _text(chunk.content)
            if piece:
                pieces.append(piece)
                on_token(piece)
            if time.monotonic() > deadline:
                raise ModelTimeout(f"the reply took longer than {timeout_s:g} s")
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    return "".join(pieces)


def _is_timeout(error: BaseException) -> bool:
    seen: set[int] = set()
    e: BaseException | None = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, TimeoutError) or any("Timeout" in c.__name__ for c in type(e).__mro__):
            return True
        e = e.__cause__ or e.__context__
    return False


def failure_notice(error: BaseException, settings: Settings) -> str:
    """'model unavailable (timeout after 2 s); showing the extractive answer', and the like."""
    if _is_timeout(error):
        reason = f"timeout after {settings.llm_timeout_s:g} s"
    elif isinstance(error, ModelUnavailable):
        reason = str(error)
    else:
        names = {c.__name__ for c in type(error).__mro__}
        status = getattr(error, "status_code", None)
        if "APIConnectionError" in names or "ConnectError" in names or isinstance(error, ConnectionError):
            url = settings.openai_base_url if settings.llm == "openai" else settings.ollama_base_url
            reason = f"cannot connect to {safe_url(url) if url else 'the default endpoint'}"
        elif status is not None:
            # Not the provider's error body: some servers echo the request, key included.
            reason = f"HTTP {status} ({type(error).__name__})"
        else:
            reason = type(error).__name__
    return f"model unavailable ({reason}); showing the extractive answer"
