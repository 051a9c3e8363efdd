"""A worker that is always there: the active worker plus a warm spare that takes over at once.

Starting a worker costs over a second (importing torch); promoting an already-started spare costs
milliseconds. After a timeout, a crash or anything that may have tainted the active worker, the
spare is promoted and a new spare starts in the background.
"""

from __future__ import annotations

import threading
from typing import Callable

from tutor.sandbox.client import EventListener, Exchange, WorkerProcess, WorkerSpec, WorkerStartError

StateListener = Callable[[str], None]


class WorkerPool:
    def __init__(self, spec: WorkerSpec, spare: bool = True, on_state: StateListener | None = None) -> None:
        self.spec = spec
        self.spare = spare
        self.on_state = on_state
        self._active: WorkerProcess | None = None
        self._spare: WorkerProcess | None = None
        self._lock = threading.RLock()
        self._run_lock = threading.Lock()
        self.state = "stopped"
        self.recycled = 0
        self.last_kill_at: float | None = None  # perf_counter() of the last worker kill

    def _set_state(self, state: str) -> None:
        self.state = state
        if self.on_state is not None:
            try:
                self.on_state(state)
            except Exception:
                pass  # a listener's failure must not break a run

    def start(self) -> None:
        """Begin starting the workers in the background (returns at once)."""
        with self._lock:
            if self._active is None:
                spare = self._take_spare()
                if spare is not None and not spare.alive():
                    spare.kill()  # it died while waiting (killed from outside): never promote it
                    spare = None
                self._active = spare or WorkerProcess(self.spec)
                self._set_state("starting")
            # The path to the first verdict goes first: the spare starts once the active worker
            # is ready (see ready()), not beside it, where both would share the cores.
            if self._active.hello is not None:
                self._start_spare()

    def _start_spare(self) -> None:
        with self._lock:
            if self.spare and self._spare is None and self._active is not None:
                self._spare = WorkerProcess(self.spec)

    def _take_spare(self) -> WorkerProcess | None:
        spare, self._spare = self._spare, None
        return spare

    def ready(self, timeout: float = 180.0) -> dict:
        """Wait for the active worker's hello (raises WorkerStartError)."""
        self.start()
        with self._lock:
            worker = self._active
        try:
            hello = worker.wait_ready(timeout)
        except WorkerStartError as exc:
            if not exc.interrupted:
                raise
            # Killed while it started (a spare killed mid-import, say): one fresh try.
            self.recycle(worker)
            with self._lock:
                worker = self._active
            hello = worker.wait_ready(timeout)
        if self.state in ("starting", "restarting"):
            self._set_state("ready")
        self._start_spare()
        return hello

    def wait_spare(self, timeout: float = 180.0) -> None:
        """Block until the spare has started (it then takes over a crashed run in milliseconds)."""
        with self._lock:
            spare = self._spare
        if spare is not None:
            spare.wait_ready(timeout)

    def request(self, header: dict, buffers: list | tuple = (), timeout: float | None = None,
                cancel: threading.Event | None = None, on_event: EventListener | None = None) -> Exchange:
        with self._run_lock:
            self.ready()
            with self._lock:
                worker = self._active
            if not worker.alive():  # it died between runs: this run must not pay for that
                self.recycle(worker)
                self.ready()
                with self._lock:
                    worker = self._active
            self._set_state("running")
            exchange = worker.request(header, buffers, timeout=timeout, cancel=cancel, on_event=on_event)
            if worker.dead or (exchange.reply or {}).get("recycle"):
                self.recycle(worker)
            else:
                self._set_state("ready")
            return exchange

    def recycle(self, worker: WorkerProcess | None = None) -> None:
        """Replace the active worker with the spare (killing the old one) and start a new spare."""
        with self._lock:
            if worker is not None and worker is not self._active:
                return
            old = self._active
            self._active = None
            self.recycled += 1
            self._set_state("restarting")
            self.start()
        if old is not None:
            old.kill()
            self.last_kill_at = old.killed_at

    def close(self) -> None:
        with self._lock:
            for worker in (self._active, self._spare):
                if worker is not None:
                    worker.close()
            self._active = self._spare = None
            self._set_state("stopped")

    @property
    def active_pid(self) -> int | None:
        with self._lock:
            worker = self._active
        return worker.process.pid if worker is not None else None

    @property
    def spare_pid(self) -> int | None:
        with self._lock:
            worker = self._spare
        return worker.process.pid if worker is not None else None
