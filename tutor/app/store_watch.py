"""Progress and drafts changed by another process (another tutor, `ptref-tutor watch`), noticed
within a second: a thread polls the store's data_version (SQLite bumps it only for commits of
other connections, so this app's own writes never wake it) and, on a change, reads the progress
and the open exercise's draft and posts them. Polling, not inotify: the database may live on a
network file system, and SQLite's WAL files change on every read as well."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from textual.message import Message
from textual.message_pump import MessagePump

from tutor.progress.store import ExerciseProgress, ProgressStore

POLL_INTERVAL = 0.5  # seconds


class StoreWatch:
    @dataclass
    class Changed(Message):
        """Another process changed the store: the progress now, and the draft of `exercise`."""

        progress: dict[str, ExerciseProgress]
        exercise: str | None
        draft: str | None

    def __init__(self, host: MessagePump, store: ProgressStore, interval: float = POLL_INTERVAL) -> None:
        self.host = host
        self.store = store
        self.interval = interval
        self.exercise: str | None = None  # whose draft to read (set by the screen as exercises open)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._poll, name="ptref-store-watch", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self._thread = None

    def _poll(self) -> None:
        try:
            seen = self.store.data_version()
            while not self._stop.wait(self.interval):
                version = self.store.data_version()
                if version == seen:
                    continue
                seen = version
                exercise = self.exercise
                progress = self.store.summary()
                draft = self.store.draft(exercise) if exercise else None
                self.host.post_message(self.Changed(progress, exercise, draft))
        except Exception:  # noqa: BLE001 - the store closed under us (quitting): stop watching
            return
