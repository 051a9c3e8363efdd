"""`ptref-tutor watch ID`: keep your own editor in another pane; every save is checked here.

The draft goes to a file (your existing file is kept), and each save re-checks it. Changes are
seen with watchfiles (inotify and friends); on network file systems, where those see nothing,
it polls (detected from /proc/mounts, or forced with --poll).
"""

from __future__ import annotations

import argparse
import queue
import re
import textwrap
import threading
import time
from pathlib import Path
from typing import Iterator

from rich.rule import Rule

from tutor.cli import EXIT_NOT_PASSED, EXIT_OK, UsageError
from tutor.cli.common import console, errors, load_catalog, make_session, open_store
from tutor.lessons.catalog import UnknownExercise
from tutor.lessons.model import Exercise

NETWORK_FILE_SYSTEMS = {"nfs", "nfs4", "cifs", "smbfs", "smb3", "sshfs", "fuse.sshfs", "9p", "afs", "ceph",
                        "glusterfs", "fuse.glusterfs", "lustre", "davfs", "fuse.rclone", "fuse.s3fs", "gpfs"}
POLL_INTERVAL = 0.3
PROMPT_WIDTH = 88  # columns of the comment block written above the code


def prompt_block(exercise: Exercise) -> str:
    """The exercise's title and prompt as a comment block for the top of the file `watch` writes,
    so the learner sees the variable names to define. Markdown is kept as written (it reads as
    plain text), paragraphs are rewrapped, fenced code and list items keep their lines. "TODO" is
    spelled "to-do": a "# TODO" comment would make the code read as not attempted."""
    lines = [f"# {exercise.full_id}: {exercise.title}", "#"]
    in_code = False
    for paragraph in re.split(r"\n\s*\n", exercise.prompt.strip()):
        for raw in paragraph.splitlines() if _keeps_lines(paragraph) else [" ".join(paragraph.split())]:
            in_code ^= raw.strip().startswith("```")
            if in_code or raw.strip().startswith("```") or not raw.strip():
                lines.append(f"# {raw}".rstrip())
                continue
            indent = " " * (len(raw) - len(raw.lstrip()))
            wrapped = textwrap.wrap(raw.strip(), PROMPT_WIDTH - 2 - len(indent), break_long_words=False,
                                    break_on_hyphens=False, subsequent_indent="  " if _is_item(raw) else "")
            lines += [f"# {indent}{line}" for line in wrapped]
        lines.append("#")
    lines.append(f"# Save to check it here (ptref-tutor watch {exercise.full_id}).")
    return "\n".join(line.replace("TODO", "to-do") for line in lines) + "\n\n"


def _is_item(line: str) -> bool:
    return bool(re.match(r"\s*([-*+]|\d+[.)])\s", line))


def _keeps_lines(paragraph: str) -> bool:
    """Fenced code and lists keep their lines; prose is rewrapped."""
    return "```" in paragraph or any(_is_item(line) for line in paragraph.splitlines())


def with_prompt(exercise: Exercise, code: str) -> str:
    """`code` under the exercise's prompt block (once: a draft saved from such a file has it already)."""
    block = prompt_block(exercise)
    return code if code.startswith(block) else block + code


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
    # Imported here, not at the top: every start of the app builds this command's parser.
    from tutor.cli.checking import check_or_fail, read_code
    from tutor.render import render_verdict

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
        try:  # a new file only: the learner's own file is never rewritten
            path.write_text(with_prompt(exercise, draft if draft is not None else exercise.starter),
                            encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        console.print(f"Wrote {'your draft' if draft is not None else 'the starter'} (under the exercise's "
                      f"prompt) to {path}", markup=False)
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
