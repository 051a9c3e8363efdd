"""The worker process: import torch once, then serve run requests over the control pipe.

Started by the tutor as `python -m tutor.sandbox.worker --config JSON` (never forked: CUDA cannot be
re-initialised in a forked child). Its stdout and stderr are the tutor's capture pipes; after every
reply it writes an end-of-run marker on both, so the tutor can cut the stream into runs.
"""

from __future__ import annotations

import ctypes
import functools
import faulthandler
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

from tutor.sandbox.arena import Arena
from tutor.sandbox.protocol import ChannelClosed, ProtocolError, end_marker, read_frame, write_frame
from tutor.sandbox.runspec import LoadRequest, Probe, RunRequest
from tutor.sandbox.worker import oslimits, protect
from tutor.sandbox.worker.events import Events, install_tqdm


def main(argv: list[str]) -> int:
    if argv[:1] == ["--probe"]:
        print(json.dumps(probe()))
        return 0
    if argv[:1] == ["--template"]:
        from tutor.sandbox.worker.template import serve_template

        return serve_template(int(argv[1]))
    config = json.loads(argv[argv.index("--config") + 1])
    oslimits.die_with_parent()
    if os.getppid() != config["parent_pid"]:
        return 1  # the tutor went away before we could ask to die with it
    return _serve(config)


def run_forked(config: dict, kind: str) -> int:
    """A child of the template (tutor/sandbox/worker/template.py): a worker, or a device probe."""
    if kind == "probe":
        os.write(1, (json.dumps(probe()) + "\n").encode())
        return 0
    return _serve(config)


def _serve(config: dict) -> int:
    oslimits.adopt_orphans()
    faulthandler.enable()  # a segfault then prints the learner's line to the captured stderr
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)
    return Worker(config).serve()


