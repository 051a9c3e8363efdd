"""The PyTorch workers as the app sees them: each device's worker state, the devices the probe
found, and switching device. The work happens on threads of the host's; they only post messages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Callable

from textual.dom import DOMNode
from textual.message import Message

from tutor import start_times
from tutor.lessons.model import Exercise
from tutor.session import Session, WorkerStartError


class DeviceWatch:
    @dataclass
    class StateChanged(Message):  # not "WorkerStateChanged": Textual has Worker.StateChanged
        """A device's worker pool reported a state: starting, ready, running, restarting, stopped."""

        device: str
        state: str

    @dataclass
    class StartFailed(Message):
        """The worker for a device could not start (no torch, device missing...)."""

        device: str
        reason: str

    @dataclass
    class Probed(Message):
        """What the probe process found: {"devices": [...], "torch": ..., "error"?: ...}."""

        info: dict

    def __init__(self, host: DOMNode, session: Session, probe: Callable[[], dict]) -> None:
        self.host = host
        self.session = session
        self.probe = probe
        self.states: dict[str, str] = {}  # device -> the last state its worker pool reported
        self.started_at: dict[str, float] = {}  # device -> when its worker was asked to start (monotonic)
        self.ever_ready: set[str] = set()  # devices whose worker has been ready since it was chosen
        self.info: dict | None = None  # the probe's answer, once it came
        self._last_start: dict[str, float | None] = {}  # device -> seconds its last start took (read once)

    def last_start_s(self, device: str) -> float | None:
        """How long the device's worker took to start last time on this machine (None: unknown)."""
        if device not in self._last_start:
            self._last_start[device] = start_times.last_start_s(self.session.config.python, device)
        return self._last_start[device]

    def _remember_start(self, device: str) -> None:
        """On the thread that waited: the worker is ready; note how long it took since it was asked
        for (what the learner waited, from the first screen), for next time's "3 s last time"."""
        started = self.started_at.get(device)
        if started is None:
            return
        seconds = time.monotonic() - started
        start_times.record_start_s(self.session.config.python, device, seconds)
        self._last_start[device] = seconds  # a restart after an idle release says this one

    def state_from_thread(self, device: str, state: str) -> None:
        """The session's listener, called on the worker pools' threads."""
        try:
            self.host.post_message(self.StateChanged(device, state))
        except RuntimeError:
            pass  # the app is shutting down and its loop is closed

    def wait_for_worker(self, device: str) -> None:
        """In the background: wait until the device's worker is up, then look for devices."""
        self.started_at.setdefault(device, time.monotonic())
        self.host.run_worker(partial(self._wait_for_worker, device), thread=True, exclusive=True,
                             group="startup", exit_on_error=False)

    def _wait_for_worker(self, device: str) -> None:
        if not self._ensure_ready(device):
            return
        # Look for devices now, once the worker is up (both import torch: not at the same time on a
        # small machine), so the device picker opens with its list ready.
        if self.info is None:
            self.host.post_message(self.Probed(self._probe_safely()))

    def note_state(self, device: str, state: str) -> None:
        self.states[device] = state
        if state in ("ready", "running"):
            self.ever_ready.add(device)
        elif state == "released":  # stopped for being idle: the next run starts it from nothing
            self.ever_ready.discard(device)
            self.started_at.pop(device, None)

    def ensure_ready(self, device: str) -> None:
        """In the background: wait for the device's worker, so its pool reports "ready" (a pool says
        so only when someone waits for it)."""
        self.host.run_worker(partial(self._ensure_ready, device), thread=True, group="ensure-ready",
                             exit_on_error=False)

    def _ensure_ready(self, device: str) -> bool:
        """Wait for the device's worker (on a thread); False, with StartFailed posted, when it cannot start."""
        try:
            self.session.pool(device).ready()
        except WorkerStartError as exc:
            self.host.post_message(self.StartFailed(device, str(exc)))
            return False
        self._remember_start(device)
        return True

    def probe_in_background(self) -> None:
        self.host.run_worker(lambda: self.host.post_message(self.Probed(self._probe_safely())), thread=True,
                             exclusive=True, group="probe", exit_on_error=False)

    def _probe_safely(self) -> dict:
        try:
            return self.probe()
        except Exception as exc:  # noqa: BLE001 - shown in the picker
            return {"devices": [], "error": str(exc)}

    def switch(self, device: str, exercise: Exercise | None) -> None:
        """Run on `device` from now on: its worker starts (the old device's stop), then the open
        exercise's reference is prepared there."""
        self.states[device] = "starting"
        self.ever_ready.discard(device)
        self.started_at[device] = time.monotonic()
        self.host.run_worker(partial(self._switch, device, exercise), thread=True, exclusive=True,
                             group="device", exit_on_error=False)

    def _switch(self, device: str, exercise: Exercise | None) -> None:
        self.session.set_device(device)  # stops the old device's workers, starts the new one's
        try:
            self.session.pool(device).ready()
        except WorkerStartError as exc:
            self.host.post_message(self.StartFailed(device, str(exc)))
            return
        self._remember_start(device)
        if exercise is not None:
            self.session.prepare(exercise)
