"""Run every benchmark in one process, on one machine, and report medians, ranges and ratios."""

from __future__ import annotations

import datetime
import os
import platform
import sys
import time
from dataclasses import dataclass

from tutor.bench import peers, tutor_side
from tutor.bench.drawing import drawing_figures
from tutor.bench.footprint import footprint
from tutor.bench.startup import startup_timeline
from tutor.bench.stats import ratio, summarise, time_ms


@dataclass(frozen=True)
class Counts:
    latency: dict[str, int]
    subprocess: dict[str, int]
    recovery: int
    transfer: int
    lint: bool
    keys: int = 10  # presses of each key in the app's key-latency figures
    startup: int = 1

    @classmethod
    def full(cls) -> "Counts":
        return cls({"a_one_line": 200, "b_function": 200, "c_training": 20},
                   {"a_one_line": 5, "b_function": 5, "c_training": 3}, recovery=10, transfer=10, lint=True,
                   startup=3)

    @classmethod
    def quick(cls) -> "Counts":
        return cls({"a_one_line": 30, "b_function": 30, "c_training": 3},
                   {"a_one_line": 2, "b_function": 1, "c_training": 1}, recovery=2, transfer=3, lint=False, keys=5,
                   startup=3)  # one launch's first screen swings by 100 ms on two cores: a median of three

    @classmethod
    def tiny(cls, runs: int) -> "Counts":
        per = {"a_one_line": runs, "b_function": runs, "c_training": 1}
        return cls(per, {key: 1 for key in per}, recovery=1, transfer=1, lint=False, keys=runs)


