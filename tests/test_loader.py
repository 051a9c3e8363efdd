"""The lesson loader reports every problem with file, line and field, and never raises."""

import shutil
from pathlib import Path

import pytest

from tutor.lessons import Catalog, load_lesson, parse_lesson
from tutor.lessons.model import ExpectedCheck, FunctionCheck, StaticCheck, TensorCheck

from conftest import EVERY_CHECK

GOOD = '''format = 1
id = "shape-ops"
title = "Shape operations"
order = 40
summary = "One line."
explanation = "Text."

[[exercise]]
id = "reshape-square"
title = "A row becomes a square"
prompt = "Do it."
setup = "import torch"
starter = "square = ..."
solution = "square = torch.arange(9.).reshape(3, 3)"
hints = ["a", "b"]
timeout = 5
seed = 3

[[exercise.check]]
kind = "tensor"
name = "square"
rtol = 1e-5
'''


def errors_of(text: str, name: str = "40-shape-ops.toml") -> list[str]:
    lesson, errors = parse_lesson(text.encode(), Path("lessons") / name)
    assert lesson is None
    return [str(e) for e in errors]


def test_a_valid_lesson_loads():
    lesson, errors = parse_lesson(GOOD.encode(), Path("lessons/40-shape-ops.toml"))
    assert errors == []
    assert lesson.id == "shape-ops" and lesson.order == 40
    (exercise,) = lesson.exercises
    assert exercise.full_id == "shape-ops/reshape-square"
    assert exercise.timeout == 5.0 and exercise.seed == 3 and exercise.device == "any"
    assert exercise.checks == (TensorCheck(name="square", rtol=1e-5),)
    assert exercise.line == 8


def test_unknown_check_kind_names_file_line_exercise_and_check():
    text = GOOD.replace('kind = "tensor"', 'kind = "tensr"')
    assert errors_of(text) == [
        "lessons/40-shape-ops.toml:20: exercise 'reshape-square': check 1: unknown kind 'tensr' (did you mean 'tensor'?)"
    ]


def test_unknown_keys_are_errors_with_a_suggestion():
    text = GOOD.replace("hints =", "hint =")
    (error,) = errors_of(text)
    assert error == "lessons/40-shape-ops.toml:15: exercise 'reshape-square': unknown field 'hint' (did you mean 'hints'?)"


def test_every_problem_is_reported_at_once():
    text = GOOD.replace('title = "Shape operations"', "title = 3").replace("timeout = 5", 'timeout = "5"')
    text = text.replace('rtol = 1e-5', 'rtol = -1.0\nwhat = 1')
    errors = errors_of(text)
    assert len(errors) == 4, errors
    assert any(":3: field 'title' must be a string, not an integer" in e for e in errors)
    assert any(":16: exercise 'reshape-square': field 'timeout' must be a number, not a string" in e for e in errors)
    assert any(":22: exercise 'reshape-square': check 1: field 'rtol' must be at least 0" in e for e in errors)
    assert any(":23: exercise 'reshape-square': check 1: unknown field 'what'" in e for e in errors)


def test_invalid_toml_gives_its_line():
    (error,) = errors_of(GOOD.replace('seed = 3', 'seed = = 3'))
    assert error.startswith("lessons/40-shape-ops.toml:17: invalid TOML")


def test_not_utf8_is_an_error_not_a_crash():
    lesson, errors = parse_lesson(b'format = 1\nid = "\xff"\n', Path("bad.toml"))
    assert lesson is None
    assert str(errors[0]) == "bad.toml:2: not UTF-8 text (invalid byte at offset 17)"


def test_solution_syntax_errors_point_into_the_file():
    text = GOOD.replace('solution = "square = torch.arange(9.).reshape(3, 3)"',
                        'solution = """\nx = 1\nsquare = (\n"""')
    (error,) = errors_of(text)
    assert "exercise 'reshape-square': solution is not valid Python" in error
    assert error.startswith("lessons/40-shape-ops.toml:16:")  # "square = (" is the solution's line 2


@pytest.mark.parametrize("fragment, message", [
    ('id = "Shape Ops"', "lesson id 'Shape Ops' may only use a-z, 0-9 and '-'"),
    ("format = 2", "written for lesson format 2, newer than this ptref-tutor reads (format 1): update ptref-tutor"),
    ("format = 0", "unsupported format 0 (this tutor reads format 1)"),
])
def test_top_level_values_are_validated(fragment, message):
    key = fragment.split(" =")[0]
    lines = [fragment if line.startswith(key + " =") else line for line in GOOD.splitlines()]
    assert any(message in error for error in errors_of("\n".join(lines)))


def test_a_newer_format_says_update_and_nothing_else():
    """What a newer format added (a key this tutor does not know) is not an error to report."""
    text = GOOD.replace("format = 1", "format = 3") + '\nnew_in_format_3 = "yes"\n'
    (error,) = errors_of(text)
    assert error.startswith("lessons/40-shape-ops.toml:1:") and "update ptref-tutor" in error


def test_missing_required_fields():
    errors = errors_of('format = 1\nid = "a"\n[[exercise]]\nid = "b"\n')
    assert any("missing required field 'title'" in e for e in errors)
    assert any("exercise 'b': missing required field 'starter'" in e for e in errors)
    assert any("exercise 'b': an exercise needs at least one [[exercise.check]]" in e for e in errors)


