"""Fenced Python blocks inside lesson prose, which `lint` runs so explanations can't rot."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE_OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_PYTHON_NAMES = {"python", "py", "python3"}


@dataclass(frozen=True)
class CodeBlock:
    code: str
    line: int  # 1-based line of the opening fence within the prose
    runnable: bool
    show: bool = False  # ```python show: its last expression is drawn in place (a picture)


def python_blocks(markdown: str) -> list[CodeBlock]:
    """Every ```python block; those whose info string says `no-run` are kept but not runnable."""
    blocks: list[CodeBlock] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE_OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        fence = match.group("fence")
        words = match.group("info").split()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        if words and words[0].lower() in _PYTHON_NAMES:
            indent = len(match.group("indent"))
            code = "\n".join(line[indent:] if line[:indent].isspace() else line for line in body)
            blocks.append(CodeBlock(code=code + "\n", line=start + 1, runnable="no-run" not in words[1:],
                                    show="show" in words[1:] and "no-run" not in words[1:]))
    return blocks
