"""The learner's progress, kept in SQLite (standard library only)."""

from tutor.progress.store import ExerciseProgress, ProgressStore, StoreError

__all__ = ["ExerciseProgress", "ProgressStore", "StoreError"]
