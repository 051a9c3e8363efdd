"""The tutor's end of a worker's stdout and stderr: drained all the time, cut into runs by markers.

The tutor, not the worker, holds these pipes, so what a run printed before it hung or crashed is
still there to show. Each stream keeps the first `cap` bytes of a run and counts the rest.
"""

from __future__ import annotations

import codecs
import fcntl
import os
import selectors
import threading
import time
from dataclasses import dataclass
from typing import Callable

PIPE_SIZE = 1024 * 1024
FLUSH_INTERVAL = 0.05  # seconds: output reaches a listener in chunks at most this often
STREAM_NAMES = ("stdout", "stderr")
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


@dataclass
class Captured:
    text: str = ""
    dropped: int = 0


class _Stream:
    """One stream of one run. The run ends at the LAST end marker seen by the time its reply is
    in: learner code may print the marker itself (it runs in the worker and can read it), which
    only moves text from "printed" to "printed, then discarded"; the worker writes the real
    marker after the code ran, before the reply, so it is always the last one."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.marker = b""
        self._reset()

    def _reset(self) -> None:
        self.kept = bytearray()  # up to `cap` bytes since the run began
        self.dropped = 0
        self.confirmed = (0, 0)  # (kept, dropped) at the last marker seen: the run's output so far
        self.seen_marker = False
        self.tail = b""
        self.streamed = 0  # bytes of `kept` already handed to a listener
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def unstreamed(self) -> str:
        """Text kept since the last call (for a listener watching the run as it prints)."""
        new = bytes(self.kept[self.streamed:])
        self.streamed = len(self.kept)
        return self.decoder.decode(new)

    def begin(self, marker: bytes) -> None:
        """A new run: whatever came before is not its output."""
        self.marker = marker
        self._reset()

    def feed(self, chunk: bytes) -> None:
        if not self.marker:
            self._keep(chunk)  # between runs (start-up): kept for an error report
            return
        data = self.tail + chunk
        while (at := data.find(self.marker)) >= 0:
            self._keep(data[:at])
            self.confirmed = (len(self.kept), self.dropped)
            self.seen_marker = True
            data = data[at + len(self.marker):]
        keep = len(self.marker) - 1  # a marker may be split across two reads
        if len(data) > keep:
            self._keep(data[:-keep])
            data = data[-keep:]
        self.tail = data

    def _keep(self, data: bytes) -> None:
        room = self.cap - len(self.kept)
        self.kept += data[:max(room, 0)]
        self.dropped += max(0, len(data) - max(room, 0))

    def finish(self) -> Captured:
        """The run's output: everything before its last end marker."""
        kept, dropped = self.confirmed
        captured = Captured(self.kept[:kept].decode("utf-8", errors="replace"), dropped)
        self.marker = b""
        self._reset()
        return captured

    def take_partial(self) -> Captured:
        """Everything since the run began (it ended without a marker: killed or crashed)."""
        self._keep(self.tail)
        captured = Captured(self.kept.decode("utf-8", errors="replace"), self.dropped)
        self.marker = b""
        self._reset()
        return captured


def enlarge_pipe(fd: int) -> None:
    """Bigger pipe buffers: fewer wake-ups for large outputs and results (best effort)."""
    try:
        fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE)
    except OSError:
        pass


