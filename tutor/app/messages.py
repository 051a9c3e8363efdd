"""Messages named after the pipeline. Worker threads only ever post these; handlers touch widgets."""

from __future__ import annotations

from textual.message import Message

from tutor.checking.verdict import Verdict


class ExerciseChosen(Message):
    """The learner picked an exercise (lesson tree, command palette)."""

    def __init__(self, full_id: str) -> None:
        super().__init__()
        self.full_id = full_id


class RunRequested(Message):
    """Check this code for this exercise."""

    def __init__(self, full_id: str, code: str) -> None:
        super().__init__()
        self.full_id = full_id
        self.code = code


class RunFinished(Message):
    """A run ended with a verdict (passed, failed, error, timeout, crashed, or stopped)."""

    def __init__(self, run_id: int, full_id: str, verdict: Verdict, round_trip_ms: float) -> None:
        super().__init__()
        self.run_id = run_id
        self.full_id = full_id
        self.verdict = verdict
        self.round_trip_ms = round_trip_ms


class RunFailed(Message):
    """A run could not be judged: the lesson is broken, or no worker could start."""

    def __init__(self, run_id: int, full_id: str, reason: str, kind: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.full_id = full_id
        self.reason = reason
        self.kind = kind  # "lesson" | "worker" | "internal"


class SandboxStateChanged(Message):  # not "WorkerStateChanged": Textual has Worker.StateChanged
    """The worker pool of a device reported a state: starting, ready, running, restarting, stopped."""

    def __init__(self, device: str, state: str) -> None:
        super().__init__()
        self.device = device
        self.state = state


class SandboxStartFailed(Message):
    """The worker for a device could not start (no torch, device missing...)."""

    def __init__(self, device: str, reason: str) -> None:
        super().__init__()
        self.device = device
        self.reason = reason


class DevicesProbed(Message):
    """What the probe process found: {"devices": [...], "torch": ..., "error"?: ...}."""

    def __init__(self, info: dict) -> None:
        super().__init__()
        self.info = info
