"""Reading and validating one [[exercise.check]] table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tutor.lessons.fields import Fields
from tutor.lessons.model import (AssertCheck, Check, CurveCheck, ExpectedCheck, FunctionCheck, OutputCheck,
                                 StaticCheck, TensorCheck)

DTYPE_NAMES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
               "float32", "float64", "complex64", "complex128")
TENSOR_FILE_SUFFIXES = (".npy", ".pt", ".safetensors")
CHECK_KINDS = ("tensor", "expected", "function", "assert", "forbid", "require", "output", "curve")
_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_TOLERANCES = {"rtol", "atol"}


def read_check(fields: Fields, pack_dir: Path) -> Check | None:
    kind = fields.get("kind", str, required=True)
    if kind is None:
        return None
    reader = _READERS.get(kind)
    if reader is None:
        import difflib

        close = difflib.get_close_matches(kind, CHECK_KINDS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (one of: {', '.join(CHECK_KINDS)})"
        fields.error("kind", f"unknown kind '{kind}'{hint}")
        return None
    errors_before = len(fields.problems.errors)
    check = reader(fields, pack_dir)
    fields.reject_unknown()
    return check if len(fields.problems.errors) == errors_before else None


def _name(fields: Fields) -> str | None:
    name = fields.get("name", str, required=True)
    if name is not None and not _DOTTED_NAME.match(name):
        fields.error("name", f"'{name}' is not a Python name (or dotted path like model.fc.weight)")
        return None
    return name


def _tensor(fields: Fields, pack_dir: Path) -> Check | None:
    return TensorCheck(
        name=_name(fields) or "",
        rtol=fields.number("rtol"), atol=fields.number("atol"),
        dtype=fields.get("dtype", bool, default=True),
        device=fields.get("device", bool, default=True),
        requires_grad=fields.get("requires_grad", bool, default=True),
        grad=fields.get("grad", bool, default=False),
        message=fields.get("message", str),
    )


def _expected(fields: Fields, pack_dir: Path) -> Check | None:
    name = _name(fields) or ""
    has_value = "value" in fields.table
    value = fields.table.get("value")
    fields.seen.add("value")
    file = fields.get("file", str)
    key = fields.get("key", str)
    dtype = fields.get("dtype", str)
    if has_value == (file is not None):
        fields.error(None, "an expected check needs exactly one of 'value' or 'file'")
    if has_value and not _is_literal(value):
        fields.error("value", "field 'value' must be a number, a boolean or a (nested, rectangular) list of them")
    if key is not None and file is None:
        fields.error("key", "field 'key' only goes with 'file'")
    if file is not None:
        _check_data_file(file, pack_dir, fields)
    if dtype is not None and dtype not in DTYPE_NAMES:
        fields.error("dtype", f"unknown dtype '{dtype}' (one of: {', '.join(DTYPE_NAMES)})")
    return ExpectedCheck(name=name, value=value, file=file, key=key, dtype=dtype,
                         rtol=fields.number("rtol"), atol=fields.number("atol"),
                         message=fields.get("message", str))


def _function(fields: Fields, pack_dir: Path) -> Check | None:
    name = _name(fields) or ""
    args = fields.string_list("args", required=True)
    if "args" in fields.table and not args:
        fields.error("args", "field 'args' needs at least one argument expression")
    for number, expression in enumerate(args, start=1):
        try:
            ast.parse(expression, mode="eval")
        except SyntaxError as exc:
            fields.error("args", f"args[{number}] is not a Python expression: {exc.msg}")
    repeat = fields.get("repeat", int, default=1)
    if repeat is not None and not 1 <= repeat <= 1000:
        fields.error("repeat", "field 'repeat' must be between 1 and 1000")
    return FunctionCheck(name=name, args=args, repeat=repeat or 1,
                         rtol=fields.number("rtol"), atol=fields.number("atol"),
                         message=fields.get("message", str))


def _assert(fields: Fields, pack_dir: Path) -> Check | None:
    expr = fields.get("expr", str, required=True)
    if expr is not None:
        try:
            ast.parse(expr, mode="eval")
        except SyntaxError as exc:
            fields.error("expr", f"field 'expr' is not a Python expression: {exc.msg}")
    return AssertCheck(expr=expr or "", message=fields.get("message", str))


def _static(fields: Fields, pack_dir: Path) -> Check | None:
    kind = fields.table["kind"]
    names = fields.string_list("names")
    loops = False
    if kind == "forbid":
        loops = fields.get("loops", bool, default=False)
    if not names and not loops:
        needed = "'names' (or loops = true)" if kind == "forbid" else "'names'"
        fields.error(None, f"a {kind} check needs {needed}")
    for name in names:
        if not _DOTTED_NAME.match(name):
            # The check looks at names and attributes in the code; "5" or "-1" could never match.
            fields.error("names", f"'{name}' is not a Python name or dotted path, so it can never match")
    return StaticCheck(kind=kind, names=names, loops=bool(loops), message=fields.get("message", str))


def _output(fields: Fields, pack_dir: Path) -> Check | None:
    pattern = fields.get("pattern", str, required=True)
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            fields.error("pattern", f"field 'pattern' is not a valid regular expression: {exc}")
    return OutputCheck(pattern=pattern or "", message=fields.get("message", str))


def _curve(fields: Fields, pack_dir: Path) -> Check | None:
    name = _name(fields) or ""
    decreasing = fields.get("decreasing", int)
    if decreasing is not None and not 1 <= decreasing <= 10_000:
        fields.error("decreasing", "field 'decreasing' is a window of points, between 1 and 10000")
    within = fields.number("within")
    if within is not None and within < 1:
        fields.error("within", "field 'within' is a factor of at least 1 (e.g. 1.5: within 50% of the reference)")
    anything = float("-inf")  # a bound may be negative (a log-likelihood)
    check = CurveCheck(name=name, decreasing=decreasing, final_below=fields.number("final_below", minimum=anything),
                       final_above=fields.number("final_above", minimum=anything), within=within,
                       message=fields.get("message", str))
    if (check.decreasing, check.final_below, check.final_above, check.within) == (None, None, None, None):
        fields.error(None, "a curve check needs at least one of 'decreasing', 'final_below', 'final_above', "
                           "'within'")
    return check


_READERS = {"tensor": _tensor, "expected": _expected, "function": _function, "assert": _assert,
            "forbid": _static, "require": _static, "output": _output, "curve": _curve}


def _is_literal(value: object) -> bool:
    """A scalar, or a rectangular nested list of scalars of one kind."""
    if isinstance(value, (bool, int, float)):
        return True
    if not isinstance(value, list) or not value:
        return isinstance(value, list)
    shapes = set()
    for item in value:
        if not _is_literal(item):
            return False
        shapes.add(_shape(item))
    return len(shapes) == 1


def _shape(value: object) -> tuple:
    shape: list[int] = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)


def _check_data_file(file: str, pack_dir: Path, fields: Fields) -> None:
    """A data file must stay inside its pack: no absolute paths, no '..', no symlinks out."""
    relative = Path(file)
    if relative.is_absolute() or file.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", file):
        fields.error("file", f"file '{file}' must be a path relative to the lesson's folder")
        return
    if ".." in relative.parts:
        fields.error("file", f"file '{file}' may not use '..': data must stay inside the pack")
        return
    if relative.suffix not in TENSOR_FILE_SUFFIXES:
        fields.error("file", f"file '{file}' must be one of {', '.join(TENSOR_FILE_SUFFIXES)}")
        return
    target = pack_dir / relative
    try:
        resolved = target.resolve(strict=True)
    except (OSError, RuntimeError):
        fields.error("file", f"file '{file}' does not exist next to the lesson")
        return
    if not resolved.is_relative_to(pack_dir.resolve()):
        fields.error("file", f"file '{file}' leads outside the pack (a symlink?)")
    elif not resolved.is_file():
        fields.error("file", f"file '{file}' is not a regular file")
