"""All loaded lesson packs: ordered lessons, id lookup, and every loading problem."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tutor.lessons.fields import LessonError
from tutor.lessons.model import Exercise, Lesson
from tutor.lessons.packs import Pack


class UnknownExercise(LookupError):
    """An exercise id that names nothing loaded; str() is a sentence for the learner."""


@dataclass
class Catalog:
    lessons: list[Lesson] = field(default_factory=list)
    errors: list[LessonError] = field(default_factory=list)
    packs: list[Pack] = field(default_factory=list)
    origins: dict[str, Pack] = field(default_factory=dict)  # lesson id -> the pack it came from

    @classmethod
    def load(cls, packs: Sequence[Path | Pack]) -> "Catalog":
        """Packs in order of precedence: a lesson id already loaded keeps the first pack's lesson."""
        from tutor.lessons.loader import load_lesson  # not imported by a start served from the cache

        catalog = cls()
        owner: dict[str, Path] = {}
        for pack in packs:
            pack = pack if isinstance(pack, Pack) else Pack(Path(pack), "")
            catalog.packs.append(pack)
            for path in _lesson_files(pack.path, catalog.errors):
                lesson, errors = load_lesson(path)
                catalog.errors.extend(errors)
                if lesson is None:
                    continue
                if lesson.id in owner:
                    kept = catalog.origins[lesson.id]
                    catalog.errors.append(LessonError(path, 1, f"lesson '{lesson.id}'", (
                        f"duplicate lesson id{_from(pack)}: {owner[lesson.id]}{_from(kept)} has it too "
                        "and is kept; rename one of the two ids")))
                    continue
                owner[lesson.id] = path
                catalog.origins[lesson.id] = pack
                catalog.lessons.append(lesson)
        catalog.lessons.sort(key=Lesson.sort_key)
        return catalog

    def origin(self, lesson_id: str) -> Pack | None:
        return self.origins.get(lesson_id)

    def exercises(self) -> list[Exercise]:
        return [exercise for lesson in self.lessons for exercise in lesson.exercises]

    def lesson(self, lesson_id: str) -> Lesson:
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise UnknownExercise(f"no lesson '{lesson_id}'{self._suggest(lesson_id, [l.id for l in self.lessons])}")

    def exercise(self, full_id: str) -> Exercise:
        """Find by "lesson/exercise", or by a bare exercise id when that is unambiguous."""
        everything = self.exercises()
        for exercise in everything:
            if exercise.full_id == full_id:
                return exercise
        if "/" not in full_id:
            matches = [e for e in everything if e.id == full_id]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                names = ", ".join(e.full_id for e in matches)
                raise UnknownExercise(f"'{full_id}' is ambiguous: {names}")
        ids = [e.full_id for e in everything]
        raise UnknownExercise(f"no exercise '{full_id}'{self._suggest(full_id, ids)}")

    def neighbour(self, full_id: str, step: int) -> Exercise | None:
        """The exercise `step` places after (or before) this one, across lessons."""
        ids = [e.full_id for e in self.exercises()]
        if full_id not in ids:
            return None
        position = ids.index(full_id) + step
        return self.exercises()[position] if 0 <= position < len(ids) else None

    @staticmethod
    def _suggest(wanted: str, known: list[str]) -> str:
        close = difflib.get_close_matches(wanted, known, n=3)
        if close:
            return f" (did you mean {', '.join(close)}?)"
        return " (`ptref-tutor list` shows them all)"


def _from(pack: Pack) -> str:
    return f" (from {pack.origin})" if pack.origin else ""


def _lesson_files(pack: Path, errors: list[LessonError]) -> list[Path]:
    if pack.is_file():
        return [pack]
    if not pack.is_dir():
        errors.append(LessonError(pack, 0, "", "no such lesson folder or file"))
        return []
    return sorted(path for path in pack.glob("*.toml") if path.is_file())
