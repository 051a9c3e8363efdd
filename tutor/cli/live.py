"""What `check` and `watch` show while a run runs, on a terminal: a progress bar per loop the code
iterates with tqdm or `progress()` (rate and time left), drawn by rich and gone when the run ends.
Nothing when the output is piped or JSON: the verdict is all a script reads."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from tutor.safetext import visible
from tutor.sandbox.runspec import ProgressEvent, RunEvent


class LiveRun:
    def __init__(self, console: Console) -> None:
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                                 console=console, transient=True)
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def hear(self, event: RunEvent) -> None:
        """Called from the session's threads: rich's Progress is thread-safe."""
        if not isinstance(event, ProgressEvent):
            return
        label = visible(event.label) or "progress"
        rate = f"{event.rate:.1f}/s" if event.rate else ""
        with self._lock:
            task = self._tasks.get(label)
            if task is None:
                task = self._tasks[label] = self.progress.add_task(label, total=event.total, rate=rate)
        self.progress.update(task, completed=event.n, total=event.total, rate=rate)


@contextmanager
def live_run(console: Console, enabled: bool):
    """A listener for Session.check's `on_event`, or None when nothing is shown."""
    if not enabled or not console.is_terminal:
        yield None
        return
    live = LiveRun(console)
    with live.progress:
        yield live.hear
