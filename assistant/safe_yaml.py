"""YAML for document metadata (front matter, `.meta.yaml` sidecars) with bounds on what it expands to.

PyYAML's safe loader still expands aliases: nine levels of `a1: &a1 [*a0, *a0, …]` in 500 bytes make a
billion-node structure (and merge keys `<<: *a` copy it for real). Here the document is composed into
its node graph first (an alias is a reference there, so composing is cheap), the graph's expanded
size, depth and alias count are measured, and only a document within the bounds is constructed."""

from __future__ import annotations

from typing import Any

import yaml

MAX_CHARS = 64 * 1024     # metadata is a few lines; a larger block is not metadata
MAX_ALIASES = 100         # references to anchors (`*name`, merge keys)
MAX_DEPTH = 20            # nesting of lists and mappings
MAX_NODES = 10_000        # values once every alias is expanded


class MetadataTooLarge(ValueError):
    """The YAML is valid but expands (or would expand) past the bounds above."""


def load(text: str) -> Any:
    """Parse one YAML document with the safe loader, refusing one that expands past the bounds.
    Raises yaml.YAMLError for invalid YAML and MetadataTooLarge for a bomb."""
    if len(text) > MAX_CHARS:
        raise MetadataTooLarge(f"{len(text):,} characters; metadata may hold at most {MAX_CHARS:,}")
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:  # "[[[[…" nested deeper than Python's stack
            raise MetadataTooLarge(f"nested deeper than {MAX_DEPTH} levels") from None
        if node is None:
            return None
        _check(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check(root: yaml.Node) -> None:
    """Count the expanded size of the node graph without expanding it: each distinct node is sized
    once (memoised), a node met again is an alias."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    aliases = 0
    # Iterative post-order walk, so a deep graph cannot exhaust the stack here either.
    stack: list[tuple[yaml.Node, bool, int]] = [(root, False, 1)]
    open_nodes: set[int] = set()
    while stack:
        node, done, level = stack.pop()
        key = id(node)
        if level > MAX_DEPTH:
            raise MetadataTooLarge(f"nested deeper than {MAX_DEPTH} levels")
        children = _children(node)
        if done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
            if sizes[key] > MAX_NODES:
                raise MetadataTooLarge(f"its aliases expand to more than {MAX_NODES:,} values")
            continue
        if key in sizes:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise MetadataTooLarge(f"more than {MAX_ALIASES} aliases")
            continue
        if key in open_nodes:
            raise MetadataTooLarge("an alias refers to the list or mapping that contains it")
        open_nodes.add(key)
        stack.append((node, True, level))
        # A child already sized (or met twice among these children) is an alias: counted, not walked again.
        seen_here: set[int] = set()
        for c in children:
            if id(c) in sizes or id(c) in seen_here:
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise MetadataTooLarge(f"more than {MAX_ALIASES} aliases")
                if level + depths.get(id(c), 0) > MAX_DEPTH:
                    raise MetadataTooLarge(f"nested deeper than {MAX_DEPTH} levels")
                continue
            seen_here.add(id(c))
            stack.append((c, False, level + 1))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load_shipped(text: str) -> Any:
    """YAML the package ships or the operator configures (glossary, taxonomy, prompts, eval sets):
    trusted, so unbounded, and parsed by libyaml's C parser when PyYAML has it (the glossary took
    ~27 ms of a cold `ask` in the pure-Python one)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
