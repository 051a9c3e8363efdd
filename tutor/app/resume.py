"""Where the app opens: the exercise asked for, else where the learner left off, else the first
unfinished one. Pure functions, so the choice is testable without a terminal."""

from __future__ import annotations

from tutor.lessons.catalog import Catalog
from tutor.lessons.model import Exercise
from tutor.progress.store import ExerciseProgress


def status_of(progress: dict[str, ExerciseProgress], full_id: str) -> str:
    entry = progress.get(full_id)
    return entry.status if entry else "not_started"


def starting_exercise(catalog: Catalog, progress: dict[str, ExerciseProgress],
                      position: str | None) -> Exercise | None:
    """The last position while it is unfinished; otherwise the first unfinished exercise after it
    (wrapping round), so a pass followed by a quit still resumes at the next exercise."""
    exercises = catalog.exercises()
    if not exercises:
        return None
    ids = [exercise.full_id for exercise in exercises]
    start = ids.index(position) if position in ids else 0
    for offset in range(len(exercises)):
        exercise = exercises[(start + offset) % len(exercises)]
        if status_of(progress, exercise.full_id) != "done":
            return exercise
    return exercises[start]  # everything is done: back where the learner was
