"""The tensors and modules on the line where the learner's code failed, one short line each.

"`x` is float32 (64, 28, 28) on cpu", "`self.fc` is Linear(784 -> 64), float32 on cpu": read from
the innermost frame of the learner's code in the exception's traceback, for the names and dotted
attribute paths the failing statement mentions. Nothing here runs learner code: values are told
apart by their exact type, attributes are read from instance dictionaries of known torch types (never
through properties, __getattr__ or __repr__), and every step is guarded and capped.
"""

from __future__ import annotations

import ast
import itertools
import linecache
import time
from types import FrameType, TracebackType

from tutor.sandbox.worker.value_facts import MISSING, attribute, describe

# errors.LEARNER_FILE; not imported from there, because errors.py imports this module.
LEARNER_FILE = "<your code>"
MAX_FACTS = 6
_MAX_FACT_CHARS = 160
_MAX_PATHS = 40
_MAX_FRAMES = 100_000
_TIME_BUDGET_S = 0.05


def frame_facts(exc: BaseException, source: str | None = None, *, filename: str = LEARNER_FILE,
                limit: int = MAX_FACTS) -> list[str]:
    """At most `limit` one-line facts about the values on the learner's failing line; [] if none.

    `source` is the learner's code as compiled under `filename`; without it, linecache's copy is used.
    """
    try:
        return _facts(exc, source, filename, limit)
    except Exception:  # a fact is a courtesy: it must never replace the error it decorates
        return []


def _facts(exc: BaseException, source: str | None, filename: str, limit: int) -> list[str]:
    deadline = time.perf_counter() + _TIME_BUDGET_S
    innermost = _innermost(exc.__traceback__, filename)
    if innermost is None:
        return []
    frame, lasti, lineno = innermost
    if source is None:
        source = "".join(linecache.getlines(filename))
    tree = ast.parse(source, filename)
    position = _position(frame, lasti)
    line, col = (position[0], position[2]) if position and position[0] else (lineno, None)
    statement = _statement_at(tree, line, col)
    if statement is None:
        return []
    facts: list[str] = []
    seen: set[str] = set()
    for parts in _paths(statement, position)[:_MAX_PATHS]:
        if len(facts) >= limit or time.perf_counter() > deadline:
            break
        path, text = _resolve_and_describe(frame, parts)
        if text is None or path in seen:
            continue
        seen.add(path)
        facts.append(_clip(f"`{path}` is {text}"))
    return facts


def _innermost(tb: TracebackType | None, filename: str) -> tuple[FrameType, int, int] | None:
    found = None
    for _ in range(_MAX_FRAMES):
        if tb is None:
            break
        if tb.tb_frame.f_code.co_filename == filename:
            found = (tb.tb_frame, tb.tb_lasti, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _position(frame: FrameType, lasti: int) -> tuple | None:
    """(line, end_line, col, end_col) of the instruction that raised, as Python 3.11+ records it."""
    if lasti < 0:
        return None
    try:
        return next(itertools.islice(frame.f_code.co_positions(), lasti // 2, None))
    except (StopIteration, AttributeError, ValueError):
        return None


def _statement_at(tree: ast.AST, line: int, col: int | None) -> ast.stmt | None:
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or not _contains(node, line, col):
            continue
        if best is None or (node.lineno, node.col_offset) >= (best.lineno, best.col_offset):
            best = node  # statements nest, so the one starting last is the innermost
    return best


def _contains(node: ast.AST, line: int, col: int | None) -> bool:
    if col is None:
        return node.lineno <= line <= node.end_lineno
    return (node.lineno, node.col_offset) <= (line, col) <= (node.end_lineno, node.end_col_offset)


def _paths(statement: ast.stmt, position: tuple | None) -> list[list[str]]:
    """Dotted paths the statement reads, those inside the failing expression first, in source order."""
    nodes = list(_expressions(statement))
    chained = {id(node.value) for node in nodes if isinstance(node, ast.Attribute)}
    read_and_written = {id(node.target) for node in nodes if isinstance(node, ast.AugAssign)}
    if isinstance(statement, ast.AugAssign):
        read_and_written.add(id(statement.target))
    found: list[tuple[bool, tuple[int, int], list[str]]] = []
    for node in nodes:
        if id(node) in chained or not isinstance(node, (ast.Name, ast.Attribute)):
            continue
        parts = _dotted(node)
        if parts is None:
            continue
        if isinstance(node.ctx, (ast.Store, ast.Del)) and id(node) not in read_and_written:
            parts = parts[:-1]  # `self.fc = ...` reads `self`; `out = ...` reads nothing
        if parts:
            found.append((not _inside(node, position), (node.lineno, node.col_offset), parts))
    found.sort(key=lambda item: (item[0], item[1]))
    return [parts for _, _, parts in found]


def _expressions(statement: ast.stmt):
    """The statement's own expressions, not those of the statements in its body."""
    pending: list[ast.AST] = [statement]
    while pending:
        node = pending.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
                pending.append(child)


def _dotted(node: ast.AST) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None  # `model(x).weight`, `layers[0].weight`: reaching them would mean evaluating code
    parts.append(node.id)
    return parts[::-1]


def _inside(node: ast.AST, position: tuple | None) -> bool:
    if not position or None in position:
        return False
    line, end_line, col, end_col = position
    return (line, col) <= (node.lineno, node.col_offset) and (node.end_lineno, node.end_col_offset) <= (end_line, end_col)


def _resolve_and_describe(frame: FrameType, parts: list[str]) -> tuple[str, str | None]:
    """The longest prefix of `parts` that resolves to something describable, and its description."""
    value = _lookup(frame, parts[0])
    if value is MISSING:
        return parts[0], None
    best = (parts[0], describe(value))
    for index in range(1, len(parts)):
        value = attribute(value, parts[index])
        if value is MISSING:
            break
        text = describe(value)
        if text is not None:
            best = (".".join(parts[: index + 1]), text)
    return best


def _lookup(frame: FrameType, name: str) -> object:
    for namespace in (frame.f_locals, frame.f_globals):
        if type(namespace) is dict and name in namespace:
            return namespace[name]
    return MISSING


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_FACT_CHARS else text[: _MAX_FACT_CHARS - 3] + "..."
