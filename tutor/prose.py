"""A lesson's prose as a notebook: its runnable ```python blocks run in order in one namespace, and
each ```python show block's last expression comes back as a value to draw in place.

Used by lint (every block must run, every show block must end with something drawable) and by
the app (to draw the pictures). The rewriting here is of source text only; the worker runs it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.lessons.fences import CodeBlock, python_blocks
from tutor.sandbox.runspec import Outcome, Probe

if TYPE_CHECKING:  # numpy comes with these: the app's first screen must not wait for it
    from tutor.sandbox.record import RunRecord

SHOWN = "__shown_{}__"


@dataclass
class ProseRun:
    record: RunRecord | None  # None when the prose has no runnable block
    blocks: list[CodeBlock]
    starts: list[int]  # the line each block starts at in the joined code
    shown: dict[int, object] = field(default_factory=dict)  # a show block's fence line -> its value
    problems: list[str] = field(default_factory=list)  # a show block that cannot show anything

    @property
    def ok(self) -> bool:
        return (self.record is None or self.record.outcome is Outcome.OK) and not self.problems

    def failing_block(self) -> tuple[CodeBlock, int] | None:
        """The block the error happened in, and the line within it."""
        if self.record is None or self.record.outcome is Outcome.OK:
            return None
        line = (self.record.error.line if self.record.error else None) or 1
        found = None
        for start, block in zip(self.starts, self.blocks):
            if start <= line:
                found = (block, line - start + 1)
        return found


def joined_code(blocks: list[CodeBlock]) -> tuple[str, list[int], list[tuple[int, CodeBlock]], list[str]]:
    """The blocks as one program; each show block's last expression assigned to a name to probe.
    Returns the code, each block's first line, the (probe index, block) of show blocks, problems."""
    parts, starts, shows, problems = [], [], [], []
    line = 1
    for block in blocks:
        code = block.code
        if block.show:
            rewritten = _assign_last_expression(code, SHOWN.format(len(shows)))
            if rewritten is None:
                problems.append(f"the ```python show block at line {block.line} must end with an expression "
                                "to draw (a tensor, a batch of images, or a (values, label) pair)")
            else:
                code = rewritten
                shows.append((len(shows), block))
        starts.append(line)
        parts.append(code)
        line += code.count("\n")
    return "".join(parts), starts, shows, problems


def _assign_last_expression(code: str, name: str) -> str | None:
    """`code` with its last statement, an expression, assigned to `name` (same lines, so error
    line numbers stay right). None when the last statement is not an expression."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code  # the run reports the syntax error where it is
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return None
    last = tree.body[-1]
    lines = code.splitlines(keepends=True)
    row = lines[last.lineno - 1]
    lines[last.lineno - 1] = row[:last.col_offset] + f"{name} = " + row[last.col_offset:]
    return "".join(lines)


def drawable(value: object) -> bool:
    """A tensor with values, an image batch, a (values, label) pair, or a list of such pairs."""
    from tutor.sandbox.values import TensorValue

    if isinstance(value, TensorValue):
        return value.array is not None and 1 <= len(value.shape) <= 4 and value.numel > 0
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], TensorValue):
        return drawable(value[0]) and isinstance(value[1], (str, int, float))
    if isinstance(value, (list, tuple)) and value:
        return all(drawable(item) for item in value)
    return False


def run_prose(session, markdown: str, setup: str = "", lesson_dir: Path | None = None) -> ProseRun:
    """Run the prose's blocks (a `tutor.session.Session` runs them on its current device)."""
    blocks = [block for block in python_blocks(markdown) if block.runnable]
    if not blocks:
        return ProseRun(None, [], [])
    code, starts, shows, problems = joined_code(blocks)
    probes = tuple(Probe(index, "value", SHOWN.format(index)) for index, _ in shows)
    record = session.run_snippet(code, setup, lesson_dir, probes=probes)
    run = ProseRun(record, blocks, starts, problems=problems)
    if record.outcome is Outcome.OK:
        for index, block in shows:
            found = record.result(index)
            value = found.value if found is not None and not found.missing else None
            if drawable(value):
                run.shown[block.line] = value
            else:
                run.problems.append(f"the ```python show block at line {block.line} ends with something that "
                                    "cannot be drawn: give a tensor, a batch of images, or a (values, label) pair")
    return run
