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


def run_list(args: argparse.Namespace) -> int:
    catalog = load_catalog(args)
    progress = progress_of(catalog)

    def status(full_id: str) -> str:
        return progress[full_id].status if full_id in progress else "not_started"

    if getattr(args, "json", False):
        lessons = [{
            "id": lesson.id, "title": lesson.title, "summary": lesson.summary,
            "file": str(lesson.source),
            "exercises": [{"id": ex.full_id, "title": ex.title, "status": status(ex.full_id)}
                          for ex in lesson.exercises],
        } for lesson in catalog.lessons]
        print(json.dumps({"lessons": lessons}, indent=2))
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
    total = len(catalog.exercises())
    done = sum(status(ex.full_id) == "done" for ex in catalog.exercises())
    console.print(f"{done} of {total} exercises done. Check one with: "
                  "ptref-tutor check ID --file answer.py", markup=False)
    return EXIT_OK
