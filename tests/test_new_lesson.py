"""`ptref-tutor new`: a lesson file whose one example exercise lint proves as it is (attacks included),
never written over an existing file or an id already taken, and only with a valid id."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import TESTS
from tutor.lessons import Catalog


def tutor(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, COLUMNS="120"), cwd=TESTS.parent)


def test_the_new_lesson_lints_clean_with_every_attack_refused(tmp_path):
    pack = tmp_path / "course"
    result = tutor("new", "my-tensors", "--pack", str(pack))
    assert result.returncode == 0, result.stderr
    (path,) = pack.glob("*.toml")
    assert path.name == "10-my-tensors.toml" and f"ptref-tutor lint {path}" in result.stdout
    catalog = Catalog.load([pack])
    assert not catalog.errors and [e.full_id for e in catalog.exercises()] == ["my-tensors/center-and-scale"]
    exercise = catalog.exercises()[0]
    assert exercise.variants > 1 and len(exercise.hints) >= 3 and "```python" in catalog.lessons[0].explanation

    linted = tutor("lint", str(path))
    assert linted.returncode == 0, linted.stdout + linted.stderr
    summary = " ".join(linted.stdout.split())
    assert "hard-coded answers refused: 1 of 1" in summary
    assert "mutants killed: 2/2 (100%)" in summary and "all good" in summary


def test_a_second_lesson_follows_the_first_and_nothing_is_overwritten(tmp_path):
    assert tutor("new", "first", "--pack", str(tmp_path)).returncode == 0
    assert tutor("new", "second", "--pack", str(tmp_path)).returncode == 0
    assert sorted(path.name for path in tmp_path.glob("*.toml")) == ["10-first.toml", "20-second.toml"]
    orders = sorted(lesson.order for lesson in Catalog.load([tmp_path]).lessons)
    assert orders == [10, 20]

    before = (tmp_path / "10-first.toml").read_text()
    again = tutor("new", "first", "--pack", str(tmp_path))
    assert again.returncode == 2 and "'first' is taken by" in again.stderr
    assert (tmp_path / "10-first.toml").read_text() == before

    # A file that is no lesson does not confuse the numbering: the next one goes after it.
    (tmp_path / "30-notes.toml").write_text("# the author's notes\n")
    assert tutor("new", "third", "--pack", str(tmp_path)).returncode == 0
    assert (tmp_path / "40-third.toml").is_file() and (tmp_path / "30-notes.toml").read_text() == "# the author's notes\n"


@pytest.mark.parametrize("lesson_id", ["My-Tensors", "my_tensors", "../escape", "dash-", "a" * 65, "ok/no", ""])
def test_ids_are_validated(tmp_path, lesson_id):
    result = tutor("new", lesson_id, "--pack", str(tmp_path))
    assert result.returncode == 2 and "is not a lesson id" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_id_of_a_loaded_pack_is_taken():
    result = tutor("new", "getting-started", "--pack", "/nonexistent-pack-for-the-test")
    assert result.returncode == 2 and "01-getting-started.toml" in result.stderr
    assert not os.path.exists("/nonexistent-pack-for-the-test")
