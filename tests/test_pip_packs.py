"""Lesson packs installed with pip: the pyproject.toml of docs/lesson-format.md ("Publish your pack")
is built into a wheel, installed with ptref-tutor's own wheel into a fresh virtual environment
(offline: --no-index, --no-build-isolation), and that environment's `ptref-tutor` finds the lessons,
says where they came from, names both origins of a clashing id, and asks for an update where a file
is written for a newer format.

The temporary venv sees the test environment's packages (torch, textual ...) through a .pth file:
`--system-site-packages` only reaches the base interpreter's, and `make test` puts them in .venv."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from conftest import TESTS
from tutor.lessons.packs import ENTRY_POINT_GROUP, _folder_of

ROOT = TESTS.parent
LESSON = '''format = 1
id = "{id}"
title = "{title}"

[[exercise]]
id = "ones"
title = "Three ones"
prompt = "Make `x`, three ones."
starter = "import torch\\nx = ...\\n"
solution = "import torch\\nx = torch.ones(3)\\n"

[[exercise.check]]
kind = "tensor"
name = "x"
'''


def documented_pyproject() -> str:
    text = (ROOT / "docs" / "lesson-format.md").read_text()
    section = text.split("## Publish your pack", 1)[1]
    return re.search(r"```toml\n(.*?)```", section, re.S).group(1)


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="module")
def course_venv(tmp_path_factory) -> Path:
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("hatchling (in the test extra) is not installed: cannot build wheels offline")
    work = tmp_path_factory.mktemp("course")
    project = work / "your-course"
    lessons = project / "your_course" / "lessons"
    lessons.mkdir(parents=True)
    (project / "pyproject.toml").write_text(documented_pyproject())
    (project / "your_course" / "__init__.py").write_text("raise SystemExit('the tutor must never import a pack')\n")
    (lessons / "10-first-steps.toml").write_text(LESSON.format(id="yc-first-steps", title="First steps"))
    (lessons / "20-future.toml").write_text(LESSON.format(id="yc-future", title="From the future")
                                            .replace("format = 1", "format = 2"))
    wheels = work / "wheels"
    for source in (project, ROOT):
        built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels),
                    str(source))
        assert built.returncode == 0, built.stderr
    venv = work / "venv"
    made = run(sys.executable, "-m", "venv", "--system-site-packages", str(venv))
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz-test-environment.pth").write_text("\n".join(sorted(ours)) + "\n")
    installed = run(str(python), "-m", "pip", "install", "--no-deps", "--no-index",
                    *map(str, sorted(wheels.glob("*.whl"))))
    assert installed.returncode == 0, installed.stderr
    return venv


def tutor_in(venv: Path, *args: str, home: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}  # the venv's tutor only
    return run(str(venv / "bin" / "ptref-tutor"), *args, cwd=venv,
               env={**env, "PTREF_TUTOR_HOME": str(home), "COLUMNS": "200"})


def test_an_installed_pack_is_found_and_says_where_it_came_from(course_venv, tutor_home):
    result = tutor_in(course_venv, "list", "--json", home=tutor_home)
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    lessons = {lesson["id"]: lesson for lesson in listing["lessons"]}
    assert "yc-first-steps" in lessons and "getting-started" in lessons  # beside the built-in pack
    origin = "pip: your-course 0.1.0 (entry point 'your-course')"
    assert lessons["yc-first-steps"]["pack"] == origin
    assert [e["id"] for e in lessons["yc-first-steps"]["exercises"]] == ["yc-first-steps/ones"]
    (pack,) = [pack for pack in listing["packs"] if pack["origin"] == origin]
    assert pack["path"].startswith(str(course_venv)) and pack["path"].endswith("your_course/lessons")
    assert pack["lessons"] == ["yc-first-steps"]
    # The file written for a newer format is left out, with one message saying what to do.
    assert "yc-future" not in lessons
    assert "20-future.toml:1" in result.stderr and "update ptref-tutor" in result.stderr

    table = tutor_in(course_venv, "list", home=tutor_home)
    assert origin in table.stdout and "yc-first-steps/ones" in table.stdout


def test_a_clashing_id_names_both_origins(course_venv, tutor_home, tmp_path):
    (tmp_path / "10-mine.toml").write_text(LESSON.format(id="yc-first-steps", title="Mine"))
    result = tutor_in(course_venv, "list", "--json", "--lessons", str(tmp_path), home=tutor_home)
    assert result.returncode == 0, result.stderr
    problem = " ".join(result.stderr.split())
    assert "duplicate lesson id (from --lessons)" in problem
    assert "(from pip: your-course 0.1.0 (entry point 'your-course')) has it too and is kept" in problem
    titles = {lesson["id"]: lesson["title"] for lesson in json.loads(result.stdout)["lessons"]}
    assert titles["yc-first-steps"] == "First steps"  # the installed one, read first, is kept


def test_the_installed_pack_checks_in_the_venv(course_venv, tutor_home, tmp_path):
    """Its exercise runs in a worker of the venv's Python, as a learner's would."""
    answer = tmp_path / "answer.py"
    answer.write_text("import torch\nx = torch.ones(3)\n")
    result = tutor_in(course_venv, "check", "yc-first-steps/ones", "--file", str(answer), home=tutor_home)
    assert result.returncode == 0 and "Passed" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("value, problem", [
    ("tutor.web:server", "names an attribute"),
    ("no_such_package_for_ptref.lessons", "'no_such_package_for_ptref' is not an installed package folder"),
    ("tutor.no_such_folder", "no folder 'tutor.no_such_folder' in the installed package 'tutor'"),
])
def test_entry_points_that_name_no_folder_are_problems_not_crashes(value, problem):
    folder, message = _folder_of(EntryPoint("broken", value, ENTRY_POINT_GROUP))
    assert folder is None and problem in message


def test_an_entry_point_names_a_folder_below_a_package():
    folder, _ = _folder_of(EntryPoint("ok", "tutor.web.templates", ENTRY_POINT_GROUP))
    assert folder == ROOT / "tutor" / "web" / "templates"