def machine() -> dict:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = None
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1)
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": memory, "system": platform.platform(),
            "python": platform.python_version(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def run_all(counts: Counts, progress=lambda message: None, with_jupyter: bool = True) -> dict:
    results: dict = {"machine": machine()}
    progress("starting the tutor's worker")
    session = tutor_side.open_session()
    try:
        results["machine"]["torch"] = session.ready().get("torch")
        progress("check latency through Session.check")
        tutor_latency = tutor_side.check_latency(session, counts.latency)
        progress("recovery after a timeout kill and after a crash")
        results["recovery_ms"] = tutor_side.recovery(session, counts.recovery)
        progress("result transfer")
        results["transfer_mb_s"] = tutor_side.transfer(session, counts.transfer)
    finally:
        session.close()
    jupyter = None
    if with_jupyter:
        progress("the same checks in a Jupyter kernel")
        jupyter = peers.jupyter_latency(counts.latency)
    progress("the same checks in a fresh python process each")
    fresh = peers.subprocess_latency(counts.subprocess)
    results["check_latency_ms"] = {
        key: {"tutor": tutor_latency[key], "jupyter": jupyter[key] if jupyter else None, "subprocess": fresh[key],
              "jupyter_over_tutor": ratio(jupyter[key]["p50"], tutor_latency[key]["p50"]) if jupyter else None,
              "subprocess_over_tutor": ratio(fresh[key]["p50"], tutor_latency[key]["p50"])}
        for key in tutor_latency
    }
    progress("the app's start-up and how fast it answers each key")
    results["app"] = app_figures(counts.keys)
    progress("start-up: launch to the first verdict it could give")
    results["startup"] = startup_timeline(runs=counts.startup)
    progress("a learner's memory next to a Jupyter kernel")
    results["footprint"] = footprint(with_jupyter=with_jupyter)
    progress("variants: check (a) on one input and on three")
    results["variants"] = tutor_side.variants_cost(counts.latency["a_one_line"])
    progress("streaming a run's output: a print per training step, heard and not")
    results["streaming"] = tutor_side.streaming_cost(counts.latency["c_training"])
    progress("drawing: a 28x28 mismatch picture, a heatmap and curves")
    results["drawing"] = drawing_figures(max(5, min(50, counts.latency["a_one_line"])))
    if counts.lint:
        progress("lint of the built-in curriculum")
        results["lint_s"] = tutor_side.lint_time()
    else:
        results["lint_s"] = None
    results["cuda"] = cuda_figures()
    results["goals"] = goals(results)
    return results


def app_figures(key_repeats: int = 10) -> dict:
    try:
        from tutor.bench.app_keys import measure_keys
        from tutor.bench.app_start import measure_app
    except ImportError:
        return {"first_paint_ms": None, "peak_rss_mb": None, "note": "the app is not part of this build"}
    figures = measure_app()
    figures["keys"] = measure_keys(key_repeats)
    figures["load_average"] = _load_average()
    return figures


def _load_average() -> list[float] | None:
    """The machine's 1, 5 and 15 minute load averages: key latencies depend on them."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def cuda_figures() -> dict:
    info = _probe()
    if not any(device["name"].startswith("cuda") for device in info.get("devices", [])):
        return {"skipped": "no CUDA device here"}
    started = time.perf_counter()
    session = tutor_side.open_session(device="cuda")
    try:
        start_ms = (time.perf_counter() - started) * 1000
        exercise = session.catalog.exercise("bench/one-line")
        session.check(exercise, exercise.solution, record=False)
        latency = summarise(time_ms(lambda: session.check(exercise, exercise.solution, record=False), 100))
        recovery = tutor_side.recovery(session, 3)
        oom = session.check(exercise, "import torch\nblock = torch.empty(2**40, device=device)\nsquare = row.view(4, 4)\n",
                            record=False)
        held = _gpu_memory_held(session)
    finally:
        session.close()
    return {"worker_start_ms": round(start_ms, 1), "check_latency_a_ms": latency, "recovery_ms": recovery,
            "out_of_memory_verdict": f"{oom.status}: {oom.summary[:160]}", "memory_held_idle_mb": held,
            "device": next(d["label"] for d in info["devices"] if d["name"].startswith("cuda"))}


def _gpu_memory_held(session) -> float | None:
    """What this session's workers hold on the GPU while idle after a check (nvidia-smi)."""
    import subprocess

    pids = {session.pool().active_pid, session.pool().spare_pid}
    try:
        completed = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
                                   capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    held = 0.0
    for line in completed.stdout.splitlines():
        pid, _, mb = line.partition(",")
        if pid.strip().isdigit() and int(pid) in pids:
            held += float(mb)
    return held


def _probe() -> dict:
    from tutor.session import probe_devices

    return probe_devices(sys.executable)


def goals(results: dict) -> list[dict]:
    rows = []
    latency = results["check_latency_ms"]["a_one_line"]
    tutor_p50 = latency["tutor"]["p50"]
    if latency["jupyter"]:
        rows.append(_goal("check latency (a) p50 <= 1/3 of Jupyter's", tutor_p50 * 3 <= latency["jupyter"]["p50"],
                          f"{tutor_p50:.2f} ms vs {latency['jupyter']['p50']:.2f} ms ({latency['jupyter_over_tutor']}x)"))
    rows.append(_goal("check latency (a) p50 >= 50x below a fresh subprocess",
                      tutor_p50 * 50 <= latency["subprocess"]["p50"],
                      f"{tutor_p50:.2f} ms vs {latency['subprocess']['p50']:.0f} ms ({latency['subprocess_over_tutor']}x)"))
    for kind in ("timeout", "crash"):
        p50 = results["recovery_ms"][kind]["p50"]
        rows.append(_goal(f"next verdict within 50 ms of the kill ({kind})", p50 <= 50, f"{p50:.1f} ms"))
    big = results["transfer_mb_s"]["64MB"]
    rows.append(_goal("64 MB transfer >= 1/4 of in-process copy bandwidth",
                      big["tutor"]["mb_s"] * 4 >= big["memcpy"]["mb_s"],
                      f"{big['tutor']['mb_s']:.0f} MB/s vs {big['memcpy']['mb_s']:.0f} MB/s"))
    app = results["app"]
    if app.get("first_paint_ms") is not None:
        rows.append(_goal("app: first screen within 1 s", app["first_paint_ms"] <= 1000, f"{app['first_paint_ms']:.0f} ms"))
        rows.append(_goal("app: UI process peak RSS under 150 MB", app["peak_rss_mb"] < 150, f"{app['peak_rss_mb']:.0f} MB"))
    keys = {name: row for name, row in (app.get("keys") or {}).items() if row.get("p95") is not None}
    if keys:
        slowest = max(keys, key=lambda name: keys[name]["p95"])
        rows.append(_goal("app: every key answered within 100 ms (p95, key to first screen update)",
                          keys[slowest]["p95"] < 100, f"slowest: {slowest} {keys[slowest]['p95']:.0f} ms"))
    startup = results.get("startup") or {}
    if startup.get("ready_over_import_torch"):
        rows.append(_goal("start-up: ready within 1.3x of `import torch`", startup["ready_over_import_torch"] <= 1.3,
                          f"{startup['timeline_ms']['ready']:.0f} ms vs {startup['import_torch_ms']:.0f} ms "
                          f"({startup['ready_over_import_torch']}x)"))
        rows.append(_goal("start-up: first screen within 1/3 of `import torch`",
                          startup["first_screen_over_import_torch"] <= 1 / 3,
                          f"{startup['timeline_ms']['first screen']:.0f} ms "
                          f"({startup['first_screen_over_import_torch']}x)"))
    print_ = results.get("footprint") or {}
    if print_.get("learner_over_jupyter"):
        rows.append(_goal("a learner's footprint <= 1.25x a Jupyter kernel with torch",
                          print_["learner_over_jupyter"] <= 1.25,
                          f"{print_['learner']['pss_mb']:.0f} MB vs {print_['jupyter']['pss_mb']:.0f} MB "
                          f"({print_['learner_over_jupyter']}x)"))
    if print_.get("learner"):
        rows.append(_goal("idle-released learner under 100 MB", print_["learner"]["released_pss_mb"] < 100,
                          f"{print_['learner']['released_pss_mb']:.0f} MB"))
    variants = results.get("variants") or {}
    if variants.get("ratio"):
        rows.append(_goal("check (a) with 3 variants <= 2x one variant", variants["ratio"] <= 2,
                          f"{variants['three']['p50']:.2f} vs {variants['one']['p50']:.2f} ms ({variants['ratio']}x)"))
    streaming = results.get("streaming") or {}
    if streaming.get("overhead"):
        rows.append(_goal("a flooding stream costs <= 10% of the run", streaming["overhead"] <= 0.10,
                          f"{streaming['heard']['p50']:.1f} vs {streaming['not_heard']['p50']:.1f} ms "
                          f"(+{streaming['overhead']:.0%})"))
    if results.get("lint_s"):
        lint = results["lint_s"]
        rows.append(_goal("lint of the whole curriculum under 60 s", lint["seconds"] < 60 and lint["ok"],
                          f"{lint['seconds']:.1f} s for {lint['exercises']} exercises"))
    return rows


def _goal(name: str, met: bool, figure: str) -> dict:
    return {"goal": name, "met": bool(met), "figure": figure}
