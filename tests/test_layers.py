"""The package's shape, checked from the source: the core never imports an adapter, imports no module
of its own lazily (a lazy import is how a cycle hides), and its modules import each other without a
cycle. The module map in docs/architecture.md describes the layers this keeps."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assistant", "bots", "evals")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _target(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The module an import statement names, in this repository's layout ("assistant.store")."""
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        return ".".join([*base, *([node.module] if node.module else [])])
    name = node.module or ""
    return name.removeprefix("cluster_assistant.")


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imports(text: str, module: str, is_package: bool = False) -> tuple[set[str], set[str]]:
    """(imports run when the module loads, imports inside functions) of our own modules, for a
    module's source `text`."""
    top: set[str] = set()
    lazy: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue  # for annotations only: never run
            targets = [_target(module, is_package, child)] if isinstance(child, ast.ImportFrom) else [
                a.name.removeprefix("cluster_assistant.") for a in child.names] if isinstance(child, ast.Import) else []
            for target in targets:
                if target.split(".")[0] in PACKAGES:
                    (lazy if in_function else top).add(target)
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    visit(ast.parse(text), False)
    return top, lazy


def imports_of(path: Path) -> tuple[set[str], set[str]]:
    return imports(path.read_text(encoding="utf-8"), _module(path), path.name == "__init__.py")


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of `graph` (module -> modules it imports), or []."""
    done: set[str] = set()

    def walk(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node):], node]
        if node in done:
            return []
        for nxt in sorted(graph.get(node, ())):
            cycle = walk(nxt, [*path, node])
            if cycle:
                return cycle
        done.add(node)
        return []

    return next((c for c in (walk(n, []) for n in sorted(graph)) if c), [])


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_the_core_never_imports_an_adapter_or_the_evals() -> None:
    found = {f"{_module(p)} -> {t}" for p in _sources("assistant") for t in set.union(*imports_of(p))
             if not t.startswith("assistant")}
    assert found == set()


def test_the_core_imports_none_of_its_own_modules_lazily() -> None:
    found = {f"{_module(p)} -> {t}" for p in _sources("assistant") for t in imports_of(p)[1]}
    assert found == set()


def test_the_core_modules_import_each_other_without_a_cycle() -> None:
    graph = {_module(p): {t for t in imports_of(p)[0] if t.startswith("assistant")} for p in _sources("assistant")}
    assert len(graph) > 30
    assert find_cycle(graph) == []


def test_the_evals_never_import_an_adapter() -> None:
    found = {f"{_module(p)} -> {t}" for p in _sources("evals") for t in set.union(*imports_of(p))
             if t.startswith("bots")}
    assert found == set()


def test_the_checks_can_fail() -> None:
    """A lazy import inside a function is seen, an annotation-only import is not, and a cycle is found."""
    text = ("from typing import TYPE_CHECKING\nfrom .store import Store\nif TYPE_CHECKING:\n"
            "    from .settings import Settings\n\ndef f():\n    from .pipeline import Assistant\n")
    assert imports(text, "assistant.probe") == ({"assistant.store"}, {"assistant.pipeline"})
    assert imports("from ..keywords import terms\n", "assistant.answering.probe")[0] == {"assistant.keywords"}
    assert imports("import cluster_assistant.bots.cli\nimport os\n", "assistant.probe")[0] == {"bots.cli"}
    graph = {"assistant.a": {"assistant.b"}, "assistant.b": {"assistant.c"}, "assistant.c": {"assistant.a"}}
    assert find_cycle(graph) == ["assistant.a", "assistant.b", "assistant.c", "assistant.a"]
    assert find_cycle({"assistant.a": {"assistant.b"}, "assistant.b": set()}) == []
