"""The tutor's side of a template process (tutor/sandbox/worker/template.py): start it, ask it to
fork workers, hear when they end.

A template imports torch once; every worker of the same interpreter and thread count is forked
from it, sharing its memory copy-on-write, and starts in milliseconds instead of seconds. Where a
template cannot run (not Linux, no torch, a torch whose import starts threads) the tutor starts
workers as fresh interpreters, as before: `Templates.get` returns None and says why.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tutor.paths import package_root

MAX_MESSAGE = 1 << 16
START_TIMEOUT = 180.0
FORK_TIMEOUT = 30.0
OFF_VARIABLE = "PTREF_NO_TEMPLATE"  # set (to anything) to start every worker as a fresh interpreter

# PR_SET_PDEATHSIG fires when the *thread* that started a process ends: templates are started
# from one long-lived thread, so they die with the tutor and with nothing else.
_starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ptref-template")


class TemplateError(RuntimeError):
    """The template could not start, or could not fork."""


class ForkedProcess:
    """A worker forked by a template, with the part of subprocess.Popen's interface the tutor uses.
    Its exit status comes from the template, which keeps the pid reserved until `release`."""

    def __init__(self, pid: int, template: "Template") -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._template = template
        self._ended = threading.Event()

    def _exited(self, status: int) -> None:
        self.returncode = status
        self._ended.set()

    def poll(self) -> int | None:
        if self._template.dead and not self._ended.is_set():
            self._exited(-9)  # the template died: its workers died with it (PR_SET_PDEATHSIG)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout) and self.poll() is None:
            raise subprocess.TimeoutExpired("worker", timeout or 0)
        return self.returncode  # type: ignore[return-value]

    def release(self) -> None:
        """The tutor is done with this pid (killed, reaped, cleaned up): the template may reap it."""
        self._template.release(self.pid)


@dataclass(frozen=True)
class TemplateKey:
    python: str
    threads: int


class Template:
    def __init__(self, key: TemplateKey, env: dict[str, str]) -> None:
        self.key = key
        self.dead = False
        self.spawned_at = time.monotonic()  # for the start-up timeline (bench, doctor)
        self.ready_at: float | None = None
        self.hello: dict = {}
        self._lock = threading.Lock()  # one fork request at a time
        self._children: dict[int, ForkedProcess] = {}
        self._retiring = False  # close once the last worker forked from it is released
        self._replies: list[dict] = []
        self._reply_ready = threading.Condition()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._channel = ours
        try:
            self._process = _starter.submit(self._start, theirs, env).result()
        finally:
            theirs.close()
        self._reader = threading.Thread(target=self._read, name="ptref-template-reader", daemon=True)
        self._reader.start()
        hello = self._next_reply(START_TIMEOUT)
        if hello is None or hello.get("op") != "hello" or hello.get("ok") is not True:
            self.close()
            reason = (hello or {}).get("error") if isinstance((hello or {}).get("error"), str) else None
            if reason is None and self._process.stderr is not None:
                lines = self._process.stderr.read(8192).decode("utf-8", "replace").strip().splitlines()
                reason = lines[-1] if lines else None
            raise TemplateError(reason or "the template did not start")
        self.hello = hello
        self.ready_at = time.monotonic()

    def _start(self, theirs: socket.socket, env: dict[str, str]) -> subprocess.Popen:
        # Its own output goes nowhere but errors (its workers get pipes of their own); a session of
        # its own, so a Ctrl-C in the terminal reaches the tutor, not the template.
        return subprocess.Popen([self.key.python, "-m", "tutor.sandbox.worker", "--template", str(theirs.fileno())],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                pass_fds=(theirs.fileno(),), env=env, start_new_session=True)

    @property
    def pid(self) -> int:
        return self._process.pid

    # -- the channel ------------------------------------------------------------------------------
    def _read(self) -> None:
        while True:
            try:
                message = self._channel.recv(MAX_MESSAGE)
            except OSError:
                message = b""
            if not message:
                break
            try:
                reply = json.loads(message)
            except ValueError:
                continue
            if not isinstance(reply, dict):
                continue
            if reply.get("op") == "exited":
                child = self._children.get(reply.get("pid"))  # type: ignore[arg-type]
                status = reply.get("status")
                if child is not None and isinstance(status, int):
                    child._exited(status)
                continue
            with self._reply_ready:
                self._replies.append(reply)
                self._reply_ready.notify_all()
        self.dead = True
        for child in list(self._children.values()):
            child.poll()
        with self._reply_ready:
            self._reply_ready.notify_all()

    def _next_reply(self, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        with self._reply_ready:
            while not self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or self.dead:
                    return None
                self._reply_ready.wait(left)
            return self._replies.pop(0)

    # -- forking ----------------------------------------------------------------------------------
    def fork(self, config: dict, fds: dict[str, int], kind: str = "worker") -> ForkedProcess:
        """A new worker (or a device probe, `kind="probe"`) with these descriptors, by name:
        ctl_in, ctl_out, stdout, stderr, and arena_fd where there is one."""
        names = list(fds)
        message = json.dumps({"op": "fork", "kind": kind, "config": dict(config, fds=names)}).encode()
        with self._lock:
            if self.dead:
                raise TemplateError("the template has ended")
            try:
                socket.send_fds(self._channel, [message], [fds[name] for name in names])
            except OSError as exc:
                raise TemplateError(f"could not reach the template: {exc}") from None
            reply = self._next_reply(FORK_TIMEOUT)
            if reply is None or reply.get("op") != "forked" or not isinstance(reply.get("pid"), int):
                self.dead = self.dead or reply is None or reply.get("op") == "refused"
                raise TemplateError(str((reply or {}).get("error") or "the template did not fork"))
            child = ForkedProcess(reply["pid"], self)
            self._children[child.pid] = child
            self._retiring = False
            return child

    def release(self, pid: int) -> None:
        self._children.pop(pid, None)
        if not self.dead:
            try:
                self._channel.send(json.dumps({"op": "release", "pid": pid}).encode())
            except OSError:
                pass
        if self._retiring and not self._children:
            self.close()

    def retire(self) -> None:
        """Close now if no worker forked from it is left, else when the last one is released."""
        self._retiring = True
        if not self._children:
            self.close()

    def close(self) -> None:
        self.dead = True
        try:
            self._channel.close()
        except OSError:
            pass
        try:
            os.killpg(self._process.pid, 9)
        except (ProcessLookupError, PermissionError, AttributeError):
            pass
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


class Templates:
    """One template per interpreter and thread count, started on first use, shared by the pools."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._templates: dict[TemplateKey, Template] = {}
        self._refused: dict[TemplateKey, str] = {}

    def get(self, python: str, threads: int) -> Template | None:
        if not sys.platform.startswith("linux") or os.environ.get(OFF_VARIABLE):
            return None
        key = TemplateKey(python, threads)
        with self._lock:
            template = self._templates.get(key)
            if template is not None and not template.dead:
                return template
            if key in self._refused:
                return None
            try:
                template = Template(key, template_environment(threads))
            except (TemplateError, OSError) as exc:
                self._refused[key] = str(exc)
                return None
            self._templates[key] = template
            return template

    def start_in_background(self, python: str, threads: int) -> None:
        """Begin starting the template now (a first worker will wait for it, not start another)."""
        threading.Thread(target=self.get, args=(python, threads), name="ptref-template-start", daemon=True).start()

    def retire_unused(self) -> None:
        """Close the templates no worker uses any more (an idle learner's), as their last workers go."""
        with self._lock:
            for key, template in list(self._templates.items()):
                template.retire()
                if template.dead:
                    del self._templates[key]

    def why_not(self, python: str, threads: int) -> str | None:
        return self._refused.get(TemplateKey(python, threads))

    def close(self) -> None:
        with self._lock:
            for template in self._templates.values():
                template.close()
            self._templates.clear()


def template_environment(threads: int) -> dict[str, str]:
    """What a template (and so every worker forked from it) starts with: thread pools size
    themselves when torch is loaded, so the thread count is the template's."""
    env = dict(os.environ)
    root = str(package_root())
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[name] = str(threads)
    return env


TEMPLATES = Templates()
