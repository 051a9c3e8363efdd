"""A worker's scratch folder: made locked, removed with the worker, and left-overs of dead workers
cleaned when a tutor starts.

The folder (`ptref-run-*` in the temp dir) is the one place a worker may write. The tutor removes it
once the worker is reaped, and at exit (see reap.py); a tutor that is killed outright cannot, so
every tutor process, when it makes its first folder, removes the stale ones of this user.

How a folder is known to be stale: the tutor holds an flock on it (on the directory itself, so
emptying the folder between runs cannot remove it) for as long as the worker may use it, and the
kernel drops the lock when the tutor dies, however it dies. The lock is the tutor's alone, on a
descriptor the worker never gets: learner code could otherwise unlock it (flock locks belong to
the open file, which a passed descriptor would share). A folder is removed only if it is a real
directory (never a symlink) named ptref-run-* directly in the temp dir, owned by this user, older
than a minute (a folder made a moment ago may not be locked yet), unlocked, and no process has
its working directory inside it (a worker of a tutor from before these locks).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import tempfile
import threading
import time

from tutor.sandbox.protocol import SCRATCH_PREFIX

STALE_AFTER = 60.0  # seconds since the folder last changed

_cleaned = threading.Event()
_clean_lock = threading.Lock()


class ScratchFolder:
    def __init__(self) -> None:
        with _clean_lock:
            if not _cleaned.is_set():
                _cleaned.set()
                # In the background: a day of left-overs can take a while, and no run waits for it.
                threading.Thread(target=clean_stale, name="ptref-scratch-cleaner", daemon=True).start()
        self.path = tempfile.mkdtemp(prefix=SCRATCH_PREFIX)
        self._lock_fd: int | None = _open_directory(self.path)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)  # a new folder: nobody else can hold it
        self._removed = threading.Lock()

    def remove(self) -> None:
        """Delete the folder and drop its lock (again: nothing happens)."""
        with self._removed:
            if self._lock_fd is None:
                return
            shutil.rmtree(self.path, ignore_errors=True)  # never follows a symlink inside
            os.close(self._lock_fd)
            self._lock_fd = None


def clean_stale(folder: str | None = None, stale_after: float = STALE_AFTER) -> list[str]:
    """Remove the stale scratch folders of this user in `folder` (the temp dir); returns their paths."""
    folder = os.path.realpath(folder or tempfile.gettempdir())  # as /proc shows working directories
    removed: list[str] = []
    try:
        entries = [entry for entry in os.scandir(folder) if entry.name.startswith(SCRATCH_PREFIX)]
    except OSError:
        return removed
    busy: set[str] | None = None
    now = time.time()
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or now - info.st_mtime < stale_after:
            continue
        try:
            fd = _open_directory(entry.path)
        except OSError:
            continue
        try:
            if not os.path.samestat(info, os.fstat(fd)):
                continue  # replaced since we looked
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live tutor holds it
            if busy is None:
                busy = _working_directories()
            if any(cwd == entry.path or cwd.startswith(entry.path + os.sep) for cwd in busy):
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
        finally:
            os.close(fd)
    return removed


def _open_directory(path: str) -> int:
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)


def _working_directories() -> set[str]:
    """The working directories of this user's processes (where /proc shows them)."""
    found: set[str] = set()
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return found
    for pid in pids:
        try:
            if os.stat(f"/proc/{pid}").st_uid == os.geteuid():
                found.add(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            continue
    return found
