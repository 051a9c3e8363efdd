"""`ptref-tutor check ID --file PATH`: one verdict, as a report or as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tutor.cli import EXIT_NOT_PASSED, EXIT_OK, UsageError
from tutor.cli.common import console, errors, load_catalog, make_session, open_store
from tutor.cli.live import live_run
from tutor.lessons.catalog import UnknownExercise
from tutor.render import render_verdict
from tutor.checking.verdict import Verdict
from tutor.lessons.model import Exercise
from tutor.session import LessonBug, Session, WorkerStartError

MAX_CODE_BYTES = 1_000_000


def read_code(source: str) -> str:
    """Learner code from a file or stdin ('-'); one-line errors for missing, binary or huge input."""
    try:
        raw = sys.stdin.buffer.read(MAX_CODE_BYTES + 1) if source == "-" else _read_file(Path(source))
    except OSError as exc:
        raise UsageError(f"cannot read {source}: {exc.strerror or exc}") from None
    name = "stdin" if source == "-" else source
    if len(raw) > MAX_CODE_BYTES:
        raise UsageError(f"{name} is over {MAX_CODE_BYTES:,} bytes: that is not exercise code")
    if b"\x00" in raw:
        raise UsageError(f"{name} is a binary file, not Python code")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name} is not UTF-8 text (invalid byte at offset {exc.start})") from None


def _read_file(path: Path) -> bytes:
    if path.is_dir():
        raise UsageError(f"{path} is a directory, not a file of code")
    with open(path, "rb") as handle:
        return handle.read(MAX_CODE_BYTES + 1)


def check_or_fail(session: Session, exercise: Exercise, code: str, on_event=None) -> Verdict:
    """A verdict, or a one-line usage error (exit 2) for a broken lesson or a worker that can't start."""
    try:
        return session.check(exercise, code, on_event=on_event)
    except LessonBug as exc:
        raise UsageError(f"lesson error: {exc}") from None
    except WorkerStartError as exc:
        raise UsageError(str(exc)) from None


def run_check(args: argparse.Namespace) -> int:
    code = read_code(args.file)
    catalog = load_catalog(args)
    try:
        exercise = catalog.exercise(args.exercise)
    except UnknownExercise as exc:
        raise UsageError(str(exc)) from None
    store = None if args.no_record else open_store()
    session = make_session(args, catalog, store)
    try:
        with live_run(errors, enabled=not args.json) as listener:  # progress bars on the terminal only
            verdict = check_or_fail(session, exercise, code, on_event=listener)
    finally:
        session.close()
        if store is not None:
            store.close()
    if args.json:
        print(json.dumps(verdict.to_json(), indent=2))
    else:
        console.print(render_verdict(verdict, name_exercise=True))
    return EXIT_OK if verdict.passed else EXIT_NOT_PASSED
