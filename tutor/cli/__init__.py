"""The `ptref-tutor` command line: the app (no command, or `app`), list, check, progress, reset, watch,
lint, doctor, serve, new.

Exit status: 0 success (or: the check passed), 1 not passed / problems found, 2 usage or lesson-pack
error. Bad input gets a one-line message, never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from pathlib import Path

from tutor import __version__
from tutor.options import (DEFAULT_DEVICE, DEFAULT_GPU_MEMORY_FRACTION, DEFAULT_IDLE_RELEASE, DEFAULT_MEMORY_LIMIT,
                           DEFAULT_THREADS, normalise_device, parse_size)
from tutor.safetext import visible
from tutor.sandbox.reap import install_exit_signals
from tutor.site_defaults import load_site_defaults

EXIT_OK, EXIT_NOT_PASSED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A one-line problem with what the user asked for (exit status 2)."""


def _device(text: str) -> str:
    try:
        return normalise_device(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _python(text: str) -> str:
    path = Path(text).expanduser()
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise argparse.ArgumentTypeError(f"'{text}' is not an executable Python interpreter")
    return str(path)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (exit 2) rather than the whole usage block."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _pack(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.exists():  # a typo must not quietly leave a pack out
        raise argparse.ArgumentTypeError(f"no such lesson folder or file: '{text}'")
    return path


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 10_000:  # also refuses nan
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of minutes (0 turns it off)")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of at least 1")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 1:  # also refuses nan
        raise argparse.ArgumentTypeError(f"'{text}' is not a fraction between 0 and 1, e.g. 0.5")
    return value


GLOBAL_DEFAULTS = {"lessons": [], "device": DEFAULT_DEVICE, "python": sys.executable,
                   "memory_limit": DEFAULT_MEMORY_LIMIT, "threads": DEFAULT_THREADS,
                   "gpu_memory_fraction": DEFAULT_GPU_MEMORY_FRACTION}


def _global_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("global options")
    # SUPPRESS: the same options sit on the main parser and every subcommand; defaults come later.
    group.add_argument("--lessons", action="append", type=_pack, metavar="DIR", default=argparse.SUPPRESS,
                       help="add a lesson pack (a folder of .toml files); repeatable")
    group.add_argument("--device", type=_device, metavar="D", default=argparse.SUPPRESS,
                       help="cpu (default), cuda, cuda:N or mps")
    group.add_argument("--python", type=_python, metavar="PATH", default=argparse.SUPPRESS,
                       help="interpreter the PyTorch worker runs in (default: this one)")
    group.add_argument("--memory-limit", type=_size, metavar="SIZE", default=argparse.SUPPRESS,
                       help="memory a CPU worker's code may use, e.g. 2G "
                            f"(default {DEFAULT_MEMORY_LIMIT // 1024**3}G)")
    group.add_argument("--threads", type=int, metavar="N", default=argparse.SUPPRESS,
                       help=f"torch threads in the worker (default {DEFAULT_THREADS}: fastest for tutoring-sized work)")
    group.add_argument("--gpu-memory-fraction", type=_fraction, metavar="F", default=argparse.SUPPRESS,
                       help="share of a CUDA device's memory the worker may use "
                            f"(default {DEFAULT_GPU_MEMORY_FRACTION}); "
                            "past it, a run ends with a friendly out-of-GPU-memory error")


