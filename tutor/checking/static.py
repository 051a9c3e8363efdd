"""Checks on the learner's source itself (AST, never text search), and the "not attempted" test."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

from tutor.checking.verdict import CheckResult
from tutor.lessons.model import StaticCheck

_LOOP_NODES: dict[type, str] = {
    ast.For: "a `for` loop",
    ast.AsyncFor: "an `async for` loop",
    ast.While: "a `while` loop",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
}


@dataclass(frozen=True)
class Use:
    name: str  # a bare name, or a dotted path such as torch.where
    line: int


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def names_used(tree: ast.AST) -> list[Use]:
    """Every name, attribute, import and getattr("...") the code mentions."""
    uses: list[Use] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Name):
            uses.append(Use(node.id, line))
        elif isinstance(node, ast.keyword) and node.arg:
            uses.append(Use(node.arg, getattr(node, "lineno", line)))  # f(dim=1) uses `dim`
        elif isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, bool)):
            uses.append(Use(repr(node.value), line))  # None, True and False are names to a reader
        elif isinstance(node, ast.Attribute):
            uses.append(Use(node.attr, line))
            dotted = _dotted(node)
            if dotted:
                uses.append(Use(dotted, line))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            module = getattr(node, "module", None) or ""
            for alias in node.names:
                for part in filter(None, [module, alias.name, alias.asname]):
                    uses.append(Use(part, line))
                    uses.extend(Use(piece, line) for piece in part.split("."))
                if module:
                    uses.append(Use(f"{module}.{alias.name}", line))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in {"getattr", "hasattr", "setattr"} and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            uses.append(Use(node.args[1].value, line))
    return uses


def _matches(wanted: str, use: str) -> bool:
    return use == wanted or ("." in wanted and use.endswith("." + wanted))


def run_static_check(check: StaticCheck, code: str) -> CheckResult:
    label = check.name
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return CheckResult(check.kind, label, False, "Could not be checked: the code is not valid Python.")
    uses = names_used(tree)
    problems: list[str] = []
    if check.kind == "forbid":
        found = []
        for wanted in check.names:
            lines = sorted({use.line for use in uses if _matches(wanted, use.name)})
            if lines:
                found.append(f"`{wanted}` ({_lines(lines)})")
        if found:
            problems.append(f"Your code uses {_and(found)}, which this exercise rules out.")
        if check.loops:
            for node in ast.walk(tree):
                what = _LOOP_NODES.get(type(node))
                if what:
                    problems.append(f"Line {node.lineno} has {what}; this exercise asks for no Python loops.")
                    break
    else:
        absent = [f"`{wanted}`" for wanted in check.names if not any(_matches(wanted, use.name) for use in uses)]
        if absent:
            problems.append(f"Your code should use {_and(absent)}.")
    if not problems:
        return CheckResult(check.kind, label, True, "")
    message = " ".join(problems)
    if check.message:
        message = f"{check.message} {message}"
    return CheckResult(check.kind, label, False, message)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _lines(lines: list[int]) -> str:
    if len(lines) == 1:
        return f"line {lines[0]}"
    return "lines " + ", ".join(str(n) for n in lines[:5]) + ("..." if len(lines) > 5 else "")


_TODO = re.compile(r"#.*\bTODO\b")


def has_placeholder(code: str) -> bool:
    """True while the code still holds the starter's `...` placeholder or a `# TODO` comment."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return "..." in code or bool(_TODO.search(code))
    in_subscript: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            in_subscript.update(id(inner) for inner in ast.walk(node.slice))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value is Ellipsis and id(node) not in in_subscript:
            return True
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.COMMENT and _TODO.search(token.string):
                return True
    except (tokenize.TokenError, SyntaxError):
        pass
    return False
