"""`ptref-tutor watch ID`: keep your own editor in another pane; every save is checked here.

The draft goes to a file (your existing file is kept), and each save re-checks it. Changes are
seen with watchfiles (inotify and friends); on network file systems, where those see nothing,
it polls (detected from /proc/mounts, or forced with --poll).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Iterator

from rich.rule import Rule

from tutor.cli import EXIT_NOT_PASSED, EXIT_OK, EXIT_USAGE, UsageError
from tutor.cli.checking import read_code
from tutor.cli.common import console, errors, load_catalog, make_session, open_store
from tutor.cli.render import render_verdict
from tutor.lessons.catalog import UnknownExercise
from tutor.session import LessonBug, WorkerStartError

NETWORK_FILE_SYSTEMS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "sshfs", "fuse.sshfs", "9p", "afs", "ceph",
                        "glusterfs", "fuse.glusterfs", "lustre", "davfs", "fuse.rclone", "fuse.s3fs", "gpfs"}
POLL_INTERVAL = 0.3


def add_parser(commands) -> argparse.ArgumentParser:
    watch = commands.add_parser("watch", help="check an exercise every time you save it in your own editor")
    watch.add_argument("exercise", metavar="ID", help="exercise id, e.g. getting-started/there-and-back")
    watch.add_argument("--file", "-f", type=Path, metavar="PATH",
                       help="the file to edit (default: LESSON-EXERCISE.py here; an existing file is kept)")
    watch.add_argument("--poll", action="store_true",
                       help="poll for changes (automatic on network file systems)")
    return watch


def file_system_type(path: Path, mounts: Path = Path("/proc/mounts")) -> str | None:
    """The type of the file system holding `path` (longest mount point that contains it)."""
    try:
        lines = mounts.read_text().splitlines()
    except OSError:
        return None
    resolved = str(path.resolve())
    best, kind = "", None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = resolved == point or resolved.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def needs_polling(path: Path) -> bool:
    return (file_system_type(path) or "") in NETWORK_FILE_SYSTEMS


def saves(path: Path, poll: bool) -> Iterator[None]:
    """Yield after each change to `path`. Watches the folder, not the file: editors such as vim save
    by writing a new file and renaming it over the old one, which a watch on the file would lose."""
    try:
        from watchfiles import watch
    except ImportError:  # pragma: no cover - watchfiles is a dependency; polling still works
        yield from _stat_polling(path)
        return
    target = path.resolve()
    try:
        for _ in watch(path.parent, watch_filter=lambda change, name: Path(name).resolve() == target,
                       force_polling=poll, poll_delay_ms=int(POLL_INTERVAL * 1000), debounce=200, step=30):
            yield
    except OSError as exc:  # e.g. the inotify watch limit: fall back to polling
        errors.print(f"[yellow]File watching failed ({exc}); polling instead.[/]")
        yield from _stat_polling(path)


def _stat_polling(path: Path) -> Iterator[None]:
    last = _signature(path)
    while True:
        time.sleep(POLL_INTERVAL)
        now = _signature(path)
        if now != last:
            last = now
            yield


def _signature(path: Path) -> tuple | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


def run_watch(args: argparse.Namespace) -> int:
    catalog = load_catalog(args)
    try:
        exercise = catalog.exercise(args.exercise)
    except UnknownExercise as exc:
        raise UsageError(str(exc)) from None
    path: Path = args.file or Path.cwd() / f"{exercise.lesson_id}-{exercise.id}.py"
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give a file with --file")
    store = open_store()
    if path.exists():
        console.print(f"Using your file {path}", markup=False)
    else:
        draft = store.draft(exercise.full_id) if store is not None else None
        try:
            path.write_text(draft if draft is not None else exercise.starter, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        console.print(f"Wrote {'your draft' if draft is not None else 'the starter'} to {path}", markup=False)
    poll = args.poll or needs_polling(path)
    console.print(f"Watching it{' (polling)' if poll else ''}: save in your editor to check "
                  f"{exercise.full_id}. ctrl+c stops.", markup=False)
    session = make_session(args, catalog, store, spare=True)
    session.start()
    last_code, passed = None, False
    try:
        for _ in _first_then(saves(path, poll)):
            try:
                code = read_code(str(path))
            except UsageError as exc:
                errors.print(f"ptref-tutor: {exc}", markup=False)
                continue
            if code == last_code:
                continue  # touched, not changed
            last_code = code
            if store is not None:
                store.save_draft(exercise.full_id, code)
            console.print(Rule(time.strftime("%H:%M:%S"), style="dim"))
            try:
                verdict = session.check(exercise, code)
            except LessonBug as exc:
                errors.print(f"ptref-tutor: lesson error: {exc}", markup=False)
                return EXIT_USAGE
            except WorkerStartError as exc:
                raise UsageError(str(exc)) from None
            passed = verdict.passed
            console.print(render_verdict(verdict))
    except KeyboardInterrupt:
        console.print("Stopped watching.", markup=False)
    finally:
        session.close()
        if store is not None:
            store.close()
    return EXIT_OK if passed else EXIT_NOT_PASSED


def _first_then(changes: Iterator[None]) -> Iterator[None]:
    """Check once at the start (the file as it is), then after every save."""
    yield
    yield from changes
