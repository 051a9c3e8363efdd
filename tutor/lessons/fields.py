"""Typed reading of one TOML table, collecting every problem with its line instead of raising."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from tutor.lessons.locate import LineIndex

_MISSING = object()


@dataclass(frozen=True)
class LessonError:
    """One problem in a lesson file, printed as "path:line: context: message"."""

    path: Path
    line: int
    context: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.context}: {self.message}" if self.context else f"{where}: {self.message}"


class Problems:
    """Collects LessonErrors for one file."""

    def __init__(self, path: Path, index: LineIndex | None) -> None:
        self.path = path
        self.index = index
        self.errors: list[LessonError] = []

    def add(self, table_path: tuple, context: str, message: str, line: int | None = None) -> None:
        if line is None:
            line = self.index.line_of(table_path) if self.index else 1
        self.errors.append(LessonError(self.path, line, context, message))


class Fields:
    """Reads keys from one table; wrong types, missing and unknown keys become Problems."""

    def __init__(self, table: dict, table_path: tuple, context: str, problems: Problems) -> None:
        self.table = table
        self.path = table_path
        self.context = context
        self.problems = problems
        self.seen: set[str] = set()

    def error(self, key: str | None, message: str) -> None:
        path = self.path + ((key,) if key else ())
        self.problems.add(path, self.context, message)

    def get(self, key: str, kinds: type | tuple[type, ...], *, required: bool = False, default=None):
        self.seen.add(key)
        value = self.table.get(key, _MISSING)
        if value is _MISSING:
            if required:
                self.error(None, f"missing required field '{key}'")
            return default
        if not _is_instance(value, kinds):
            self.error(key, f"field '{key}' must be {_describe(kinds)}, not {_toml_type(value)}")
            return default
        return value

    def string_list(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.get(key, list, required=required, default=[])
        if not all(isinstance(item, str) for item in value):
            self.error(key, f"field '{key}' must be a list of strings")
            return ()
        return tuple(value)

    def number(self, key: str, *, minimum: float = 0.0, default: float | None = None) -> float | None:
        value = self.get(key, (int, float), default=default)
        if value is not None and not value >= minimum:
            self.error(key, f"field '{key}' must be at least {minimum:g}, not {value!r}")
            return default
        return None if value is None else float(value)

    def reject_unknown(self, allowed: set[str] | None = None) -> None:
        allowed = self.seen if allowed is None else allowed
        for key in self.table:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.error(key, f"unknown field '{key}'{hint}")


def _is_instance(value: object, kinds: type | tuple[type, ...]) -> bool:
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # TOML's true is not a number
    return isinstance(value, kinds)


_TYPE_WORDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a table"}


def _describe(kinds: type | tuple[type, ...]) -> str:
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if set(kinds) == {int, float}:
        return "a number"
    return " or ".join(_TYPE_WORDS.get(kind, kind.__name__) for kind in kinds)


def _toml_type(value: object) -> str:
    for kind in (bool, str, int, float, list, dict):
        if isinstance(value, kind):
            return _TYPE_WORDS[kind] if kind is not bool else "a boolean"
    return type(value).__name__
