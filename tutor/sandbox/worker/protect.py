"""Install the worker's protections once, after torch is imported and warmed up, and say honestly
which are on.

Each protection is installed on its own and then *tested* (a refused socket, a refused fork, a
refused write outside the scratch folder): a protection that cannot be installed, or that is
installed but does not hold, is reported "off" with the reason, and the worker carries on without
it. Nothing here runs per run: the cost is paid once per worker.

The report goes into the worker's hello as {"network", "processes", "files", "metadata", "memory",
"privileges"}, each a sentence starting with "on:", "partial:" or "off:" (shown by `ptref-tutor doctor`).
"""

from __future__ import annotations

import ctypes
import glob
import os
import socket
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from tutor.sandbox.worker import landlock, privileges, seccomp

PROTECTIONS = ("network", "processes", "files", "metadata", "memory", "privileges")
OFF_VARIABLE = "PTREF_SANDBOX_OFF"  # e.g. "files,processes": a documented escape hatch, reported


@dataclass(frozen=True)
class Policy:
    processes: bool = False  # the exercise may start processes (DataLoader workers, subprocess)

    @classmethod
    def from_config(cls, config: dict) -> "Policy":
        return cls(processes=bool((config.get("sandbox") or {}).get("processes", False)))


def install(policy: Policy, scratch: Path, device_type: str) -> dict[str, str]:
    """Apply every protection this machine allows; return the report for the hello message."""
    turned_off = {name.strip() for name in os.environ.get(OFF_VARIABLE, "").split(",") if name.strip()}
    report: dict[str, str] = {}
    if not sys.platform.startswith("linux"):
        reason = f"off: seccomp and Landlock are Linux-only (this is {sys.platform})"
        return {name: reason for name in PROTECTIONS}
    try:
        privileges.no_new_privs()  # Landlock and seccomp need it; setuid programs gain nothing
    except privileges.PrivilegesError as exc:
        reason = f"off: no-new-privileges could not be set ({exc})"
        return {name: reason for name in PROTECTIONS}

    landlock_state = "off: turned off by " + OFF_VARIABLE
    applied = None
    if "files" not in turned_off:
        try:
            applied = landlock.restrict(file_rules(scratch, policy, device_type))
        except landlock.LandlockUnavailable as exc:
            landlock_state = f"off: {exc}"
    report["files"] = _files_report(applied, landlock_state, scratch, policy)

    report["network"] = _install_filter("network", seccomp.network_rules(), turned_off)
    if report["network"].startswith("on"):
        report["network"] = _network_report(applied)
    elif applied is not None and applied.tcp:
        report["network"] = ("partial: TCP connections and listening refused (Landlock), but UDP and "
                             "raw sockets are not: " + report["network"].removeprefix("off: "))

    report["metadata"] = _install_filter("metadata", seccomp.metadata_rules(), turned_off)
    if report["metadata"].startswith("on"):
        report["metadata"] = _metadata_report(scratch)
    report["memory"] = _install_filter("memory", seccomp.memory_rules(), turned_off)
    if report["memory"].startswith("on"):
        report["memory"] = _memory_report()

    if policy.processes:
        report["processes"] = _processes_allowed_report(
            _install_filter("processes", seccomp.process_group_rules(), turned_off))
    else:
        report["processes"] = _install_filter("processes", seccomp.process_rules(), turned_off)
        if report["processes"].startswith("on"):
            report["processes"] = _processes_report()

    report["privileges"] = _privileges_report(turned_off, applied)
    return report


def file_rules(scratch: Path, policy: Policy, device_type: str) -> landlock.Rules:
    """Reads: everything outside /dev (the user's own permissions still apply) plus a few harmless
    devices. Writes: the scratch folder, /dev/null, and what processes or the GPU driver need."""
    rules = landlock.Rules()
    rules.add("/", landlock.READ_DIR)
    with os.scandir("/") as entries:
        for entry in entries:
            # Not /dev: reading raw disks or other devices is nothing a lesson needs.
            if entry.name != "dev" and entry.is_dir():
                rules.add(entry.path, landlock.READ)
    for name in ("zero", "full", "random", "urandom"):
        rules.add(f"/dev/{name}", landlock.FILE_READ)
    rules.add("/dev/null", landlock.READ_FILE | landlock.WRITE_FILE | landlock.TRUNCATE)
    everything = landlock.handled_fs(3) & ~(landlock.MAKE_CHAR | landlock.MAKE_BLOCK)
    rules.add(str(scratch), everything)  # tempfile uses it too: the tutor points TMPDIR there
    if policy.processes:
        rules.add("/dev/shm", everything)  # multiprocessing semaphores, torch's shared tensors
    if device_type == "cuda":  # the driver may open its devices again (NVML, UVM, IPC)
        for path in glob.glob("/dev/nvidia*") + glob.glob("/dev/dri/*") + ["/dev/kfd"]:
            rules.add(path, landlock.READ_FILE | landlock.WRITE_FILE)
    return rules


def _install_filter(name: str, rules: list[seccomp.Rule], turned_off: set[str]) -> str:
    if name in turned_off:
        return "off: turned off by " + OFF_VARIABLE
    try:
        seccomp.install(rules)
    except seccomp.SeccompUnavailable as exc:
        return f"off: {exc}"
    except OSError as exc:
        return f"off: seccomp failed: {exc}"
    return "on"