class Worker:
    def __init__(self, config: dict) -> None:
        self.config = config
        self.ctl_in = config["ctl_in"]
        self.ctl_out = config["ctl_out"]
        # Copies of the capture pipes, to restore fd 1 and 2 if learner code closes or redirects them.
        self.saved_stdout = os.dup(1)
        self.saved_stderr = os.dup(2)
        self.runner = None
        self._write_lock = threading.Lock()  # replies from the main thread, events from others
        self.events = Events(self._send_event)
        arena_fd = config.get("arena_fd")
        self.arena = Arena(arena_fd) if arena_fd is not None else None

    def serve(self) -> int:
        started = time.perf_counter()
        try:
            hello = self._start_up()
        except Exception as exc:  # torch missing, device unavailable...
            hello = {"op": "hello", "ok": False, "error": f"{type(exc).__name__}: {exc}"}
            hello.update(getattr(exc, "details", {}))
        hello["startup_ms"] = (time.perf_counter() - started) * 1000
        self._reply(hello, [], None)
        if not hello["ok"]:
            return 3
        while True:
            try:
                request, buffers = read_frame(self.ctl_in)
            except ChannelClosed:
                return 0
            op = request.get("op")
            if op == "exit":
                return 0
            try:
                if op == RunRequest.OP:
                    self.events.begin(request.get("id"))
                    try:
                        result, out_buffers = self.runner.run(RunRequest.from_wire(request))
                    finally:
                        self.events.end()
                    reply = result.to_wire()
                elif op == LoadRequest.OP:
                    reply, out_buffers = self._load(LoadRequest.from_wire(request))
                elif op == "ping":
                    reply, out_buffers = {"op": "pong"}, []
                else:
                    reply, out_buffers = {"op": "error", "error": f"unknown op {op!r}"}, []
            except ProtocolError as exc:
                reply, out_buffers = {"op": "error", "error": str(exc)}, []
            reply["id"] = request.get("id")
            self._reply(reply, out_buffers, request.get("end"))

    def _start_up(self) -> dict:
        marks = {"start": time.perf_counter()}  # the start-up's timeline, in the hello
        import numpy
        import torch

        marks["torch imported"] = time.perf_counter()
        from tutor.sandbox.worker.refusals import Refusals
        from tutor.sandbox.worker.runner import Runner
        from tutor.sandbox.worker.state import GlobalState

        threads = int(self.config.get("threads", 1))
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        fraction = self.config.get("gpu_memory_fraction")
        device = _open_device(torch, self.config["device"], fraction)
        marks["device open"] = time.perf_counter()
        # Warm the paths a first run takes, so its latency is the learner's, not ours.
        (torch.ones(4, 4, device=device, requires_grad=True) @ torch.ones(4, 4, device=device)).sum().backward()
        state = GlobalState(threads, device, fraction if device.type == "cuda" else None)
        scratch = Path(self.config["scratch"])
        os.chdir(scratch)
        install_tqdm(self.events)  # before the snapshot: the patched tqdm is the worker's own
        self.runner = Runner(state, device, scratch, self.events)
        # A first run pays for torch's lazy paths here, not the learner's first run; the snapshot
        # after it is what later runs are held to.
        self.runner.run(_WARM_UP)
        state.take_snapshot()
        marks["warm"] = time.perf_counter()
        memory_limit = int(self.config.get("memory_limit", 0)) if device.type == "cpu" else 0
        limits = oslimits.apply_limits(memory_limit, int(self.config.get("file_size_limit", 0)),
                                       int(self.config.get("open_files", 0)))
        if device.type == "cuda" and fraction:
            total = torch.cuda.get_device_properties(0).total_memory
            limits["gpu_memory"] = str(int(total * float(fraction)))
        # Last, once torch is imported and warm: the sandbox can never be loosened afterwards, and
        # nothing in it costs anything per run.
        policy = protect.Policy.from_config(self.config)
        protect_started = time.perf_counter()
        protections = protect.install(policy, scratch, device.type)
        protect_ms = (time.perf_counter() - protect_started) * 1000
        marks["sandbox installed"] = time.perf_counter()
        timeline = {name: round((at - marks["start"]) * 1000, 1) for name, at in marks.items() if name != "start"}
        self.runner.refusals = Refusals(protections, scratch)
        return {
            "op": "hello", "ok": True, "pid": os.getpid(), "device": str(device),
            "python": platform.python_version(), "executable": sys.executable,
            "torch": torch.__version__, "numpy": numpy.__version__, "threads": threads, "limits": limits,
            "protections": protections, "policy": {"processes": policy.processes}, "protect_ms": protect_ms,
            "timeline_ms": timeline, "forked": bool(self.config.get("forked")),
        }

    def _load(self, request: LoadRequest) -> tuple[dict, list]:
        """Load a .pt tensor file of a lesson pack (weights_only: never unpickle arbitrary objects)."""
        import torch

        from tutor.sandbox.worker.encode import Encoder

        try:
            value = torch.load(request.path, map_location="cpu", weights_only=True)
            if request.key is not None:
                value = value[request.key]
        except Exception as exc:
            return {"op": "loaded", "ok": False, "error": f"{type(exc).__name__}: {exc}"}, []
        encoder = Encoder()
        return {"op": "loaded", "ok": True, "value": encoder.encode(value)}, encoder.buffers

    def _reply(self, reply: dict, buffers: list, end: object) -> None:
        """The request's end marker on stdout and stderr first, then the reply: the tutor cuts
        the run's output at the marker, which is in the pipes once the reply is."""
        self._restore_streams()
        if isinstance(end, str):
            marker = end_marker(end)
            for fd in (1, 2):
                os.write(fd, marker)
        with self._write_lock:
            write_frame(self.ctl_out, reply, buffers, self.arena)

    def _send_event(self, frame: dict) -> None:
        with self._write_lock:
            write_frame(self.ctl_out, frame)

    def _restore_streams(self) -> None:
        for stream in (sys.__stdout__, sys.__stderr__):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        flush_c_streams()  # C-level writes (printf in extensions) still buffered
        os.dup2(self.saved_stdout, 1)
        os.dup2(self.saved_stderr, 2)


