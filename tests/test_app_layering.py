"""The arrows point one way: only tutor/app imports Textual, the engine never imports the app, the
app never imports the CLI, only the CLI's launcher imports the app (and only when it starts it), only
the sandboxed worker imports torch, and the app's modules import each other without a circle.

Imports are read with ast, so an import inside a string (the bench builds programs as strings, run
in other processes) does not count; imports inside functions and under TYPE_CHECKING do.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from conftest import TESTS

TUTOR = TESTS.parent / "tutor"
APP = TUTOR / "app"
WORKER = TUTOR / "sandbox" / "worker"
LAUNCHER = TUTOR / "cli" / "app_command.py"  # starts the app (a lazy import inside run_app)


@dataclass(frozen=True)
class Import:
    module: str  # absolute, relative imports resolved
    names: tuple[str, ...]  # what `from module import ...` takes; () for `import module`
    nested: bool  # inside a function or class body, not run when the module is imported


def module_name(path: Path) -> str:
    parts = path.relative_to(TUTOR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, package: str | None = None) -> list[Import]:
    """Every import in the file; `package` (for relative imports) is found from the path by default."""
    tree = ast.parse(path.read_text(), str(path))
    if package is None:
        package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(alias.name, (), nested) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - (child.level - 1)] if child.level else []
                module = ".".join([*base, *([child.module] if child.module else [])])
                found.append(Import(module, tuple(alias.name for alias in child.names), nested))
            visit(child, nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                                         ast.Lambda)))

    visit(tree, False)
    return found


def names_module(imported: Import, prefix: str) -> bool:
    return imported.module == prefix or imported.module.startswith(prefix + ".")


def outside_the_app() -> list[Path]:
    return [path for path in TUTOR.rglob("*.py") if APP not in path.parents]


def test_only_the_app_imports_textual():
    offenders = [str(path.relative_to(TUTOR)) for path in outside_the_app()
                 if any(names_module(imported, "textual") for imported in imports(path))]
    assert offenders == []


def test_the_app_never_imports_the_cli():
    offenders = [f"{path.relative_to(TUTOR)}: {imported.module}" for path in APP.rglob("*.py")
                 for imported in imports(path) if names_module(imported, "tutor.cli")]
    assert offenders == []


def test_only_the_cli_launcher_imports_the_app_and_only_when_it_starts_it():
    importers = {path.relative_to(TUTOR).as_posix(): [imported for imported in imports(path)
                                                        if names_module(imported, "tutor.app")]
                 for path in outside_the_app()}
    importers = {path: found for path, found in importers.items() if found}
    assert list(importers) == [LAUNCHER.relative_to(TUTOR).as_posix()]
    assert all(imported.nested for imported in importers[LAUNCHER.relative_to(TUTOR).as_posix()])


def test_only_the_sandboxed_worker_imports_torch():
    offenders = [str(path.relative_to(TUTOR)) for path in TUTOR.rglob("*.py") if WORKER not in path.parents
                 and any(names_module(imported, "torch") for imported in imports(path))]
    assert offenders == []
    # The rule is about the tree as it is: the worker really does import torch.
    assert any(names_module(imported, "torch") for path in WORKER.rglob("*.py") for imported in imports(path))


def app_import_graph() -> dict[str, set[str]]:
    """Module -> the tutor.app modules it imports (a submodule named by `from package import name`
    counts as that submodule)."""
    modules = {module_name(path): path for path in APP.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported in imports(path):
            if not names_module(imported, "tutor.app"):
                continue
            targets = {f"{imported.module}.{item}" for item in imported.names} & modules.keys()
            graph[name] |= (targets or {imported.module} & modules.keys()) - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_apps_modules_import_each_other_without_a_circle():
    graph = app_import_graph()
    assert "tutor.app.app" in graph and graph["tutor.app.app"]  # the graph is really built
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_imports_under_type_checking_and_inside_functions_count(tmp_path):
    # The shape the app once had: mixins importing the app back for their type hints.
    path = tmp_path / "runner.py"
    path.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tutor.app.app import TutorApp\n"
                    "def later():\n    from . import screens\n")
    found = imports(path, package="tutor.app")
    assert Import("tutor.app.app", ("TutorApp",), nested=False) in found
    assert Import("tutor.app", ("screens",), nested=True) in found
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
