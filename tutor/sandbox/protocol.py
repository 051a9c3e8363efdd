"""The wire between tutor and worker: a length-prefixed JSON header, then raw buffers.

Frame: 8-byte magic+length prefix, the UTF-8 JSON header, then the buffers whose byte counts the
header lists under "buffers". No pickle ever crosses: the worker runs untrusted code, and the
tutor must be able to read its answers without executing anything. Standard library only: the
worker imports this module inside interpreters that may not have the tutor's dependencies.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Callable

MAGIC = b"PTRF"
SCRATCH_PREFIX = "ptref-run-"  # the only directories a worker will ever empty
_PREFIX = struct.Struct("<4sI")
MAX_HEADER_BYTES = 16 * 1024 * 1024
# Everything one reply may carry (header and buffers): checked against what a header promises
# before anything is allocated. The worker's encoder keeps within it (larger values travel as a
# "too large to compare" note), so only a worker that lies reaches it.
MAX_REPLY_BYTES = 1024**3
POLL_SECONDS = 0.02  # how often a waiting reader looks at its stop condition


def end_marker(token: str) -> bytes:
    """What the worker writes on its stdout and stderr after a run: a value of that request only
    (never on the command line or in the environment, where learner code could find it early)."""
    return ("\x1e\x1fPTREF-END:" + token + "\x1f\x1e").encode()


class ProtocolError(Exception):
    """The other side sent something that is not a frame (or went away mid-frame)."""


class ChannelClosed(ProtocolError):
    """End of file: the other side has gone (before a frame, or in the middle of one)."""


class IncompleteFrame(ProtocolError):
    """The other side stopped sending in the middle of a frame until the reader's deadline."""


def write_frame(fd: int, header: dict, buffers: list | tuple = (), arena=None) -> None:
    """Send a frame; with an arena, large buffers go through shared memory instead of the pipe."""
    views = [memoryview(buffer).cast("B") for buffer in buffers]
    entries = arena.place(views) if arena is not None and views else [view.nbytes for view in views]
    header = dict(header, buffers=entries)
    body = json.dumps(header, separators=(",", ":")).encode()
    parts = [_PREFIX.pack(MAGIC, len(body)) + body]
    parts += [view for view, entry in zip(views, entries) if isinstance(entry, int) and view.nbytes]
    _write_all(fd, parts)


def _write_all(fd: int, parts: list) -> None:
    """Write the parts in order with as few system calls as the pipe allows: one, usually, so the
    reader wakes once per frame instead of once per buffer."""
    views = [memoryview(part).cast("B") for part in parts]
    first = 0  # the first view not yet wholly written
    while first < len(views):
        written = _writev(fd, views[first:first + _IOV_MAX])
        while first < len(views) and written >= views[first].nbytes:
            written -= views[first].nbytes
            first += 1
        if written:
            views[first] = views[first][written:]


def _write_one(fd: int, views: list) -> int:
    return os.write(fd, views[0])


_writev = getattr(os, "writev", _write_one)
_IOV_MAX = 1024  # Linux's and macOS's limit on buffers per writev


class _Deadline:
    """When a reader must give up on the other side, and how often it looks."""

    def __init__(self, deadline: float | None, stop: Callable[[], bool] | None) -> None:
        self.deadline = deadline
        self.stop = stop

    def wait_readable(self, fd: int, got: int, size: int) -> None:
        if self.deadline is None and self.stop is None:
            return  # block in read(): the worker's side, waiting for its next request
        wait = 0.0  # bytes already there are read whatever the stop says: only a stall is cut short
        while True:
            ready, _, _ = select.select([fd], [], [], wait)
            if ready:
                return
            left = None if self.deadline is None else self.deadline - time.monotonic()
            if (left is not None and left <= 0) or (self.stop is not None and self.stop()):
                raise IncompleteFrame(f"the worker sent an incomplete reply ({got} of {size} bytes, then nothing)")
            wait = POLL_SECONDS if left is None else min(POLL_SECONDS, left)


def read_frame(fd: int, arena=None, *, deadline: float | None = None, stop: Callable[[], bool] | None = None,
               budget: int = MAX_REPLY_BYTES) -> tuple[dict, list]:
    """Read one frame. `deadline` (time.monotonic()) and `stop` bound every wait for bytes, so a
    sender that stalls mid-frame cannot hold the reader; `budget` bounds what a header may promise.
    Buffers come back as bytes-like objects (numpy arrays for large ones: their pages are only
    touched as data arrives, so a header that promises much and sends little costs little)."""
    limits = _Deadline(deadline, stop)
    prefix = _read_exact(fd, _PREFIX.size, limits, at_start=True)
    magic, length = _PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise ProtocolError(f"bad frame magic {magic!r}")
    if length > min(MAX_HEADER_BYTES, budget):
        raise ProtocolError(f"frame header of {length} bytes is over the limit")
    try:
        header = json.loads(_read_exact(fd, length, limits))
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
        raise ProtocolError(f"frame header is not JSON: {str(exc)[:200]}") from None
    if not isinstance(header, dict):
        raise ProtocolError("frame header is not a JSON object")
    entries = header.get("buffers", [])
    if not isinstance(entries, list):
        raise ProtocolError("frame lists invalid buffer sizes")
    sizes = [_entry_size(entry, arena) for entry in entries]
    if length + sum(sizes) > budget:
        raise ProtocolError(f"the reply promises {length + sum(sizes):,} bytes, over the {budget:,} allowed")
    buffers = []
    for entry, size in zip(entries, sizes):
        if isinstance(entry, int):
            buffers.append(_read_exact(fd, size, limits, lazy=True))
        else:
            buffers.append(arena.take(entry["arena"], size))
    return header, buffers


def _entry_size(entry: object, arena) -> int:
    if isinstance(entry, int) and not isinstance(entry, bool) and entry >= 0:
        return entry
    if isinstance(entry, dict) and arena is not None:
        offset, size = entry.get("arena"), entry.get("size")
        if all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (offset, size)):
            return size
        raise ProtocolError(f"bad shared-memory buffer {str(entry)[:100]}")
    raise ProtocolError(f"frame lists an invalid buffer {str(entry)[:100]}")


def new_buffer(size: int):
    """A writable buffer of `size` bytes whose pages are not touched until written (numpy's
    allocator maps large blocks lazily; a bytearray would zero-fill them at once)."""
    if size < 1024 * 1024:
        return bytearray(size)
    import numpy  # only the tutor reads large buffers; the worker never calls this

    return numpy.empty(size, dtype=numpy.uint8)


def _read_exact(fd: int, size: int, limits: _Deadline, at_start: bool = False, lazy: bool = False):
    buffer = new_buffer(size) if lazy else bytearray(size)
    view = memoryview(buffer).cast("B")
    got = 0
    while got < size:
        limits.wait_readable(fd, got, size)
        n = os.readv(fd, [view[got:]])
        if n == 0:
            if at_start and got == 0:
                raise ChannelClosed("channel closed")
            raise ChannelClosed(f"channel closed mid-frame ({got} of {size} bytes)")
        got += n
    return buffer
