"""`ptref-tutor bench [--quick] [--json FILE]`: the tutor's speed next to its peers, on this machine."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

from rich.table import Table

from tutor.cli import EXIT_NOT_PASSED, EXIT_OK, UsageError
from tutor.cli.common import console, errors

BENCH_EXTRA = ("jupyter_client", "ipykernel")


def add_parser(commands) -> None:
    bench = commands.add_parser("bench", help="measure check latency, recovery and transfer against peers")
    bench.add_argument("--quick", action="store_true", help="small counts: about a minute")
    bench.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    bench.add_argument("--runs", type=int, metavar="N", help="N runs per latency figure (smoke tests)")
    bench.add_argument("--no-jupyter", action="store_true", help="skip the Jupyter kernel comparison")
    bench.add_argument("section", nargs="?", choices=["classroom"],
                       help="classroom: many learners on this machine at once (see --learners, --minutes)")
    bench.add_argument("--learners", type=int, default=30, metavar="N", help="classroom: learners (default 30)")
    bench.add_argument("--minutes", type=float, default=5.0, metavar="M", help="classroom: minutes (default 5)")
    return bench


def run_bench(args: argparse.Namespace) -> int:
    if args.section == "classroom":
        return run_classroom(args)
    from tutor.bench.run import Counts, run_all

    missing = [name for name in BENCH_EXTRA if importlib.util.find_spec(name) is None]
    if missing and not args.no_jupyter:
        raise UsageError(f"the benchmark compares with a Jupyter kernel and needs {', '.join(missing)}: "
                         "pip install 'ptref-tutor[bench]' (or pass --no-jupyter)")
    if args.runs is not None and args.runs < 1:
        raise UsageError("--runs must be at least 1")
    from tutor.session import LessonBug  # imported here: building the parser must stay light

    counts = Counts.tiny(args.runs) if args.runs else Counts.quick() if args.quick else Counts.full()
    try:
        with console.status("benchmarking") as status:
            results = run_all(counts, progress=lambda message: status.update(message),
                              with_jupyter=not args.no_jupyter)
    except (RuntimeError, OSError, LessonBug) as exc:  # WorkerStartError is a RuntimeError
        errors.print(f"ptref-tutor: benchmark failed: {type(exc).__name__}: {exc}", markup=False)
        return EXIT_NOT_PASSED
    render(results)
    if args.json:
        try:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
        except OSError as exc:
            raise UsageError(f"cannot write {args.json}: {exc.strerror or exc}") from None
        errors.print(f"figures written to {args.json}")
    return EXIT_OK


def run_classroom(args: argparse.Namespace) -> int:
    from tutor.bench.classroom import LEARNER_TIMEOUT, classroom

    if args.learners < 1 or not 0 < args.minutes <= 600:
        raise UsageError("--learners must be at least 1 and --minutes between 0 and 600")
    with console.status("classroom") as status:
        figures = classroom(args.learners, args.minutes, progress=lambda message: status.update(message))
    latency = figures["latency_ms"] or {}
    console.print(f"[bold]classroom[/]: {figures['learners']} learners for {figures['minutes']:g} min: "
                  f"{figures['checks']} checks, p50 {latency.get('p50') or 0:.1f} ms, p99 {figures['p99_ms'] or 0:.1f} ms "
                  f"(and {figures['timeouts']} timeouts cut at their {LEARNER_TIMEOUT:g} s limit, p99 "
                  f"{figures['timeout_p99_ms'] or 0:.0f} ms); "
                  f"wrong verdicts {figures['wrong_verdicts']}, lost {figures['lost_verdicts']}; "
                  f"worker restarts {figures['worker_restarts']}; total PSS peak {figures['peak_pss_mb']:.0f} MB")
    for example in figures["wrong_examples"]:
        errors.print(f"  wrong: {example}", markup=False)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return EXIT_OK if figures["wrong_verdicts"] == figures["lost_verdicts"] == 0 else EXIT_NOT_PASSED


def _figure(summary: dict | None) -> str:
    if not summary or summary.get("p50") is None:
        return "-"
    return f"{summary['p50']:.3g} [{summary['min']:.3g}-{summary['max']:.3g}]"


def render(results: dict) -> None:
    m = results["machine"]
    console.print(f"[bold]ptref-tutor bench[/] on {m['cpu']} ({m['cores']} cores, {m['memory_gib']} GiB), "
                  f"Python {m['python']}, torch {m.get('torch')}, {m['date']}")
    latency = Table(title="check latency, ms: median [min-max]", title_justify="left")
    for column in ("workload", "tutor", "Jupyter kernel", "fresh python", "Jupyter/tutor", "python/tutor"):
        latency.add_column(column, justify="right" if column != "workload" else "left")
    for key, row in results["check_latency_ms"].items():
        latency.add_row(key, _figure(row["tutor"]), _figure(row["jupyter"]), _figure(row["subprocess"]),
                        f"{row['jupyter_over_tutor']}x" if row["jupyter_over_tutor"] else "-",
                        f"{row['subprocess_over_tutor']}x" if row["subprocess_over_tutor"] else "-")
    console.print(latency)
    recovery = Table(title="recovery: kill -> next verdict, ms", title_justify="left")
    recovery.add_column("after")
    recovery.add_column("median [min-max]", justify="right")
    for kind, summary in results["recovery_ms"].items():
        recovery.add_row(kind, _figure(summary))
    console.print(recovery)
    transfer = Table(title="result transfer (a result tensor brought back to the tutor)", title_justify="left")
    for column in ("size", "run ms", "transfer ms", "tutor MB/s", "copy MB/s", "warm copy MB/s", "share"):
        transfer.add_column(column, justify="right")
    for label, row in results["transfer_mb_s"].items():
        share = row["tutor"]["mb_s"] / row["memcpy"]["mb_s"] if row["memcpy"]["mb_s"] else 0
        transfer.add_row(label, f"{row['tutor']['latency_ms']:.3g}", f"{row['tutor']['transfer_ms']:.3g}",
                         f"{row['tutor']['mb_s']:.0f}", f"{row['memcpy']['mb_s']:.0f}",
                         f"{row['memcpy_warm']['mb_s']:.0f}", f"{share:.0%}")
    console.print(transfer)
    app = results["app"]
    if app.get("first_paint_ms") is not None:
        console.print(f"app: first screen {app['first_paint_ms']:.0f} ms, UI peak RSS {app['peak_rss_mb']:.0f} MB "
                      f"(python -c 'import torch': {app.get('import_torch_ms', 0):.0f} ms, "
                      f"{app.get('import_torch_rss_mb', 0):.0f} MB)")
    else:
        console.print(f"app: {app.get('note', 'not measured')}")
    if app.get("keys"):
        load = app.get("load_average")
        keys = Table(title="app keys: key to first screen update, ms (headless, 80x24"
                     + (f"; load average {load[0]:.1f} on {m['cores']} cores)" if load else ")"), title_justify="left")
        for column in ("key", "p50", "p95", "max", "UI thread CPU p50"):
            keys.add_column(column, justify="right" if column != "key" else "left")
        for name, row in app["keys"].items():
            if row.get("p50") is None:
                keys.add_row(name, "-", "-", "-", row.get("note", ""))
            else:
                keys.add_row(name, f"{row['p50']:.0f}", f"{row['p95']:.0f}", f"{row['max']:.0f}", f"{row['cpu_p50']:.1f}")
        console.print(keys)
    startup = results.get("startup") or {}
    if startup.get("timeline_ms"):
        timeline = ", ".join(f"{name} {ms:.0f}" for name, ms in startup["timeline_ms"].items() if ms is not None)
        console.print(f"start-up (ms from launch): {timeline}; python -c 'import torch': "
                      f"{startup['import_torch_ms']:.0f} ms")
    footprint = results.get("footprint") or {}
    if footprint.get("learner"):
        learner, jupyter = footprint["learner"], footprint.get("jupyter") or {}
        console.print(f"footprint (PSS): a learner {learner['pss_mb']:.0f} MB in {learner['processes']} processes "
                      f"(UI {learner['ui_pss_mb']:.0f} MB), idle CPU {learner['idle_cpu_percent']}%; "
                      f"released {learner['released_pss_mb']:.0f} MB"
                      + (f"; Jupyter kernel with torch {jupyter['pss_mb']:.0f} MB" if jupyter else ""))
    variants = results.get("variants") or {}
    if variants:
        console.print(f"variants: check (a) {_figure(variants['one'])} ms on one input, "
                      f"{_figure(variants['three'])} ms on three ({variants['ratio']}x)")
    streaming = results.get("streaming") or {}
    if streaming:
        console.print(f"streaming: workload (c) printing every step {_figure(streaming['not_heard'])} ms, "
                      f"heard as it prints {_figure(streaming['heard'])} ms ({streaming['overhead']:+.1%})")
    drawing = results.get("drawing") or {}
    if drawing:
        mismatch = drawing.get("mismatch_28x28_80col_truecolor")
        console.print(f"drawing: a 28x28 mismatch picture {_figure(mismatch)} ms (truecolor), "
                      f"{_figure(drawing.get('mismatch_28x28_80col_256'))} ms (256 colours), "
                      f"{_figure(drawing.get('mismatch_28x28_80col_no_colour'))} ms (no colour); "
                      f"a 12x12 heatmap {_figure(drawing.get('heatmap_12x12_80col_truecolor'))} ms; "
                      f"a curve of 1k points {_figure(drawing.get('curve_1k_points_80col'))} ms, "
                      f"100k {_figure(drawing.get('curve_100k_points_80col'))} ms")
    lint = results.get("lint_s")
    console.print(f"lint: {lint['seconds']:.1f} s for {lint['exercises']} exercises "
                  f"({lint['per_exercise_ms']:.0f} ms each)" if lint else "lint: not measured (--quick)")
    cuda = results.get("cuda", {})
    console.print(f"cuda: {cuda['skipped']}" if "skipped" in cuda else
                  f"cuda ({cuda['device']}): worker start {cuda['worker_start_ms']:.0f} ms, "
                  f"check (a) {_figure(cuda['check_latency_a_ms'])} ms")
    goals = Table(title="goals", title_justify="left")
    goals.add_column("goal")
    goals.add_column("met")
    goals.add_column("figure", justify="right")
    for goal in results["goals"]:
        goals.add_row(goal["goal"], "[green]yes[/]" if goal["met"] else "[red]no[/]", goal["figure"])
    console.print(goals)
