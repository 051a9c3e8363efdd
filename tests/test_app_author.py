"""`ptref-tutor --author`: a lesson file changed on disk is reloaded in the running app, and lint
proves the open exercise again, its problems (file:line) or "lint: clean" in the results pane."""

from __future__ import annotations

import asyncio
import threading
import time

from apptools import FIXED_DEVICES, WAIT, flat, results_text, steady_cursor, wait_ready  # noqa: F401
from tutor.app.app import TutorApp
from tutor.cli import build_parser
from tutor.cli.new_lesson import TEMPLATE
from tutor.lessons import Catalog
from tutor.progress.store import ProgressStore
from tutor.session import SessionConfig

GOOD_HINTS = '''hints = [
    "Two steps: first subtract the mean, then divide by the largest distance from zero.",
    "`x.mean()` gives the mean; `.abs()` and `.max()` give the largest absolute value.",
    "`centered = x - x.mean()`, then divide `centered` by `centered.abs()...`",
]'''


def lesson_text(**changes: str) -> str:
    text = TEMPLATE.format(lesson_id="draft", title="Draft", order=10, file_hint="10-draft.toml")
    assert GOOD_HINTS in text and 'title = "Center, then scale"' in text
    for old, new in changes.items():
        text = text.replace({"hints": GOOD_HINTS, "title": 'title = "Center, then scale"'}[old], new)
    return text


def squashed(text: str) -> str:
    """Without any whitespace: a long path the pane wrapped mid-word reads whole again."""
    return "".join(text.split())


def watching() -> bool:
    return any(thread.name == "ptref-author-watch" for thread in threading.enumerate())


async def wait_for(pilot, condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        await asyncio.sleep(0.05)
        assert time.monotonic() < deadline, f"the app never showed {what}; results: {results_text(pilot.app)}"
    await pilot.pause()


def test_the_option_is_on_the_app_and_its_subcommand():
    parser = build_parser()
    assert parser.parse_args(["--author"]).author is True
    assert parser.parse_args([]).author is False
    assert parser.parse_args(["app", "--author"]).author is True


async def test_a_changed_lesson_file_is_reloaded_and_linted_in_the_app(tmp_path):
    pack = tmp_path / "course"
    pack.mkdir()
    path = pack / "10-draft.toml"
    path.write_text(lesson_text())
    catalog = Catalog.load([pack])
    assert not catalog.errors
    app = TutorApp(catalog, ProgressStore(), SessionConfig(spare=False), start_at=catalog.exercise("draft/center-and-scale"),
                   probe=lambda: FIXED_DEVICES, author=True)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main_screen
        await wait_ready(pilot)
        assert "Center, then scale" in main.explanation.text

        # A hint ladder of one rung, and a new title: the pane shows the new lesson, lint the problem.
        path.write_text(lesson_text(hints='hints = ["Subtract the mean."]', title='title = "Centre and scale"'))
        await wait_for(pilot, lambda: "lint: 1 problem(s) in draft/center-and-scale" in flat(results_text(app)),
                       "lint's problem")
        problems = flat(results_text(app))
        assert f"{path}:" in squashed(problems) and "has 1 hint(s); give a ladder of at least 3" in problems
        assert main.current is not None and main.current.title == "Centre and scale"
        assert "Centre and scale" in main.explanation.text and main.current.hints == ("Subtract the mean.",)

        # A file that does not load: the loader's file:line message, and the lesson as it was stays.
        path.write_text(lesson_text(title='title = "Centre and scale'))  # an unterminated string
        await wait_for(pilot, lambda: "stays open" in flat(results_text(app)), "the loader's message")
        broken = flat(results_text(app))
        assert f"{path}:" in squashed(broken) and "invalid TOML" in broken
        assert main.current.title == "Centre and scale" and "Centre and scale" in main.explanation.text

        # Fixed: lint is clean again.
        path.write_text(lesson_text())
        await wait_for(pilot, lambda: "lint: clean" in flat(results_text(app)), "lint: clean")
        assert main.current.title == "Center, then scale" and len(main.current.hints) == 3
        assert "Center, then scale" in main.explanation.text
        assert app.store.attempts("draft/center-and-scale") == []  # lint's runs are not the author's attempts
    deadline = time.monotonic() + 10
    while watching():
        await asyncio.sleep(0.05)
        assert time.monotonic() < deadline, "the file watch outlived the app"


async def test_without_author_nothing_is_watched(tmp_path):
    pack = tmp_path / "course"
    pack.mkdir()
    (pack / "10-draft.toml").write_text(lesson_text())
    app = TutorApp(Catalog.load([pack]), ProgressStore(), SessionConfig(spare=False), probe=lambda: FIXED_DEVICES)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.main_screen.author is None
        assert not watching()
