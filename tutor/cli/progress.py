"""`ptref-tutor progress` (a summary per lesson; --json/--csv: the learner file; --merge: the class table,
in classroom.py) and `ptref-tutor reset [ID | --all]`."""

from __future__ import annotations

import argparse
import json
import sys

from rich.table import Table
from rich.text import Text

from tutor import __version__
from tutor.cli import EXIT_NOT_PASSED, EXIT_OK, UsageError
from tutor.cli.common import console, load_catalog
from tutor.lessons.catalog import Catalog, UnknownExercise
from tutor.progress.export import export, to_csv
from tutor.progress.store import ExerciseProgress, ProgressStore, StoreError
from tutor.safetext import visible


def add_parsers(commands) -> list[argparse.ArgumentParser]:
    progress = commands.add_parser(
        "progress", help="your progress per lesson; --json/--csv export it for an instructor, who --merges the files")
    output = progress.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true",
                        help="print your learner file (JSON: one entry per exercise, and per lesson)")
    output.add_argument("--csv", action="store_true", help="print one CSV row per exercise")
    progress.add_argument("--name", metavar="NAME",
                          help="the name your exported files carry (kept for next time)")
    progress.add_argument("--merge", nargs="+", metavar="FILE",
                          help="for instructors: a class table from learners' files (their --json output or "
                               "progress.db), one row per learner, done/total per lesson")
    reset = commands.add_parser("reset", help="forget your progress on one exercise, a lesson, or everything")
    reset.add_argument("target", nargs="?", metavar="ID", help="an exercise id (or a lesson id)")
    reset.add_argument("--all", action="store_true", help="forget all progress")
    reset.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation (for scripts)")
    return [progress, reset]


def open_store_or_fail() -> ProgressStore:
    try:
        store = ProgressStore()
    except (StoreError, OSError) as exc:
        raise UsageError(f"cannot open the progress store: {exc}") from None
    if store.notice:
        print(store.notice, file=sys.stderr)
    return store


def format_seconds(seconds: float) -> str:
    if seconds < 1:
        return "-"
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{seconds:.0f} s"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def lesson_rows(catalog: Catalog, progress: dict[str, ExerciseProgress]) -> list[dict]:
    rows = []
    for lesson in catalog.lessons:
        entries = [progress.get(e.full_id) for e in lesson.exercises]
        known = [entry for entry in entries if entry is not None]
        rows.append({
            "id": lesson.id, "title": lesson.title,
            "done": sum(entry.status == "done" for entry in known), "total": len(lesson.exercises),
            "attempts": sum(entry.attempts for entry in known),
            "hints_used": sum(entry.hints_used for entry in known),
            "solutions_seen": sum(entry.revealed for entry in known),
            "seconds": round(sum(entry.seconds for entry in known), 1),
        })
    return rows


FIGURES = ("done", "attempts", "hints", "solutions", "time")
WIDE = 100  # columns: the title gets a column of its own; narrower, it goes under the lesson's id


def progress_table(rows: list[dict], width: int) -> Table:
    """The figures never shrink (a header cut to "attem…", a column of "…" when piped at 80
    columns): the lesson's title gives way, under its id on a narrow terminal, wrapping."""
    wide = width >= WIDE
    table = Table(title="Your progress", title_justify="left")
    if wide:
        table.add_column("lesson", style="cyan", no_wrap=True)
        table.add_column("title", ratio=1, overflow="fold")
    else:
        table.add_column("lesson", ratio=1, overflow="fold")
    for name in FIGURES:
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    for row in rows:
        complete = row["done"] == row["total"]
        figures = [Text(f"{row['done']}/{row['total']}", style="green" if complete else ""),
                   str(row["attempts"]), str(row["hints_used"]), str(row["solutions_seen"]),
                   format_seconds(row["seconds"])]
        if wide:
            table.add_row(row["id"], row["title"], *figures)
        else:
            lesson = Text(row["id"], style="cyan")
            lesson.append(f"\n{row['title']}", style="dim")
            table.add_row(lesson, *figures)
    return table


def run_progress(args: argparse.Namespace) -> int:
    catalog = load_catalog(args)
    exercises = [(exercise.lesson_id, exercise.full_id) for exercise in catalog.exercises()]
    if args.merge:
        if args.name is not None:
            raise UsageError("--name names you in your own files; it does not go with --merge")
        from tutor.cli.classroom import run_merge

        return run_merge(args, catalog, exercises)
    store = open_store_or_fail()
    try:
        if args.name is not None:
            name = " ".join(args.name.split())
            if not name or len(name) > 100 or visible(name) != name:
                raise UsageError("--name must be 1 to 100 printable characters")
            store.set_learner_name(name)
        progress = store.summary()
        path = store.path
        learner_file = export(store, exercises, __version__) if args.json or args.csv else None
    finally:
        store.close()
    rows = lesson_rows(catalog, progress)
    if learner_file is not None and args.csv:
        sys.stdout.write(to_csv(learner_file))
        return EXIT_OK
    if learner_file is not None:
        print(json.dumps({**learner_file, "store": str(path), "lessons": rows}, indent=2))
        return EXIT_OK
    console.print(progress_table(rows, console.width))
    done = sum(row["done"] for row in rows)
    total = sum(row["total"] for row in rows)
    console.print(f"{done} of {total} exercises done · "
                  f"time {format_seconds(sum(row['seconds'] for row in rows))} · kept in {path}", markup=False)
    return EXIT_OK


def reset_targets(catalog: Catalog, target: str) -> list[str]:
    """An exercise id, or a lesson id meaning all of its exercises."""
    try:
        return [catalog.exercise(target).full_id]
    except UnknownExercise as exercise_error:
        try:
            return [e.full_id for e in catalog.lesson(target).exercises]
        except UnknownExercise:
            raise UsageError(str(exercise_error)) from None


def confirm(question: str) -> bool:
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = input()
    except EOFError:
        print(file=sys.stderr)
        return False
    return answer.strip().lower() in ("y", "yes")


def run_reset(args: argparse.Namespace) -> int:
    if bool(args.target) == bool(args.all):
        raise UsageError("give an exercise id (or a lesson id), or --all")
    if args.all:
        targets = None
        what = "ALL your progress (attempts, code, hints, time, position)"
    else:
        targets = reset_targets(load_catalog(args), args.target)
        what = (f"your attempts, code, hints and time on {targets[0]}" if len(targets) == 1 else
                f"your attempts, code, hints and time on the {len(targets)} exercises of {args.target}")
    if not args.yes and not confirm(f"Forget {what}?"):
        print("Nothing was reset.", file=sys.stderr)
        return EXIT_NOT_PASSED
    store = open_store_or_fail()
    try:
        if targets is None:
            store.reset(None)
        else:
            for full_id in targets:
                store.reset(full_id)
    finally:
        store.close()
    print(f"Forgot {what}.")
    return EXIT_OK