def _network_report(applied: landlock.Applied | None) -> str:
    for family, kind in ((socket.AF_INET, socket.SOCK_STREAM), (socket.AF_INET6, socket.SOCK_DGRAM)):
        try:
            probe = socket.socket(family, kind)
        except PermissionError:
            continue
        except OSError:
            continue  # no IPv6 on this host: nothing to refuse
        probe.close()
        return f"off: a filter was installed, yet a {family.name} socket still opened"
    text = "on: no network sockets (seccomp refuses socket() for every family but AF_UNIX, and io_uring)"
    return text + ("; TCP is refused by Landlock as well" if applied is not None and applied.tcp else "")


def _processes_report() -> str:
    try:
        pid = os.fork()
    except PermissionError:
        return ("on: no new processes and no programs run (seccomp refuses fork, vfork, clone without "
                "CLONE_THREAD, clone3, exec, and local AF_UNIX sockets); threads work")
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return "off: a filter was installed, yet a test fork succeeded"


def _processes_allowed_report(group_filter: str) -> str:
    allowed = "off for this worker: its exercise allows starting processes (sandbox.processes = true); "
    if group_filter.startswith("on") and _setsid_refused_in_a_child():
        return allowed + ("they cannot leave the run's process group (seccomp refuses setsid and "
                          "setpgid), so the watchdog and the tutor's exit kill every one of them")
    return allowed + ("the watchdog kills the process group and what the worker adopted, but a process "
                      "that calls setsid can outlive the worker (" + group_filter.removeprefix("off: ") + ")")


def _setsid_refused_in_a_child() -> bool:
    """A session leader (the worker) cannot call setsid anyway: only a child shows the filter works."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
        except PermissionError:
            os._exit(0)
        os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _metadata_report(scratch: Path) -> str:
    """Each family once, on the scratch folder, as a no-op (same mode, owner, times) unless refused."""
    before = os.stat(scratch)
    probes = {
        "chmod": lambda: os.chmod(scratch, stat.S_IMODE(before.st_mode)),
        "chown": lambda: os.chown(scratch, -1, -1),
        "utime": lambda: os.utime(scratch, ns=(before.st_atime_ns, before.st_mtime_ns)),
        "removexattr": lambda: os.removexattr(scratch, "user.ptref-probe"),
    }
    for name, probe in probes.items():
        try:
            probe()
        except PermissionError:
            continue
        except OSError:
            pass  # e.g. ENODATA: the call reached the file system
        return f"off: a filter was installed, yet a test {name} reached the file system"
    return ("on: no file's permissions, owner, times or extended attributes can change, not even in the "
            "scratch folder (seccomp refuses chmod, chown, utime, setxattr, chattr and their variants)")


def _memory_report() -> str:
    try:
        fd = os.memfd_create("ptref-probe", os.MFD_CLOEXEC)
    except PermissionError:
        pass
    else:
        os.close(fd)
        return "off: a filter was installed, yet a test memfd_create succeeded"
    libc = ctypes.CDLL(None, use_errno=True)
    segment = libc.shmget(0, 4096, 0o1000 | 0o600)  # IPC_PRIVATE, IPC_CREAT
    if segment >= 0:
        libc.shmctl(segment, 0, None)  # IPC_RMID
        return "off: a filter was installed, yet a test shmget succeeded"
    return ("on: no shared memory beyond the memory limit (seccomp refuses memfd_create and SysV "
            "shared memory, message queues and semaphores)")


def _files_report(applied: landlock.Applied | None, state: str, scratch: Path, policy: Policy) -> str:
    if applied is None:
        return state
    outside = scratch.parent / f".ptref-probe-{os.getpid()}"
    try:
        fd = os.open(outside, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except PermissionError:
        pass
    except OSError as exc:  # e.g. a read-only /tmp: the test says nothing about Landlock
        return f"off: Landlock was applied, but it could not be tested ({exc.strerror})"
    else:
        os.close(fd)
        os.unlink(outside)
        return "off: Landlock was applied, yet a test write outside the scratch folder succeeded"
    where = "/dev/null and /dev/shm" if policy.processes else "/dev/null"
    return (f"on: writes only in the run's scratch folder and {where} (Landlock ABI {applied.abi}); "
            "reads everywhere but /dev, within the user's own permissions")


def _privileges_report(turned_off: set[str], applied: landlock.Applied | None) -> str:
    if "privileges" in turned_off:
        return "off: turned off by " + OFF_VARIABLE + " (no-new-privileges is still set)"
    parts, missing = ["no new privileges"], []
    try:
        parts.append("capabilities dropped (the tutor runs as root)" if privileges.drop_capabilities()
                     else "no capabilities held")
    except privileges.PrivilegesError as exc:
        missing.append(f"capabilities kept ({exc})")
    locked = _install_filter("privileges", seccomp.lockdown_rules(), set())
    if locked == "on" and _limits_locked():
        parts.append("hard limits locked, no ptrace or namespaces (seccomp)")
    else:
        missing.append("limits not locked by seccomp (" + locked.removeprefix("off: ") + ")")
    if applied is not None and applied.scoped:
        parts.append("no signals to processes outside the sandbox (Landlock)")
    if missing:
        return "partial: " + "; ".join(parts) + "; but " + "; ".join(missing)
    return "on: " + "; ".join(parts)


def _limits_locked() -> bool:
    try:
        import resource
    except ImportError:
        return False
    current = resource.getrlimit(resource.RLIMIT_CORE)
    try:
        resource.setrlimit(resource.RLIMIT_CORE, current)  # a no-op, unless it is refused
    except (PermissionError, ValueError):  # Python reports EPERM here as ValueError
        return True
    return False
