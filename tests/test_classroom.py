"""Progress an instructor can read: `progress --json`/`--csv` (the learner file, stable columns),
`progress --merge FILE...` (the class table), and the store's migration that gives each learner an id.
Learner files come from learners: broken and hostile ones are skipped with one line each."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import PACKS, TESTS
from tutor.progress.export import COLUMNS, CSV_COLUMNS
from tutor.progress.store import MIGRATIONS, SCHEMA_VERSION, ProgressStore

APP_PACK = PACKS / "app"


def tutor(*args: str, home: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS="120")
    if home is not None:
        env["PTREF_TUTOR_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "tutor", *args, "--lessons", str(APP_PACK)], capture_output=True,
                          text=True, timeout=180, env=env, cwd=TESTS.parent)


def learner(home: Path, passed: list[str], name: str | None = None) -> Path:
    """A learner's data directory with these exercises passed (after a failed try each)."""
    home.mkdir(parents=True, exist_ok=True)
    store = ProgressStore(home / "progress.db")
    for exercise in passed:
        store.record_attempt(exercise, "failed", 1.0, "cpu")
        store.record_attempt(exercise, "passed", 1.0, "cpu")
    if name:
        store.set_learner_name(name)
    store.close()
    return home


def test_a_version_1_store_is_migrated_and_keeps_everything(tmp_path):
    path = tmp_path / "progress.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("INSERT INTO attempts (exercise, status, created_at) VALUES ('a/x', 'passed', 1700000000.5)")
    conn.execute("INSERT INTO hints (exercise, used) VALUES ('a/x', 2)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = ProgressStore(path)
    try:
        assert store.summary()["a/x"].status == "done" and store.summary()["a/x"].hints_used == 2
        assert re.fullmatch(r"[0-9a-f]{32}", store.learner()["id"]) and store.learner()["name"] == ""
        assert store.first_passed() == {"a/x": 1700000000.5}
        store.set_learner_name("Ada")
        store.reset()  # forgetting the progress keeps who the learner is
        assert store.learner()["name"] == "Ada"
    finally:
        store.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    other = ProgressStore(tmp_path / "other.db")
    assert other.learner()["id"] != ProgressStore(path).learner()["id"]  # one id per store


def test_the_learner_file_has_the_documented_columns(tmp_path, tutor_home):
    store = ProgressStore()
    store.record_attempt("basics/make-range", "failed", 1.0, "cpu")
    store.record_attempt("basics/make-range", "passed", 1.0, "cpu")
    store.record_attempt("basics/make-range", "passed", 1.0, "cpu")
    store.use_hint("basics/make-range")
    store.reveal_solution("basics/double")
    store.add_time("basics/make-range", 65.25)
    first_pass = store.first_passed()["basics/make-range"]
    store.close()
    result = tutor("progress", "--json", "--name", "Ada  Lovelace")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["kind"] == "ptref-tutor-progress" and document["version"] == 1
    assert document["learner"]["name"] == "Ada Lovelace" and document["columns"] == list(COLUMNS)
    rows = {row["exercise"]: row for row in document["exercises"]}
    assert rows["basics/make-range"] == {
        "exercise": "basics/make-range", "lesson": "basics", "status": "done", "attempts": 3, "hints_used": 1,
        "solution_seen": False, "seconds_spent": 65.2,
        "first_passed_at": datetime.fromtimestamp(first_pass, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert rows["basics/double"]["status"] == "in_progress" and rows["basics/double"]["solution_seen"] is True
    assert rows["shapes/square"]["status"] == "not_started"  # every exercise, for the totals
    assert list(rows)[:3] == ["getting-started/torch-version", "getting-started/has-cuda",
                              "getting-started/robust-device"]  # in course order
    assert {row["id"] for row in document["lessons"]} >= {"basics", "shapes"}  # the per-lesson summary too

    exported = tutor("progress", "--csv")
    table = list(csv.reader(io.StringIO(exported.stdout)))
    assert tuple(table[0]) == CSV_COLUMNS
    (make_range,) = [line for line in table if line[2] == "basics/make-range"]
    assert make_range == [document["learner"]["id"], "Ada Lovelace", "basics/make-range", "basics", "done", "3",
                          "1", "false", "65.2", rows["basics/make-range"]["first_passed_at"]]
    # A name is shown by a spreadsheet, never evaluated as a formula.
    assert tutor("progress", "--name", "=HYPERLINK(1)").returncode == 0
    renamed = list(csv.reader(io.StringIO(tutor("progress", "--csv").stdout)))
    assert {line[1] for line in renamed[1:]} == {"'=HYPERLINK(1)"}


def test_the_readme_documents_every_column():
    readme = (TESTS.parent / "README.md").read_text()
    section = readme.split("## Progress an instructor can read", 1)[1].split("\n## ", 1)[0]
    for column in CSV_COLUMNS:
        assert f"`{column}`" in section, column


def test_merge_makes_the_class_table(tmp_path):
    ada = learner(tmp_path / "ada", ["basics/make-range", "basics/double", "shapes/square"], name="Ada")
    bob = learner(tmp_path / "bob", ["basics/make-range"], name="=cmd|' /C calc'!A0")
    ada_file = tmp_path / "ada.json"
    ada_file.write_text(tutor("progress", "--json", home=ada).stdout)
    files = [str(ada_file), str(bob / "progress.db")]  # an export, and a progress.db as it is
    before = (bob / "progress.db").read_bytes()

    shown = tutor("progress", "--merge", *files, home=tmp_path / "instructor")
    assert shown.returncode == 0, shown.stderr
    assert (bob / "progress.db").read_bytes() == before  # read from a copy, never changed
    as_json = json.loads(tutor("progress", "--merge", *files, "--json", home=tmp_path / "instructor").stdout)
    totals = {lesson["id"]: lesson["total"] for lesson in as_json["lessons"]}
    assert totals["basics"] == 2 and totals["shapes"] == 1
    rows = {row["name"]: row for row in as_json["learners"]}
    assert rows["Ada"]["lessons"]["basics"] == 2 and rows["Ada"]["lessons"]["shapes"] == 1
    assert rows["Ada"]["done"] == 3 and rows["Ada"]["total"] == sum(totals.values())
    assert rows["=cmd|' /C calc'!A0"]["lessons"]["basics"] == 1 and rows["=cmd|' /C calc'!A0"]["done"] == 1
    # The table: one row per learner, its done count per lesson, and all of them.
    (ada_row,) = [line for line in shown.stdout.splitlines() if line.startswith("Ada ")]
    assert ada_row.split()[-1] == f"3/{sum(totals.values())}"
    assert sorted(ada_row.split()[1:-1]) == sorted(["1", "2"] + ["0"] * (len(totals) - 2))
    legend = " ".join(shown.stdout.split())
    assert re.search(r"Lessons: .*\d+ basics", legend) and re.search(r"\d+ shapes", legend)

    as_csv = list(csv.reader(io.StringIO(tutor("progress", "--merge", *files, "--csv",
                                               home=tmp_path / "instructor").stdout)))
    header, totals_row, *learners = as_csv
    assert header[:2] == ["learner", "file"] and header[-1] == "done"
    assert totals_row[header.index("basics")] == "2"
    names = [row[0] for row in learners]
    assert names == ["Ada", "'=cmd|' /C calc'!A0"]  # a name is never a spreadsheet formula


def test_a_learner_sent_twice_counts_once_the_newer_file(tmp_path):
    home = learner(tmp_path / "ada", ["basics/make-range"], name="Ada")
    old = tmp_path / "old.json"
    old.write_text(tutor("progress", "--json", home=home).stdout)
    learner(home, ["basics/double"])
    new = tmp_path / "new.json"
    document = json.loads(tutor("progress", "--json", home=home).stdout)
    document["exported_at"] = "2999-01-01T00:00:00Z"  # clocks aside: the later export wins
    new.write_text(json.dumps(document))
    result = tutor("progress", "--merge", str(new), str(old), "--json", home=tmp_path / "instructor")
    assert result.returncode == 0 and "are the same learner" in result.stderr
    (row,) = json.loads(result.stdout)["learners"]
    assert row["lessons"]["basics"] == 2 and row["file"] == str(new)


@pytest.mark.parametrize("content, reason", [
    (b"not json at all", "not a learner file"),
    (b'{"kind": "something-else"}', "not written by `ptref-tutor progress --json`"),
    (b'{"kind": "ptref-tutor-progress", "version": 9, "learner": {}, "exercises": []}', "update ptref-tutor"),
    (b'{"kind": "ptref-tutor-progress", "version": 1, "learner": {}, "exercises": [{"exercise": "a/b", '
     b'"status": "hacked"}]}', "'status' must be one of"),
    (b'{"kind": "ptref-tutor-progress", "version": 1, "learner": {"name": 5}, "exercises": []}', "must be text"),
    (b'{"kind": "ptref-tutor-progress", "version": 1, "learner": {}, "exercises": [{"exercise": "a/b", '
     b'"status": "done", "attempts": -1}]}', "'attempts' must be a number"),
    (b"[" * 100_000, "not a learner file"),
    (b"SQLite format 3\x00" + b"\x00" * 200, "progress database"),
])
def test_broken_learner_files_are_skipped_with_one_line(tmp_path, content, reason):
    good = tmp_path / "good.json"
    good.write_text(tutor("progress", "--json", home=learner(tmp_path / "ada", ["basics/double"])).stdout)
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    result = tutor("progress", "--merge", str(bad), str(good), home=tmp_path / "instructor")
    assert result.returncode == 1, result.stderr  # the class table, and a non-zero status: one was skipped
    assert f"skipped {bad}" in result.stderr and reason in result.stderr and "Traceback" not in result.stderr
    assert "1 learner(s)" in result.stdout


def test_a_hostile_name_is_shown_not_obeyed(tmp_path):
    document = {"kind": "ptref-tutor-progress", "version": 1,
                "learner": {"id": "x", "name": "\x1b]52;c;cHduZWQ=\x07Eve"}, "exercises": []}
    path = tmp_path / "eve.json"
    path.write_text(json.dumps(document))
    result = tutor("progress", "--merge", str(path), home=tmp_path / "instructor")
    assert result.returncode == 0 and "\x1b" not in result.stdout and "\\x1b" in result.stdout


def test_merge_with_nothing_readable_is_a_usage_error(tmp_path):
    result = tutor("progress", "--merge", str(tmp_path / "missing.json"), home=tmp_path / "instructor")
    assert result.returncode == 2 and "cannot read it" in result.stderr and "no learner file" in result.stderr


def test_name_is_checked():
    assert tutor("progress", "--name", "\x1b[31m").returncode == 2
    result = tutor("progress", "--merge", "x.json", "--name", "Ada")
    assert result.returncode == 2 and "does not go with --merge" in result.stderr
