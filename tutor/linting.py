"""Proving a lesson pack: every solution passes, every starter does not, every fenced block runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tutor.checking.static import has_placeholder
from tutor.lessons.fences import python_blocks
from tutor.lessons.model import Exercise, Lesson
from tutor.sandbox.runspec import Outcome
from tutor.session import LessonBug, Session


@dataclass
class ExerciseReport:
    exercise: str
    problems: list[str] = field(default_factory=list)
    solution_passes: bool = False
    starter_fails: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def lint_exercise(session: Session, exercise: Exercise) -> ExerciseReport:
    report = ExerciseReport(exercise.full_id)
    where = f"{exercise.source}:{exercise.line}: exercise '{exercise.id}'"
    if not exercise.hints:
        report.problems.append(f"{where}: has no hints")
    if not has_placeholder(exercise.starter):
        report.problems.append(f"{where}: the starter has no `...` placeholder or `# TODO`")
    try:
        own = session.solution_verdict(exercise)
        report.solution_passes = own.passed
        if not own.passed:
            failing = "; ".join(c.message for c in own.checks if not c.passed) or own.summary
            report.problems.append(f"{where}: the solution does not pass its own checks: {failing}")
        starter = session.check(exercise, exercise.starter, record=False)
    except LessonBug as exc:
        report.problems.append(f"{where}: {exc}")
        return report
    report.starter_fails = not starter.passed
    if starter.passed:
        report.problems.append(f"{where}: the starter already passes every check")
    report.problems += _run_blocks(session, exercise.prompt, exercise.setup, exercise.lesson_dir,
                                   f"{where}: prompt")
    return report


def lint_explanation(session: Session, lesson: Lesson) -> list[str]:
    return _run_blocks(session, lesson.explanation, "", lesson.lesson_dir,
                       f"{lesson.source}: lesson '{lesson.id}': explanation")


def _run_blocks(session: Session, markdown: str, setup: str, lesson_dir: Path | None, where: str) -> list[str]:
    """Run a prose field's runnable ```python blocks in order, in one namespace, like a notebook."""
    blocks = [block for block in python_blocks(markdown) if block.runnable]
    if not blocks:
        return []
    code = "".join(block.code for block in blocks)
    starts = []
    line = 1
    for block in blocks:
        starts.append((line, block))
        line += block.code.count("\n")
    # Prose code sees what exercise code sees: `device`, and `lesson_dir` for the pack's data.
    record = session.run_snippet(code, setup, lesson_dir)
    if record.outcome is Outcome.OK:
        return []
    failing_line = (record.error.line if record.error else None) or 1
    block_line, offset = 0, 0
    for start, block in starts:
        if start <= failing_line:
            block_line, offset = block.line, start
    detail = record.error.headline() if record.error else f"{record.outcome.value}: {record.exit_description}"
    return [f"{where}: the ```python block at line {block_line} of the prose fails "
            f"(its line {failing_line - offset + 1}): {detail}"]
