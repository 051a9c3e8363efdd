"""Proving lesson packs: `ptref-tutor lint`."""

from tutor.linting.prove import ExerciseReport, lint_exercise, lint_explanation

__all__ = ["ExerciseReport", "lint_exercise", "lint_explanation"]
