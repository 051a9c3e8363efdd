"""No new privileges, and no capabilities: a worker started by root keeps root's uid but not its powers.

PR_SET_NO_NEW_PRIVS is what lets an unprivileged process install seccomp filters and Landlock
rules, and it stops setuid programs and file capabilities from giving anything back. Dropping the
capabilities matters when the tutor runs as root (containers, CI): without CAP_SYS_RESOURCE the
hard rlimits cannot be raised again, without CAP_DAC_OVERRIDE other users' private files stay
private, without CAP_SYS_ADMIN, CAP_NET_ADMIN ... nothing global can be changed. Standard library only.
"""

from __future__ import annotations

import ctypes
import os
import sys

PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522


class PrivilegesError(Exception):
    """A step failed; the message says which."""


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _libc() -> ctypes.CDLL:
    if not sys.platform.startswith("linux"):
        raise PrivilegesError("not Linux")
    return ctypes.CDLL(None, use_errno=True)


def _prctl(libc: ctypes.CDLL, *args: int) -> int:
    values = [ctypes.c_ulong(a) for a in args] + [ctypes.c_ulong(0)] * (5 - len(args))
    return libc.prctl(*values)


def no_new_privs() -> None:
    libc = _libc()
    if _prctl(libc, PR_SET_NO_NEW_PRIVS, 1) != 0:
        raise PrivilegesError(f"PR_SET_NO_NEW_PRIVS failed: {os.strerror(ctypes.get_errno())}")


def effective_capabilities() -> int:
    """The CapEff mask from /proc/self/status (0: none), or -1 where it cannot be read."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return -1


def drop_capabilities() -> bool:
    """Give up every capability, for good. Returns False when there were none to drop."""
    libc = _libc()
    if effective_capabilities() == 0:
        return False
    try:
        with open("/proc/sys/kernel/cap_last_cap") as handle:
            last = int(handle.read())
    except (OSError, ValueError):
        last = 63
    # The bounding set first (dropping it needs CAP_SETPCAP, which goes next), so no exec can
    # bring a capability back; a cap already outside the set fails harmlessly.
    for cap in range(last + 1):
        _prctl(libc, PR_CAPBSET_DROP, cap)
    _prctl(libc, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()  # all zero: effective, permitted and inheritable emptied
    if libc.capset(ctypes.byref(header), data) != 0:
        raise PrivilegesError(f"capset failed: {os.strerror(ctypes.get_errno())}")
    if effective_capabilities() != 0:
        raise PrivilegesError("capabilities are still held after capset")
    return True
