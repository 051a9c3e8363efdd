"""`ptref-tutor lint [PATH ...]`: validate lesson files, then prove every exercise in a worker."""

from __future__ import annotations

import argparse
import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tutor.cli import EXIT_NOT_PASSED, EXIT_OK, UsageError
from tutor.cli.common import console, errors, make_session, pack_paths
from tutor.lessons.catalog import Catalog
from tutor.linting import lint_exercise, lint_explanation
from tutor.session import WorkerStartError


def run_lint(args: argparse.Namespace) -> int:
    paths = args.paths or pack_paths(args)
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    started = time.perf_counter()
    catalog = Catalog.load(paths)
    for error in catalog.errors:
        errors.print(str(error), markup=False)
    exercises = catalog.exercises()
    session = make_session(args, catalog, store=None, spare=True)
    problems: list[str] = []
    rows = []
    try:
        session.start()
        with Progress(TextColumn("[bold]lint[/]"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=errors, transient=True) as progress:
            task = progress.add_task("", total=len(exercises) + len(catalog.lessons))
            for lesson in catalog.lessons:
                progress.update(task, description=lesson.id)
                lesson_problems = lint_explanation(session, lesson)
                progress.advance(task)
                solutions = starters = 0
                for exercise in lesson.exercises:
                    progress.update(task, description=exercise.full_id)
                    report = lint_exercise(session, exercise)
                    lesson_problems += report.problems
                    solutions += report.solution_passes
                    starters += report.starter_fails
                    progress.advance(task)
                rows.append((lesson, solutions, starters, lesson_problems))
                problems += lesson_problems
    except WorkerStartError as exc:
        raise UsageError(str(exc)) from None
    finally:
        session.close()
    for problem in problems:
        errors.print(problem, markup=False)
    table = Table(title="lint", title_justify="left")
    table.add_column("lesson", style="cyan")
    table.add_column("exercises", justify="right")
    table.add_column("solutions pass", justify="right")
    table.add_column("starters fail", justify="right")
    table.add_column("status")
    for lesson, solutions, starters, lesson_problems in rows:
        count = len(lesson.exercises)
        status = "[green]ok[/]" if not lesson_problems else f"[red]{len(lesson_problems)} problem(s)[/]"
        table.add_row(lesson.id, str(count), f"{solutions}/{count}", f"{starters}/{count}", status)
    console.print(table)
    elapsed = time.perf_counter() - started
    total = len(problems) + len(catalog.errors)
    verdict = "[green]all good[/]" if total == 0 else f"[red]{total} problem(s)[/]"
    console.print(f"{len(catalog.lessons)} lessons, {len(exercises)} exercises in {elapsed:.1f} s: {verdict}")
    return EXIT_OK if total == 0 else EXIT_NOT_PASSED
