"""seccomp filters, built with libseccomp through ctypes: refuse chosen system calls with an errno.

Each filter is installed on its own (a failure to build one must not cost the others), applies to
every thread of the worker (TSYNC) and to every process it starts, and can never be removed or
loosened: that is why a worker's policy is fixed when it starts.

A refused call fails with EPERM (Python raises PermissionError); the runner turns that into a
sentence a learner understands (see refusals.py). Standard library only.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform
import socket
import sys
from dataclasses import dataclass

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_ACT_ERRNO = 0x00050000
SCMP_FLTATR_CTL_TSYNC = 4
SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_EQ, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ = 1, 2, 4, 6, 7
CLONE_THREAD = 0x00010000


class SeccompUnavailable(Exception):
    """No seccomp here (not Linux, no libseccomp, a kernel or container that refuses filters)."""


@dataclass(frozen=True)
class Rule:
    """Refuse `syscall` with `error` when every (arg index, op, a, b) comparison holds.

    `number` is for calls newer than the libseccomp found here (it cannot resolve their names):
    calls added since Linux 5.1 have one number on every architecture but alpha, mips and ia64.
    """

    syscall: str
    error: int = errno.EPERM
    compare: tuple[tuple[int, int, int, int], ...] = ()
    number: int | None = None


def network_rules() -> list[Rule]:
    """No socket of any family but AF_UNIX: no TCP, UDP, raw, packet, vsock, bluetooth ...

    An allow-list (refuse below and above AF_UNIX) rather than a list of network families: a
    family we forgot must not become a way out. 64-bit comparisons also catch a family number
    smuggled in the upper bits. io_uring can open sockets without the socket() call, so it goes too.
    """
    unix = socket.AF_UNIX
    return [
        Rule("socket", compare=((0, SCMP_CMP_LT, unix, 0),)),
        Rule("socket", compare=((0, SCMP_CMP_GT, unix, 0),)),
        Rule("io_uring_setup"), Rule("io_uring_enter"), Rule("io_uring_register"),
    ]


def process_rules() -> list[Rule]:
    """No new processes and no programs run; threads (clone with CLONE_THREAD) stay allowed.

    clone3 passes its flags in memory a filter cannot read, so it answers ENOSYS: glibc then
    falls back to clone, whose flags we can check (the fallback systemd and Docker rely on too).
    Local AF_UNIX sockets go as well: they reach other programs' services (a docker.sock, say)
    and nothing a single process does in a tutor needs one.
    """
    return [
        Rule("fork"), Rule("vfork"),
        Rule("clone", compare=((0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0),)),
        Rule("clone3", error=errno.ENOSYS),
        Rule("execve"), Rule("execveat"),
        Rule("socket", compare=((0, SCMP_CMP_EQ, socket.AF_UNIX, 0),)),
    ]


def lockdown_rules() -> list[Rule]:
    """Keep the limits the worker set, and keep code away from other processes and namespaces.

    As root, a process could raise its own hard rlimits; glibc's setrlimit is prlimit64 with a new
    value (argument 2), while reading a limit passes NULL there and stays allowed.
    """
    return [
        Rule("setrlimit"),
        Rule("prlimit64", compare=((2, SCMP_CMP_NE, 0, 0),)),
        Rule("ptrace"), Rule("process_vm_readv"), Rule("process_vm_writev"),
        Rule("unshare"), Rule("setns"),
    ]


def metadata_rules() -> list[Rule]:
    """No changing the mode, owner, times, extended attributes or inode flags of any file.

    Landlock does not cover these, so they would reach every file the user owns (a world-writable
    ~/.bashrc is another user's way in). seccomp cannot see paths, so they go everywhere, the
    scratch folder included, and the fd-based ones too: code may open any readable file, and
    fchmod on a read-only descriptor of ~/.bashrc works as well as chmod on its path. Nothing a
    run needs uses them: torch.save, numpy.save, tempfile and DataLoader workers never do;
    shutil.copy (copymode) does, and its refusal names shutil.copyfile.
    """
    rules = [Rule(name) for name in (
        "chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown", "fchownat",
        "utime", "utimes", "utimensat", "futimesat",
        "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr")]
    rules += [Rule("fchmodat2", number=452), Rule("setxattrat", number=463),
              Rule("removexattrat", number=466), Rule("file_setattr", number=469)]
    if _generic_ioctl_numbers():
        # chattr through ioctl on a read-only descriptor (+d, +A ...; +i and +a need a capability
        # the worker has dropped). The kernel reads the command as 32 bits: compare only those.
        for command in (_iow("f", 2, 8), _iow("f", 2, 4), _iow("X", 32, 28)):  # SETFLAGS(32), FSSETXATTR
            rules.append(Rule("ioctl", compare=((1, SCMP_CMP_MASKED_EQ, 0xFFFFFFFF, command),)))
    return rules


def memory_rules() -> list[Rule]:
    """No shared memory made after the sandbox is on: it would escape the address-space limit.

    A memfd can be grown with ftruncate and filled with pwrite without ever being mapped, so
    RLIMIT_AS never sees it; SysV segments and message queues are not even freed when the worker
    dies. The tutor creates the result arena's memfd before the worker starts, so refusing
    memfd_create costs nothing. shmat goes too: it would attach other programs' segments.
    """
    return [Rule(name) for name in ("memfd_create", "shmget", "shmat", "shmctl", "msgget", "semget")]


def process_group_rules() -> list[Rule]:
    """For workers whose exercise may start processes: every process stays in the worker's group.

    The tutor starts each worker as the leader of its own session and process group, and a
    process can leave its group only through setsid or setpgid. With both refused, one killpg
    from the tutor reaches every process a run started, however it detached (double fork,
    re-parented to init) and even after the worker itself has died, and the kernel delivers it
    to processes being forked at that moment too. A /proc walk or a cgroup could not promise
    that everywhere; a PID namespace would, but needs privileges or user namespaces.
    """
    return [Rule("setsid"), Rule("setpgid")]


def _generic_ioctl_numbers() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64", "aarch64", "arm64", "riscv64", "s390x",
                                          "loongarch64")


def _iow(kind: str, number: int, size: int) -> int:
    return (1 << 30) | (size << 16) | (ord(kind) << 8) | number


def _unified_numbers() -> bool:
    return _generic_ioctl_numbers() or platform.machine().lower() in ("ppc64le", "ppc64", "armv7l", "i686",
                                                                      "i386")


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def _library() -> ctypes.CDLL:
    if not sys.platform.startswith("linux"):
        raise SeccompUnavailable("seccomp is Linux-only")
    for name in ("libseccomp.so.2", ctypes.util.find_library("seccomp")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name, use_errno=True)
        except OSError:
            continue
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_init.argtypes = [ctypes.c_uint32]
        lib.seccomp_release.argtypes = [ctypes.c_void_p]
        lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
        lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                               ctypes.c_uint, ctypes.POINTER(_ArgCmp)]
        lib.seccomp_load.argtypes = [ctypes.c_void_p]
        return lib
    raise SeccompUnavailable("libseccomp (libseccomp.so.2) is not installed")


def install(rules: list[Rule]) -> int:
    """Load one filter that refuses what `rules` describe; returns how many rules it holds.

    Raises SeccompUnavailable (with the reason) if the filter cannot be built or loaded; then
    nothing was installed.
    """
    lib = _library()
    context = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not context:
        raise SeccompUnavailable("seccomp_init failed")
    try:
        # Every thread, not just this one: torch and CUDA may already have started some.
        if lib.seccomp_attr_set(context, SCMP_FLTATR_CTL_TSYNC, 1) < 0:
            raise SeccompUnavailable("this libseccomp cannot apply a filter to all threads")
        added = 0
        for rule in rules:
            number = lib.seccomp_syscall_resolve_name(rule.syscall.encode())
            if number < 0 and rule.number is not None and _unified_numbers():
                number = rule.number  # newer than this libseccomp, but the kernel may have it
            if number < 0:
                continue  # not a system call on this architecture (fork on arm64): nothing to refuse
            compare = (_ArgCmp * max(len(rule.compare), 1))(*[_ArgCmp(*c) for c in rule.compare])
            result = lib.seccomp_rule_add_array(context, SCMP_ACT_ERRNO | rule.error, number,
                                                len(rule.compare), compare)
            if result < 0:
                raise SeccompUnavailable(f"cannot add a rule for {rule.syscall}: {_strerror(-result)}")
            added += 1
        result = lib.seccomp_load(context)
        if result < 0:
            raise SeccompUnavailable(f"the kernel refused the filter: {_strerror(-result)}")
        return added
    finally:
        lib.seccomp_release(context)


def _strerror(number: int) -> str:
    return f"{errno.errorcode.get(number, 'error')} ({os.strerror(number)})"
