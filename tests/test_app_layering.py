"""The arrows point one way: only tutor/app imports Textual, and the engine never imports the app."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import TESTS

TUTOR = TESTS.parent / "tutor"
APP = TUTOR / "app"
ENTRY_POINT = TUTOR / "cli" / "__init__.py"  # starts the app (a lazy import inside main())


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def outside_the_app() -> list[Path]:
    return [path for path in TUTOR.rglob("*.py") if APP not in path.parents]


def test_only_the_app_imports_textual():
    offenders = [str(path.relative_to(TUTOR)) for path in outside_the_app()
                 if any(name == "textual" or name.startswith("textual.") for name in imported_modules(path))]
    assert offenders == []


def test_the_engine_never_imports_the_app():
    offenders = [str(path.relative_to(TUTOR)) for path in outside_the_app() if path != ENTRY_POINT
                 and any(name == "tutor.app" or name.startswith("tutor.app.") for name in imported_modules(path))]
    assert offenders == []


def test_the_app_never_imports_torch():
    offenders = [str(path.relative_to(TUTOR)) for path in APP.rglob("*.py")
                 if any(name == "torch" or name.startswith("torch.") for name in imported_modules(path))]
    assert offenders == []
