"""How long the PyTorch worker took to start last time on this machine, per interpreter and device,
so that the app can say "importing torch (3 s last time)" while a learner waits.

The file is a cache, never a reason to fail: anything unreadable, unwritable or odd in it (it sits
in a user-writable folder, so treat it as untrusted) reads as "no figure"; only a number in a sane
range is believed.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

from tutor.paths import data_dir

FILE_NAME = "start-times.json"
MAX_SECONDS = 600.0  # a figure past this is not a start-up we measured: ignore it
MAX_BYTES = 64 * 1024  # the file holds a few entries; a larger one is not ours
MAX_ENTRIES = 32  # interpreters x devices one learner uses; the oldest go first


def _key(python: str, device: str) -> str:
    return f"{python}|{device}"


def _sane(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) and 0 <= value <= MAX_SECONDS else None


def _path(folder: Path | None) -> Path:
    return (folder if folder is not None else data_dir()) / FILE_NAME


def _read_all(path: Path) -> dict[str, float]:
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            return {}
        document = json.loads(raw)
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(document, dict):
        return {}
    return {key: seconds for key, value in document.items()
            if isinstance(key, str) and len(key) < 4096 and (seconds := _sane(value)) is not None}


def last_start_s(python: str, device: str, folder: Path | None = None) -> float | None:
    """Seconds the last start took for this interpreter and device; None when unknown."""
    try:
        return _read_all(_path(folder)).get(_key(python, device))
    except OSError:  # data_dir() could not be created
        return None


def record_start_s(python: str, device: str, seconds: float, folder: Path | None = None) -> bool:
    """Remember how long this start took; False (and nothing raised) when it could not be written."""
    seconds_ok = _sane(seconds)
    if seconds_ok is None:
        return False
    try:
        path = _path(folder)
        entries = _read_all(path)
        entries.pop(_key(python, device), None)
        entries[_key(python, device)] = round(seconds_ok, 2)  # the newest last: trimmed from the front
        entries = dict(list(entries.items())[-MAX_ENTRIES:])
        # Written beside it and renamed: two apps starting at once never leave half a file.
        handle, temporary = tempfile.mkstemp(prefix=".start-times-", dir=path.parent)
        try:
            with os.fdopen(handle, "w") as file:
                json.dump(entries, file)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        return False
    return True


def describe(seconds: float | None) -> str:
    """The figure as the header shows it: " (3 s last time)", or nothing when there is none."""
    if seconds is None:
        return ""
    if seconds < 1:
        return " (under 1 s last time)"
    return f" ({seconds:.0f} s last time)"
