"""Bad input never gets a traceback. The lesson loader, fed random bytes and random TOML documents
(lesson-shaped ones with random keys and values among them), returns a clean error list or a valid
lesson; the command line answers malformed input with one line and exit status 2.
"""

from __future__ import annotations

import datetime
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.lessons.catalog import Catalog
from tutor.lessons.fields import LessonError
from tutor.lessons.loader import ID_PATTERN, MAX_LESSON_BYTES, MAX_TIMEOUT, load_lesson, parse_lesson
from tutor.lessons.model import Lesson

from conftest import EVERY_CHECK, TESTS

PATH = Path("fuzz.toml")
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- a small TOML writer (tomllib only reads) ----------------------------------------------------
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def toml_string(text: str) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else toml_string(key)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def toml_document(table: dict, sections: bool, prefix: str = "") -> str:
    """Scalars as `key = value`; with `sections`, tables as [a.b] and lists of tables as [[a.b]]."""
    lines, later = [], []
    for key, value in table.items():
        name = f"{prefix}.{toml_key(key)}" if prefix else toml_key(key)
        if sections and isinstance(value, dict):
            later.append(f"\n[{name}]\n" + toml_document(value, sections, name))
        elif sections and isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            later += [f"\n[[{name}]]\n" + toml_document(item, sections, name) for item in value]
        else:
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
    return "\n".join(lines) + "\n" + "".join(later)


# -- strategies ----------------------------------------------------------------------------------
KNOWN_KEYS = ["format", "id", "title", "order", "summary", "explanation", "exercise", "prompt", "setup",
              "starter", "solution", "hints", "timeout", "device", "seed", "check", "sandbox", "processes",
              "kind", "name", "rtol", "atol", "dtype", "requires_grad", "grad", "message", "value", "file",
              "key", "args", "repeat", "expr", "names", "loops", "pattern"]
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
keys = st.one_of(st.sampled_from(KNOWN_KEYS), text)
scalars = st.one_of(text, st.integers(-2**63, 2**63 - 1), st.floats(), st.booleans(), st.dates(),
                    st.times(), st.sampled_from(["any", "cpu", "tensor", "x", "../x.npy", "/etc/passwd",
                                                 "data/zeros.npy", "float32", "y = ...", "...", "1 +"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=4)),
                      max_leaves=12)
code = st.one_of(st.sampled_from(["y = x * 2\n", "y = ...\n", "def f(:\n", "import torch\n", ""]), text)
ids = st.one_of(st.from_regex(ID_PATTERN, fullmatch=True).filter(bool), text)


@st.composite
def checks(draw):
    table = {"kind": draw(st.one_of(st.sampled_from(["tensor", "expected", "function", "assert", "forbid",
                                                    "require", "output", "tensr"]), text))}
    for key in draw(st.lists(st.sampled_from(KNOWN_KEYS[17:]), max_size=5)):
        table[key] = draw(st.one_of(values, st.sampled_from(["y", "x.sum()", "f", "(1,)", "[0-9]"])))
    return table


@st.composite
def exercises(draw):
    table = {"id": draw(ids), "title": draw(text), "starter": draw(code), "solution": draw(code)}
    optional = {"prompt": text, "setup": code, "hints": st.lists(text, max_size=3),
                "timeout": st.one_of(st.floats(), st.integers()), "device": st.sampled_from(["any", "cpu", "gpu"]),
                "seed": st.integers(-2**63, 2**63 - 1), "check": st.lists(checks(), max_size=4),
                "sandbox": st.one_of(st.fixed_dictionaries({"processes": st.booleans()}),
                                     st.dictionaries(keys, values, max_size=2))}
    for key in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        table[key] = draw(optional[key])
    table.update(draw(st.dictionaries(keys, values, max_size=2)))  # random extra keys, or overrides
    for key in draw(st.lists(st.sampled_from(sorted(table)), max_size=2)):
        table.pop(key, None)  # and required keys missing
    return table


@st.composite
def lessons(draw):
    table = {"format": draw(st.one_of(st.just(1), st.integers())), "id": draw(ids), "title": draw(text),
             "exercise": draw(st.lists(exercises(), max_size=3))}
    table.update(draw(st.dictionaries(keys, values, max_size=2)))
    for key in draw(st.lists(st.sampled_from(sorted(table)), max_size=1)):
        table.pop(key, None)
    return table


# -- properties ----------------------------------------------------------------------------------
def assert_clean(raw: bytes) -> None:
    lesson, errors = parse_lesson(raw, PATH)  # must not raise
    assert (lesson is None) == bool(errors)
    for error in errors:
        assert isinstance(error, LessonError)
        line = str(error)
        assert line.startswith(str(PATH)) and "Traceback" not in line
        assert error.line >= 0
    if lesson is not None:
        assert_valid(lesson)


def assert_valid(lesson: Lesson) -> None:
    assert ID_PATTERN.match(lesson.id) and lesson.exercises
    for exercise in lesson.exercises:
        assert ID_PATTERN.match(exercise.id)
        assert math.isfinite(exercise.timeout) and 0.1 <= exercise.timeout <= MAX_TIMEOUT
        assert exercise.device in ("any", "cpu") and 0 <= exercise.seed < 2**32
        assert exercise.checks and isinstance(exercise.sandbox.processes, bool)
        assert all(isinstance(hint, str) for hint in exercise.hints)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(raw):
    assert_clean(raw)


