"""`ptref-tutor list`: lessons and exercises in order, with the learner's progress."""

from __future__ import annotations

import argparse
import json

from rich.table import Table
from rich.text import Text

from tutor.cli import EXIT_OK
from tutor.cli.common import console, load_catalog, open_store
from tutor.lessons.catalog import Catalog
from tutor.progress.store import ExerciseProgress

MARKS = {"done": ("✔", "green"), "in_progress": ("◐", "yellow"), "not_started": ("·", "dim")}


def progress_of(catalog: Catalog) -> dict[str, ExerciseProgress]:
    store = open_store()
    if store is None:
        return {}
    try:
        return store.summary()
    finally:
        store.close()


def origin_of(catalog: Catalog, lesson_id: str) -> str:
    pack = catalog.origin(lesson_id)
    return pack.origin if pack else ""


def pack_rows(catalog: Catalog) -> list[dict]:
    """Each pack: where it came from, its folder, and the lessons it gave (after id clashes)."""
    return [{"origin": pack.origin, "path": str(pack.path),
             "lessons": [lesson.id for lesson in catalog.lessons if catalog.origin(lesson.id) is pack]}
            for pack in catalog.packs]


def pack_table(catalog: Catalog) -> Table:
    table = Table(title="lesson packs", title_justify="left")
    table.add_column("from")
    table.add_column("lessons", justify="right")
    table.add_column("folder", overflow="fold")
    for row in pack_rows(catalog):
        table.add_row(Text(row["origin"]), str(len(row["lessons"])), Text(row["path"]))
    return table


def run_list(args: argparse.Namespace) -> int:
    catalog = load_catalog(args)
    progress = progress_of(catalog)

    def status(full_id: str) -> str:
        return progress[full_id].status if full_id in progress else "not_started"

    if getattr(args, "json", False):
        lessons = [{
            "id": lesson.id, "title": lesson.title, "summary": lesson.summary,
            "file": str(lesson.source), "pack": origin_of(catalog, lesson.id),
            "exercises": [{"id": ex.full_id, "title": ex.title, "status": status(ex.full_id)}
                          for ex in lesson.exercises],
        } for lesson in catalog.lessons]
        print(json.dumps({"lessons": lessons, "packs": pack_rows(catalog)}, indent=2))
        return EXIT_OK
    table = Table(title="ptref-tutor lessons", title_justify="left", show_lines=False)
    table.add_column("", width=1)
    table.add_column("id", style="cyan", no_wrap=True)
    table.add_column("title")
    table.add_column("done", justify="right")
    for lesson in catalog.lessons:
        done = sum(status(ex.full_id) == "done" for ex in lesson.exercises)
        table.add_row("", Text(lesson.id, style="bold cyan"), Text(lesson.title, style="bold"),
                      f"{done}/{len(lesson.exercises)}")
        for exercise in lesson.exercises:
            mark, style = MARKS[status(exercise.full_id)]
            table.add_row(Text(mark, style=style), f"  {exercise.full_id}", f"  {exercise.title}", "")
    console.print(table)
    console.print(pack_table(catalog))
    total = len(catalog.exercises())
    done = sum(status(ex.full_id) == "done" for ex in catalog.exercises())
    console.print(f"{done} of {total} exercises done. Check one with: "
                  "ptref-tutor check ID --file answer.py", markup=False)
    return EXIT_OK
