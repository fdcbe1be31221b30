"""The layout rules of docs/architecture.md, checked on the source.

Every ``from annotations... import`` counts, deferred ones inside functions
too: a deferred import hides a cycle from Python, not from the next reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "annotations"

#: Modules that compute and never touch the database, the services or the web.
PURE = (
    "annotations.offsets",
    "annotations.anchoring",
    "annotations.revision_diff",
    "annotations.rendering",
    "annotations.sentences",
    "annotations.agreement",
    "annotations.feedback",
    "annotations.wording",
    "annotations.roster",
    "annotations.charts",
    "annotations.comparison",
    "annotations.accessibility",
    "annotations.suggest",
    "annotations.exports.csv",
    "annotations.exports.context",
    "annotations.exports.rows",
    "annotations.exports.jsonl",
    "annotations.exports.spacy",
    "annotations.exports.w3c",
)
NOT_IN_PURE = ("django.db", "annotations.models", "annotations.services", "annotations.views")
#: File formats parse and write; deciding what is stored is the services' job.
FORMATS = ("annotations.imports", "annotations.exports")
NOT_IN_FORMATS = (
    "annotations.services",
    "annotations.views",
    "annotations.selectors",
    "annotations.tasks",
    "annotations.api",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts
    }


MODULES = _modules()


def _resolve(target: str) -> str | None:
    """Return the module an import names (``from a.b import c``: a.b.c if that is a module)."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function.

    ``from package import module`` names the module, ``from module import name``
    the module; imports under ``if TYPE_CHECKING:`` never run and do not count.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
    return found


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = {_resolve(t) for t in imports_of(path) if t.startswith("annotations.")}
        edges[name] = {t for t in targets if t and t != name}
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """Return one cycle as a list of modules (first repeated last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def _in(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_checker_finds_a_cycle_and_a_deferred_import(tmp_path):
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from annotations.services import spans\n")
    assert "annotations.services.spans" in imports_of(source)


def test_no_import_cycle():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("module", [m for m in sorted(MODULES) if _in(m, PURE)])
def test_pure_modules_stay_pure(module):
    wrong = sorted(t for t in imports_of(MODULES[module]) if _in(t, NOT_IN_PURE))
    assert not wrong, f"{module} imports {wrong}"


@pytest.mark.parametrize("module", [m for m in sorted(MODULES) if _in(m, FORMATS)])
def test_file_formats_import_no_services(module):
    wrong = sorted(t for t in imports_of(MODULES[module]) if _in(t, NOT_IN_FORMATS))
    assert not wrong, f"{module} imports {wrong}"


@pytest.mark.parametrize(
    "module", [m for m in sorted(MODULES) if not _in(m, ("annotations.views", "annotations.urls"))]
)
def test_only_views_and_urls_import_views(module):
    wrong = sorted(t for t in imports_of(MODULES[module]) if _in(t, ("annotations.views",)))
    assert not wrong, f"{module} imports {wrong}"


@pytest.mark.parametrize("module", [m for m in sorted(MODULES) if _in(m, ("annotations.views",))])
def test_views_import_no_private_name_of_another_module(module):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    wrong = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("annotations")
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert not wrong, f"{module} imports private names {wrong}"
