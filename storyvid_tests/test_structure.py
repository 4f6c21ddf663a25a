"""The package's shape: no import cycles, the environment read in one place, work modules free of Dagster."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "storyvid_assets"
NAME = PACKAGE.name
# Plain work: no Dagster, no Dagster layer (assets, resources, sensors, definitions) imported.
WORK_PACKAGES = ("story", "speech", "imaging", "audio", "render", "moderation", "distribution", "catalog", "analytics")
DAGSTER_LAYER = tuple(f"{NAME}.{part}" for part in ("assets", "resources", "sensors", "definitions", "runner"))


def module_files() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of the package (and top-level third-party names) that ``name`` imports, anywhere in its body."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            candidates = [f"{target}.{alias.name}" for alias in node.names] + [target]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate.startswith(NAME) and candidate not in modules:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                found.add(candidate)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    return {
        name: {m for m in imported_modules(name, path, modules) if m in modules and not name.startswith(m + ".")}
        for name, path in modules.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


@pytest.mark.parametrize("package", WORK_PACKAGES)
def test_work_modules_do_not_import_dagster(package: str) -> None:
    modules = module_files()
    offenders = {}
    for name, path in modules.items():
        if not name.startswith(f"{NAME}.{package}"):
            continue
        bad = sorted(
            m for m in imported_modules(name, path, modules)
            if m == "dagster" or m.startswith(("dagster.", "dagster_")) or m.startswith(DAGSTER_LAYER)
        )
        if bad:
            offenders[name] = bad
    assert offenders == {}


ENV_READ = re.compile(r"\bos\.(environ|getenv)\b|\bgetenv\(|from os import .*\b(environ|getenv)\b")


def test_environment_is_read_only_in_settings() -> None:
    readers = sorted(
        name for name, path in module_files().items()
        if name != f"{NAME}.settings" and ENV_READ.search(path.read_text())
    )
    assert readers == []


def test_no_class_is_defined_twice() -> None:
    defined: dict[str, list[str]] = defaultdict(list)
    for name, path in module_files().items():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                defined[node.name].append(name)
    assert {cls: where for cls, where in defined.items() if len(where) > 1} == {}
