"""Where things live: the built-in lesson pack and the learner's data directory."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "PTREF_TUTOR_HOME"


def builtin_lessons_dir() -> Path:
    """The built-in pack: inside the installed package, or at the repo root in a checkout."""
    packaged = Path(__file__).parent / "_builtin_lessons"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "lessons"


def data_dir() -> Path:
    """The learner's data directory (progress database), created on first use."""
    override = os.environ.get(HOME_ENV)
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("ptref-tutor", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def catalog_cache_file() -> Path:
    """The parsed lessons kept between starts of the app (tutor/lessons/cache.py)."""
    return data_dir() / "cache" / "catalog.pickle"


def packs_cache_file() -> Path:
    """The pip-installed packs found at an earlier start (tutor/lessons/packs.py)."""
    return data_dir() / "cache" / "packs.json"


def package_root() -> Path:
    """The directory that contains the `tutor` package (put on the worker's PYTHONPATH)."""
    return Path(__file__).resolve().parent.parent