@functools.cache
def _c_fflush():
    """libc's fflush, looked up once (loading the library on every reply cost more than the flush)."""
    try:
        return ctypes.CDLL(None).fflush
    except (OSError, AttributeError):
        return None


def flush_c_streams() -> None:
    fflush = _c_fflush()
    if fflush is not None:
        fflush(None)


_WARM_UP = RunRequest(
    setup="import torch",
    code="x = torch.ones(3, requires_grad=True)\ny = (x * 2).sum()\ny.backward()\ndef f(a):\n    return a + 1\n",
    probes=(Probe(0, "value", "x"), Probe(1, "value", "y"), Probe(2, "assert", "x.grad is not None"),
            Probe(3, "function", "f", args=("(torch.randn(2),)",))),
)


class DeviceUnavailable(RuntimeError):
    def __init__(self, message: str, available: list[str]) -> None:
        super().__init__(message)
        self.details = {"available": available}


def _available(torch) -> list[str]:
    names = ["cpu"]
    if torch.cuda.is_available():
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        names.append("mps")
    return names


def _open_device(torch, name: str, memory_fraction: float | None):
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        # The tutor pinned the chosen GPU with CUDA_VISIBLE_DEVICES: inside, it is always cuda:0.
        if not torch.cuda.is_available():
            raise DeviceUnavailable("CUDA is not available to this torch", _available(torch))
        device = torch.device("cuda:0")
        torch.zeros(1, device=device)
        torch.cuda.synchronize()
        if memory_fraction:
            # The caching allocator then refuses (torch.OutOfMemoryError) past this share of the
            # device: a friendly verdict instead of starving other programs. Not a hard limit:
            # the CUDA context and other libraries' memory are not counted.
            torch.cuda.set_per_process_memory_fraction(float(memory_fraction), device)
        return device
    if name == "mps":
        if not torch.backends.mps.is_available():
            raise DeviceUnavailable("MPS is not available on this machine", _available(torch))
        return torch.device("mps")
    raise DeviceUnavailable(f"unknown device {name!r}", _available(torch))


def _gpu_users() -> dict[str, list[dict]]:
    """Processes holding memory on each GPU, by the GPU's UUID, from nvidia-smi (empty without it)."""
    import shutil
    import subprocess

    if shutil.which("nvidia-smi") is None:
        return {}
    try:
        completed = subprocess.run(["nvidia-smi", "--query-compute-apps=gpu_uuid,pid,used_memory",
                                    "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    users: dict[str, list[dict]] = {}
    for line in completed.stdout.splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            uuid = parts[0].removeprefix("GPU-")
            users.setdefault(uuid, []).append({"pid": int(parts[1]), "mb": int(parts[2])})
    return users


def probe() -> dict:
    """What this interpreter offers: versions and devices with names and memory (for doctor/picker)."""
    info: dict = {"python": platform.python_version(), "executable": sys.executable, "devices": []}
    try:
        import torch
    except ImportError as exc:
        info["error"] = f"torch cannot be imported: {exc}"
        return info
    info.update(torch=torch.__version__, cuda=torch.version.cuda, cudnn=None)
    info["devices"].append({"name": "cpu", "label": platform.processor() or platform.machine(),
                            "memory": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")})
    if torch.cuda.is_available():
        info["cudnn"] = torch.backends.cudnn.version()
        users = _gpu_users()
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            info["devices"].append({"name": f"cuda:{index}", "label": props.name, "memory": props.total_memory,
                                    "capability": f"{props.major}.{props.minor}",
                                    "used_by": users.get(str(getattr(props, "uuid", "")), [])})
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        info["devices"].append({"name": "mps", "label": "Apple Metal (MPS)", "memory": None})
    return info
