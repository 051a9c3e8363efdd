"""Ending a worker together with every process its runs started, and cleaning up when the tutor exits.

Why the process group: the tutor starts each worker as the leader of a new session and process
group, and a worker whose exercise may start processes refuses setsid and setpgid (seccomp, see
worker/seccomp.py), so nothing a run starts can leave that group. One killpg then reaches all of
it, however it detached (double fork, re-parented to init, even after the worker itself died), and
the kernel does not let a fork in progress escape a signal sent to the group. A PID namespace would
promise as much but needs root or user namespaces, which many systems forbid; a cgroup needs
delegation. Where seccomp is missing (no libseccomp) a process can call setsid, so the tutor also
walks the worker's descendants through /proc (the worker is their child subreaper: detached
grandchildren are re-parented to it while it lives), stopping each before it can fork again.

At exit: the tutor kills its workers and removes their scratch folders when it exits normally
(atexit) and on SIGTERM and SIGHUP (a closed terminal), which by default would end it without
either. A tutor killed with SIGKILL can do nothing: its workers die with it (PR_SET_PDEATHSIG), but
processes a run started in a `processes = true` exercise live on, in the dead worker's process
group, until they end; the next tutor removes the scratch folder (scratch.py).
"""

from __future__ import annotations

import atexit
import itertools
import os
import signal
import threading
import time
from typing import Callable

_EXIT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def kill_worker(pid: int, walk: bool = True) -> None:
    """SIGKILL the worker `pid`, its process group, and (with `walk`) every descendant still found.

    `walk` only while the worker has not been reaped: a reaped pid may belong to someone else.
    """
    if not hasattr(os, "killpg"):  # not POSIX: the worker has no group
        _signal(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        return
    found = [pid]
    if walk:
        _signal_group(pid, signal.SIGSTOP)  # the whole group at once: nothing in it forks any more
        found = _freeze_descendants(pid)
    _signal_group(pid, signal.SIGKILL)
    for member in found:
        _signal(member, signal.SIGKILL)


def _freeze_descendants(pid: int) -> list[int]:
    """Stop every descendant of `pid`, walking again until no new one appears."""
    seen = [pid]
    known = {pid}
    for _ in range(64):
        new = [child for parent in seen for child in _children(parent) if child not in known]
        if not new:
            break
        for child in new:
            _signal(child, signal.SIGSTOP)
            known.add(child)
        seen += new
        _wait_stopped(new)  # a process still in fork() would add a child after we looked
    return seen


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
    except (OSError, ValueError):
        pass
    return found


def _wait_stopped(pids: list[int], timeout: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(pids)
    while waiting and time.monotonic() < deadline:
        waiting = [pid for pid in waiting if _state(pid) not in ("T", "t", "Z", "X", "")]
        if waiting:
            time.sleep(0.001)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return ""


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


# -- at exit -------------------------------------------------------------------------------------
_cleanups: dict[int, Callable[[], None]] = {}
_cleanups_lock = threading.Lock()
_keys = itertools.count()
_signals_installed = False


def at_exit(cleanup: Callable[[], None]) -> int:
    """Run `cleanup` when the tutor exits (normally, or on SIGTERM/SIGHUP) unless forgotten first."""
    with _cleanups_lock:
        key = next(_keys)
        _cleanups[key] = cleanup
    install_exit_signals()
    return key


def forget(key: int) -> None:
    with _cleanups_lock:
        _cleanups.pop(key, None)


def run_cleanups() -> None:
    with _cleanups_lock:
        pending = list(_cleanups.values())
        _cleanups.clear()
    for cleanup in pending:
        try:
            cleanup()
        except Exception:
            pass  # exiting: one failure must not keep the others from running


atexit.register(run_cleanups)


def install_exit_signals() -> bool:
    """Clean up on SIGTERM and SIGHUP, then die of the signal as before. Only from the main thread,
    and only where nobody installed a handler of their own (the app may); returns whether installed."""
    global _signals_installed
    if _signals_installed or threading.current_thread() is not threading.main_thread():
        return _signals_installed
    for signum in _EXIT_SIGNALS:
        if signal.getsignal(signum) == signal.SIG_DFL:
            signal.signal(signum, _die_cleanly)
    _signals_installed = True
    return True


def _die_cleanly(signum: int, frame: object) -> None:
    run_cleanups()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
