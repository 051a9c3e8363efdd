"""What an interpreter offers: versions, and devices with their names and memory (for `doctor`
and the device picker). Asked of a child forked from the interpreter's template where there is one
(no second `import torch` on a small machine), of a fresh interpreter otherwise."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

from tutor.options import DEFAULT_THREADS
from tutor.paths import package_root
from tutor.sandbox.template import TEMPLATES, TemplateError

_cache: dict[str, dict] = {}


def probe_devices(python: str = sys.executable, threads: int = DEFAULT_THREADS, timeout: float = 120.0) -> dict:
    if python in _cache:
        return _cache[python]
    started = time.perf_counter()
    info = _by_fork(python, threads, timeout) or _by_interpreter(python, timeout)
    if "error" not in info:
        info["probe_ms"] = (time.perf_counter() - started) * 1000
        _cache[python] = info
    return info


def _by_fork(python: str, threads: int, timeout: float) -> dict | None:
    template = TEMPLATES.get(python, threads)
    if template is None:
        return None
    read_fd, write_fd = os.pipe()
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        child = template.fork({}, {"stdout": write_fd, "stderr": devnull}, kind="probe")
    except TemplateError:
        return None
    finally:
        os.close(write_fd)
        os.close(devnull)
    try:
        output = _read_all(read_fd, time.monotonic() + timeout)
        child.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        os.close(read_fd)
        child.release()
    try:
        info = json.loads(output.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    return info if isinstance(info, dict) else None


def _read_all(fd: int, deadline: float) -> bytes:
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise OSError("the device probe did not answer")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _by_interpreter(python: str, timeout: float) -> dict:
    try:
        completed = subprocess.run(
            [python, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                           "from tutor.sandbox.worker.main import probe; import json; print(json.dumps(probe()))",
             str(package_root())], capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": f"could not run {python}: {exc}", "devices": []}
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines()
        return {"error": lines[-1] if lines else f"exit status {completed.returncode}", "devices": []}
    try:
        return json.loads(completed.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": "the device probe printed nothing readable", "devices": []}
