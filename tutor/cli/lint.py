"""`ptref-tutor lint [PATH ...]`: validate lesson files, then prove every exercise in a worker."""

from __future__ import annotations

import argparse
import time

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tutor.cli import EXIT_NOT_PASSED, EXIT_OK, UsageError
from tutor.cli.common import console, errors, make_session, pack_paths
from tutor.lessons.catalog import Catalog
from tutor.linting import ExerciseReport, lint_exercise, lint_explanation
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
    reports = []
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
                    reports.append(report)
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
    table.add_column("hard-coded refused", justify="right")
    table.add_column("mutants killed", justify="right")
    table.add_column("status")
    by_exercise = {report.exercise: report for report in reports}
    for lesson, solutions, starters, lesson_problems in rows:
        count = len(lesson.exercises)
        mine = [by_exercise[e.full_id] for e in lesson.exercises if e.full_id in by_exercise]
        status = "[green]ok[/]" if not lesson_problems else f"[red]{len(lesson_problems)} problem(s)[/]"
        table.add_row(lesson.id, str(count), f"{solutions}/{count}", f"{starters}/{count}",
                      _hard_coded_cell(mine), _mutants_cell(mine), status)
    console.print(table)
    elapsed = time.perf_counter() - started
    total = len(problems) + len(catalog.errors)
    verdict = "[green]all good[/]" if total == 0 else f"[red]{total} problem(s)[/]"
    console.print(summary_line(reports), highlight=False)
    console.print(f"{len(catalog.lessons)} lessons, {len(exercises)} exercises in {elapsed:.1f} s: {verdict}")
    return EXIT_OK if total == 0 else EXIT_NOT_PASSED


def _tried(reports: list[ExerciseReport]) -> list[ExerciseReport]:
    return [report for report in reports if report.hard_coded in ("refused", "accepted")]


def _hard_coded_cell(reports: list[ExerciseReport]) -> str:
    tried = _tried(reports)
    refused = sum(report.hard_coded == "refused" for report in tried)
    return f"{refused}/{len(tried)}"


def _mutants_cell(reports: list[ExerciseReport]) -> str:
    return f"{sum(r.mutants_killed for r in reports)}/{sum(r.mutants_total for r in reports)}"


def summary_line(reports: list[ExerciseReport]) -> str:
    """One line for the README: exercises, hard-coded answers refused, mutants killed / total."""
    tried = _tried(reports)
    refused = sum(report.hard_coded == "refused" for report in tried)
    predictions = sum(report.hard_coded == "prediction" for report in reports)
    not_applicable = sum(report.hard_coded.startswith("not applicable") for report in reports)
    killed = sum(report.mutants_killed for report in reports)
    total = sum(report.mutants_total for report in reports)
    optional = sum(report.mutants_optional for report in reports)
    share = f" ({killed / total:.0%})" if total else ""
    return (f"{len(reports)} exercises · hard-coded answers refused: {refused} of {len(tried)} "
            f"({predictions} declared predictions, {not_applicable} not typable) · "
            f"mutants killed: {killed}/{total}{share}, {optional} marked optional")
