"""Python indentation rules for the editor, as plain functions of strings (no Textual here).

An indent level is `unit`: four spaces (or the editor's width), or one tab in a tab-indented file.
"""

from __future__ import annotations

import re

# After these statements the block is over, so the next line goes back one level.
_ENDS_BLOCK = re.compile(r"(return|pass|break|continue|raise)\b")


def leading_whitespace(line: str) -> str:
    return line[:len(line) - len(line.lstrip(" \t"))]


def code_part(line: str) -> str:
    """The line without its comment and surrounding whitespace; a `#` inside a string stays."""
    quote = ""
    escaped = False
    for index, char in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:index].strip()
    return line.strip()


def dedented(whitespace: str, width: int) -> str:
    """`whitespace` one level shallower: one tab less, or spaces back to the previous multiple of
    `width` (so a line at 6 spaces goes to 4, as code editors do)."""
    if whitespace.endswith("\t"):
        return whitespace[:-1]
    spaces = len(whitespace) - len(whitespace.rstrip(" "))
    if spaces == 0:
        return whitespace
    remove = spaces % width or width
    return whitespace[:len(whitespace) - remove]


def next_line_indent(before: str, unit: str, width: int) -> str:
    """The indentation of a line started by Enter after the text `before` (what precedes the
    cursor on its line): the same as that line's, one level more after a `:`, one less after
    return/pass/break/continue/raise."""
    indent = leading_whitespace(before)
    code = code_part(before)
    if code.endswith(":"):
        return indent + unit
    if _ENDS_BLOCK.match(code):
        return dedented(indent, width)
    return indent


def backspace_width(before: str, width: int) -> int:
    """How many characters Backspace removes when `before` precedes the cursor: back to the
    previous multiple of `width` inside leading spaces, otherwise one."""
    if not before or before.strip(" "):
        return 1
    return len(before) % width or width


def indent_line(line: str, unit: str) -> str:
    """`line` one level deeper; a blank line stays as it is (no trailing whitespace)."""
    return unit + line if line.strip() else line


def dedent_line(line: str, width: int) -> str:
    whitespace = leading_whitespace(line)
    return dedented(whitespace, width) + line[len(whitespace):]
