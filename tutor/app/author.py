"""Author mode (`ptref-tutor --author`): the lesson files of the packs in use are watched; when the
open exercise's file changes, its lesson is reloaded, the exercise pane shows it, and lint proves
the open exercise again, on a thread, its problems (file:line) shown in the results pane.

AuthorWatch owns the threads (the file watch, lint) and posts messages; AuthorMode, a mixin of
MainScreen, handles them. A broken file never replaces the lesson on screen: the loader's
file:line messages are shown instead, and the lesson as it was stays open.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual.dom import DOMNode
from textual.message import Message

from tutor.app.widgets.results import Broken, Idle
from tutor.lessons.catalog import Catalog
from tutor.lessons.fields import LessonError
from tutor.lessons.model import Exercise, Lesson
from tutor.safetext import visible
from tutor.session import Session, WorkerStartError

if TYPE_CHECKING:
    from tutor.app.runs import RunController
    from tutor.app.shows import ShowRunner
    from tutor.app.widgets.explanation import Explanation
    from tutor.app.widgets.lesson_tree import LessonTree
    from tutor.app.widgets.results import Results
    from tutor.progress.store import ExerciseProgress

DEBOUNCE_MS = 200  # an editor's save is often several writes (or a write and a rename)


def same_file(one: Path | None, other: Path) -> bool:
    if one is None:
        return False
    try:
        return one.resolve() == other.resolve()
    except OSError:
        return False


def watched_folders(catalog: Catalog) -> list[Path]:
    """The folders holding the packs' lesson files (a one-file pack: its folder), each once."""
    folders: list[Path] = []
    for pack in catalog.packs:
        folder = pack.path if pack.path.is_dir() else pack.path.parent
        folder = folder.resolve()
        if folder.is_dir() and folder not in folders:
            folders.append(folder)
    return folders


def replace_lesson(catalog: Catalog, path: Path, lesson: Lesson) -> str | None:
    """Put the reloaded lesson in the catalog in place of the one loaded from `path`; a sentence
    saying why not (its id is another file's), or None."""
    index = next((i for i, old in enumerate(catalog.lessons) if same_file(old.source, path)), None)
    for i, other in enumerate(catalog.lessons):
        if i != index and other.id == lesson.id:
            return (f"{path}:1: lesson '{lesson.id}': {other.source} has this id too; "
                    "rename one of the two ids")
    if index is None:  # a new file in a pack
        pack = next((pack for pack in catalog.packs if same_file(pack.path, path.parent) or same_file(pack.path, path)),
                    None)
        catalog.lessons.append(lesson)
    else:
        old = catalog.lessons[index]
        pack = catalog.origins.pop(old.id, None)
        catalog.lessons[index] = lesson
    if pack is not None:
        catalog.origins[lesson.id] = pack
    catalog.lessons.sort(key=Lesson.sort_key)
    return None


class AuthorWatch:
    @dataclass
    class LessonChanged(Message):
        """A lesson file changed on disk; what loading it gave (a lesson, or its problems)."""

        path: Path
        lesson: Lesson | None
        errors: list[LessonError]

    @dataclass
    class Linted(Message):
        """Lint proved an exercise: its problems (none: clean)."""

        generation: int
        exercise: Exercise
        problems: list[str]

    @dataclass
    class WatchFailed(Message):
        reason: str

    def __init__(self, host: DOMNode, catalog: Catalog, session: Session) -> None:
        self.host = host
        self.catalog = catalog
        self.session = session
        self.generation = 0  # of the lint asked for last: an older lint's report is stale
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        folders = watched_folders(self.catalog)
        if not folders or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._watch, args=(folders,), name="ptref-author-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _post(self, message: Message) -> None:
        try:
            self.host.post_message(message)
        except RuntimeError:
            pass  # the app is shutting down

    def _watch(self, folders: list[Path]) -> None:
        """On the watch thread: load each changed lesson file and post what came of it."""
        try:
            from watchfiles import Change, watch

            from tutor.lessons.loader import load_lesson  # author mode only: not on every start

            for changes in watch(*folders, watch_filter=lambda change, name: (
                                     change != Change.deleted and name.endswith(".toml")),
                                 debounce=DEBOUNCE_MS, step=30, stop_event=self._stop, raise_interrupt=False,
                                 yield_on_timeout=False):
                for path in sorted({Path(name) for _, name in changes}):
                    if path.is_file():
                        lesson, errors = load_lesson(path)
                        self._post(self.LessonChanged(path, lesson, errors))
        except Exception as exc:  # noqa: BLE001 - e.g. the inotify watch limit: say so, carry on
            self._post(self.WatchFailed(f"{type(exc).__name__}: {exc}"))

    def lint(self, exercise: Exercise) -> int:
        """Prove `exercise` on a thread; the number its Linted report will carry."""
        self.generation += 1
        self.host.run_worker(partial(self._lint, self.generation, exercise), thread=True, group="author-lint",
                             exit_on_error=False)
        return self.generation

    def _lint(self, generation: int, exercise: Exercise) -> None:
        from tutor.linting.prove import lint_exercise  # author mode only, with numpy: not on every start

        try:
            problems = lint_exercise(self.session, exercise).problems
        except WorkerStartError as exc:
            problems = [f"lint could not run: {exc}"]
        except Exception as exc:  # noqa: BLE001 - the author sees it; the app carries on
            problems = [f"lint failed: {type(exc).__name__}: {exc}"]
        self._post(self.Linted(generation, exercise, problems))


