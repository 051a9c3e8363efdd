"""Answers that must fail: lint tries them on every exercise, so its checks are proven, not hoped.

- the hard-coded answer: the reference's values typed in as literals, with every `require`d
  name mentioned in dead code (what a learner who copied the example's output would write);
- skipped steps: the solution with one statement deleted (a mutation test), for each top-level
  statement and each statement in a loop or function body (imports are not steps); a solution
  line marked `# lint: optional (why)` is never deleted;
- the starter with its placeholder filled by `None`, `0` and zeros shaped like the reference.

Pure source transformations (no worker here): tutor/linting/prove.py runs them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from tutor.lessons.model import Exercise, ExpectedCheck, StaticCheck, TensorCheck
from tutor.linting.literals import GRAD_HELPER, NotLiteral, literal
from tutor.sandbox.values import TensorValue

OPTIONAL = re.compile(r"#\s*lint:\s*optional\b(?P<reason>.*)$")


@dataclass(frozen=True)
class Mutant:
    line: int  # 1-based line of the deleted statement in the solution
    statement: str  # its first line, for the report
    code: str


def hard_coded_answer(exercise: Exercise, values: dict[str, object]) -> str:
    """The reference's values for each compared name, typed in, plus the required names in dead
    code. `values`: the reference's value for each name a tensor/expected check compares.
    Raises NotLiteral when a name cannot be typed in (a module, a huge tensor, a dotted path)."""
    lines = ["import torch", "import numpy as np"]
    helper = False
    for name, value in values.items():
        if "." in name:
            raise NotLiteral(f"`{name}` is an attribute path, not a variable one could assign")
        source = literal(value)
        helper = helper or "_with_grad(" in source
        lines.append(f"{name} = {source}")
    required = [name for check in exercise.checks if isinstance(check, StaticCheck) and check.kind == "require"
                for name in check.names]
    if required:
        lines.append("if False:  # the names the exercise requires, never run")
        lines += [f"    {name}" for name in required]
    return (GRAD_HELPER.lstrip() if helper else "") + "\n".join(lines) + "\n"


def compared_names(exercise: Exercise) -> list[tuple[int, str]]:
    """(check index, name) of every tensor and expected check, each name once."""
    seen: dict[str, int] = {}
    for index, check in enumerate(exercise.checks):
        if isinstance(check, (TensorCheck, ExpectedCheck)) and check.name not in seen:
            seen[check.name] = index
    return [(index, name) for name, index in seen.items()]


def mutants(solution: str) -> tuple[list[Mutant], list[tuple[int, str]]]:
    """The solution with one statement deleted, for each statement that may be deleted; and the
    (line, reason) of each statement marked optional. A statement alone in its block becomes `pass`."""
    try:
        tree = ast.parse(solution)
    except SyntaxError:
        return [], []
    lines = solution.splitlines(keepends=True)
    found: list[Mutant] = []
    optional: list[tuple[int, str]] = []
    for body in _bodies(tree):
        for statement in body:
            if isinstance(statement, (ast.Import, ast.ImportFrom, ast.Pass)):
                continue  # not a step: an import the setup already made is rightly redundant
            first = lines[statement.lineno - 1]
            marked = OPTIONAL.search(first)
            if marked:
                optional.append((statement.lineno, marked.group("reason").strip(" -:()")))
                continue
            indent = first[: len(first) - len(first.lstrip())]
            replacement = [f"{indent}pass\n"] if len(body) == 1 else []
            start, end = statement.lineno - 1, (statement.end_lineno or statement.lineno)
            if getattr(statement, "decorator_list", None):
                start = min(start, min(d.lineno for d in statement.decorator_list) - 1)
            code = "".join(lines[:start] + replacement + lines[end:])
            found.append(Mutant(statement.lineno, first.strip(), code))
    return found, optional


def _bodies(tree: ast.Module) -> list[list[ast.stmt]]:
    """The module's body, and the body of every loop and function in it (nested ones too)."""
    bodies = [tree.body]
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While, ast.FunctionDef, ast.AsyncFunctionDef)):
            bodies.append(node.body)
    return bodies


def placeholder_fills(exercise: Exercise, values: dict[str, object]) -> list[tuple[str, str]]:
    """(what, code): the starter with each `...` placeholder replaced by None, by 0, and (where it is
    assigned to a compared name) by zeros of the reference's shape and dtype."""
    spots = _placeholders(exercise.starter)
    if not spots:
        return []
    fills = [("None", _fill(exercise.starter, spots, lambda target: "None")),
             ("0", _fill(exercise.starter, spots, lambda target: "0"))]

    def zeros(target: str | None) -> str:
        value = values.get(target) if target else None
        if not isinstance(value, TensorValue):
            return "..."
        device = ", device=device" if value.device != "cpu" else ""
        if value.kind == "ndarray":
            return f"np.zeros({value.shape!r}, dtype=np.{value.dtype})"
        return f"torch.zeros({value.shape!r}, dtype=torch.{value.dtype}{device})"

    zeroed = _fill(exercise.starter, spots, zeros)
    if zeroed != exercise.starter:
        fills.append(("zeros like the reference", "import torch\nimport numpy as np\n" + zeroed))
    return fills


def _placeholders(code: str) -> list[tuple[int, int, str | None]]:
    """(line, column, the name it is assigned to) of each `...` outside a subscript."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    in_subscript = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.Subscript)
                    for inner in ast.walk(node.slice)}
    targets: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            targets[id(node.value)] = node.targets[0].id
    return [(node.lineno, node.col_offset, targets.get(id(node))) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value is Ellipsis and id(node) not in in_subscript]


def _fill(code: str, spots: list[tuple[int, int, str | None]], text_for) -> str:
    lines = code.splitlines(keepends=True)
    for line, column, target in sorted(spots, reverse=True):  # from the end: columns stay right
        row = lines[line - 1]
        if row[column:column + 3] == "...":
            lines[line - 1] = row[:column] + text_for(target) + row[column + 3:]
    return "".join(lines)


__all__ = ["Mutant", "NotLiteral", "compared_names", "hard_coded_answer", "mutants", "placeholder_fills"]