@FUZZ
@given(values.filter(lambda v: isinstance(v, dict)) | st.dictionaries(keys, values), st.booleans())
def test_random_toml_documents(document, sections):
    assert_clean(toml_document(document, sections).encode())


@FUZZ
@given(lessons(), st.booleans())
def test_lesson_shaped_documents(document, sections):
    assert_clean(toml_document(document, sections).encode())


@FUZZ
@given(lessons(), st.integers(0, 400), st.binary(min_size=1, max_size=8))
def test_lesson_shaped_documents_with_damage(document, position, junk):
    raw = bytearray(toml_document(document, True).encode())
    raw[position:position] = junk
    assert_clean(bytes(raw))


def test_a_valid_document_from_the_writer_loads():
    """The writer above produces real lessons (so the properties do reach the valid path)."""
    document = {"format": 1, "id": "fuzz", "title": "Fuzz", "exercise": [
        {"id": "one", "title": "One", "starter": "y = ...\n", "solution": "y = 1\n", "timeout": 2.5,
         "sandbox": {"processes": True}, "check": [{"kind": "tensor", "name": "y"}]}]}
    for sections in (True, False):
        lesson, errors = parse_lesson(toml_document(document, sections).encode(), PATH)
        assert errors == [] and lesson.exercises[0].sandbox.processes is True


@pytest.mark.parametrize("timeout", ["nan", "inf", "-inf", "0.0", "601"])
def test_non_finite_and_out_of_range_timeouts_are_errors(timeout):
    raw = (EVERY_CHECK / "10-every-check.toml").read_text()
    raw = raw.replace("[[exercise]]\n", f"[[exercise]]\ntimeout = {timeout}\n", 1)
    lesson, errors = parse_lesson(raw.encode(), PATH)
    assert lesson is None and any("timeout" in str(error) for error in errors)


def test_files_over_the_cap_are_refused_without_being_read(tmp_path):
    big = tmp_path / "big.toml"
    with open(big, "wb") as handle:
        handle.truncate(MAX_LESSON_BYTES + 1)
    lesson, errors = load_lesson(big)
    assert lesson is None and "capped at 1,000,000" in str(errors[0])


def test_a_pack_of_junk_loads_the_rest(tmp_path):
    (tmp_path / "junk.toml").write_bytes(os.urandom(500))
    (tmp_path / "latin1.toml").write_bytes("title = 'caf\xe9'".encode("latin-1"))
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "good.toml").write_text((EVERY_CHECK / "10-every-check.toml").read_text())
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "zeros.npy").write_bytes((EVERY_CHECK / "data" / "zeros.npy").read_bytes())
    catalog = Catalog.load([tmp_path])
    assert [lesson.id for lesson in catalog.lessons] == ["every-check"]
    assert len(catalog.errors) >= 2


# -- the command line ----------------------------------------------------------------------------
def tutor(*args, stdin: bytes = b""):
    return subprocess.run([sys.executable, "-m", "tutor", *args], input=stdin, capture_output=True,
                          timeout=120, cwd=TESTS.parent, env=dict(os.environ, COLUMNS="120"))


def one_line_exit_2(result) -> str:
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, (result.returncode, stderr)
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize("args, words", [
    (["check", "every-check/no-such-exercise", "--file", "-"], "no exercise"),
    (["check", "", "--file", "-"], "no exercise"),
    (["check", "../../etc/passwd", "--file", "-"], "no exercise"),
    (["check", "tensor-square", "--file", "/no/such/answer.py"], "cannot read"),
    (["check", "tensor-square", "--file", "."], "is a directory"),
    (["check", "tensor-square"], "--file"),
    (["--threads", "0", "list"], "--threads must be at least 1"),
    (["--threads", "many", "list"], "invalid int value"),
    (["--gpu-memory-fraction", "1.5", "list"], "not a fraction between 0 and 1"),
    (["--gpu-memory-fraction", "nan", "list"], "not a fraction between 0 and 1"),
    (["--lessons", "/no/such/pack", "list"], "no such lesson folder or file: '/no/such/pack'"),
    (["lint", "/no/such/pack"], "no such file or folder"),
])
def test_malformed_command_lines(args, words):
    assert words in one_line_exit_2(tutor(*args, "--lessons", str(EVERY_CHECK)))


@pytest.mark.parametrize("content, words", [
    (b"\x00\x01\x02binary", "is a binary file"),
    (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)), "is a binary file"),
    (b"y = '\xff\xfe'\n", "is not UTF-8 text"),
    ("y = 'café'\n".encode("latin-1"), "is not UTF-8 text"),
    (b"x" * 1_000_001, "is over 1,000,000 bytes"),
], ids=["nul-bytes", "elf", "invalid-utf8", "latin-1", "over-1mb"])
def test_unreadable_code_files_and_stdin(tmp_path, content, words):
    answer = tmp_path / "answer.py"
    answer.write_bytes(content)
    assert words in one_line_exit_2(tutor("check", "tensor-square", "--file", str(answer),
                                          "--lessons", str(EVERY_CHECK)))
    assert words in one_line_exit_2(tutor("check", "tensor-square", "--file", "-", "--lessons", str(EVERY_CHECK),
                                          stdin=content))


def test_a_binary_lesson_file_is_a_lesson_error_not_a_traceback(tmp_path):
    (tmp_path / "lesson.toml").write_bytes(b"\x00\xff" * 100)
    result = tutor("lint", str(tmp_path))
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1 and "Traceback" not in stderr and "not UTF-8" in stderr
