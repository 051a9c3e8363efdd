"""`ptref-tutor` without a command: load the packs, open the store, run the app."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tutor.cli import EXIT_OK, EXIT_USAGE, UsageError
from tutor.cli.common import load_catalog, session_config
from tutor.lessons.catalog import UnknownExercise
from tutor.progress.store import ProgressStore, StoreError

COLOR_SYSTEMS = ("auto", "truecolor", "256", "standard")


def set_color_system(choice: str | None) -> None:
    """For terminals behind SSH that don't advertise their colours. Textual reads this when the
    App is built, so it is set on its constants as well as in the environment."""
    if not choice or choice == "auto":
        return
    os.environ["TEXTUAL_COLOR_SYSTEM"] = choice
    import textual.constants

    textual.constants.COLOR_SYSTEM = choice  # type: ignore[misc]


def open_store_for_app() -> tuple[ProgressStore, list[str]]:
    """The progress store; if it cannot be opened, an in-memory one and a notice saying so."""
    try:
        return ProgressStore(), []
    except (StoreError, OSError) as exc:
        return ProgressStore(Path(":memory:")), [f"Progress is NOT being saved this time: {exc}"]


def run_app(args: argparse.Namespace) -> int:
    catalog = load_catalog(args, show_errors=False)
    notices = []
    if catalog.errors:
        notices.append(f"{len(catalog.errors)} problem(s) in lesson files; those lessons are left out "
                       "(`ptref-tutor lint` explains).")
    if not catalog.exercises():
        raise UsageError("no exercises found in the lesson packs (`ptref-tutor lint` explains)")
    start_at = getattr(args, "exercise", None)
    if start_at:
        try:
            start_at = catalog.exercise(start_at).full_id
        except UnknownExercise as exc:
            raise UsageError(str(exc)) from None
    set_color_system(getattr(args, "color_system", None))
    store, store_notices = open_store_for_app()
    from tutor.app.app import TutorApp  # Textual is imported only when the app really starts

    app = TutorApp(catalog, store, session_config(args, spare=True), start_at=start_at,
                   notices=store_notices + notices)
    try:
        app.run()
    finally:
        app.session.close()
        app.cleanup_edit_dir()
        store.close()
    if app.return_code not in (None, 0):
        print("ptref-tutor: the app stopped with an error (your code was saved as you typed).",
              file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
