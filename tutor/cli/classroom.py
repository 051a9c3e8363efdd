"""`ptref-tutor progress --merge FILE...`: the class table an instructor reads, from the learner files
learners send (`progress --json` output, or their progress.db). One row per learner, one column per
lesson (done/total), in a table, or as JSON or CSV for a spreadsheet."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from rich import box
from rich.table import Table
from rich.text import Text

from tutor.cli import EXIT_NOT_PASSED, EXIT_OK, UsageError
from tutor.cli.common import console, errors
from tutor.lessons.catalog import Catalog
from tutor.progress.export import LearnerFile, LearnerFileError, read_learner_file, spreadsheet_safe
from tutor.safetext import visible


@dataclass(frozen=True)
class Column:
    lesson: str
    exercises: frozenset[str]  # the instructor's catalog's, or (a lesson it lacks) those the files name

    @property
    def total(self) -> int:
        return len(self.exercises)


def columns_for(catalog: Catalog, files: list[LearnerFile]) -> list[Column]:
    """The instructor's lessons in order, then lessons only the learners' files know."""
    columns = [Column(lesson.id, frozenset(e.full_id for e in lesson.exercises)) for lesson in catalog.lessons]
    known = {column.lesson for column in columns}
    others: dict[str, set[str]] = {}
    for learner in files:
        for row in learner.rows:
            if row["lesson"] not in known:
                others.setdefault(row["lesson"], set()).add(row["exercise"])
    return columns + [Column(lesson, frozenset(ids)) for lesson, ids in sorted(others.items())]


def newest_per_learner(files: list[LearnerFile]) -> tuple[list[LearnerFile], list[str]]:
    """Two files of one learner (sent twice): the newer one counts, and the instructor is told."""
    kept: dict[str, LearnerFile] = {}
    notes = []
    ordered: list[LearnerFile] = []
    for learner in files:
        key = learner.learner_id or f"file:{learner.path}"
        if key in kept:
            older, newer = sorted((kept[key], learner), key=_age)
            notes.append(f"{older.path} and {newer.path} are the same learner: {newer.path} (the newer) counts")
            ordered[ordered.index(kept[key])] = newer
            kept[key] = newer
            continue
        kept[key] = learner
        ordered.append(learner)
    return ordered, notes


def _age(learner: LearnerFile) -> tuple[str, float]:
    try:
        mtime = learner.path.stat().st_mtime
    except OSError:
        mtime = 0.0
    return (learner.exported_at, mtime)


def run_merge(args: argparse.Namespace, catalog: Catalog, exercises: list[tuple[str, str]]) -> int:
    files: list[LearnerFile] = []
    skipped = 0
    for name in dict.fromkeys(args.merge):  # a file named twice is read once
        path = Path(name).expanduser()
        try:
            files.append(read_learner_file(path, exercises))
        except LearnerFileError as exc:
            skipped += 1
            errors.print(f"skipped {visible(str(path))}: {visible(str(exc))}", markup=False)
    if not files:
        raise UsageError("no learner file could be read (give files written by `ptref-tutor progress --json`, "
                         "or progress.db files)")
    files, notes = newest_per_learner(files)
    for note in notes:
        errors.print(visible(note), markup=False)
    columns = columns_for(catalog, files)
    if args.json:
        print(json.dumps(as_json(files, columns), indent=2))
    elif args.csv:
        sys.stdout.write(as_csv(files, columns))
    else:
        console.print(as_table(files, columns))
        console.print(legend(columns), markup=False)
        console.print(f"{len(files)} learner(s).", markup=False)
    return EXIT_NOT_PASSED if skipped else EXIT_OK


def done_in(learner: LearnerFile, column: Column) -> int:
    return len(learner.done() & column.exercises)


def as_json(files: list[LearnerFile], columns: list[Column]) -> dict:
    total = sum(column.total for column in columns)
    return {
        "lessons": [{"id": column.lesson, "total": column.total} for column in columns],
        "learners": [{
            "name": learner.name, "learner_id": learner.learner_id, "file": str(learner.path),
            "lessons": {column.lesson: done_in(learner, column) for column in columns},
            "done": sum(done_in(learner, column) for column in columns), "total": total,
        } for learner in files],
    }


def as_csv(files: list[LearnerFile], columns: list[Column]) -> str:
    """Counts, not "3/5" (a spreadsheet reads that as a date); the first row holds the totals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["learner", "file", *(column.lesson for column in columns), "done"])
    writer.writerow(["(total)", "", *(column.total for column in columns), sum(c.total for c in columns)])
    for learner in files:
        counts = [done_in(learner, column) for column in columns]
        writer.writerow([spreadsheet_safe(learner.name), spreadsheet_safe(str(learner.path)), *counts, sum(counts)])
    return out.getvalue()


def legend(columns: list[Column]) -> str:
    return "Lessons: " + " · ".join(f"{number} {column.lesson}" for number, column in enumerate(columns, start=1))


def as_table(files: list[LearnerFile], columns: list[Column]) -> Table:
    """Narrow enough for 16 lessons in 80 columns: lessons are numbered (legend() names them), each
    header gives the lesson's total and each cell the learner's done count."""
    grand_total = sum(column.total for column in columns)
    table = Table(title="Class progress: exercises done per lesson (of the total under its number)",
                  title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  padding=0)  # the box's column divider is the only space between columns
    table.add_column("learner", no_wrap=True, min_width=8, max_width=20, overflow="ellipsis")
    for number, column in enumerate(columns, start=1):
        width = max(len(str(number)), len(str(column.total)) + 1)
        table.add_column(f"{number}\n/{column.total}", justify="right", no_wrap=True, min_width=width)
    table.add_column("all", justify="right", no_wrap=True, min_width=2 * len(str(grand_total)) + 1)
    for learner in files:
        cells = []
        for column in columns:
            done = done_in(learner, column)
            style = "green" if column.total and done == column.total else "dim" if done == 0 else ""
            cells.append(Text(str(done), style=style))
        done = sum(done_in(learner, column) for column in columns)
        table.add_row(Text(visible(learner.label)), *cells, f"{done}/{grand_total}")
    return table
