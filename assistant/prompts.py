"""Prompt templates kept as Markdown files in `prompts/`, loaded and rendered strictly.

A prompt file starts with a front-matter block that declares its variables:

    ---
    variables: [question, sources]
    description: optional, for people
    ---
    The text, with {question} and {sources} placeholders ({{ and }} are literal braces).

Strict both ways: loading fails when the declared variables and the placeholders in the text
differ, and `render` fails on a missing or an unexpected variable. A missing value is an error,
never a blank. Values are inserted once and never parsed as templates themselves, so braces in a
question or a chunk are harmless."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .safe_yaml import load_shipped
from .settings import shipped

if TYPE_CHECKING:
    from .settings import Settings

_FENCE = "---"


class PromptError(ValueError):
    """A prompt file that is malformed, or a render call with the wrong variables."""


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str
    variables: frozenset[str]
    path: Path | None = None

    def render(self, **values: Any) -> str:
        missing = self.variables - values.keys()
        unexpected = values.keys() - self.variables
        if missing or unexpected:
            parts = []
            if missing:
                parts.append("missing " + ", ".join(sorted(missing)))
            if unexpected:
                parts.append("unexpected " + ", ".join(sorted(unexpected)))
            raise PromptError(f"prompt {self.name!r}: {'; '.join(parts)} "
                              f"(it takes: {', '.join(sorted(self.variables)) or 'no variables'})")
        for key, value in values.items():
            if value is None:
                raise PromptError(f"prompt {self.name!r}: variable {key!r} is None")
        return self.text.format(**{k: str(v) for k, v in values.items()})


def placeholders(text: str, name: str = "<text>") -> set[str]:
    """The `{name}` fields of a template; anything fancier than a plain name is an error."""
    found: set[str] = set()
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as e:  # a lone { or }
        raise PromptError(f"prompt {name!r}: {e} (write {{{{ and }}}} for literal braces)") from e
    for _, field, spec, conversion in fields:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise PromptError(f"prompt {name!r}: placeholder {{{field}{'!' + conversion if conversion else ''}"
                              f"{':' + spec if spec else ''}}} is not a plain variable name")
        found.add(field)
    return found


def parse_prompt(source: str, name: str, path: Path | None = None) -> Prompt:
    lines = source.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != _FENCE:
        raise PromptError(f"prompt {name!r}: the file must start with a '---' front-matter block "
                          "declaring `variables: [...]`")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == _FENCE)
    except StopIteration:
        raise PromptError(f"prompt {name!r}: the front-matter block is not closed with '---'") from None
    try:
        meta = load_shipped("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as e:
        raise PromptError(f"prompt {name!r}: front matter is not valid YAML: {e}") from e
    if not isinstance(meta, dict) or "variables" not in meta:
        raise PromptError(f"prompt {name!r}: front matter must declare `variables: [...]` (use [] for none)")
    declared_raw = meta["variables"] or []
    if not isinstance(declared_raw, list) or not all(isinstance(v, str) and v.isidentifier() for v in declared_raw):
        raise PromptError(f"prompt {name!r}: `variables` must be a list of names, got {declared_raw!r}")
    declared = set(declared_raw)
    text = "\n".join(lines[end + 1:]).strip()
    if not text:
        raise PromptError(f"prompt {name!r}: the prompt text is empty")
    used = placeholders(text, name)
    if declared != used:
        parts = []
        if declared - used:
            parts.append("declared but not used in the text: " + ", ".join(sorted(declared - used)))
        if used - declared:
            parts.append("used in the text but not declared: " + ", ".join(sorted(used - declared)))
        raise PromptError(f"prompt {name!r}: " + "; ".join(parts))
    return Prompt(name=name, text=text, variables=frozenset(declared), path=path)


def prompt_path(name: str, settings: Settings | None = None) -> Path:
    folder = settings.prompts_dir if settings is not None else shipped("prompts")
    if not name.replace("_", "").replace("-", "").isalnum():
        raise PromptError(f"bad prompt name {name!r}")
    return folder / f"{name}.md"


def load_prompt(name: str, settings: Settings | None = None) -> Prompt:
    """`prompts/<name>.md` from `settings.prompts_dir` (the shipped folder when settings is None)."""
    path = prompt_path(name, settings)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptError(f"prompt {name!r} not found: {path}") from None
    return parse_prompt(source, name, path)
