"""Lesson packs: TOML files -> validated Lesson/Exercise/Check objects (standard library only).

The loader (tomllib, ast, the line index) is imported only when something is parsed: an app start
served from the lesson cache (tutor/lessons/cache.py) never needs it.
"""

from tutor.lessons.catalog import Catalog, UnknownExercise
from tutor.lessons.fields import LessonError
from tutor.lessons.model import (AssertCheck, Check, Exercise, ExpectedCheck, FunctionCheck, Lesson,
                                 OutputCheck, StaticCheck, TensorCheck)

__all__ = ["AssertCheck", "Catalog", "Check", "Exercise", "ExpectedCheck", "FunctionCheck", "Lesson",
           "LessonError", "OutputCheck", "StaticCheck", "TensorCheck", "UnknownExercise",
           "load_lesson", "parse_lesson"]


def __getattr__(name: str):
    if name in ("load_lesson", "parse_lesson"):
        from tutor.lessons import loader

        return getattr(loader, name)
    raise AttributeError(f"module 'tutor.lessons' has no attribute '{name}'")
