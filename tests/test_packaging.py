"""The built-in lessons ship inside the wheel and are found after a non-editable install."""

import importlib.util
import subprocess
import sys
import zipfile

import pytest

from conftest import TESTS

ROOT = TESTS.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("hatchling (in the test extra) is not installed: cannot build the wheel offline")
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                             "-w", str(out), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (path,) = out.glob("ptref_tutor-*.whl")
    return path


def test_the_wheel_carries_the_lesson_pack(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    lessons = sorted(name for name in ROOT.joinpath("lessons").rglob("*") if name.is_file())
    assert lessons
    for lesson in lessons:
        assert f"tutor/_builtin_lessons/{lesson.relative_to(ROOT / 'lessons').as_posix()}" in names
    assert "tutor/sandbox/worker/main.py" in names
    assert "tutor/app/app.tcss" in names and "tutor/app/help.md" in names  # the app's stylesheet and F1


def test_lessons_are_found_after_a_non_editable_install(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    probe = ("from tutor.paths import builtin_lessons_dir; from tutor.lessons import Catalog; "
             "d = builtin_lessons_dir(); c = Catalog.load([d]); "
             "print(d); print(len(c.lessons), len(c.errors))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                            env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode == 0, result.stderr
    location, counts = result.stdout.strip().splitlines()
    assert location.startswith(str(target)) and location.endswith("tutor/_builtin_lessons")
    lesson_count = len(list(ROOT.joinpath("lessons").glob("*.toml")))
    assert counts == f"{lesson_count} 0"