class AuthorMode:
    """MainScreen's handlers of author mode (present, and idle, without --author)."""

    author: AuthorWatch | None = None

    if TYPE_CHECKING:  # what the mixin uses of MainScreen
        catalog: Catalog
        current: Exercise | None
        queued: Exercise | None
        runs: RunController
        results: Results
        explanation: Explanation
        shows: ShowRunner
        tree: LessonTree

        def open_exercise(self, exercise: Exercise) -> None: ...
        def is_open(self, exercise: Exercise) -> bool: ...
        def progress(self) -> dict[str, ExerciseProgress]: ...
        def notify(self, message: str, *, title: str = "", severity: str = "information",
                   timeout: float | None = None) -> None: ...

    def on_author_watch_lesson_changed(self, message: AuthorWatch.LessonChanged) -> None:
        is_open = self.current is not None and same_file(self.current.source, message.path)
        if message.lesson is None or message.errors:
            problems = "\n".join(visible(str(error)) for error in message.errors) or f"{message.path}: cannot load"
            if is_open:
                self._show_author(Broken(f"{message.path.name} has {len(message.errors)} problem(s); the lesson "
                                         "as it was stays open", problems))
            else:
                self.notify(problems, title=f"{message.path.name} has problems", severity="warning", timeout=15)
            return
        clash = replace_lesson(self.catalog, message.path, message.lesson)
        if clash is not None:
            if is_open:
                self._show_author(Broken("The lesson as it was stays open", visible(clash)))
            else:
                self.notify(visible(clash), severity="warning", timeout=15)
            return
        self.explanation.cache.clear()  # rendered from the old lesson's text
        self.shows.forget(message.lesson.id)  # its pictures too
        self.tree.build(self.progress())  # titles and exercises may have changed
        if not is_open or self.current is None:
            if self.current is not None:
                self.tree.show_exercise(self.current.full_id)
            return
        exercises = message.lesson.exercises
        if not exercises:
            self._show_author(Broken("The lesson has no exercise any more", str(message.path)))
            return
        same = [exercise for exercise in exercises if exercise.id == self.current.id]
        self.open_exercise(same[0] if same else exercises[0])
        assert self.author is not None and self.current is not None
        self.author.lint(self.current)
        self._show_author(Idle(f"Reloaded {message.path.name}. lint: proving {self.current.full_id}… (its "
                               "solution, its starter and the wrong answers that must fail)"))

    def on_author_watch_linted(self, message: AuthorWatch.Linted) -> None:
        if self.author is None or message.generation != self.author.generation or not self.is_open(message.exercise):
            return  # the file changed again since, or the author moved on
        if message.problems:
            shown: Idle | Broken = Broken(f"lint: {len(message.problems)} problem(s) in {message.exercise.full_id}",
                                          "\n".join(visible(problem) for problem in message.problems))
        else:
            shown = Idle(f"lint: clean. {message.exercise.full_id}: the solution passes, the starter fails, "
                         "and the wrong answers lint tries fail.")
        self._show_author(shown)

    def on_author_watch_watch_failed(self, message: AuthorWatch.WatchFailed) -> None:
        self.notify(f"Lesson files are no longer watched: {visible(message.reason)}", title="--author",
                    severity="error", timeout=30)

    def _show_author(self, shown: Idle | Broken) -> None:
        """In the results pane, unless a run is in progress there (then as a notification)."""
        if self.runs.running or self.queued is not None:
            text = shown.message if isinstance(shown, Idle) else f"{shown.title}\n{shown.reason}"
            self.notify(text, title="--author", timeout=15)
            return
        self.results.shown = shown
