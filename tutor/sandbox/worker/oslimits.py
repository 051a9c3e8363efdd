"""Process-level limits the worker sets on itself (no root needed). Linux first; elsewhere, best effort."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent() -> bool:
    """Ask the kernel to SIGKILL us when the tutor goes (its spawning thread must outlive us)."""
    return _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def adopt_orphans() -> bool:
    """Become the reaper of our descendants, so processes a run leaves behind can be found."""
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def virtual_memory_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def apply_limits(memory_limit: int, file_size_limit: int, open_files: int) -> dict[str, str]:
    """Set hard rlimits; returns what was set (or why not), for `doctor` and the hello message."""
    report: dict[str, str] = {}
    try:
        import resource
    except ImportError:
        return {"rlimits": "unavailable on this platform"}

    def hard(name: str, limit_id: int, value: int) -> None:
        try:
            _, current_hard = resource.getrlimit(limit_id)
            if current_hard != resource.RLIM_INFINITY:
                value = min(value, current_hard)
            resource.setrlimit(limit_id, (value, value))
            report[name] = str(value)
        except (ValueError, OSError) as exc:
            report[name] = f"not set: {exc}"

    hard("core", resource.RLIMIT_CORE, 0)
    if file_size_limit:
        # Writing past the limit then fails with "File too large" instead of killing the worker.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        hard("file_size", resource.RLIMIT_FSIZE, file_size_limit)
    if open_files:
        hard("open_files", resource.RLIMIT_NOFILE, open_files)
    if memory_limit:
        # torch's own mappings already take gigabytes of address space: the learner's budget comes on top.
        hard("address_space", resource.RLIMIT_AS, virtual_memory_bytes() + memory_limit)
    return report


_WALL = 0x40000000  # Linux's __WALL: children that signal their end other than by SIGCHLD too


def _has_no_children() -> bool:
    """True only when the kernel says this process has no child at all, alive or not (one system
    call). Orphans of our descendants count: we are their subreaper. Children of every thread
    count: a thread waits for its whole thread group's."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT | _WALL)
    except ChildProcessError:
        return True
    except OSError:
        return False
    return False


def kill_descendants() -> int:
    """SIGKILL and reap every descendant still alive after a run; returns how many there were."""
    if _has_no_children():
        return 0  # the common case, without reading /proc for every thread (~30 us)
    killed = 0
    for _ in range(10):  # grandchildren are re-parented to us as their parents die
        children = _children()
        if not children:
            break
        for pid in children:
            try:
                if os.getpgid(pid) == pid:  # it made its own process group: take the whole group
                    os.killpg(pid, signal.SIGKILL)
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except (ProcessLookupError, PermissionError):
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    return killed


def _children() -> list[int]:
    pids: list[int] = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as handle:
                pids.extend(int(pid) for pid in handle.read().split())
    except OSError:
        pass
    return pids
