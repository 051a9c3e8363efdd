"""The template: one process that imports torch and the worker's code once, runs nothing, and forks
workers on request, so they share its pages copy-on-write and start in milliseconds.

Started by the tutor as `python -m tutor.sandbox.worker --template FD`. It talks to the tutor over a
SOCK_SEQPACKET socket (descriptor FD): a fork request carries the worker's config and, as SCM_RIGHTS, the
descriptors the worker needs (its control pipes, its stdout and stderr, its result arena). The
child becomes a worker (tutor/sandbox/worker/main.py) in its own session and scratch folder; the
template reports its pid, and later its exit status. An exited worker stays a zombie until the
tutor says it is done with it ("release"): until then its pid cannot be given to another process,
so the tutor's kill of that pid and its process group can never hit someone else.

Why forking is safe here: a process that has started threads must not fork (GNU OpenMP and other
thread pools are not fork-safe: the child deadlocks), and CUDA cannot be used in a child forked
after it was initialised. The template runs no tensor operation and never touches CUDA; before
every fork it checks that it still has one thread, and refuses (and ends) otherwise.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
import time

MAX_MESSAGE = 1 << 20
MAX_FDS = 8


def threads_running() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def serve_template(fd: int) -> int:
    from tutor.sandbox.worker import oslimits

    oslimits.die_with_parent()
    channel = socket.socket(fileno=fd)
    started = time.perf_counter()
    # Python's recipe for forking without exec (the gc module's docs): the collector off while
    # importing, everything frozen before the first fork, the collector on in the children. With
    # it on, importing torch took ~1.3 s here instead of ~1.0 s (it walked the growing heap again
    # and again). No collection before freezing: it took ~170 ms to find ~7,000 objects (~1 MB)
    # of garbage from the imports, which now stay frozen, shared by every worker.
    gc.disable()
    try:
        _preload()
    except Exception as exc:  # torch missing or broken: the tutor starts workers the old way
        _send(channel, {"op": "hello", "ok": False, "error": f"{type(exc).__name__}: {exc}"})
        return 3
    import_ms = (time.perf_counter() - started) * 1000
    gc.freeze()  # the objects made so far are never scanned again: their pages stay shared
    gc.enable()
    threads = threads_running()
    if threads != 1:
        _send(channel, {"op": "hello", "ok": False,
                        "error": f"importing torch started {threads - 1} thread(s): forking would be unsafe"})
        return 3
    import torch

    _send(channel, {"op": "hello", "ok": True, "pid": os.getpid(), "import_ms": import_ms,
                    "torch": torch.__version__, "python": sys.version.split()[0], "executable": sys.executable})
    return _loop(channel)


# Everything a worker imports, imported once here (nothing is run). Not torch._dynamo: 80 MB and
# 900 modules that only torch.compile needs (a worker whose learner compiles imports it then).
PRELOAD = ("numpy", "torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.utils.data",
           "tutor.sandbox.worker.main", "tutor.sandbox.worker.runner", "tutor.sandbox.worker.probing",
           "tutor.sandbox.worker.encode", "tutor.sandbox.worker.events", "tutor.sandbox.worker.frame_facts",
           "tutor.sandbox.worker.protect", "tutor.sandbox.worker.refusals", "tutor.sandbox.worker.state")
OPTIONAL = ("tqdm.auto",)


def _preload() -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    for name in OPTIONAL:
        try:
            importlib.import_module(name)
        except Exception:
            pass


def _loop(channel: socket.socket) -> int:
    children: dict[int, bool] = {}  # pid -> exit reported
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # the wakeup fd does the work
    while True:
        ready, _, _ = select.select([channel, wake_read], [], [])
        if wake_read in ready:
            try:
                os.read(wake_read, 4096)
            except BlockingIOError:
                pass
        _report_exits(channel, children)
        if channel not in ready:
            continue
        try:
            message, fds, _, _ = socket.recv_fds(channel, MAX_MESSAGE, MAX_FDS)
        except OSError:
            return 0
        if not message:
            return 0  # the tutor is gone
        try:
            request = json.loads(message)
        except ValueError:
            _close(fds)
            continue
        op = request.get("op")
        if op == "fork":
            if threads_running() != 1:
                _close(fds)
                _send(channel, {"op": "refused", "error": "the template has started threads: it must not fork"})
                return 4
            template_pid = os.getpid()
            pid = os.fork()
            if pid == 0:
                channel.close()
                os.close(wake_read)
                os.close(wake_write)
                os._exit(_become_worker(request.get("config") or {}, fds, request.get("kind", "worker"), template_pid))
            _close(fds)
            children[pid] = False
            _send(channel, {"op": "forked", "pid": pid})
        elif op == "release":
            pid = request.get("pid")
            if isinstance(pid, int) and pid in children:
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
                children.pop(pid, None)
        elif op == "exit":
            return 0


def _report_exits(channel: socket.socket, children: dict[int, bool]) -> None:
    """Tell the tutor which children ended, without reaping them (their pids stay reserved)."""
    for pid, reported in list(children.items()):
        if reported:
            continue
        try:
            info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            info = None
            children.pop(pid, None)
            continue
        if info is None:
            continue
        status = info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
        children[pid] = True
        _send(channel, {"op": "exited", "pid": pid, "status": status})


def _become_worker(config: dict, fds: list[int], kind: str, template_pid: int) -> int:
    """In the child: take the descriptors, a session and a folder of its own, then serve as a worker."""
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        # The template's objects stay frozen here too: the worker's collections never walk torch's
        # heap (a full one took ~100 ms) nor write to its pages, which stay shared.
        os.setsid()  # the worker leads its own session and process group, as one started by the tutor
        from tutor.sandbox.worker import oslimits

        oslimits.die_with_parent()  # with the template, which dies with the tutor
        if os.getppid() != template_pid:
            return 1  # the template went away before we could ask to die with it
        names = config.pop("fds", [])
        mapping = dict(zip(names, fds))
        for target, name in ((1, "stdout"), (2, "stderr")):
            if name in mapping:
                os.dup2(mapping[name], target)
        for key in ("ctl_in", "ctl_out", "arena_fd"):
            if key in mapping:
                config[key] = mapping[key]
        for name in ("stdout", "stderr"):
            if name in mapping:
                os.close(mapping[name])
        for key, value in (config.pop("env", None) or {}).items():
            os.environ[str(key)] = str(value)
        import tempfile

        tempfile.tempdir = None  # TMPDIR changed: the scratch folder
        if config.get("scratch"):
            os.chdir(config["scratch"])
        from tutor.sandbox.worker.main import run_forked

        return run_forked(config, kind)
    except BaseException as exc:  # never return into the template's loop
        try:
            os.write(2, f"ptref-tutor: the forked worker failed to start: {type(exc).__name__}: {exc}\n".encode())
        except OSError:
            pass
        return 70


def _send(channel: socket.socket, message: dict) -> None:
    try:
        channel.sendmsg([json.dumps(message).encode()])
    except OSError:
        pass


def _close(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass

