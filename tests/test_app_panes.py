"""Every pane reachable and readable from the keyboard: Tab's order, a focus that shows without
colour, the scroll keys that work from the editor, hints where the learner is looking, and the
editing keys that reach the editor from a reading pane. Real key presses through Pilot."""

from __future__ import annotations

import asyncio

from rich.console import Console

from apptools import flat, make_app, results_text, run_check, settle, steady_cursor, type_text, wait_ready  # noqa: F401
from tutor.app.app import TutorApp
from tutor.app.widgets.results import HintShown, render_hint
from tutor.lessons import Catalog
from tutor.paths import builtin_lessons_dir
from tutor.progress.store import ProgressStore
from tutor.session import SessionConfig

BUILTIN = Catalog.load([builtin_lessons_dir()])
LONG_PROMPT = "autograd/pitfall-data-vs-detach"


def builtin_app(start_at: str = LONG_PROMPT) -> TutorApp:
    return TutorApp(BUILTIN, ProgressStore(), SessionConfig(spare=False), start_at=BUILTIN.exercise(start_at),
                    probe=lambda: {"devices": [{"name": "cpu", "label": "CPU", "memory": None}]})


def focus_marked(widget) -> bool:
    """Heavy border and a reversed title: visible in NO_COLOR too."""
    return widget.styles.border_top[0] == "heavy" and widget.styles.border_title_style.reverse


async def test_tab_reaches_every_pane_in_order_and_the_focus_is_marked():
    app = make_app("basics/make-range")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert app.focused is main.editor and focus_marked(main.editor)
        assert not focus_marked(main.results) and not focus_marked(main.explanation)
        await pilot.press("escape")  # the first Escape leaves the editor (Tab there indents)
        assert app.focused is main.results and focus_marked(main.results) and not focus_marked(main.editor)
        assert main.editor.selected_text == "...  # TODO"  # the placeholder is still selected
        order = []
        for key in ("tab", "tab", "tab", "escape"):  # in the editor Tab indents: Escape moves on
            await pilot.press(key)
            order.append(app.focused.id)
        assert order == ["lessons", "explanation", "editor", "results"]
        await pilot.press("shift+tab")
        assert app.focused is main.editor
        await pilot.press("tab")  # in the editor Tab indents, and the focus stays
        assert app.focused is main.editor and main.editor.text == "import torch\n\nr =     \n"


async def test_scroll_keys_read_the_results_and_the_lesson_without_leaving_the_editor():
    app = builtin_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        main = app.main_screen
        explanation, results = main.explanation, main.results
        assert explanation.max_scroll_y > 0 and explanation.scroll_y == 0
        assert explanation.border_subtitle == "ctrl+shift+↓ more"
        await pilot.press("ctrl+shift+down")
        assert explanation.scroll_y > 0 and app.focused is main.editor
        first_page = explanation.scroll_y
        await pilot.press("ctrl+shift+down")
        assert explanation.scroll_y > first_page
        await pilot.press("ctrl+shift+up", "ctrl+shift+up")
        assert explanation.scroll_y == 0

        # A failed run whose report is longer than the pane: ctrl+↓ pages to its last check.
        await pilot.press("f7")
        await type_text(pilot, "import torch\nprobs = torch.sigmoid(x) + 1\nshown = probs\n")
        text = await run_check(pilot)
        assert "Failed" in text and results.max_scroll_y > 0
        assert results.border_subtitle == "ctrl+↓ more"
        while round(results.scroll_y) < round(results.max_scroll_y):
            before = results.scroll_y
            await pilot.press("ctrl+down")
            assert results.scroll_y > before and app.focused is main.editor
        assert results.border_subtitle == "end · ctrl+↑ back"
        await pilot.press("ctrl+up")
        assert results.scroll_y < results.max_scroll_y


async def test_a_hint_shows_at_the_top_of_the_results_with_no_notification_over_it():
    app = builtin_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main_screen
        await pilot.press("ctrl+shift+down")  # reading further down the lesson
        scrolled = main.explanation.scroll_y
        await pilot.press("f2")
        await settle(pilot)
        exercise = main.current
        assert main.results.hint == HintShown(1, len(exercise.hints), exercise.hints[0])
        assert main.results.scroll_y == 0
        shown = flat(results_text(app))
        total = len(exercise.hints)
        assert total >= 2  # the lesson gives a ladder of hints
        assert shown.startswith(f"Hint 1 of {total} F2: hint 2") and flat(exercise.hints[0].replace("`", ""))[:40] in shown
        assert not app._notifications  # nothing covers the pane
        assert main.explanation.scroll_y == scrolled  # the exercise pane keeps the learner's place
        assert f"Hint 1 of {total}" in main.explanation.text  # and keeps the hint under the prompt
        await pilot.press(*["f2"] * total)  # the others, then the last again with the way to the solution
        await settle(pilot)
        assert main.results.hint.number == total and app.store.hints_used(exercise.full_id) == total
        assert flat(results_text(app)).startswith(f"Hint {total} of {total} the last · F8: solution")


