"""TOML lesson files -> validated Lesson objects, or a complete list of problems with lines.

The loader never raises on bad input: every problem in a file is reported at once, so an author
fixes a file in one pass. The format is documented in docs/lesson-format.md.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from tutor.lessons import guard
from tutor.lessons.checks import read_check
from tutor.lessons.fields import Fields, LessonError, Problems
from tutor.lessons.locate import LineIndex
from tutor.lessons.model import Exercise, Lesson, SandboxPolicy

FORMAT_VERSION = 1
MAX_LESSON_BYTES = 1_000_000
ID_PATTERN = re.compile(r"[a-z0-9-]+\Z")
MAX_TIMEOUT = 600.0

_LESSON_KEYS = {"format", "id", "title", "order", "summary", "explanation", "exercise"}


def load_lesson(path: Path) -> tuple[Lesson | None, list[LessonError]]:
    """Load one lesson file. Returns (lesson, []) or (None, errors)."""
    path = Path(path)
    problems = Problems(path, None)
    try:
        size = path.stat().st_size
        if size > MAX_LESSON_BYTES:
            problems.add((), "", f"file is {size:,} bytes; lesson files are capped at {MAX_LESSON_BYTES:,}")
            return None, problems.errors
        raw = path.read_bytes()
    except OSError as exc:
        problems.add((), "", f"cannot read the file: {exc.strerror or exc}")
        return None, problems.errors
    return parse_lesson(raw, path)


def parse_lesson(raw: bytes, path: Path) -> tuple[Lesson | None, list[LessonError]]:
    problems = Problems(path, None)
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.add((), "", f"not UTF-8 text (invalid byte at offset {exc.start})", line=line)
        return None, problems.errors
    deep_line = guard.too_deep(source)
    if deep_line is not None:  # tomllib would recurse until RecursionError
        problems.add((), "", f"invalid TOML: arrays or inline tables nested more than {guard.MAX_NESTING} "
                             "levels deep", line=deep_line)
        return None, problems.errors
    try:
        document = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(exc)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)) or "invalid TOML"
        problems.add((), "", f"invalid TOML: {message}", line=line)
        return None, problems.errors
    problems.index = LineIndex(source)
    for table_path, message in guard.problems_in(document):
        problems.add(table_path, "", message)
    if problems.errors:  # stop here: later messages would quote the offending text
        return None, problems.errors
    lesson = _read_lesson(document, path, problems)
    if problems.errors:
        return None, problems.errors
    return lesson, []


def _toml_error_line(exc: tomllib.TOMLDecodeError) -> int:
    line = getattr(exc, "lineno", None)
    if isinstance(line, int):
        return line
    found = re.search(r"at line (\d+)", str(exc))
    return int(found.group(1)) if found else 1


def _read_lesson(document: dict, path: Path, problems: Problems) -> Lesson | None:
    fields = Fields(document, (), "", problems)
    version = fields.get("format", int, required=True)
    if version is not None and version > FORMAT_VERSION:
        # Only this: what else looks wrong is most likely what the newer format added.
        fields.error("format", f"written for lesson format {version}, newer than this ptref-tutor reads "
                               f"(format {FORMAT_VERSION}): update ptref-tutor (pip install -U ptref-tutor)")
        return None
    if version is not None and version != FORMAT_VERSION:
        fields.error("format", f"unsupported format {version} (this tutor reads format {FORMAT_VERSION})")
    lesson_id = fields.get("id", str, required=True)
    if lesson_id is not None and not ID_PATTERN.match(lesson_id):
        fields.error("id", f"lesson id '{lesson_id}' may only use a-z, 0-9 and '-'")
        lesson_id = None
    title = fields.get("title", str, required=True)
    order = fields.get("order", (int, float))
    summary = fields.get("summary", str, default="")
    explanation = fields.get("explanation", str, default="")
    raw_exercises = fields.get("exercise", list, default=[])
    fields.reject_unknown(_LESSON_KEYS)

    if not raw_exercises and fields.table.get("exercise", []) == []:  # absent, or `exercise = []`
        fields.error(None, "a lesson needs at least one [[exercise]]")
    exercises: list[Exercise] = []
    seen_ids: dict[str, int] = {}
    for index, table in enumerate(raw_exercises):
        table_path = ("exercise", index)
        if not isinstance(table, dict):
            problems.add(table_path, "", f"exercise {index + 1} must be a table ([[exercise]])")
            continue
        exercise = _read_exercise(table, table_path, lesson_id or "?", path, problems)
        if exercise is None:
            continue
        if exercise.id in seen_ids:
            problems.add(table_path + ("id",), f"exercise '{exercise.id}'",
                         f"duplicate exercise id (also exercise {seen_ids[exercise.id]})")
            continue
        seen_ids[exercise.id] = index + 1
        exercises.append(exercise)
    if lesson_id is None or title is None:
        return None
    return Lesson(id=lesson_id, title=title, summary=summary, explanation=explanation,
                  exercises=tuple(exercises), order=order, source=path)


_EXERCISE_KEYS = {"id", "title", "prompt", "setup", "starter", "solution", "hints", "timeout",
                  "device", "seed", "variants", "answer", "answer_reason", "check", "sandbox"}
MAX_VARIANTS = 10


def _read_exercise(table: dict, table_path: tuple, lesson_id: str, path: Path,
                   problems: Problems) -> Exercise | None:
    raw_id = table.get("id")
    context = f"exercise '{raw_id}'" if isinstance(raw_id, str) else f"exercise {table_path[1] + 1}"
    fields = Fields(table, table_path, context, problems)
    exercise_id = fields.get("id", str, required=True)
    if exercise_id is not None and not ID_PATTERN.match(exercise_id):
        fields.error("id", f"exercise id '{exercise_id}' may only use a-z, 0-9 and '-'")
        exercise_id = None
    title = fields.get("title", str, required=True)
    prompt = fields.get("prompt", str, default="")
    setup = fields.get("setup", str, default="")
    starter = fields.get("starter", str, required=True)
    solution = fields.get("solution", str, required=True)
    hints = fields.string_list("hints")
    timeout = fields.number("timeout", minimum=0.1, default=10.0)
    if timeout is not None and timeout > MAX_TIMEOUT:
        fields.error("timeout", f"field 'timeout' may be at most {MAX_TIMEOUT:g} seconds")
        timeout = 10.0
    device = fields.get("device", str, default="any")
    if device not in ("any", "cpu"):
        fields.error("device", f"field 'device' must be \"any\" or \"cpu\", not {device!r}")
        device = "any"
    seed = fields.get("seed", int, default=0)
    if seed is not None and not 0 <= seed < 2**32:
        fields.error("seed", "field 'seed' must be between 0 and 2**32 - 1")
        seed = 0
    variants = fields.get("variants", int, default=3)
    if variants is not None and not 1 <= variants <= MAX_VARIANTS:
        fields.error("variants", f"field 'variants' must be between 1 and {MAX_VARIANTS}")
        variants = 3
    answer = fields.get("answer", str, default="computed")
    answer_reason = fields.get("answer_reason", str, default="")
    if answer not in ("computed", "prediction"):
        fields.error("answer", f"field 'answer' must be \"computed\" or \"prediction\", not {answer!r}")
        answer = "computed"
    elif answer == "prediction" and not (answer_reason or "").strip():
        fields.error("answer_reason", "an exercise whose answer is a prediction says why in 'answer_reason'")
    sandbox = _read_sandbox(fields.get("sandbox", dict, default={}), table_path, context, problems)
    raw_checks = fields.get("check", list, default=[])
    fields.reject_unknown(_EXERCISE_KEYS)

    for key, code in (("setup", setup), ("solution", solution)):
        _check_syntax(code, key, fields)
    if not raw_checks and table.get("check", []) == []:  # absent, or `check = []`
        fields.error(None, "an exercise needs at least one [[exercise.check]]")
    checks = []
    for index, raw in enumerate(raw_checks):
        check_path = table_path + ("check", index)
        check_context = f"{context}: check {index + 1}"
        if not isinstance(raw, dict):
            problems.add(check_path, check_context, "must be a table ([[exercise.check]])")
            continue
        check = read_check(Fields(raw, check_path, check_context, problems), path.parent)
        if check is not None:
            checks.append(check)
    if exercise_id is None or title is None or starter is None or solution is None:
        return None
    return Exercise(
        id=exercise_id, lesson_id=lesson_id, title=title, prompt=prompt, starter=starter,
        solution=solution, setup=setup, hints=hints, timeout=timeout or 10.0, device=device,
        seed=seed or 0, variants=variants or 3, answer=answer, answer_reason=(answer_reason or "").strip(),
        checks=tuple(checks), sandbox=sandbox, source=path,
        line=problems.index.line_of(table_path) if problems.index else 0,
    )


def _read_sandbox(table: dict, exercise_path: tuple, context: str, problems: Problems) -> SandboxPolicy:
    fields = Fields(table, exercise_path + ("sandbox",), f"{context}: sandbox", problems)
    processes = fields.get("processes", bool, default=False)
    fields.reject_unknown({"processes"})
    return SandboxPolicy(processes=bool(processes))


def _check_syntax(code: str | None, key: str, fields: Fields) -> None:
    if not code:
        return
    try:
        ast.parse(code)
    except SyntaxError as exc:
        # The string's first line follows the key's line when written as """\n...
        base = fields.problems.index.line_of(fields.path + (key,)) if fields.problems.index else 1
        line = base + (exc.lineno or 1)
        fields.problems.add((), fields.context, f"{key} is not valid Python: {exc.msg} (line {exc.lineno} of the {key})", line=line)
