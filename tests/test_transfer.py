"""Results cross the wire exactly: small buffers inline in the pipe, large ones through shared memory."""

import os
import threading

import numpy as np
import pytest

from tutor.sandbox import arena
from tutor.sandbox.protocol import ProtocolError, read_frame, write_frame
from tutor.sandbox.record import RunRecord
from tutor.sandbox.runspec import Outcome, Probe, RunRequest


def roundtrip(header, buffers, use_arena=True):
    fd = arena.create() if use_arena else None
    writer_arena = arena.Arena(fd) if fd is not None else None
    reader_arena = arena.Arena(fd) if fd is not None else None
    read_fd, write_fd = os.pipe()
    sender = threading.Thread(target=write_frame, args=(write_fd, header, buffers, writer_arena))
    sender.start()
    try:
        return read_frame(read_fd, reader_arena)
    finally:
        sender.join()
        os.close(read_fd)
        os.close(write_fd)


@pytest.mark.parametrize("use_arena", [True, False])
def test_mixed_buffers_arrive_in_order_and_intact(use_arena):
    small = np.arange(10, dtype=np.int16)
    large = np.arange(3 * 1024 * 1024, dtype=np.float32)  # 12 MB: above the arena threshold
    other = np.linspace(0, 1, 400_000)  # 3.2 MB
    header, buffers = roundtrip({"op": "x"}, [small, large, other], use_arena)
    entries = header["buffers"]
    if use_arena:
        assert entries[0] == small.nbytes and entries[1]["size"] == large.nbytes and "arena" in entries[2]
    else:
        assert entries == [small.nbytes, large.nbytes, other.nbytes]
    assert np.array_equal(np.frombuffer(buffers[0], np.int16), small)
    assert np.array_equal(np.frombuffer(buffers[1], np.float32), large)
    assert np.array_equal(np.frombuffer(buffers[2], np.float64), other)


def test_an_arena_reference_out_of_bounds_is_a_protocol_error():
    fd = arena.create()
    read_fd, write_fd = os.pipe()
    import json
    import struct

    body = json.dumps({"op": "x", "buffers": [{"arena": arena.CAPACITY - 10, "size": 100}]}).encode()
    os.write(write_fd, struct.pack("<4sI", b"PTRF", len(body)) + body)
    with pytest.raises(ProtocolError, match="out of bounds"):
        read_frame(read_fd, arena.Arena(fd))


def test_a_large_result_comes_back_exactly_through_the_worker(every_check_session):
    pool = every_check_session.pool()
    code = "import torch\nbig = torch.arange(4_000_000, dtype=torch.float64)\nhalf = big.to(torch.bfloat16)\n"
    for _ in range(2):  # the second time reuses the arena's pages
        request = RunRequest(code=code, probes=(Probe(0, "value", "big"), Probe(1, "value", "half")))
        record = RunRecord.from_exchange(pool.request(request.to_wire(), timeout=60))
        assert record.outcome is Outcome.OK
        assert np.array_equal(record.result(0).value.array, np.arange(4_000_000, dtype=np.float64))
        half = record.result(1).value.array
        assert half.dtype == np.float32 and half[255] == 255.0 and half[257] == 256.0  # bf16 rounding


def test_the_arena_keeps_working_as_results_grow():
    """Regression: growing the worker's mapping once closed it before reading its size, and every
    larger result silently fell back to the pipe."""
    fd = arena.create()
    worker, tutor = arena.Arena(fd), arena.Arena(fd)
    for size in (1 << 20, 16 << 20, 64 << 20, 2 << 20):
        data = np.arange(size // 4, dtype=np.float32)
        (entry,) = worker.place([memoryview(data).cast("B")])
        assert isinstance(entry, dict), f"{size} bytes went through the pipe"
        assert np.array_equal(np.frombuffer(tutor.take(entry["arena"], entry["size"]), np.float32), data)
