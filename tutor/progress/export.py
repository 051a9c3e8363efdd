"""Progress an instructor can read: one learner's progress as a file (JSON or CSV), and reading those
files back, from many learners, into one class table. No server: learners send their files.

A **learner file** is what `ptref-tutor progress --json` prints (`"kind": "ptref-tutor-progress"`).
A learner's SQLite progress file (progress.db) is accepted too; it is read from a copy, never changed.
Learner files are written by learners: everything in them is checked before use (types, sizes,
statuses), and their text is shown through safetext like any other untrusted text.

The columns are a contract (documented in README.md, "Progress an instructor can read"): new ones
may be added at the end, none is renamed or removed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tutor.progress.store import ProgressStore, StoreError

KIND = "ptref-tutor-progress"
VERSION = 1
# One row per exercise. In the CSV, each row starts with the learner's id and name (files concatenate).
COLUMNS = ("exercise", "lesson", "status", "attempts", "hints_used", "solution_seen", "seconds_spent",
           "first_passed_at")
CSV_COLUMNS = ("learner_id", "learner_name", *COLUMNS)
STATUSES = ("done", "in_progress", "not_started")
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TEXT = 200  # characters of a name or id kept from a learner file
SQLITE_MAGIC = b"SQLite format 3\x00"


class LearnerFileError(Exception):
    """A file that is not a learner file; str() names what is wrong."""


def iso_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def exercise_rows(store: ProgressStore, exercises: list[tuple[str, str]]) -> list[dict]:
    """One row per exercise: those of the loaded packs in order (`(lesson id, full id)`), then any
    the store knows from packs not loaded now."""
    summary = store.summary()
    first_passed = store.first_passed()
    known = [full_id for _, full_id in exercises]
    extra = sorted(set(summary) - set(known))
    lessons = dict((full_id, lesson) for lesson, full_id in exercises)
    rows = []
    for full_id in [*known, *extra]:
        progress = summary.get(full_id)
        rows.append({
            "exercise": full_id,
            "lesson": lessons.get(full_id, full_id.partition("/")[0]),
            "status": progress.status if progress else "not_started",
            "attempts": progress.attempts if progress else 0,
            "hints_used": progress.hints_used if progress else 0,
            "solution_seen": bool(progress and progress.revealed),
            "seconds_spent": round(progress.seconds, 1) if progress else 0.0,
            "first_passed_at": iso_time(first_passed.get(full_id)),
        })
    return rows


def export(store: ProgressStore, exercises: list[tuple[str, str]], tutor_version: str) -> dict:
    learner = store.learner()
    return {"kind": KIND, "version": VERSION, "learner": learner,
            "exported_at": iso_time(datetime.now(timezone.utc).timestamp()), "tutor_version": tutor_version,
            "columns": list(COLUMNS), "exercises": exercise_rows(store, exercises)}


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet shows rather than evaluates: a leading =, +, -, @ (a formula) is quoted."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(document: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    learner = document["learner"]
    for row in document["exercises"]:
        writer.writerow([learner["id"], spreadsheet_safe(learner["name"]),
                         *(str(row[column]).lower() if isinstance(row[column], bool) else row[column]
                           for column in COLUMNS)])
    return out.getvalue()


# -- reading learner files ------------------------------------------------------------------------
@dataclass(frozen=True)
class LearnerFile:
    path: Path
    learner_id: str
    name: str
    exported_at: str
    rows: tuple[dict, ...]

    @property
    def label(self) -> str:
        return self.name or self.path.stem

    def done(self) -> set[str]:
        return {row["exercise"] for row in self.rows if row["status"] == "done"}


def read_learner_file(path: Path, exercises: list[tuple[str, str]]) -> LearnerFile:
    """A `progress --json` export, or a learner's progress.db. Raises LearnerFileError."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise LearnerFileError("not a file")
        if size > MAX_FILE_BYTES:
            raise LearnerFileError(f"{size:,} bytes: larger than any learner file ({MAX_FILE_BYTES:,} at most)")
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise LearnerFileError(f"cannot read it: {exc.strerror or exc}") from None
    if head == SQLITE_MAGIC:
        return _from_sqlite(path, exercises)
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:  # RecursionError is not a ValueError: see below
        raise LearnerFileError(f"not a learner file (neither `progress --json` output nor progress.db): "
                               f"{str(exc)[:80]}") from None
    except RecursionError:
        raise LearnerFileError("not a learner file: JSON nested too deep") from None
    return _from_document(path, document)


def _from_document(path: Path, document: object) -> LearnerFile:
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise LearnerFileError("not a learner file: it was not written by `ptref-tutor progress --json`")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise LearnerFileError("'version' must be a whole number")
    if version > VERSION:
        raise LearnerFileError(f"written by a newer ptref-tutor (learner file version {version}; this one reads "
                               f"{VERSION}): update ptref-tutor")
    learner = document.get("learner")
    rows = document.get("exercises")
    if not isinstance(learner, dict) or not isinstance(rows, list):
        raise LearnerFileError("'learner' must be an object and 'exercises' a list")
    checked = tuple(_checked_row(row, index) for index, row in enumerate(rows))
    exported_at = document.get("exported_at")
    return LearnerFile(path, _text(learner.get("id"), "learner id"), _text(learner.get("name"), "learner name"),
                       exported_at if isinstance(exported_at, str) else "", checked)


def _text(value: object, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise LearnerFileError(f"the {what} must be text")
    return value[:MAX_TEXT]


def _checked_row(row: object, index: int) -> dict:
    where = f"exercise {index + 1}"
    if not isinstance(row, dict):
        raise LearnerFileError(f"{where} must be an object")
    exercise, status = row.get("exercise"), row.get("status")
    if not isinstance(exercise, str) or not exercise or len(exercise) > MAX_TEXT:
        raise LearnerFileError(f"{where}: 'exercise' must be an exercise id")
    if status not in STATUSES:
        raise LearnerFileError(f"{where} ({exercise[:60]}): 'status' must be one of {', '.join(STATUSES)}")
    numbers = {}
    for key in ("attempts", "hints_used", "seconds_spent"):
        value = row.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise LearnerFileError(f"{where} ({exercise[:60]}): '{key}' must be a number of at least 0")
        numbers[key] = value
    lesson = row.get("lesson")
    return {"exercise": exercise, "status": status,
            "lesson": lesson[:MAX_TEXT] if isinstance(lesson, str) and lesson else exercise.partition("/")[0],
            **numbers, "solution_seen": row.get("solution_seen") is True,
            "first_passed_at": row.get("first_passed_at") if isinstance(row.get("first_passed_at"), str) else ""}


def _from_sqlite(path: Path, exercises: list[tuple[str, str]]) -> LearnerFile:
    """Read from a copy (with its -wal): opening the learner's own file would migrate it."""
    with tempfile.TemporaryDirectory(prefix="ptref-merge-") as scratch:
        copy = Path(scratch) / "progress.db"
        shutil.copyfile(path, copy)
        wal = path.with_name(path.name + "-wal")
        if wal.is_file():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        try:
            store = ProgressStore(copy)
        except (StoreError, sqlite3.Error, OSError) as exc:
            raise LearnerFileError(f"an unreadable progress database: {exc}") from None
        try:
            if store.notice:  # it was corrupt, and a fresh one was started in its place
                raise LearnerFileError("a damaged progress database")
            document = export(store, exercises, "")
        finally:
            store.close()
    learner = document["learner"]
    return LearnerFile(path, learner["id"], learner["name"], "", tuple(document["exercises"]))
