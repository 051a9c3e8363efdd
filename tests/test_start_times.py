"""The last start-up's time: remembered per interpreter and device, never trusted beyond a sane
number, never a reason to fail."""

from __future__ import annotations

import json
import os

import pytest

from tutor import start_times
from tutor.start_times import FILE_NAME, describe, last_start_s, record_start_s


def test_a_start_is_remembered_per_interpreter_and_device(tmp_path):
    assert last_start_s("/usr/bin/python3", "cpu", tmp_path) is None
    assert record_start_s("/usr/bin/python3", "cpu", 3.21, tmp_path)
    assert record_start_s("/usr/bin/python3", "cuda:0", 9.5, tmp_path)
    assert last_start_s("/usr/bin/python3", "cpu", tmp_path) == 3.21
    assert last_start_s("/usr/bin/python3", "cuda:0", tmp_path) == 9.5
    assert last_start_s("/opt/other/python", "cpu", tmp_path) is None
    assert record_start_s("/usr/bin/python3", "cpu", 2.0, tmp_path)  # the last start wins
    assert last_start_s("/usr/bin/python3", "cpu", tmp_path) == 2.0
    assert not [p for p in tmp_path.iterdir() if p.name != FILE_NAME]  # no temporary file left behind


def test_the_default_folder_is_the_data_directory(tutor_home):
    assert record_start_s("py", "cpu", 4.0)
    assert json.loads((tutor_home / FILE_NAME).read_text()) == {"py|cpu": 4.0}
    assert last_start_s("py", "cpu") == 4.0


@pytest.mark.parametrize("content", [
    b"", b"not json", b"[1, 2]", b'"3"', b'{"py|cpu": "3"}', b'{"py|cpu": true}', b'{"py|cpu": -1}',
    b'{"py|cpu": 1e308}', b'{"py|cpu": NaN}', b'{"py|cpu": Infinity}', b'{"py|cpu": 601}',
    b'{"py|cpu": null}', b'{"py|cpu": {"a": 1}}', b"[" * 60_000, b"\xff\xfe\x00garbage",
    b'{"py|cpu": 3, "pad": "' + b"x" * 70_000 + b'"}',
])
def test_garbage_reads_as_no_figure_and_is_replaced(tmp_path, content):
    (tmp_path / FILE_NAME).write_bytes(content)
    assert last_start_s("py", "cpu", tmp_path) is None
    assert record_start_s("py", "cpu", 5.0, tmp_path)
    assert last_start_s("py", "cpu", tmp_path) == 5.0


def test_only_sane_figures_are_recorded(tmp_path):
    for bad in (-0.5, float("nan"), float("inf"), 10_000.0):
        assert not record_start_s("py", "cpu", bad, tmp_path)
    assert last_start_s("py", "cpu", tmp_path) is None


def test_an_unreadable_or_unwritable_place_never_fails(tmp_path):
    (tmp_path / FILE_NAME).mkdir()  # a folder where the file should be
    assert last_start_s("py", "cpu", tmp_path) is None
    assert not record_start_s("py", "cpu", 3.0, tmp_path)
    missing = tmp_path / "no" / "such" / "folder"
    assert last_start_s("py", "cpu", missing) is None
    assert not record_start_s("py", "cpu", 3.0, missing)
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            assert not record_start_s("py", "cpu", 3.0, locked)
        finally:
            locked.chmod(0o700)


def test_the_file_stays_small(tmp_path):
    for number in range(start_times.MAX_ENTRIES + 10):
        assert record_start_s(f"python{number}", "cpu", 1.0, tmp_path)
    entries = json.loads((tmp_path / FILE_NAME).read_text())
    assert len(entries) == start_times.MAX_ENTRIES and "python0|cpu" not in entries
    assert f"python{start_times.MAX_ENTRIES + 9}|cpu" in entries


def test_the_figure_in_words():
    assert describe(None) == ""
    assert describe(0.4) == " (under 1 s last time)"
    assert describe(3.4) == " (3 s last time)"
    assert describe(12.6) == " (13 s last time)"
