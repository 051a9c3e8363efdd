"""One worker process seen from the tutor: start it, send it a request, stop or kill it."""

from __future__ import annotations

import json
import os
import secrets
import select
import signal
import subprocess
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

from tutor.sandbox import arena, reap
from tutor.sandbox.capture import Captured, OutputCapture, enlarge_pipe
from tutor.sandbox.protocol import ChannelClosed, IncompleteFrame, ProtocolError, end_marker, read_frame, write_frame
from tutor.sandbox.runspec import EVENT_OP, Outcome, OutputEvent, RunEvent, event_from_wire
from tutor.sandbox.scratch import ScratchFolder
from tutor.sandbox.template import TEMPLATES, ForkedProcess, TemplateError, template_environment
from tutor.sandbox.worker_types import Exchange, WorkerSpec, WorkerStartError, describe_exit

EventListener = Callable[[RunEvent], None]


def _output_listener(on_event: EventListener | None) -> Callable[[str, str], None] | None:
    if on_event is None:
        return None
    return lambda stream, text: on_event(OutputEvent(stream, text))


# PR_SET_PDEATHSIG fires when the *thread* that forked the worker ends, so every worker is
# started from this one long-lived thread rather than from whichever thread asked.
_spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ptref-spawner")


class WorkerProcess:
    GRACE_AFTER_INTERRUPT = 0.5
    FRAME_GRACE = 2.0  # seconds a reply already on its way may take past the run's deadline
    STALE_REPLIES_SKIPPED = 4

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self._scratch = ScratchFolder()  # locked while this object may use it; see scratch.py
        self.scratch = self._scratch.path
        self.capture = OutputCapture(spec.output_cap)
        self.hello: dict | None = None
        self.created_at = time.monotonic()  # for the start-up timeline (bench, doctor)
        self.spawned_at: float | None = None  # forked (or its interpreter started)
        self.ready_at: float | None = None
        self.dead = False
        self.killed_at: float | None = None
        self.arena: arena.Arena | None = None  # set when the worker is spawned
        self._output_taken = threading.Event()
        self._ready_lock = threading.Lock()
        self._lock = threading.Lock()
        self._reaper: threading.Thread | None = None
        self._exit_hook = reap.at_exit(self._close_at_exit)
        self._future: Future = _spawner.submit(self._spawn)

    # -- start-up -------------------------------------------------------------------------------
    def _spawn(self) -> subprocess.Popen | ForkedProcess:
        to_worker_r, to_worker_w = os.pipe()
        from_worker_r, from_worker_w = os.pipe()
        for fd in (to_worker_w, from_worker_w):
            enlarge_pipe(fd)
        arena_fd = arena.create()
        self.arena = arena.Arena(arena_fd) if arena_fd is not None else None
        config = {
            "ctl_in": to_worker_r, "ctl_out": from_worker_w, "parent_pid": os.getpid(), "arena_fd": arena_fd,
            "device": self.spec.device, "threads": self.spec.threads,
            "memory_limit": self.spec.memory_limit, "file_size_limit": self.spec.file_size_limit,
            "open_files": self.spec.open_files, "scratch": self.scratch,
            "gpu_memory_fraction": self.spec.gpu_memory_fraction,
            "sandbox": {"processes": self.spec.allow_processes},
        }
        try:
            process = self._fork_from_template(config) or self._start_interpreter(config)
        finally:
            os.close(to_worker_r)
            os.close(from_worker_w)
        self.capture.start()
        self.ctl_out = to_worker_w
        self.ctl_in = from_worker_r
        self.spawned_at = time.monotonic()
        return process

    def _fork_from_template(self, config: dict) -> ForkedProcess | None:
        """A worker forked from the interpreter's template (milliseconds, memory shared), or None
        where there is no template (then a fresh interpreter starts)."""
        if self.spec.extra_env:  # an environment of its own needs an interpreter of its own
            return None
        template = TEMPLATES.get(self.spec.python, self.spec.threads)
        if template is None:
            return None
        fds = {"ctl_in": config["ctl_in"], "ctl_out": config["ctl_out"],
               "stdout": self.capture.write_fds[0], "stderr": self.capture.write_fds[1]}
        if config["arena_fd"] is not None:
            fds["arena_fd"] = config["arena_fd"]
        env = {key: value for key, value in self._worker_variables().items()}
        try:
            return template.fork(dict(config, env=env, forked=True), fds)
        except TemplateError:
            return None

    def _start_interpreter(self, config: dict) -> subprocess.Popen:
        return subprocess.Popen(
            [self.spec.python, "-m", "tutor.sandbox.worker", "--config", json.dumps(config)],
            stdin=subprocess.DEVNULL, stdout=self.capture.write_fds[0], stderr=self.capture.write_fds[1],
            pass_fds=tuple(fd for fd in (config["ctl_in"], config["ctl_out"], config["arena_fd"]) if fd is not None),
            start_new_session=True, cwd=self.scratch, env=self._environment(),
        )

    def _environment(self) -> dict[str, str]:
        env = template_environment(self.spec.threads)
        env.update(self._worker_variables())
        env.update(dict(self.spec.extra_env))
        return env

    def _worker_variables(self) -> dict[str, str]:
        """What this worker's environment has beyond its template's."""
        env = {"TMPDIR": self.scratch}  # the one folder the sandbox lets code write to
        if self.spec.device.startswith("cuda"):
            index = self.spec.device.partition(":")[2] or "0"
            visible = os.environ.get("CUDA_VISIBLE_DEVICES")
            if visible:  # the user's own mask: cuda:N is the Nth of those
                choices = [item.strip() for item in visible.split(",")]
                index = choices[int(index)] if int(index) < len(choices) else index
            env["CUDA_VISIBLE_DEVICES"] = index
            # The sandbox lets a worker write only in its scratch folder: torch's JIT kernel cache
            # (~/.cache/torch/kernels) would fail with a warning in the learner's output.
            env["USE_PYTORCH_KERNEL_CACHE"] = os.environ.get("USE_PYTORCH_KERNEL_CACHE", "0")
        return env

    @property
    def process(self) -> subprocess.Popen | ForkedProcess:
        return self._future.result()

    def alive(self) -> bool:
        """Not killed, and still running (a cheap check: one waitpid with WNOHANG)."""
        return not self.dead and self.process.poll() is None

    def wait_ready(self, timeout: float = 180.0) -> dict:
        """Block until the worker said hello; raise WorkerStartError if it cannot start."""
        with self._ready_lock:
            return self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> dict:
        if self.hello is not None:
            return self.hello
        process = self.process
        try:
            hello, _ = read_frame(self.ctl_in, self.arena, deadline=time.monotonic() + timeout)
        except IncompleteFrame:
            self.kill()
            raise WorkerStartError(f"the worker did not start within {timeout:.0f} s") from None
        except ProtocolError:
            hello = None
        if hello is None or hello.get("ok") is not True:
            _, err = self.capture.remaining(timeout=2.0)
            try:
                process.wait(timeout=1.0)  # it closed the pipe: it is exiting, or has exited
            except subprocess.TimeoutExpired:
                pass
            interrupted = hello is None and (self.dead or (process.returncode or 0) < 0)
            self.kill()
            reason = _text((hello or {}).get("error")) or _last_lines(err.text) or describe_exit(process.returncode)
            available = [name for name in (hello or {}).get("available") or [] if isinstance(name, str)]
            if available:
                reason += f" (devices here: {', '.join(available)})"
            raise WorkerStartError(f"the {self.spec.device} worker could not start with {self.spec.python}: "
                                   f"{reason}", available, interrupted)
        self.hello = hello
        self.ready_at = time.monotonic()
        return hello

    # -- requests -------------------------------------------------------------------------------
    def request(self, header: dict, buffers: list | tuple = (), timeout: float | None = None,
                cancel: threading.Event | None = None, on_event: EventListener | None = None) -> Exchange:
        """Send one request and wait for its reply, the timeout, a cancel, or the worker's death.
        `on_event` hears what the run says while it runs: its output as it arrives, progress and
        curve points (from the tutor's own threads: a listener must only hand them on).

        Whatever the worker sends is read as hostile (learner code runs in it and can write to
        the control pipe): every wait has a deadline, a reply must answer this request's id, and
        anything unreadable ends the worker with a "crashed" outcome instead of reaching the caller.
        """
        with self._lock:
            self.wait_ready()
            started = time.perf_counter()
            token = secrets.token_hex(8)  # names this request's reply and ends its output
            self._discard_stale_replies()
            self.capture.begin_run(end_marker(token), _output_listener(on_event))
            try:
                write_frame(self.ctl_out, dict(header, id=token, end=token), buffers)
            except (BrokenPipeError, OSError):
                return self._died(started)
            deadline = None if timeout is None else time.monotonic() + timeout
            stop = cancel.is_set if cancel is not None else None
            while (waited := self._wait(deadline, cancel)) == "readable":
                try:
                    reply, reply_buffers = self._read_reply(token, deadline, stop)
                except ChannelClosed:
                    return self._died(started)
                except ProtocolError as exc:
                    return self._unreadable(started, exc)
                if reply.get("op") == EVENT_OP:  # progress or curve points: the run goes on
                    if not self._deliver(reply, on_event):
                        return self._unreadable(started, ProtocolError("the worker sent a malformed event"))
                    continue
                stdout, stderr = self.capture.finish_run(timeout=2.0)
                return Exchange(None, reply, reply_buffers, stdout, stderr,
                                elapsed_ms=(time.perf_counter() - started) * 1000)
            if waited == "dead":
                return self._died(started)
            # Timed out or stopped: SIGINT first (a Python loop stops at once), then SIGKILL.
            ended = Outcome.STOPPED if waited == "stopped" else Outcome.TIMEOUT
            self.interrupt()
            grace = time.monotonic() + self.GRACE_AFTER_INTERRUPT
            while self._wait(grace, None) == "readable":
                try:
                    reply, reply_buffers = self._read_reply(token, grace, None)
                except ProtocolError:
                    break
                if reply.get("op") == EVENT_OP:
                    continue  # the run is over for the learner: late progress is not shown
                stdout, stderr = self.capture.finish_run(timeout=1.0)
                # A reply that is not the interrupted one: it finished just in time.
                finished = reply.get("outcome") != Outcome.STOPPED.value
                return Exchange(None if finished else ended, reply, reply_buffers, stdout, stderr,
                                elapsed_ms=(time.perf_counter() - started) * 1000)
            stdout, stderr = self._kill_and_collect()
            return Exchange(ended, None, [], stdout, stderr, "killed after it did not stop",
                            (time.perf_counter() - started) * 1000)

    @staticmethod
    def _deliver(frame: dict, on_event: EventListener | None) -> bool:
        """Pass an event on (validated first); False when it is malformed."""
        try:
            event = event_from_wire(frame)
        except ProtocolError:
            return False
        if on_event is not None:
            try:
                on_event(event)
            except Exception:
                pass  # a listener's failure must not break a run
        return True

    def _read_reply(self, token: str, deadline: float | None, stop) -> tuple[dict, list]:
        # A reply whose bytes are on their way when the run's time is up still gets a moment.
        frame_deadline = max(deadline or 0.0, time.monotonic() + self.FRAME_GRACE)
        for _ in range(self.STALE_REPLIES_SKIPPED + 1):
            try:
                reply, reply_buffers = read_frame(self.ctl_in, self.arena, deadline=frame_deadline, stop=stop)
            finally:
                if self.arena is not None:
                    self.arena.release_if_large()
            if reply.get("id") == token:
                return reply, reply_buffers
            # The real reply of a run whose code forged one: it answers nothing any more.
        raise ProtocolError("the worker keeps answering other requests (stale or forged replies)")

    def _discard_stale_replies(self) -> None:
        """The worker is idle between requests: anything in the control pipe now was written by
        the previous run's code (a forged reply, say) and must not answer this request."""
        os.set_blocking(self.ctl_in, False)
        try:
            while os.read(self.ctl_in, 1 << 16):
                pass
        except (BlockingIOError, OSError):
            pass
        finally:
            os.set_blocking(self.ctl_in, True)

    def _unreadable(self, started: float, error: ProtocolError) -> Exchange:
        stdout, stderr = self._kill_and_collect()
        reason = str(error) if isinstance(error, IncompleteFrame) else f"the worker sent an unreadable reply ({error})"
        return Exchange(Outcome.CRASHED, None, [], stdout, stderr, reason, (time.perf_counter() - started) * 1000)

    def _wait(self, deadline: float | None, cancel: threading.Event | None) -> str:
        """'readable', 'dead', 'timeout' or 'stopped'. Polls the cancel event every 20 ms.
        `deadline` is in time.monotonic() seconds."""
        while True:
            now = time.monotonic()
            if cancel is not None and cancel.is_set():
                return "stopped"
            if deadline is not None and now >= deadline:
                return "timeout"
            wait = 0.02 if cancel is not None else 0.25
            if deadline is not None:
                wait = min(wait, deadline - now)
            ready, _, _ = select.select([self.ctl_in], [], [], max(wait, 0))
            if ready:
                return "readable"
            if self.process.poll() is not None:
                ready, _, _ = select.select([self.ctl_in], [], [], 0)
                return "readable" if ready else "dead"

    def _died(self, started: float) -> Exchange:
        process = self.process
        try:
            process.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            pass
        stdout, stderr = self._kill_and_collect()
        return Exchange(Outcome.CRASHED, None, [], stdout, stderr, describe_exit(process.returncode),
                        (time.perf_counter() - started) * 1000)

    # -- stopping -------------------------------------------------------------------------------
    def interrupt(self) -> None:
        try:
            os.kill(self.process.pid, signal.SIGINT)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """SIGKILL the worker's whole process group; reaping and clean-up happen in the background."""
        self._signal_kill()
        self._output_taken.set()

    def _kill_and_collect(self) -> tuple[Captured, Captured]:
        """Kill, then keep what the run printed before the capture pipes are closed."""
        self._signal_kill()
        try:
            return self.capture.take_now()
        finally:
            self._output_taken.set()

    def _signal_kill(self) -> None:
        if self.dead:
            return
        self.dead = True
        self.killed_at = time.perf_counter()  # recovery is measured from here (benchmarks)
        process = self.process
        # The group, and the descendants found while the pid is surely still the worker's.
        reap.kill_worker(process.pid, walk=process.returncode is None)
        self._reaper = threading.Thread(target=self._reap, name="ptref-reaper", daemon=True)
        self._reaper.start()

    def _reap(self) -> None:
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        self._output_taken.wait(timeout=10)
        # A request still reading (the worker was killed from another thread, e.g. by close())
        # returns once it sees the pipes close: only then are its descriptors closed, so it can
        # never read a number the process has meanwhile given to another file.
        in_request = not self._lock.acquire(timeout=10)
        try:
            for fd in (self.ctl_in, self.ctl_out):
                try:
                    os.close(fd)
                except OSError:
                    pass
        finally:
            if not in_request:
                self._lock.release()
        self.capture.close()
        if self.arena is not None:
            self.arena.close()
            os.close(self.arena.fd)
        self._scratch.remove()
        reap.forget(self._exit_hook)
        if isinstance(self.process, ForkedProcess):
            self.process.release()  # its pid may now go to another process

    def _close_at_exit(self) -> None:
        """The tutor is exiting: kill now, and give the reaper a moment to remove the scratch folder."""
        try:
            self.kill()
            if self._reaper is not None:
                self._reaper.join(timeout=5.0)
        finally:
            self._scratch.remove()  # if the reaper could not finish in time (or the worker never started)

    def close(self) -> None:
        """Stop the worker now: it holds nothing that a gentler exit would save."""
        self.kill()


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:])
