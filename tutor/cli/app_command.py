"""`ptref-tutor` without a command: resolve what the options name (lesson packs, the progress store,
--exercise, --color-system), then launch the app with plain values.

This is the one module outside tutor/app that imports it, and only when the app really starts: the
other commands never pay for importing Textual.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tutor.cli import EXIT_OK, EXIT_USAGE, UsageError
from tutor.cli.common import load_catalog, session_config
from tutor.lessons.catalog import UnknownExercise
from tutor.progress.store import ProgressStore, StoreError
from tutor.sandbox.template import TEMPLATES


def open_store_for_app() -> tuple[ProgressStore, list[str]]:
    """The progress store; if it cannot be opened, an in-memory one and a notice saying so."""
    try:
        return ProgressStore(), []
    except (StoreError, OSError) as exc:
        return ProgressStore(Path(":memory:")), [f"Progress is NOT being saved this time: {exc}"]


def run_app(args: argparse.Namespace) -> int:
    from tutor.web.tab import end_with_server

    end_with_server()  # a tab of `ptref-tutor serve` ends with the server (no-op otherwise)
    # The path to the first verdict goes first: the template starts importing torch now, while
    # this process loads the lessons, imports Textual and draws the first screen on the other core.
    TEMPLATES.start_in_background(args.python, args.threads)
    catalog = load_catalog(args, show_errors=False, cached=True)
    notices = []
    if catalog.errors:
        notices.append(f"{len(catalog.errors)} problem(s) in lesson files; those lessons are left out "
                       "(`ptref-tutor lint` explains).")
    if not catalog.exercises():
        raise UsageError("no exercises found in the lesson packs (`ptref-tutor lint` explains)")
    start_at = None
    if getattr(args, "exercise", None):
        try:
            start_at = catalog.exercise(args.exercise)
        except UnknownExercise as exc:
            raise UsageError(str(exc)) from None
    store, store_notices = open_store_for_app()
    try:
        from tutor.app import run_tutor  # Textual is imported only when the app really starts

        status = run_tutor(catalog, store, session_config(args, spare=True, idle_release=True), start_at,
                           store_notices + notices,
                           color_system=getattr(args, "color_system", "auto"),
                           author=bool(getattr(args, "author", False)))
    finally:
        store.close()
    if status != 0:
        print("ptref-tutor: the app stopped with an error (your code was saved as you typed).", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
