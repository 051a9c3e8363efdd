"""Bad files from a lesson pack get one clear message (file:line, or file: what), never a traceback,
never a huge allocation and never an escape sequence on the terminal: TOML nested past any sensible
depth, `.npy` and safetensors headers that lie about their data, and pack text holding control
characters. (tests/test_bad_input.py fuzzes the loader; this file holds the crafted cases.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.lessons.loader import parse_lesson

from conftest import EVERY_CHECK
from test_bad_input import PATH, tutor


# -- nesting and sizes that would exhaust the stack or the memory ----------------------------------
def _lesson_with(extra_check: str) -> str:
    raw = (EVERY_CHECK / "10-every-check.toml").read_text()
    return raw.replace("[[exercise.check]]\n", extra_check + "\n[[exercise.check]]\n", 1)


def test_toml_nested_100000_levels_is_a_lesson_error():
    raw = ("format = 1\nid = 'deep'\ntitle = 'Deep'\nvalue = " + "[" * 100_000 + "]" * 100_000 + "\n").encode()
    lesson, errors = parse_lesson(raw, PATH)
    assert lesson is None and len(errors) == 1
    assert str(errors[0]).startswith(f"{PATH}:4: ") and "nested" in str(errors[0])


def test_inline_tables_nested_deeply_are_a_lesson_error():
    raw = ("format = 1\nid = 'deep'\n\ntitle = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n").encode()
    lesson, errors = parse_lesson(raw, PATH)
    assert lesson is None and str(errors[0]).startswith(f"{PATH}:4: ") and "nested" in str(errors[0])


def test_a_value_nested_past_the_limit_but_within_tomls_is_a_lesson_error():
    deep = "[" * 80 + "1" + "]" * 80
    raw = _lesson_with(f"[[exercise.check]]\nkind = \"expected\"\nname = \"y\"\nvalue = {deep}\n")
    lesson, errors = parse_lesson(raw.encode(), EVERY_CHECK / "fuzz.toml")
    assert lesson is None and any("nested" in str(error) for error in errors), errors


def test_tensor_literals_of_a_few_dimensions_still_load():
    value = "[" * 6 + "1.0" + "]" * 6
    raw = _lesson_with(f"[[exercise.check]]\nkind = \"expected\"\nname = \"y\"\nvalue = {value}\n")
    lesson, errors = parse_lesson(raw.encode(), EVERY_CHECK / "fuzz.toml")
    assert errors == [] and lesson is not None


@pytest.mark.parametrize("command", [["lint"], ["list"]])
def test_the_command_line_names_a_deeply_nested_file(tmp_path, command):
    (tmp_path / "deep.toml").write_text("format = 1\nvalue = " + "[" * 100_000 + "]" * 100_000 + "\n")
    args = command + [str(tmp_path)] if command == ["lint"] else ["--lessons", str(tmp_path)] + command
    result = tutor(*args)
    output = (result.stdout + result.stderr).decode("utf-8", "replace")
    assert "Traceback" not in output and "RecursionError" not in output, output[-2000:]
    assert "deep.toml:2" in output and "nested" in output


# -- expected-value files --------------------------------------------------------------------------
def _expected(path: Path, key: str | None = None):
    from tutor.checking.expected import expected_value
    from tutor.lessons.model import ExpectedCheck
    check = ExpectedCheck(name="y", value=None, file=path.name, key=key, dtype=None)
    return expected_value(check, path.parent, lambda *args: pytest.fail("not a .pt file"))


def _refused_without_allocating(path: Path, words: str, key: str | None = None) -> str:
    import tracemalloc

    from tutor.checking.expected import ExpectedFileError
    tracemalloc.start()
    try:
        with pytest.raises(ExpectedFileError) as caught:
            _expected(path, key)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024**2, f"{peak:,} bytes allocated"
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and words in message, message
    return message


def _npy(path: Path, header: str, data: bytes = b"") -> Path:
    header = header + " " * (63 - (len(header) + 10) % 64) + "\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + data)
    return path


def test_an_npy_header_claiming_8_tib_is_refused_without_allocating(tmp_path):
    path = _npy(tmp_path / "huge.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }",
                bytes(64))
    _refused_without_allocating(path, "8.0 TiB")


def test_an_npy_file_shorter_than_its_header_says_is_refused(tmp_path):
    path = _npy(tmp_path / "short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }", bytes(40))
    _refused_without_allocating(path, "holds 40 bytes of data")


def test_a_good_npy_file_still_loads(tmp_path):
    import numpy as np
    np.save(tmp_path / "good.npy", np.arange(6, dtype=np.float32).reshape(2, 3))
    value = _expected(tmp_path / "good.npy")
    assert value.shape == (2, 3) and value.array.sum() == 15


def _safetensors(path: Path, header: bytes, data: bytes = b"") -> Path:
    path.write_bytes(len(header).to_bytes(8, "little") + header + data)
    return path


@pytest.mark.parametrize("header, words", [
    (b'{"y": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested"),
    (b'{"y": {"dtype": "F32", "shape": [1099511627776, 2], "data_offsets": [0, 8]}}', "claims 8.0 TiB"),
    (b'{"y": {"dtype": "F32", "shape": [2], "data_offsets": [4096, 4104]}}', "beyond the end"),
    (b'{"y": {"dtype": "F32", "shape": [2], "data_offsets": 5}}', "data_offsets"),
    (b'{"y": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}}', "shape"),
    (b'{"y": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}', "shape"),
    (b'{"y": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}', "data_offsets"),
    (b'{"y": {"dtype": ["F32"], "shape": [2], "data_offsets": [0, 8]}}', "dtype"),
    (b'{"y": 7}', "not a tensor entry"),
    (b'[1, 2]', "not a JSON object"),
    (b'{"y": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}', "not JSON"),
], ids=["nested", "huge-shape", "past-the-end", "offsets-int", "shape-str", "shape-negative", "offsets-reversed",
        "dtype-list", "entry-int", "header-list", "truncated"])
def test_bad_safetensors_headers_are_refused_without_allocating(tmp_path, header, words):
    _refused_without_allocating(_safetensors(tmp_path / "bad.safetensors", header, bytes(8)), words, key="y")


def test_a_good_safetensors_file_still_loads(tmp_path):
    header = b'{"y": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "__metadata__": {"a": "b"}}'
    import numpy as np
    path = _safetensors(tmp_path / "good.safetensors", header, np.array([1.5, 2.5], "<f4").tobytes())
    value = _expected(path)
    assert value.shape == (2,) and value.array.tolist() == [1.5, 2.5]


# -- text a terminal would obey ----------------------------------------------------------------------
ESCAPES = {
    "osc-0": "\\u001b]0;pwned\\u0007", "osc-8": "\\u001b]8;;http://evil.example\\u001b\\\\here\\u001b]8;;\\u001b\\\\",
    "osc-52": "\\u001b]52;c;cm0gLXJmIH4K\\u0007", "csi": "\\u001b[2J\\u001b[H", "nul": "a\\u0000b",
    "c1": "\u009b31m", "bidi": "x\u202e y",
}
FIELDS = {  # field: (the line to find in 10-every-check.toml, how to put the text in)
    "title": ('title = "Every check kind"', 'title = "Every {}"'),
    "summary": ("summary = ", 'summary = "{}"'),
    "prompt": ('prompt = "', 'prompt = "{} '),
    "hints": ("hints = [", 'hints = ["{}", '),
}


def _poisoned(field: str, text: str) -> str:
    raw = (EVERY_CHECK / "10-every-check.toml").read_text()
    find, put = FIELDS[field]
    line = next(line for line in raw.splitlines() if line.startswith(find))
    if field == "summary":  # the whole line: a new one-line summary
        return raw.replace(line, put.format(text), 1)
    return raw.replace(line, line.replace(find, put.format(text), 1), 1)


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("attack", sorted(ESCAPES))
def test_control_characters_in_pack_text_are_a_lesson_error(field, attack):
    from tutor.safetext import UNSAFE
    raw = _poisoned(field, ESCAPES[attack])
    line = next(number for number, text in enumerate(raw.splitlines(), 1)
                if ESCAPES[attack] in text)
    lesson, errors = parse_lesson(raw.encode(), EVERY_CHECK / "poisoned.toml")
    assert lesson is None and errors
    assert all(UNSAFE.search(str(error)) is None for error in errors)  # the message shows it escaped
    assert any(error.line == line and f"field '{field}'" in error.message for error in errors), errors


def test_control_characters_in_check_messages_exercise_titles_code_and_keys_are_errors():
    from tutor.safetext import UNSAFE
    raw = (EVERY_CHECK / "10-every-check.toml").read_text()
    raw = raw.replace("[[exercise.check]]\n", '[[exercise.check]]\nmessage = "\\u001b]52;c;eA==\\u0007"\n', 1)
    raw = raw.replace("[[exercise]]\n", '[[exercise]]\n"key\\u001b[2J" = 1\n', 1)
    raw = raw.replace('starter = """', 'starter = """\nprint("\u009b2J")', 1)
    lesson, errors = parse_lesson(raw.encode(), EVERY_CHECK / "poisoned.toml")
    assert lesson is None
    text = "\n".join(str(error) for error in errors)
    assert UNSAFE.search(text) is None
    assert "field 'message' contains an escape character (\\x1b)" in text
    assert "a key contains an escape character" in text and "field 'starter' contains a control character (\\x9b)" in text


def test_list_and_lint_never_print_a_lessons_escape_sequence(tmp_path):
    (tmp_path / "10-poisoned.toml").write_text(_poisoned("title", ESCAPES["osc-52"]))
    for args in (["--lessons", str(tmp_path), "list"], ["lint", str(tmp_path)]):
        result = tutor(*args)
        output = (result.stdout + result.stderr).decode("utf-8", "replace")
        assert "\x1b]52" not in output and "Traceback" not in output, output
        assert "10-poisoned.toml" in output and "escape character" in output
