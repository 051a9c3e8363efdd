"""`ptref-tutor serve`: the app in a browser tab, one tutor process per tab (tutor/web)."""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import shlex
import socket
import sys

from tutor.cli import EXIT_OK, UsageError
from tutor.cli.common import errors, load_catalog
from tutor.paths import data_dir
from tutor.progress.store import DB_NAME

DEFAULT_HOST, DEFAULT_PORT, DEFAULT_MAX_TABS = "127.0.0.1", 8000, 4


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port: give a number from 1 to 65535")
    return int(text)


def _tabs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of at least 1")
    return int(text)


def add_parser(commands) -> argparse.ArgumentParser:
    serve = commands.add_parser(
        "serve", help="the tutor in a browser: each tab is a tutor of its own (textual-serve)")
    serve.add_argument("--host", default=DEFAULT_HOST,
                       help=f"address to listen on (default {DEFAULT_HOST}: this machine only; "
                            "reach it from elsewhere through an SSH tunnel)")
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    serve.add_argument("--max-tabs", type=_tabs, default=DEFAULT_MAX_TABS, metavar="N",
                       help=f"tutors running at once, one per tab (default {DEFAULT_MAX_TABS}; each "
                            "holds a PyTorch worker and a spare)")
    return serve


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def app_command(args: argparse.Namespace) -> str:
    """The shell command textual-serve runs for each tab: this interpreter's tutor, same options."""
    argv = [sys.executable, "-m", "tutor", "app", "--device", args.device, "--python", args.python,
            "--memory-limit", str(args.memory_limit), "--threads", str(args.threads),
            "--gpu-memory-fraction", str(args.gpu_memory_fraction)]
    for pack in args.lessons:
        argv += ["--lessons", str(pack.resolve())]
    return "exec " + shlex.join(argv)  # exec: the tab's process is the tutor itself, not a shell


def page_url(host: str, port: int, token: str) -> str:
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/?token={token}"


def run_serve(args: argparse.Namespace) -> int:
    try:
        from tutor.web.server import TutorServer, new_token, serve
        from tutor.web.tab import mark_server
    except ImportError as exc:
        raise UsageError(f"`serve` needs textual-serve ({exc}): pip install textual-serve") from None
    catalog = load_catalog(args)
    if not catalog.exercises():
        raise UsageError("no exercises found in the lesson packs (`ptref-tutor lint` explains)")
    host, port = args.host.strip(), args.port
    if not host or any(char.isspace() for char in host):
        raise UsageError(f"'{args.host}' is not an address to listen on")
    token = new_token()
    user = getpass.getuser()
    if not is_loopback(host):
        errors.print(f"[bold red]WARNING[/]: listening on {host}: anyone who reaches port {port} of this "
                     f"machine and has the page's address can run code as {user} here. The token in the "
                     "address is the only lock, and it travels unencrypted (plain HTTP). Prefer the default "
                     f"--host {DEFAULT_HOST} and an SSH tunnel (docs/security.md).", markup=True)

    def announce() -> None:
        url = page_url(host, port, token)
        lines = [f"ptref-tutor in your browser: {url}",
                 f"  Each tab is a tutor of its own (its own PyTorch worker and sandbox), at most "
                 f"{args.max_tabs} at once; progress is shared ({data_dir() / DB_NAME}).",
                 "  Keys the browser keeps for itself (ctrl+n, ctrl+t, ctrl+w, ctrl+q) have others: "
                 "the footer and F1 show them."]
        if is_loopback(host):
            lines += ["  From another machine, tunnel first:  "
                      f"ssh -L {port}:localhost:{port} {user}@{socket.gethostname()}",
                      f"  then open {page_url('localhost', port, token)} there."]
        lines.append("Press ctrl+c to stop (open tabs end; their code is saved).")
        print("\n".join(lines), flush=True)

    mark_server()
    server = TutorServer(app_command(args), host=host, port=port, token=token, max_tabs=args.max_tabs,
                         announce=announce)
    try:
        serve(server)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return EXIT_OK
