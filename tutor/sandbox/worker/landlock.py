"""Landlock (Linux 5.13+): which files the worker may write, which it may read, and (on newer
kernels) no TCP and no signals to processes outside the sandbox. No root needed.

A ruleset lists the kinds of access it *handles*; everything handled is refused except beneath
the paths a rule names. It applies to this thread and every process and thread started from it
afterwards, and can never be loosened. The system calls are issued directly (numbers 444-446 are
the same on every architecture), so no library is needed. Standard library only.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
from dataclasses import dataclass, field

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER = 1 << 13  # ABI 2: rename and link across folders
TRUNCATE = 1 << 14  # ABI 3: truncate(), and open(O_TRUNC), which open(path, "w") uses
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

READ = READ_FILE | READ_DIR | EXECUTE
FILE_READ = READ_FILE | EXECUTE
# Device ioctls (ABI 5) are not handled: devices cannot be opened beyond the few we allow, and the
# GPU driver's ioctls on descriptors opened before the sandbox must keep working.


class LandlockUnavailable(Exception):
    """No Landlock here (not Linux, a kernel before 5.13, or disabled at boot)."""


@dataclass
class Rules:
    """Paths and what may be done beneath them (a file's rights apply to that file alone)."""

    allowed: list[tuple[str, int]] = field(default_factory=list)

    def add(self, path: str, access: int) -> None:
        self.allowed.append((path, access))


@dataclass
class Applied:
    abi: int
    tcp: bool  # TCP bind/connect refused
    scoped: bool  # no signals or abstract sockets to processes outside the sandbox
    skipped: list[str]  # rule paths that did not exist


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel's struct is __attribute__((packed)): 12 bytes
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscall():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc.syscall


def abi_version() -> int:
    """The kernel's Landlock ABI version; raises LandlockUnavailable with the reason."""
    if not sys.platform.startswith("linux"):
        raise LandlockUnavailable("Landlock is Linux-only")
    version = _syscall()(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    if version < 0:
        number = ctypes.get_errno()
        if number == errno.ENOSYS:
            raise LandlockUnavailable("this kernel has no Landlock (it needs Linux 5.13 or later)")
        if number == errno.EOPNOTSUPP:
            raise LandlockUnavailable("Landlock is built into this kernel but disabled at boot "
                                      "(add landlock to the lsm= kernel parameter)")
        raise LandlockUnavailable(f"Landlock cannot be used here: {os.strerror(number)}")
    return int(version)


def handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: EXECUTE .. MAKE_SYM
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    return rights


def restrict(rules: Rules, block_tcp: bool = True, scope: bool = True) -> Applied:
    """Apply `rules` to this thread and everything it starts. Needs PR_SET_NO_NEW_PRIVS first.

    Raises LandlockUnavailable (nothing applied) on any failure before the final step.
    """
    abi = abi_version()
    syscall = _syscall()
    handled = handled_fs(abi)
    attr = _RulesetAttr(handled_access_fs=handled)
    size = 8
    if abi >= 4 and block_tcp:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP  # no rule grants any port
        size = 16
    if abi >= 6 and scope:
        attr.scoped = SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX_SOCKET
        size = 24
    ruleset = syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise LandlockUnavailable(f"cannot create a Landlock ruleset: {os.strerror(ctypes.get_errno())}")
    skipped: list[str] = []
    try:
        for path, access in rules.allowed:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                skipped.append(path)
                continue
            try:
                if not os.path.isdir(path):
                    access &= EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE  # the only rights a file can have
                beneath = _PathBeneathAttr(allowed_access=access & handled, parent_fd=fd)
                if syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                           ctypes.byref(beneath), ctypes.c_uint32(0)) < 0:
                    raise LandlockUnavailable(f"cannot add a Landlock rule for {path}: "
                                              f"{os.strerror(ctypes.get_errno())}")
            finally:
                os.close(fd)
        if syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            raise LandlockUnavailable(f"Landlock refused to restrict this process: "
                                      f"{os.strerror(ctypes.get_errno())}")
    finally:
        os.close(ruleset)
    return Applied(abi=abi, tcp=bool(attr.handled_access_net), scoped=bool(attr.scoped), skipped=skipped)
