"""Parsing the values of global options: memory sizes and device names."""

from __future__ import annotations

import re

# The defaults of the options every command shares, written once (the CLI, the session and the
# worker spec all read them from here).
DEFAULT_DEVICE = "cpu"
DEFAULT_MEMORY_LIMIT = 4 * 1024**3  # bytes a CPU worker's code may use beyond torch's own mappings
DEFAULT_GPU_MEMORY_FRACTION = 0.9  # share of a CUDA device's memory one worker may use
DEFAULT_THREADS = 1  # torch threads: one is fastest for tutoring-sized work
DEFAULT_IDLE_RELEASE = 15.0  # minutes without a run before the app stops its workers (0: never)

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.I)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")


def parse_size(text: str) -> int:
    """'4G', '512M', '2GiB', '1.5g' or plain bytes -> bytes. Raises ValueError with a usable message."""
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a size: use a number with K, M, G or T, e.g. 2G or 512M")
    number, unit, _ = match.groups()
    value = int(float(number) * _UNITS[unit.lower()])
    if value < 64 * 1024**2:
        raise ValueError(f"'{text}' is too small a memory limit: give at least 64M")
    return value


def format_size(value: int | float | None) -> str:
    if value is None:
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(value)


def normalise_device(text: str) -> str:
    """'cuda' -> 'cuda:0'; 'cpu', 'cuda:N' and 'mps' as they are. Raises ValueError otherwise."""
    name = str(text).strip().lower()
    if not _DEVICE.match(name):
        raise ValueError(f"'{text}' is not a device: use cpu, cuda, cuda:N or mps")
    return "cuda:0" if name == "cuda" else name
