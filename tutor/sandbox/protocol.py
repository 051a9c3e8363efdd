"""The wire between tutor and worker: a length-prefixed JSON header, then raw buffers.

Frame: 8-byte magic+length prefix, the UTF-8 JSON header, then the buffers whose byte counts the
header lists under "buffers". No pickle ever crosses: the worker runs untrusted code, and the
tutor must be able to read its answers without executing anything. Standard library only: the
worker imports this module inside interpreters that may not have the tutor's dependencies.
"""

from __future__ import annotations

import json
import os
import struct

MAGIC = b"PTRF"
SCRATCH_PREFIX = "ptref-run-"  # the only directories a worker will ever empty
_PREFIX = struct.Struct("<4sI")
MAX_HEADER_BYTES = 64 * 1024 * 1024
MAX_BUFFER_BYTES = 8 * 1024 * 1024 * 1024


class ProtocolError(Exception):
    """The other side sent something that is not a frame (or went away mid-frame)."""


class ChannelClosed(ProtocolError):
    """End of file where a frame should start: the other side has gone."""


def write_frame(fd: int, header: dict, buffers: list | tuple = (), arena=None) -> None:
    """Send a frame; with an arena, large buffers go through shared memory instead of the pipe."""
    views = [memoryview(buffer).cast("B") for buffer in buffers]
    entries = arena.place(views) if arena is not None and views else [view.nbytes for view in views]
    header = dict(header, buffers=entries)
    body = json.dumps(header, separators=(",", ":")).encode()
    _write_all(fd, _PREFIX.pack(MAGIC, len(body)) + body)
    for view, entry in zip(views, entries):
        if isinstance(entry, int):
            _write_all(fd, view)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_frame(fd: int, arena=None) -> tuple[dict, list[bytearray]]:
    prefix = _read_exact(fd, _PREFIX.size, at_start=True)
    magic, length = _PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise ProtocolError(f"bad frame magic {magic!r}")
    if length > MAX_HEADER_BYTES:
        raise ProtocolError(f"frame header of {length} bytes is over the limit")
    try:
        header = json.loads(_read_exact(fd, length))
    except ValueError as exc:
        raise ProtocolError(f"frame header is not JSON: {exc}") from None
    entries = header.get("buffers", [])
    if not isinstance(entries, list):
        raise ProtocolError("frame lists invalid buffer sizes")
    buffers = []
    for entry in entries:
        if isinstance(entry, int) and 0 <= entry <= MAX_BUFFER_BYTES:
            buffers.append(_read_exact(fd, entry))
        elif isinstance(entry, dict) and arena is not None:
            try:
                buffers.append(arena.take(int(entry["arena"]), int(entry["size"])))
            except (KeyError, TypeError, ValueError) as exc:
                raise ProtocolError(f"bad shared-memory buffer {entry!r}: {exc}") from None
        else:
            raise ProtocolError(f"frame lists an invalid buffer {entry!r}")
    return header, buffers


def _read_exact(fd: int, size: int, at_start: bool = False) -> bytearray:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        n = os.readv(fd, [view[got:]])
        if n == 0:
            if at_start and got == 0:
                raise ChannelClosed("channel closed")
            raise ProtocolError(f"channel closed mid-frame ({got} of {size} bytes)")
        got += n
    return buffer
