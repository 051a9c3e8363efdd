"""`ptref-tutor doctor`: what this machine gives the tutor, and what protects it."""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tutor import __version__
from tutor.cli import EXIT_NOT_PASSED, EXIT_OK
from tutor.cli.common import console, load_catalog, make_session, open_store
from tutor.options import format_size
from tutor.cli.listing import pack_rows
from tutor.paths import data_dir
from tutor.sandbox.template import TEMPLATES
from tutor.session import WorkerStartError, probe_devices


def run_doctor(args: argparse.Namespace) -> int:
    healthy = True
    facts = Table(title="ptref-tutor doctor", title_justify="left", show_header=False)
    facts.add_column(style="bold")
    facts.add_column()
    facts.add_row("ptref-tutor", __version__)
    facts.add_row("tutor Python", f"{platform.python_version()} ({sys.executable})")
    info = probe_devices(args.python, args.threads)
    facts.add_row("worker Python", f"{info.get('python', '?')} ({args.python})")
    if info.get("error"):
        healthy = False
        facts.add_row("torch", f"[red]{info['error']}[/]")
    else:
        facts.add_row("torch", info.get("torch", "?"))
        facts.add_row("CUDA", info.get("cuda") or "not in this build")
    facts.add_row("data dir", str(data_dir()))
    store = open_store()
    facts.add_row("progress", str(store.path) if store else "[red]not available[/]")
    if store:
        store.close()
    catalog = load_catalog(args, show_errors=False)
    facts.add_row("lessons", f"{len(catalog.lessons)} lessons, {len(catalog.exercises())} exercises")
    for row in pack_rows(catalog):
        facts.add_row("pack", Text(f"{row['origin']}: {len(row['lessons'])} lesson(s) in {row['path']}"))
    if catalog.errors:
        facts.add_row("", f"[yellow]{len(catalog.errors)} lesson-file problem(s): run ptref-tutor lint[/]")
    size = shutil.get_terminal_size()
    colour = "off (NO_COLOR)" if os.environ.get("NO_COLOR") else os.environ.get("COLORTERM", "not advertised")
    facts.add_row("terminal", f"TERM={os.environ.get('TERM', '?')}, {size.columns}x{size.lines}, colour: {colour}")
    console.print(facts)

    devices = Table(title="devices", title_justify="left")
    devices.add_column("device", style="cyan")
    devices.add_column("name")
    devices.add_column("memory", justify="right")
    for device in info.get("devices", []):
        devices.add_row(device["name"], device.get("label") or "", format_size(device.get("memory")))
    console.print(devices)

    protections = Table(title=f"sandbox protections (worker on {args.device})", title_justify="left")
    protections.add_column("protection", style="bold")
    protections.add_column("state")
    session = make_session(args, catalog, store=None)
    try:
        hello = session.ready()
    except WorkerStartError as exc:
        healthy = False
        protections.add_row("worker", f"[red]cannot start: {exc}[/]")
    else:
        protections.add_row("worker", f"[green]starts[/] in {hello.get('startup_ms', 0):.0f} ms "
                                      f"(torch {hello.get('torch')}, {hello.get('threads')} thread(s))")
        for name, state in describe_protections(hello):
            protections.add_row(name, state)
        console.print(protections)
        console.print(start_up_table(session, hello))
    finally:
        session.close()
    if not healthy:
        console.print(protections)
    defaults = getattr(args, "site_defaults", None)
    if defaults is not None and defaults.values:
        console.print("site defaults: " + ", ".join(f"{key} = {value} ({defaults.origins[key]})"
                                                    for key, value in defaults.values.items()), markup=False)
    for device in info.get("devices", []):
        if device.get("used_by"):
            console.print(gpu_line(device), markup=False)
    return EXIT_OK if healthy else EXIT_NOT_PASSED


def start_up_table(session, hello: dict) -> Table:
    """Where the worker's start-up time goes, on this machine (issue: the first verdict waits for it)."""
    table = Table(title="start-up (ms)", title_justify="left")
    table.add_column("step", style="bold")
    table.add_column("ms", justify="right")
    template = TEMPLATES.get(session.config.python, session.config.threads)
    if hello.get("forked") and template is not None:
        table.add_row("template: python and `import torch`", f"{template.hello.get('import_ms', 0):.0f}")
        table.add_row("worker forked from the template", "0")
    elif template is None:
        why = TEMPLATES.why_not(session.config.python, session.config.threads) or "off"
        table.add_row(f"no template ({why}): a fresh interpreter", "")
    for name, ms in (hello.get("timeline_ms") or {}).items():
        table.add_row(f"worker: {name}", f"{ms:.0f}")
    return table


def gpu_line(device: dict) -> str:
    """What this tutor and other processes hold on a CUDA device (a shared server's manners)."""
    ours = sum(item["mb"] for item in device["used_by"] if _descends_from_us(item["pid"]))
    others = sum(item["mb"] for item in device["used_by"]) - ours
    return (f"{device['name']}: this tutor holds {ours:.0f} MB, other processes {others:.0f} MB, "
            f"of {format_size(device.get('memory'))}")


def describe_protections(hello: dict) -> list[tuple[str, str]]:
    limits = hello.get("limits", {})
    rows = []

    def limit_row(name: str, key: str, describe) -> None:
        value = limits.get(key)
        if value is None:
            rows.append((name, "[yellow]off[/] (not set for this device)"))
        elif value.startswith("not set"):
            rows.append((name, f"[yellow]off[/]: {value}"))
        else:
            rows.append((name, f"[green]on[/]: {describe(int(value))}"))

    limit_row("memory limit", "address_space", lambda v: f"address space capped (hard) at {format_size(v)}")
    limit_row("file size", "file_size", lambda v: f"files written up to {format_size(v)}")
    limit_row("core dumps", "core", lambda v: "disabled")
    limit_row("open files", "open_files", lambda v: f"at most {v}")
    if str(hello.get("device", "")).startswith("cuda"):
        limit_row("GPU memory", "gpu_memory", lambda v: f"the allocator stops at {format_size(v)} "
                                                     "(--gpu-memory-fraction), then a friendly error")
    rows.append(("wall-clock watchdog", "[green]on[/]: SIGINT at the exercise timeout, then SIGKILL of the group"))
    rows.append(("scratch directory", "[green]on[/]: each run starts in an emptied private directory, "
                                                   "removed with the worker"))
    for name, key in (("network", "network"), ("process creation", "processes"), ("file writes", "files"),
                      ("file metadata", "metadata"), ("shared memory", "memory"), ("privileges", "privileges")):
        state = hello.get("protections", {}).get(key)
        if state is None:
            rows.append((name, "[yellow]off[/]: not enforced by this version"))
        else:
            rows.append((name, _coloured(state)))
    return rows


def _coloured(state: str) -> str:
    """The worker's "on: how" / "partial: ..." / "off: why", with the first word coloured."""
    word, _, rest = state.partition(":")
    colour = "green" if word == "on" else "yellow"
    return f"[{colour}]{escape(word)}[/]:{escape(rest)}" if rest else escape(state)


def _descends_from_us(pid: int) -> bool:
    me = os.getpid()
    for _ in range(64):
        if pid == me:
            return True
        if pid <= 1:
            return False
        try:
            with open(f"/proc/{pid}/stat") as stat:
                pid = int(stat.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            return False
    return False
