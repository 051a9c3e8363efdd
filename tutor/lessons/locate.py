"""Line numbers for TOML keys and tables.

`tomllib` returns plain dicts without positions, yet an author needs "file:line" in every error.
This scanner walks the source once, skipping the inside of strings (multi-line code blocks are full
of lines that look like `key = value`), and records where each table header and key stands.
Paths look like ("exercise", 0, "check", 2, "kind"); array-of-tables entries are indexed from 0.
"""

from __future__ import annotations

import re

Path = tuple[object, ...]

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\-\s]+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\s]+?)\s*\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+(?:\s*\.\s*[A-Za-z0-9_\-]+)*)\s*=")


class LineIndex:
    def __init__(self, source: str) -> None:
        self._lines: dict[Path, int] = {}
        self._scan(source)

    def line_of(self, path: Path) -> int:
        """The line of `path`, or of its nearest recorded ancestor (1 if none)."""
        probe = tuple(path)
        while probe:
            if probe in self._lines:
                return self._lines[probe]
            probe = probe[:-1]
        return 1

    def _scan(self, source: str) -> None:
        array_index: dict[str, int] = {}
        table: Path = ()
        open_string: str | None = None  # the delimiter of a multi-line string we are inside
        for number, line in enumerate(source.splitlines(), start=1):
            if open_string is not None:
                if open_string in line:  # most lines of a code block don't close it: skip the walk
                    open_string = _string_state_after(line, open_string)
                continue
            if match := _ARRAY_HEADER.match(line):
                name = _normalise(match.group(1))
                array_index[name] = array_index.get(name, -1) + 1
                for other in list(array_index):
                    if other.startswith(name + "."):
                        del array_index[other]
                table = _resolve(name, array_index)
                self._lines.setdefault(table, number)
            elif match := _TABLE_HEADER.match(line):
                table = _resolve(_normalise(match.group(1)), array_index)
                self._lines.setdefault(table, number)
            elif match := _KEY.match(line):
                key_path = tuple(_normalise(match.group(1)).split("."))
                self._lines.setdefault(table + key_path, number)
                open_string = _string_state_after(line[match.end() :], None)
            else:
                open_string = _string_state_after(line, None)


def _normalise(dotted: str) -> str:
    return ".".join(part.strip() for part in dotted.split("."))


def _resolve(dotted: str, array_index: dict[str, int]) -> Path:
    path: list[object] = []
    parts = dotted.split(".")
    for depth, part in enumerate(parts):
        path.append(part)
        prefix = ".".join(parts[: depth + 1])
        if prefix in array_index:
            path.append(array_index[prefix])
    return tuple(path)


def _string_state_after(text: str, state: str | None) -> str | None:
    """Return the multi-line delimiter still open at the end of `text`, if any."""
    i = 0
    while i < len(text):
        if state is None:
            if text.startswith('"""', i) or text.startswith("'''", i):
                state = text[i : i + 3]
                i += 3
                continue
            char = text[i]
            if char == "#":
                return None
            if char in "\"'":
                end = _end_of_single_line_string(text, i)
                if end < 0:
                    return None
                i = end
                continue
            i += 1
        else:
            if state == '"""' and text.startswith("\\", i):
                i += 2
                continue
            if text.startswith(state, i):
                # A closing run may be up to five quotes long ("""" ends with a quote in the string).
                run = i
                while run < len(text) and text[run] == state[0]:
                    run += 1
                i = run
                state = None
                continue
            i += 1
    return state


def _end_of_single_line_string(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    return -1
