"""The app's one entry point, taking plain values: the CLI (tutor/cli/app_command.py) resolves the
options, this runs the app until the learner quits."""

from __future__ import annotations

import os
from collections.abc import Sequence

from tutor.lessons.catalog import Catalog
from tutor.lessons.model import Exercise
from tutor.progress.store import ProgressStore
from tutor.session import SessionConfig


def set_color_system(choice: str) -> None:
    """For terminals behind SSH that don't advertise their colours. Textual reads this when the
    App is built, so it is set on its constants as well as in the environment."""
    if not choice or choice == "auto":
        return
    os.environ["TEXTUAL_COLOR_SYSTEM"] = choice
    import textual.constants

    textual.constants.COLOR_SYSTEM = choice  # type: ignore[misc]


def run_tutor(catalog: Catalog, store: ProgressStore, config: SessionConfig, start_at: Exercise | None = None,
              notices: Sequence[str] = (), *, color_system: str = "auto", author: bool = False) -> int:
    """Run the app in this terminal; 0 when the learner quit, 1 when it stopped with an error.

    start_at: the exercise to open (None: where the learner left off). author: watch the lesson
    files, reload and lint the open exercise's when it changes. The store stays open: the caller
    opened it and closes it."""
    set_color_system(color_system)
    from tutor.app.app import TutorApp  # Textual's App is imported only now

    app = TutorApp(catalog, store, config, start_at=start_at, notices=notices, author=author)
    try:
        app.run()
    finally:
        app.close()
    return 0 if app.return_code in (None, 0) else 1
