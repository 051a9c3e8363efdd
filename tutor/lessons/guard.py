"""What a lesson file may not hold, whatever its fields: nesting deep enough to exhaust the stack, and
characters a terminal would obey.

Nesting: tomllib parses arrays and inline tables recursively, so `[[[[...` 100,000 deep raises
RecursionError. The source is scanned first (strings and comments skipped, brackets counted), and
the parsed document is walked again without recursion, since dotted keys and table headers nest
without brackets. A tensor literal needs a few levels; MAX_NESTING leaves room for many more.

Control characters: a pack's title, prompt, hints or check messages reach the learner's terminal.
TOML forbids raw C0 controls in strings but not their escapes (`\\u001b`), nor C1 controls or bidi
overrides. They are a load error rather than text shown escaped: nothing in a lesson needs them, an
author learns of one from `lint` with its line, and a learner never sees a lesson that carries an
escape sequence (or a bidi override that makes displayed code differ from the code that runs).
Every string and key counts, code included, so a field added later is covered too.
"""

from __future__ import annotations

import re

from tutor.safetext import describe, first_unsafe

MAX_NESTING = 32
MAX_REPORTED = 10  # unsafe strings reported per file: the first few say enough

_TOKEN = re.compile(r'"""|\'\'\'|["\'#\[\]{}\n]')


def too_deep(source: str, limit: int = MAX_NESTING) -> int | None:
    """The line where arrays and inline tables first nest past `limit`, or None.

    Strings and comments are skipped the way TOML reads them; on text that is not TOML the answer
    may be off, and tomllib reports the real error afterwards.
    """
    depth, line, pos, end = 0, 1, 0, len(source)
    while (found := _TOKEN.search(source, pos)) is not None:
        token, pos = found.group(), found.end()
        if token == "\n":
            line += 1
        elif token in "[{":
            depth += 1
            if depth > limit:
                return line
        elif token in "]}":
            depth = max(depth - 1, 0)
        elif token == "#":
            pos = _find(source, "\n", pos, end)
        elif token in ('"""', "'''"):
            close = _closing(source, token, pos)
            line += source.count("\n", pos, close)
            pos = close
        else:  # a one-line string: it ends at its quote, or (invalid TOML) at the line's end
            pos = _closing(source, token, pos, stop_at_newline=True)
    return None


def _find(source: str, text: str, start: int, default: int) -> int:
    found = source.find(text, start)
    return default if found < 0 else found


def _closing(source: str, quote: str, pos: int, stop_at_newline: bool = False) -> int:
    """The position after the closing `quote` of a string that starts at `pos`."""
    end = len(source)
    while True:
        found = _find(source, quote, pos, end)
        if stop_at_newline:
            newline = _find(source, "\n", pos, end)
            if newline < found:
                return newline
        if found >= end:
            return end
        if quote.startswith('"') and _escaped(source, found):
            pos = found + 1
            continue
        found += len(quote)
        while found < end and source[found] == quote[0] and len(quote) == 3:
            found += 1  # up to two quotes more belong to the string ("""a"""" is 'a"')
        return found


def _escaped(source: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and source[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def problems_in(document: dict, limit: int = MAX_NESTING) -> list[tuple[tuple, str]]:
    """(path, message) for each value nested past `limit` and each string holding a control character."""
    found: list[tuple[tuple, str]] = []
    unsafe = 0
    stack: list[tuple[tuple, object, int]] = [((), document, 0)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > limit:
                found.append((path, f"{_field(path)} is nested more than {limit} levels deep"))
                continue
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and (shown := first_unsafe(key)) and unsafe < MAX_REPORTED:
                    unsafe += 1
                    found.append((path, f"a key contains {describe(shown)}: lesson files may not hold "
                                        "control characters"))
                stack.append((path + (key,), item, depth + 1))
        elif isinstance(value, str) and (shown := first_unsafe(value)) and unsafe < MAX_REPORTED:
            unsafe += 1
            found.append((path, f"{_field(path)} contains {describe(shown)}: a terminal would act on it; "
                                "lesson text may not hold control characters"))
    return sorted(found, key=lambda item: [str(part) for part in item[0]])


def _field(path: tuple) -> str:
    names = [part for part in path if isinstance(part, str)]
    return f"field '{names[-1]}'" if names else "the document"
