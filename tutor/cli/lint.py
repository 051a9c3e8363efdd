"""`ptref-tutor lint [PATH ...]`: validate lesson files, then prove every exercise in a worker."""

from __future__ import annotations

import argparse
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tutor.cli import EXIT_NOT_PASSED, EXIT_OK, UsageError
from tutor.cli.common import console, errors, make_session, pack_paths
from tutor.lessons.catalog import Catalog
from tutor.lessons.model import Exercise, Lesson
from tutor.linting import ExerciseReport, lint_exercise, lint_explanation
from tutor.safetext import visible
from tutor.session import Session, WorkerStartError


def run_lint(args: argparse.Namespace) -> int:
    paths = args.paths or pack_paths(args)
    missing = [str(path) for path in paths if not getattr(path, "path", path).exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    started = time.perf_counter()
    catalog = Catalog.load(paths)
    for error in catalog.errors:
        errors.print(visible(str(error)), markup=False)
    exercises = catalog.exercises()
    jobs = max(1, min(args.jobs or default_jobs(), len(exercises) or 1))
    # Each job proves its share of the exercises in a session (a worker) of its own.
    sessions = _Sessions(lambda: make_session(args, catalog, store=None, spare=False))
    work: list[tuple[Lesson, Exercise | None]] = [(lesson, None) for lesson in catalog.lessons]
    work += [(lesson, exercise) for lesson in catalog.lessons for exercise in lesson.exercises]
    explanation_problems: dict[str, list[str]] = {}
    reports: dict[str, ExerciseReport] = {}
    try:
        with Progress(TextColumn("[bold]lint[/]"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=errors, transient=True) as progress:
            task = progress.add_task("", total=len(work))

            def prove(item: tuple[Lesson, Exercise | None]) -> None:
                lesson, exercise = item
                session = sessions.mine()
                if exercise is None:
                    explanation_problems[lesson.id] = lint_explanation(session, lesson)
                else:
                    reports[exercise.full_id] = lint_exercise(session, exercise)
                progress.update(task, advance=1, description=(exercise or lesson).id)

            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ptref-lint") as pool:
                for finished in [pool.submit(prove, item) for item in work]:
                    finished.result()
    except WorkerStartError as exc:
        raise UsageError(str(exc)) from None
    finally:
        sessions.close()
    problems: list[str] = []
    rows = []
    for lesson in catalog.lessons:
        mine = [reports[exercise.full_id] for exercise in lesson.exercises]
        lesson_problems = explanation_problems.get(lesson.id, []) + [p for r in mine for p in r.problems]
        rows.append((lesson, sum(r.solution_passes for r in mine), sum(r.starter_fails for r in mine),
                     lesson_problems))
        problems += lesson_problems
    ordered_reports = [reports[exercise.full_id] for exercise in exercises]
    for problem in problems:
        errors.print(visible(problem), markup=False)
    table = Table(title="lint", title_justify="left")
    table.add_column("lesson", style="cyan")
    table.add_column("exercises", justify="right")
    table.add_column("solutions pass", justify="right")
    table.add_column("starters fail", justify="right")
    table.add_column("hard-coded refused", justify="right")
    table.add_column("mutants killed", justify="right")
    table.add_column("status")
    for lesson, solutions, starters, lesson_problems in rows:
        count = len(lesson.exercises)
        mine = [reports[e.full_id] for e in lesson.exercises]
        status = "[green]ok[/]" if not lesson_problems else f"[red]{len(lesson_problems)} problem(s)[/]"
        table.add_row(lesson.id, str(count), f"{solutions}/{count}", f"{starters}/{count}",
                      _hard_coded_cell(mine), _mutants_cell(mine), status)
    console.print(table)
    elapsed = time.perf_counter() - started
    total = len(problems) + len(catalog.errors)
    verdict = "[green]all good[/]" if total == 0 else f"[red]{total} problem(s)[/]"
    console.print(summary_line(ordered_reports), highlight=False, soft_wrap=True)
    console.print(f"{len(catalog.lessons)} lessons, {len(exercises)} exercises in {elapsed:.1f} s: {verdict}")
    return EXIT_OK if total == 0 else EXIT_NOT_PASSED


def default_jobs() -> int:
    """One worker per core, at most two: lint is CPU-bound, and the cores are shared."""
    return max(1, min(2, os.cpu_count() or 1))


class _Sessions:
    """A session per lint thread, made on first use and all closed at the end."""

    def __init__(self, make: Callable[[], Session]) -> None:
        self._make = make
        self._local = threading.local()
        self._all: list[Session] = []
        self._lock = threading.Lock()

    def mine(self) -> Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._make()
            with self._lock:
                self._all.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._all:
                session.close()


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