def _app_options(parser: argparse.ArgumentParser, subcommand: bool = False) -> None:
    """Options of the full-screen app (`ptref-tutor` without a command, or `ptref-tutor app`)."""
    group = parser.add_argument_group("app options")
    # On the subcommand, SUPPRESS: an option given before `app` must not be reset by its default.
    group.add_argument("--exercise", metavar="ID", default=argparse.SUPPRESS if subcommand else None,
                       help="open the app at this exercise (default: where you left off)")
    group.add_argument("--color-system", choices=("auto", "truecolor", "256", "standard"),
                       default=argparse.SUPPRESS if subcommand else "auto",
                       help="colours to use when the terminal does not say (e.g. behind SSH)")
    group.add_argument("--author", action="store_true", default=argparse.SUPPRESS if subcommand else False,
                       help="for lesson authors: reload a lesson file when it changes on disk and lint the "
                            "open exercise again, its problems shown in the results pane")
    group.add_argument("--idle-release", type=_minutes, metavar="MINUTES", default=None,
                       help=f"stop the PyTorch workers after this many minutes without a run, to free "
                            f"memory on a shared server; the next run starts them again "
                            f"(default {DEFAULT_IDLE_RELEASE:g}; 0 never)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ptref-tutor", description="Learn PyTorch by doing: lessons, exercises and instant checks.")
    parser.add_argument("--version", action="version", version=f"ptref-tutor {__version__}")
    _app_options(parser)
    _global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    app = commands.add_parser("app", help="the app, even when not in a terminal (what `ptref-tutor` opens in one)")
    _app_options(app, subcommand=True)
    _global_options(app)

    listing = commands.add_parser("list", help="lessons and exercises, with your progress")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _global_options(listing)

    check = commands.add_parser("check", help="check your code for one exercise")
    check.add_argument("exercise", metavar="ID", help="exercise id, e.g. shape-ops/reshape-square")
    check.add_argument("--file", "-f", required=True, metavar="PATH", help="your code ('-' reads stdin)")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--no-record", action="store_true", help="do not record the attempt")
    _global_options(check)

    lint = commands.add_parser("lint", help="validate lesson files and prove every exercise")
    lint.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="lesson files or packs (default: all)")
    lint.add_argument("--jobs", "-j", type=_positive, metavar="N", default=None,
                      help="exercises proved at once, each in a worker of its own (default: cores, at most 2)")
    _global_options(lint)

    doctor = commands.add_parser("doctor", help="versions, devices, sandbox protections, paths")
    _global_options(doctor)

    from tutor.cli import new_lesson, progress, serve, watch

    for learner_command in [*progress.add_parsers(commands), watch.add_parser(commands), serve.add_parser(commands),
                            new_lesson.add_parser(commands)]:
        _global_options(learner_command)

    from tutor.cli.bench import add_parser as add_bench_parser

    _global_options(add_bench_parser(commands))
    return parser


def resolve_globals(args: argparse.Namespace) -> argparse.Namespace:
    """Fill in what the command line left out: the administrator's site defaults
    (tutor/site_defaults.py), else the built-in ones."""
    site = load_site_defaults()
    for warning in site.warnings:
        print(f"ptref-tutor: warning: {visible(warning)}", file=sys.stderr)
    for name, default in {**GLOBAL_DEFAULTS, "idle_release": DEFAULT_IDLE_RELEASE}.items():
        if not hasattr(args, name) or getattr(args, name) is None:
            setattr(args, name, site.values.get(name, default))
    args.site_defaults = site
    if args.threads < 1:
        raise UsageError("--threads must be at least 1")
    return args


COMMANDS = {
    "app": ("tutor.cli.app_command", "run_app"),
    "progress": ("tutor.cli.progress", "run_progress"),
    "reset": ("tutor.cli.progress", "run_reset"),
    "watch": ("tutor.cli.watch", "run_watch"),
    "list": ("tutor.cli.listing", "run_list"),
    "check": ("tutor.cli.checking", "run_check"),
    "lint": ("tutor.cli.lint", "run_lint"),
    "doctor": ("tutor.cli.doctor", "run_doctor"),
    "serve": ("tutor.cli.serve", "run_serve"),
    "new": ("tutor.cli.new_lesson", "run_new"),
    "bench": ("tutor.cli.bench", "run_bench"),
}


def main(argv: list[str] | None = None) -> int:
    # Starting allocates a few hundred thousand objects that live as long as the process; the
    # garbage collector walked them ~150 times before the app's first screen (~40 ms of it).
    # It is off until the command is imported; the app turns it on after its first screen
    # (tutor/app/app.py), with those objects frozen out of its sight.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(argv, collecting)
    finally:
        if collecting:
            gc.enable()


def _run(argv: list[str] | None, collecting: bool) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    install_exit_signals()  # SIGTERM/SIGHUP: workers, their processes and scratch folders go too
    try:
        resolve_globals(args)
        # Without a command: the app in a terminal, the lesson list when piped or redirected.
        command = args.command or ("app" if sys.stdin.isatty() and sys.stdout.isatty() else "list")
        module_name, function_name = COMMANDS[command]
        # Imported on demand, so that `ptref-tutor list` never pays for importing Textual.
        run = getattr(importlib.import_module(module_name), function_name)
        if collecting and command != "app":
            gc.enable()  # the long-running ones (watch, serve, bench) need it
        return run(args)
    except UsageError as exc:
        print(f"ptref-tutor: error: {visible(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ptref-tutor: interrupted", file=sys.stderr)
        return 130
