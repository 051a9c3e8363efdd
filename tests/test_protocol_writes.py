"""How a frame is written: header and inline buffers in as few writes as the pipe allows, whole and
in order even when the system writes only part of what it is given."""

from __future__ import annotations

import os
import threading

import pytest

from tutor.sandbox import protocol
from tutor.sandbox.protocol import read_frame, write_frame


def roundtrip(header: dict, buffers: list) -> tuple[dict, list]:
    read_fd, write_fd = os.pipe()
    sender = threading.Thread(target=write_frame, args=(write_fd, header, buffers))
    sender.start()
    try:
        return read_frame(read_fd)
    finally:
        sender.join()
        os.close(read_fd)
        os.close(write_fd)


@pytest.mark.parametrize("sizes", [[], [0], [5, 0, 7], [3 * 1024 * 1024, 3, 200_000, 0, 1], [10] * 3000],
                         ids=["none", "empty", "small", "large", "more than IOV_MAX"])
def test_buffers_arrive_whole_and_in_order(sizes):
    buffers = [bytes((index + n) % 251 for n in range(size)) for index, size in enumerate(sizes)]
    header, received = roundtrip({"op": "x", "text": "é"}, buffers)
    assert header == {"op": "x", "text": "é", "buffers": sizes}
    assert [bytes(buffer) for buffer in received] == buffers


def test_a_frame_with_small_buffers_is_one_write(monkeypatch):
    calls = []

    def counted(fd, views):
        calls.append(len(views))
        return os.writev(fd, views)

    monkeypatch.setattr(protocol, "_writev", counted)
    header, received = roundtrip({"op": "x"}, [b"abc", b"", b"defg"])
    assert [bytes(buffer) for buffer in received] == [b"abc", b"", b"defg"]
    assert calls == [3]  # the header, then the two buffers that have bytes


def test_short_writes_are_resumed_where_they_stopped(monkeypatch):
    def seven_bytes_at_most(fd, views):
        return os.write(fd, bytes(views[0][:7]))

    monkeypatch.setattr(protocol, "_writev", seven_bytes_at_most)
    buffers = [b"abcdefghij", b"", b"xyz" * 5, b"k"]
    header, received = roundtrip({"op": "y", "padding": "p" * 30}, buffers)
    assert header["padding"] == "p" * 30
    assert [bytes(buffer) for buffer in received] == buffers