class OutputCapture:
    """Owns the read ends of one worker's stdout/stderr pipes and a thread that drains them."""

    def __init__(self, cap: int = 64 * 1024) -> None:
        self.read_fds: list[int] = []
        self.write_fds: list[int] = []
        self.streams: dict[int, _Stream] = {}
        for _ in range(2):
            read_fd, write_fd = os.pipe()
            enlarge_pipe(read_fd)
            os.set_blocking(read_fd, False)
            self.read_fds.append(read_fd)
            self.write_fds.append(write_fd)
            self.streams[read_fd] = _Stream(cap)
        self.condition = threading.Condition()
        self._read_lock = threading.Lock()  # one reader at a time, so chunks stay in order
        self.listener: Callable[[str, str], None] | None = None  # (stream name, text) as the run prints
        self._last_flush = 0.0
        self._flush_lock = threading.Lock()
        self.closed = False
        self.eof: set[int] = set()
        self.thread = threading.Thread(target=self._drain, name="ptref-capture", daemon=True)

    def start(self) -> None:
        """Call once the worker holds the write ends (they are closed here)."""
        for fd in self.write_fds:
            os.close(fd)
        self.write_fds = []
        self.thread.start()

    def _drain(self) -> None:
        selector = selectors.DefaultSelector()
        for fd in self.read_fds:
            selector.register(fd, selectors.EVENT_READ)
        try:
            while not self.closed and len(self.eof) < len(self.read_fds):
                # While a listener waits for text, look again soon: what came in is handed on
                # within FLUSH_INTERVAL, and in chunks no more often than that.
                for key, _ in selector.select(timeout=FLUSH_INTERVAL if self.listener else 0.5):
                    if key.fd in self.eof:
                        selector.unregister(key.fd)
                        continue
                    self._read(key.fd, selector)
                self._flush()
        finally:
            selector.close()
            with self.condition:
                self.eof.update(self.read_fds)
                self.condition.notify_all()

    def _read(self, fd: int, selector: selectors.BaseSelector | None) -> None:
        with self._read_lock:
            if fd in self.eof:
                return
            chunks = []
            while True:
                try:
                    chunk = os.read(fd, PIPE_SIZE)
                except BlockingIOError:
                    break
                except OSError:
                    chunk = b""
                if not chunk:
                    if selector is not None:
                        selector.unregister(fd)
                    with self.condition:
                        self.eof.add(fd)
                    break
                chunks.append(chunk)
            with self.condition:
                for chunk in chunks:
                    self.streams[fd].feed(chunk)
                self.condition.notify_all()

    def begin_run(self, marker: bytes, listener: Callable[[str, str], None] | None = None) -> None:
        """Call before sending a request: what is in the pipes now (start-up noise, anything a
        previous run left behind) is read and dropped, and the new run ends at `marker`. The
        listener, if any, hears the run's output as it arrives (from the capture's thread)."""
        for fd in list(self.read_fds):
            self._read(fd, None)
        with self.condition:
            for stream in self.streams.values():
                stream.begin(marker)
            self.listener = listener

    def _flush(self, force: bool = False) -> None:
        listener = self.listener
        if listener is None:
            return
        with self._flush_lock:  # text is handed on in the order it was printed
            now = time.monotonic()
            if not force and now - self._last_flush < FLUSH_INTERVAL:
                return
            self._last_flush = now
            with self.condition:
                texts = [(name, self.streams[fd].unstreamed()) for name, fd in zip(STREAM_NAMES, self.read_fds)]
            for name, text in texts:
                if text:
                    try:
                        listener(name, text)
                    except Exception:
                        pass  # a listener's failure must not stop the capture

    def _end_listening(self) -> None:
        self._flush(force=True)  # a listener has everything before the verdict arrives
        self.listener = None

    def finish_run(self, timeout: float) -> tuple[Captured, Captured]:
        """The output of the run that just replied. Its end markers went into the pipes before
        the reply was sent, so they are there now: read what the pipes hold, then cut."""
        for fd in list(self.read_fds):
            self._read(fd, None)
        self._end_listening()
        with self.condition:
            self.condition.wait_for(lambda: all(self.streams[fd].seen_marker or fd in self.eof
                                                for fd in self.read_fds), timeout=timeout)
            return tuple(self.streams[fd].finish() if self.streams[fd].seen_marker  # type: ignore[return-value]
                         else self.streams[fd].take_partial() for fd in self.read_fds)

    def _pop(self, fd: int) -> Captured:
        return self.streams[fd].take_partial()

    def take_now(self) -> tuple[Captured, Captured]:
        """What a killed run printed, without waiting for end of file: everything it wrote before
        the kill is already in the pipes, while the end of file waits for the kernel to tear the
        process down (tens of milliseconds for a worker holding torch)."""
        for fd in list(self.read_fds):
            self._read(fd, None)
        self._end_listening()
        with self.condition:
            return tuple(self._pop(fd) for fd in self.read_fds)  # type: ignore[return-value]

    def remaining(self, timeout: float) -> tuple[Captured, Captured]:
        """What a run printed before its worker died or was killed."""
        self.listener = None
        with self.condition:
            self.condition.wait_for(lambda: len(self.eof) == len(self.read_fds), timeout=timeout)
            return tuple(self._pop(fd) for fd in self.read_fds)  # type: ignore[return-value]

    def close(self) -> None:
        self.closed = True
        for fd in self.write_fds:
            os.close(fd)
        self.write_fds = []
        if self.thread.is_alive():
            self.thread.join(timeout=1.0)
        for fd in self.read_fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.read_fds = []
