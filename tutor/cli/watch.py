"""`ptref-tutor watch ID`: keep your own editor in another pane; every save is checked here.

The draft goes to a file (your existing file is kept), and each save re-checks it. Changes are
seen with watchfiles (inotify and friends); on network file systems, where those see nothing,
it polls (detected from /proc/mounts, or forced with --poll).
"""

from __future__ import annotations

import argparse
import queue
import threading
import time
from pathlib import Path
from typing import Iterator

from rich.rule import Rule

from tutor.cli import EXIT_NOT_PASSED, EXIT_OK, UsageError
from tutor.cli.checking import check_or_fail, read_code
from tutor.cli.common import console, errors, load_catalog, make_session, open_store
from tutor.lessons.catalog import UnknownExercise
from tutor.render import render_verdict

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


def saves(path: Path, poll: bool, stop: threading.Event) -> Iterator[None]:
    """Yield after each change to `path`. Watches the folder, not the file: editors such as vim save
    by writing a new file and renaming it over the old one, which a watch on the file would lose."""
    if poll:
        yield from _content_polling(path, stop)
        return
    try:
        from watchfiles import watch
    except ImportError:  # pragma: no cover - watchfiles is a dependency; polling still works
        yield from _content_polling(path, stop)
        return
    target = path.resolve()
    try:
        for _ in watch(path.parent, watch_filter=lambda change, name: Path(name).resolve() == target,
                       debounce=200, step=30,
                       stop_event=stop, raise_interrupt=False, yield_on_timeout=False):
            yield
    except OSError as exc:  # e.g. the inotify watch limit: fall back to polling
        errors.print(f"[yellow]File watching failed ({exc}); polling instead.[/]")
        yield from _content_polling(path, stop)


def _content_polling(path: Path, stop: threading.Event) -> Iterator[None]:
    last = _signature(path)
    while not stop.wait(POLL_INTERVAL):
        now = _signature(path)
        if now != last:
            last = now
            yield


class SaveWatcher:
    """Watches from a thread of its own, started before the first check, so a save made while a
    check runs (or before the first one ends) is never missed."""

    def __init__(self, path: Path, poll: bool) -> None:
        self._changes: queue.Queue[None] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(path, poll), daemon=True,
                                        name="ptref-watch")
        self._thread.start()

    def _run(self, path: Path, poll: bool) -> None:
        for _ in saves(path, poll, self._stop):
            self._changes.put(None)

    def wait(self) -> None:
        """Block until the next save (short timeouts keep ctrl+c working in the main thread)."""
        while True:
            try:
                self._changes.get(timeout=0.25)
                break
            except queue.Empty:
                continue
        while not self._changes.empty():  # several events for one save: one check
            self._changes.get_nowait()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _signature(path: Path) -> bytes | None:
    """The content itself: on NFS, open() revalidates where a cached mtime may lag for seconds."""
    try:
        with open(path, "rb") as handle:
            return handle.read(2_000_000)
    except OSError:
        return None


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
    session = make_session(args, catalog, store, spare=True, idle_release=True)
    session.start()
    watcher = SaveWatcher(path, poll)
    console.print(f"Watching it{' (polling)' if poll else ''}: save in your editor to check "
                  f"{exercise.full_id}. ctrl+c stops.", markup=False)
    last_code, passed, first = None, False, True
    try:
        while True:
            if not first:
                watcher.wait()
            first = False
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
            verdict = check_or_fail(session, exercise, code)
            passed = verdict.passed
            console.print(render_verdict(verdict, name_exercise=True))
    except KeyboardInterrupt:
        console.print("Stopped watching.", markup=False)
    finally:
        watcher.close()
        session.close()
        if store is not None:
            store.close()
    return EXIT_OK if passed else EXIT_NOT_PASSED
