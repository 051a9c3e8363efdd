"""Proving a lesson pack: every solution passes, every starter does not, every fenced block runs,
and the answers that must fail (tutor/linting/attacks.py) do."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from tutor.checking.static import has_placeholder
from tutor.lessons.model import Exercise, Lesson
from tutor.linting.attacks import NotLiteral, compared_names, hard_coded_answer, mutants, placeholder_fills
from tutor.prose import run_prose
from tutor.session import LessonBug, Session


MIN_HINTS = 3  # a ladder: the idea, then the API or dimension, then a partial line
MUTANT_TIMEOUT_FACTOR = 5.0  # a mutant may run this many times the reference's time (at least 1 s)


@dataclass
class ExerciseReport:
    exercise: str
    problems: list[str] = field(default_factory=list)
    solution_passes: bool = False
    starter_fails: bool = False
    hard_coded: str = "not tried"  # "refused", "accepted", "prediction", or "not applicable: why"
    mutants_total: int = 0
    mutants_killed: int = 0
    mutants_optional: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def lint_exercise(session: Session, exercise: Exercise, attacks: bool = True) -> ExerciseReport:
    """Prove one exercise: its solution passes, its starter does not, its prose runs, and (with
    `attacks`) a hard-coded answer, each skipped step and each filled-in placeholder fail."""
    report = ExerciseReport(exercise.full_id)
    where = f"{exercise.source}:{exercise.line}: exercise '{exercise.id}'"
    report.problems += _hint_problems(exercise, where)
    if not has_placeholder(exercise.starter):
        report.problems.append(f"{where}: the starter has no `...` placeholder or `# TODO`")
    try:
        own = session.solution_verdict(exercise)
        report.solution_passes = own.passed
        if not own.passed:
            failing = "; ".join(c.message for c in own.checks if not c.passed) or own.summary
            report.problems.append(f"{where}: the solution does not pass its own checks: {failing}")
        starter = session.check(exercise, exercise.starter, record=False)
        report.starter_fails = not starter.passed
        if starter.passed:
            report.problems.append(f"{where}: the starter already passes every check")
        if attacks and report.solution_passes:
            _attack(session, exercise, report, where)
    except LessonBug as exc:
        report.problems.append(f"{where}: {exc}")
        return report
    report.problems += _run_blocks(session, exercise.prompt, exercise.setup, exercise.lesson_dir,
                                   f"{where}: prompt")
    return report


def _hint_problems(exercise: Exercise, where: str) -> list[str]:
    problems = []
    if len(exercise.hints) < MIN_HINTS:
        problems.append(f"{where}: has {len(exercise.hints)} hint(s); give a ladder of at least {MIN_HINTS} "
                        "(the idea, then the API or dimension, then a partial line)")
    solution_lines = [line.strip() for line in exercise.solution.splitlines()
                      if line.strip() and not line.strip().startswith("#")]
    for number, hint in enumerate(exercise.hints, start=1):
        if solution_lines and all(line in hint for line in solution_lines):
            problems.append(f"{where}: hint {number} gives the whole solution away (that is what F8 is for)")
    return problems


def _attack(session: Session, exercise: Exercise, report: ExerciseReport, where: str) -> None:
    reference = session.reference(exercise)
    expected = session.expected_values(exercise)
    values: dict[str, object] = {}
    for index, name in compared_names(exercise):
        found = reference.result(index)
        values[name] = expected[index] if index in expected else (found.value if found is not None else None)
    # A learner's wrong answer is cut off well before the exercise's own timeout.
    quick = replace(exercise, variants=1,
                    timeout=min(exercise.timeout, max(1.0, MUTANT_TIMEOUT_FACTOR * reference.elapsed_ms / 1000)))

    if exercise.answer == "prediction":
        report.hard_coded = "prediction"
    else:
        try:
            code = hard_coded_answer(exercise, values)
        except NotLiteral as exc:
            report.hard_coded = f"not applicable: {exc}"
        else:
            if _passes(session, exercise, quick, code):
                report.hard_coded = "accepted"
                report.problems.append(
                    f"{where}: a hard-coded answer passes (the reference's values typed in): check the "
                    "code on other inputs (`variant` in the setup) or assert what must be computed; "
                    "if the answer really is a constant, declare answer = \"prediction\" with a reason")
            else:
                report.hard_coded = "refused"

    for what, code in placeholder_fills(exercise, values):
        if what.startswith("zeros") and exercise.answer == "prediction":
            continue  # zeros are a typed-in constant too, and a prediction's answer may be one
        if _passes(session, exercise, quick, code):
            report.problems.append(f"{where}: the starter with its placeholder filled by {what} passes")

    found, optional = mutants(exercise.solution)
    report.mutants_optional = len(optional)
    for line, reason in optional:
        if not reason:
            report.problems.append(f"{where}: solution line {line} is marked `# lint: optional` without a "
                                   "reason: say why, e.g. `# lint: optional (only prints)`")
    report.mutants_total = len(found)
    for mutant in found:
        if _passes(session, exercise, quick, mutant.code):
            report.problems.append(f"{where}: the solution still passes without its line {mutant.line} "
                                   f"(`{mutant.statement}`): check what it does, or mark it "
                                   "`# lint: optional (why)`")
        else:
            report.mutants_killed += 1


def _passes(session: Session, exercise: Exercise, quick: Exercise, code: str) -> bool:
    """Whether `code` passes every variant; the example alone first, where most wrong code fails fast."""
    if not session.check(quick, code, record=False).passed:
        return False
    return exercise.variants == 1 or session.check(exercise, code, record=False).passed


def lint_explanation(session: Session, lesson: Lesson) -> list[str]:
    return _run_blocks(session, lesson.explanation, "", lesson.lesson_dir,
                       f"{lesson.source}: lesson '{lesson.id}': explanation")


def _run_blocks(session: Session, markdown: str, setup: str, lesson_dir: Path | None, where: str) -> list[str]:
    """Run a prose field's runnable ```python blocks in order, in one namespace, like a notebook;
    each ```python show block must end with something drawable."""
    run = run_prose(session, markdown, setup, lesson_dir)
    problems = [f"{where}: {problem}" for problem in run.problems]
    failing = run.failing_block()
    if failing is not None:
        block, line = failing
        record = run.record
        detail = record.error.headline() if record.error else f"{record.outcome.value}: {record.exit_description}"
        problems.append(f"{where}: the ```python block at line {block.line} of the prose fails "
                        f"(its line {line}): {detail}")
    return problems
