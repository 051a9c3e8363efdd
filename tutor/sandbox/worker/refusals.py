"""Say why the sandbox refused something, in words a learner can act on.

seccomp answers a refused call with EPERM and Landlock with EACCES, so learner code sees a bare
"PermissionError: [Errno 1] Operation not permitted". Only the worker knows that its protections
are on, so it recognises the refusal (the errno, the module that made the call, and for files
that the user's own permissions would have allowed the write) and replaces the message.
Standard library only.
"""

from __future__ import annotations

import errno
import os
import traceback
from pathlib import Path

NETWORK = ("network access is disabled in the tutor's sandbox: exercises work offline "
           "(a lesson's data files are read through `lesson_dir`)")
PROCESSES = ("starting processes is disabled in this exercise's sandbox (subprocess, os.fork, "
             "multiprocessing, DataLoader(num_workers > 0) ...): use num_workers=0. "
             "A lesson can allow it with [exercise.sandbox] processes = true")
FILES = ("the tutor's sandbox lets code write files only in the current directory (a scratch folder "
         "emptied before each run): use a relative path such as 'model.pt'")
LIMITS = ("the tutor's sandbox does not let code change its resource limits (memory, file size, "
          "open files): they protect your machine")
SIGNALS = "the tutor's sandbox does not let code signal or trace processes outside it"
DEVICES = "the tutor's sandbox does not let code open devices other than /dev/null, /dev/zero and /dev/urandom"
METADATA = ("the tutor's sandbox does not let code change the permissions, owner, times or extended attributes "
            "of files (chmod, chown, utime, setxattr, chattr), not even in the scratch folder: to copy a file, "
            "use shutil.copyfile, which copies only its contents")
GROUPS = ("the tutor's sandbox keeps every process a run starts in the run's process group (setsid, setpgid, "
          "start_new_session are refused), so the tutor can stop them all")
MEMORY = ("the tutor's sandbox does not let code create shared memory (memfd_create, SysV shmget): it "
          "would escape the worker's memory limit; use ordinary tensors and arrays")

_NETWORK_MODULES = ("socket.py", "ssl.py", "/http/", "/urllib/", "/asyncio/", "socketserver.py", "/urllib3/",
                    "/requests/")
_PROCESS_MODULES = ("subprocess.py", "/multiprocessing/", "pty.py", "/concurrent/futures/process.py",
                    "/torch/utils/data/", "/torch/multiprocessing/")
_PROCESS_WORDS = ("fork", "exec", "spawn", "popen", "system(", "subprocess", "num_workers", "pool(")
_GROUP_WORDS = ("setsid", "setpgid", "setpgrp", "start_new_session", "process_group")
_METADATA_WORDS = ("chmod", "chown", "utime", "xattr")  # not "ioctl": other ioctls fail with EPERM too
_MEMORY_WORDS = ("memfd", "shm", "msgget", "semget")


class Refusals:
    def __init__(self, report: dict[str, str], scratch: Path) -> None:
        self.network = report.get("network", "").startswith(("on", "partial"))
        self.processes = report.get("processes", "").startswith("on")
        self.groups = "cannot leave the run's process group" in report.get("processes", "")
        self.metadata = report.get("metadata", "").startswith("on")
        self.memory = report.get("memory", "").startswith("on")
        self.files = report.get("files", "").startswith("on")
        self.limits = "limits locked" in report.get("privileges", "")
        self.signals = "no signals" in report.get("privileges", "")
        self.scratch = Path(scratch).resolve()

    def explain(self, exc: BaseException) -> str | None:
        """The sentence for a refusal by the sandbox, or None for any other error."""
        if self.limits and isinstance(exc, ValueError) and str(exc) == "not allowed to raise maximum limit":
            return LIMITS  # how Python's resource.setrlimit reports EPERM
        if self.network and any(type(cause).__name__ == "gaierror" for cause in _causes(exc)):
            return NETWORK  # urllib, requests ...: the name lookup's own socket was refused
        if not isinstance(exc, OSError) or exc.errno not in (errno.EPERM, errno.EACCES):
            return None
        frames = traceback.extract_tb(exc.__traceback__)
        files = [frame.filename.replace(os.sep, "/") for frame in frames]
        line = (frames[-1].line or "").lower() if frames else ""
        if self.network and (_mentions(files, _NETWORK_MODULES) or "socket" in line):
            return NETWORK
        # multiprocessing fails on its semaphore in /dev/shm (EACCES) before it gets to fork.
        if self.processes and (_mentions(files, _PROCESS_MODULES) or (
                exc.errno == errno.EPERM and any(word in line for word in _PROCESS_WORDS))):
            return PROCESSES
        if self.signals and exc.errno == errno.EPERM and ("kill" in line or "signal" in line):
            return SIGNALS
        # subprocess reports a refused setsid from its own frames: look at the learner's line too.
        all_lines = " ".join((frame.line or "") for frame in frames).lower()
        if self.groups and exc.errno == errno.EPERM and any(word in all_lines for word in _GROUP_WORDS):
            return GROUPS
        if self.memory and exc.errno == errno.EPERM and any(word in line for word in _MEMORY_WORDS):
            return MEMORY
        if self.metadata and exc.errno == errno.EPERM and any(word in line for word in _METADATA_WORDS):
            return self._metadata_refusal(exc.filename)
        if self.files and exc.errno == errno.EACCES and exc.filename is not None:
            return self._file_refusal(os.fsdecode(exc.filename))
        return None

    def _metadata_refusal(self, name: object) -> str | None:
        try:
            owner = os.stat(os.fsdecode(name)).st_uid
        except (OSError, TypeError, ValueError):
            return METADATA  # a descriptor, or a name relative to one: with the filter on, it was us
        # On a file of the user's own the kernel says yes (to all but chown to someone else); on
        # someone else's it says no whether or not the sandbox is on.
        return METADATA if owner == os.geteuid() else None

    def _file_refusal(self, name: str) -> str | None:
        path = Path(os.path.abspath(name))
        if path == self.scratch or self.scratch in path.parents:
            return None
        if path.parts[:2] == ("/", "dev"):
            return DEVICES
        # The user's own permissions (which access() checks, and Landlock does not affect) would
        # have allowed it, so the refusal was the sandbox's.
        target = path if path.exists() else path.parent
        return FILES if os.access(target, os.W_OK) else None


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception, what it wraps (URLError.reason) and what caused it, a few levels deep."""
    found: list[BaseException] = []
    current: object = exc
    while isinstance(current, BaseException) and len(found) < 8 and current not in found:
        found.append(current)
        reason = getattr(current, "reason", None)
        current = reason if isinstance(reason, BaseException) else (current.__cause__ or current.__context__)
    return found


def _mentions(files: list[str], needles: tuple[str, ...]) -> bool:
    return any(needle in name for name in files for needle in needles)