def test_duplicate_exercise_ids():
    text = GOOD + GOOD[GOOD.index("[[exercise]]"):]
    assert any("duplicate exercise id" in e for e in errors_of(text))


def test_check_kinds_validate_their_own_fields():
    text = GOOD.replace('kind = "tensor"\nname = "square"\nrtol = 1e-5',
                        'kind = "function"\nname = "f"\nargs = ["(1,", "(2,)"]\n\n'
                        '[[exercise.check]]\nkind = "output"\npattern = "(unclosed"\n\n'
                        '[[exercise.check]]\nkind = "expected"\nname = "z"\nvalue = [[1, 2], [3]]\n\n'
                        '[[exercise.check]]\nkind = "forbid"\n\n'
                        '[[exercise.check]]\nkind = "require"\nnames = ["-1"]\n\n'
                        '[[exercise.check]]\nkind = "tensor"\nname = "not a name"')
    errors = errors_of(text)
    assert any("check 1: args[1] is not a Python expression" in e for e in errors)
    assert any("check 2: field 'pattern' is not a valid regular expression" in e for e in errors)
    assert any("check 3: field 'value' must be a number" in e for e in errors)
    assert any("check 4: a forbid check needs 'names' (or loops = true)" in e for e in errors)
    assert any("check 5: '-1' is not a Python name or dotted path, so it can never match" in e for e in errors)
    assert any("check 6: 'not a name' is not a Python name" in e for e in errors)


@pytest.mark.parametrize("file, message", [
    ("/etc/passwd.npy", "must be a path relative to the lesson's folder"),
    ("../outside.npy", "may not use '..'"),
    ("data/missing.npy", "does not exist"),
    ("data/zeros.txt", "must be one of .npy, .pt, .safetensors"),
])
def test_data_files_must_stay_inside_the_pack(tmp_path, file, message):
    pack = tmp_path / "pack"
    (pack / "data").mkdir(parents=True)
    text = GOOD.replace('kind = "tensor"\nname = "square"\nrtol = 1e-5',
                        f'kind = "expected"\nname = "square"\nfile = "{file}"')
    (pack / "l.toml").write_text(text)
    lesson, errors = load_lesson(pack / "l.toml")
    assert lesson is None and message in str(errors[0])


def test_a_symlink_out_of_the_pack_is_refused(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    secret = tmp_path / "secret.npy"
    secret.write_bytes(b"x")
    (pack / "link.npy").symlink_to(secret)
    text = GOOD.replace('kind = "tensor"\nname = "square"\nrtol = 1e-5',
                        'kind = "expected"\nname = "square"\nfile = "link.npy"')
    (pack / "l.toml").write_text(text)
    lesson, errors = load_lesson(pack / "l.toml")
    assert lesson is None and "leads outside the pack" in str(errors[0])


def test_oversized_files_are_refused(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text(GOOD + "#" * 1_100_000)
    lesson, errors = load_lesson(path)
    assert lesson is None and "capped at 1,000,000" in str(errors[0])


def test_the_test_pack_uses_every_check_kind(every_check_catalog):
    kinds = {check.kind for exercise in every_check_catalog.exercises() for check in exercise.checks}
    assert kinds == {"tensor", "expected", "function", "assert", "forbid", "require", "output"}
    function = next(c for e in every_check_catalog.exercises() for c in e.checks if isinstance(c, FunctionCheck))
    assert function.repeat == 3 and len(function.args) == 2
    files = [c for e in every_check_catalog.exercises() for c in e.checks
             if isinstance(c, ExpectedCheck) and c.file]
    assert files and files[0].file == "data/zeros.npy"
    assert any(isinstance(c, StaticCheck) and c.loops for e in every_check_catalog.exercises() for c in e.checks)


def test_catalog_finds_exercises_and_rejects_duplicate_lessons(tmp_path):
    shutil.copytree(EVERY_CHECK, tmp_path / "copy")
    catalog = Catalog.load([EVERY_CHECK, tmp_path / "copy"])
    assert len(catalog.lessons) == 1
    assert "duplicate lesson id" in str(catalog.errors[0])
    assert catalog.exercise("tensor-square").full_id == "every-check/tensor-square"
    with pytest.raises(LookupError, match="did you mean every-check/tensor-square"):
        catalog.exercise("every-check/tensor-sqare")
    assert catalog.neighbour("every-check/tensor-square", 1).id == "expected-zeros"
    assert catalog.neighbour("every-check/tensor-square", -1) is None


def test_lessons_sort_by_order_then_file_name(tmp_path):
    for name, order in (("b.toml", None), ("a.toml", None), ("z.toml", 5)):
        text = GOOD.replace('id = "shape-ops"', f'id = "{name[0]}"').replace("order = 40\n", "")
        if order is not None:
            text = text.replace("summary", f"order = {order}\nsummary", 1)
        (tmp_path / name).write_text(text)
    catalog = Catalog.load([tmp_path])
    assert [lesson.id for lesson in catalog.lessons] == ["z", "a", "b"]
