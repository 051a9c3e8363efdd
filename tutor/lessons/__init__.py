"""Lesson packs: TOML files -> validated Lesson/Exercise/Check objects (standard library only)."""

from tutor.lessons.catalog import Catalog, UnknownExercise
from tutor.lessons.fields import LessonError
from tutor.lessons.loader import load_lesson, parse_lesson
from tutor.lessons.model import (AssertCheck, Check, Exercise, ExpectedCheck, FunctionCheck, Lesson,
                                 OutputCheck, StaticCheck, TensorCheck)

__all__ = ["AssertCheck", "Catalog", "Check", "Exercise", "ExpectedCheck", "FunctionCheck", "Lesson",
           "LessonError", "OutputCheck", "StaticCheck", "TensorCheck", "UnknownExercise",
           "load_lesson", "parse_lesson"]