def hint_height(hint: HintShown, width: int) -> int:
    """Lines of the hint as the results pane draws it: its heading line, then its text."""
    from rich.markdown import Markdown

    console = Console(width=width, color_system=None)
    heading, text = render_hint(hint)
    return 1 + len(console.render_lines(Markdown(text), console.options.update_width(width), pad=False))


async def test_every_hint_of_the_curriculum_fits_the_results_pane_at_80x24_and_100x30():
    for size in ((80, 24), (100, 30)):
        app = builtin_app()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            region = app.main_screen.results.scrollable_content_region
            for exercise in BUILTIN.exercises():
                for number, text in enumerate(exercise.hints, start=1):
                    hint = HintShown(number, len(exercise.hints), text)
                    assert hint_height(hint, region.width) <= region.height, (size, exercise.full_id, number)


async def test_editing_keys_in_a_reading_pane_go_to_the_editor():
    app = make_app("basics/make-range")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.main_screen
        main.explanation.focus()
        await pilot.press("f7")  # select all: it used to do nothing here, then F5 ran the starter
        assert app.focused is main.editor and main.editor.selected_text == main.editor.text
        main.results.focus()
        await type_text(pilot, "r = 1")
        assert app.focused is main.editor and main.editor.text == "r = 1"
        main.explanation.focus()
        app.copy_to_clipboard("x = 2")
        await pilot.press("ctrl+v")
        assert app.focused is main.editor and main.editor.text == "r = 1x = 2"


async def test_f3_swaps_the_lessons_for_the_exercise_at_80_columns():
    app = make_app("basics/make-range")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = app.main_screen
        assert not main.tree.display and main.explanation.display
        await pilot.press("f3")
        assert main.tree.display and not main.explanation.display and app.focused is main.tree
        await pilot.press("ctrl+shift+down")  # the exercise pane is not there to scroll: said so
        assert app._notifications
        await pilot.press("f3")
        assert not main.tree.display and main.explanation.display and app.focused is main.editor


async def test_the_exercise_id_never_breaks_inside_a_word():
    app = builtin_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = app.main_screen.explanation.text.splitlines()
        assert "autograd/" in lines and "pitfall-data-vs-detach" in lines


async def palette_hits(app, pilot, query: str) -> list:
    from textual.command import CommandList

    await pilot.press("ctrl+p")
    await settle(pilot)
    await type_text(pilot, query)
    await asyncio.sleep(0.5)  # the palette searches a moment after the last key
    await settle(pilot)
    commands = app.screen.query_one(CommandList)
    return [commands.get_option_at_index(index).hit for index in range(commands.option_count)]


async def test_the_palette_finds_exercises_by_what_their_text_mentions_below_title_matches():
    app = builtin_app("getting-started/torch-version")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        hits = await palette_hits(app, pilot, "zero_grad")
        helps = [hit.help for hit in hits]
        assert any(help.startswith("training-loop/train-function · mentions it:") for help in helps), helps
        assert all("zero_grad" in help for help in helps)
        await pilot.press("escape")
        await settle(pilot)
        # A word in titles and in prose: every title match ranks above every match in the text.
        hits = await palette_hits(app, pilot, "loss")
        kinds = ["text" if "mentions it" in (hit.help or "") else "title" for hit in hits]
        assert "title" in kinds and "text" in kinds
        assert kinds == sorted(kinds, key=lambda kind: kind == "text"), kinds
        await pilot.press("enter")
        await settle(pilot)
        assert "loss" in f"{app.main_screen.current.title} {app.main_screen.current.full_id}".lower()
        assert app.focused is app.main_screen.editor


async def test_the_results_lay_out_again_when_the_terminal_is_resized():
    from tutor.app.widgets.results import Broken

    reason = " ".join(f"word{n}" for n in range(120))
    app = make_app("basics/make-range")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        results = app.main_screen.results
        results.shown = Broken("The lesson is broken", reason)
        await pilot.pause()
        wide_lines = results.text.splitlines()
        for size in ((80, 24), (100, 30)):
            await pilot.resize_terminal(*size)
            await settle(pilot)
            lines = results.text.splitlines()
            assert all(len(line) <= results.content_width for line in lines), size
            assert flat(results.text) == flat(f"✘ The lesson is broken\n{reason}"), size  # nothing cut
            assert results.max_scroll_y > 0 and results.border_subtitle == "ctrl+↓ more", size
        assert len(lines) > len(wide_lines)  # narrower: more lines
