"""What the commands share: loading packs, opening the store, starting a session, consoles."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from tutor.safetext import visible

from tutor.lessons.catalog import Catalog
from tutor.lessons.fields import LessonError
from tutor.lessons.packs import Pack, installed_packs, installed_packs_cached
from tutor.paths import builtin_lessons_dir, catalog_cache_file, packs_cache_file
from tutor.progress.store import ProgressStore, StoreError

if TYPE_CHECKING:  # the session (and numpy, through the checks) is imported when a command uses it,
    # so that building the parser, and the app's first screen, never wait for it
    from tutor.session import Session, SessionConfig

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False, soft_wrap=True)  # file:line messages stay whole


def packs(args: argparse.Namespace, cached: bool = False) -> tuple[list[Pack], list[LessonError]]:
    """Every pack, in order of precedence (the built-in one, pip's, then --lessons), and the
    installed packs that could not be found (cached: pip's as found at an earlier start, while the
    distributions on sys.path are the same)."""
    installed, problems = installed_packs_cached(packs_cache_file()) if cached else installed_packs()
    return [Pack(builtin_lessons_dir(), "built-in"), *installed,
            *(Pack(Path(path), "--lessons") for path in args.lessons)], problems


def pack_paths(args: argparse.Namespace) -> list[Pack]:
    return packs(args)[0]


def load_catalog(args: argparse.Namespace, show_errors: bool = True, cached: bool = False) -> Catalog:
    """cached: read the lessons parsed at an earlier start if nothing they came from has changed
    (the app's start); the commands that report on lesson files (lint, list) always parse them."""
    found, problems = packs(args, cached)
    if cached:
        from tutor.lessons.cache import load_with_cache

        catalog = load_with_cache(found, catalog_cache_file())
    else:
        catalog = Catalog.load(found)
    catalog.errors[:0] = problems
    if show_errors and catalog.errors:
        errors.print(f"[yellow]{len(catalog.errors)} problem(s) in lesson files "
                     "(those lessons are left out; `ptref-tutor lint` explains):[/]")
        for error in catalog.errors[:20]:
            errors.print(f"  {visible(str(error))}", markup=False)
    return catalog


def open_store() -> ProgressStore | None:
    try:
        store = ProgressStore()
    except (StoreError, OSError) as exc:
        errors.print(f"[yellow]Progress is not being saved: {exc}[/]")
        return None
    if store.notice:
        errors.print(f"[yellow]{store.notice}[/]")
    return store


def session_config(args: argparse.Namespace, spare: bool, idle_release: bool = False) -> SessionConfig:
    """`idle_release`: the long-lived front ends (the app, watch) stop their workers when idle."""
    from tutor.session import SessionConfig

    return SessionConfig(device=args.device, python=args.python, memory_limit=args.memory_limit,
                         threads=args.threads, spare=spare, gpu_memory_fraction=args.gpu_memory_fraction,
                         idle_release=getattr(args, "idle_release", 0.0) if idle_release else 0.0)


def make_session(args: argparse.Namespace, catalog: Catalog, store: ProgressStore | None,
                 spare: bool = False, idle_release: bool = False) -> Session:
    from tutor.session import Session

    return Session(catalog, session_config(args, spare, idle_release), store=store)
