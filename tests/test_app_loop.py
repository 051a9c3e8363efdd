"""The whole loop a learner goes through, with real key presses against the real PyTorch worker:
open, type a wrong answer, run, read why, fix it, run, pass, next exercise, quit, come back."""

from __future__ import annotations

from apptools import flat, make_app, results_text, run_check, settle, steady_cursor, type_text, wait_ready  # noqa: F401
from tutor.progress.store import ProgressStore


async def test_the_whole_loop_and_resume_the_next_day():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        # Opens at the first unfinished exercise, the editor focused with the placeholder selected.
        assert app.main_screen.current.full_id == "basics/make-range"
        assert app.focused is app.main_screen.editor
        assert "r = ...  # TODO" in app.main_screen.editor.text

        await type_text(pilot, "torch.arange(1, 7)")
        assert "r = torch.arange(1, 7)\n" in app.main_screen.editor.text
        text = await run_check(pilot)
        assert "✘ Failed" in text
        assert "`r`: all 6 elements are wrong" in flat(text)
        assert "expected" in text and "yours" in text  # the side by side
        assert app.main_screen.results.has_class("-failed")

        # Fix it: F7 selects everything in the editor (the TextArea's own key), then type.
        await pilot.press("f7")
        await type_text(pilot, "import torch\nr = torch.arange(6)\n")
        text = await run_check(pilot, "ctrl+r")
        assert "✔ Passed" in text
        assert "Next: Twice as much" in text
        assert app.store.summary()["basics/make-range"].status == "done"
        assert "✔" in str(app.main_screen.tree._exercise_nodes["basics/make-range"].label)

        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.main_screen.current.full_id == "basics/double"
        assert app.focused is app.main_screen.editor
        await type_text(pilot, "x + x")
        await pilot.press("ctrl+q")
    assert app.return_code in (None, 0)

    # The next day: a new app lands where the learner left off, their code intact.
    again = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert again.main_screen.current.full_id == "basics/double"
        assert again.main_screen.editor.text.startswith("y = x + x")
        await pilot.press("ctrl+q")


async def test_an_error_marks_the_learners_line_and_typing_clears_it():
    app = make_app("shapes/square")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_text(pilot, "row.view(3, 3)\nprint('hello from the learner')\nboom = 1 / undefined_name")
        text = await run_check(pilot)
        assert "Error" in text and "NameError" in text
        assert "hello from the learner" in text  # stdout is shown
        assert app.main_screen.editor.error_line == 3
        assert "line 3 is marked" in text
        await pilot.press("space")
        assert app.main_screen.editor.error_line is None


async def test_stop_a_hanging_run_while_typing_goes_on():
    app = make_app("basics/double")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_text(pilot, "x * 2\nwhile True:\n    pass")
        before = app.main_screen.runs.run_id
        await pilot.press("f5")
        await pilot.pause()
        assert app.main_screen.runs.running and app.main_screen.runs.run_id == before + 1
        await type_text(pilot, "\n# still typing")  # the UI is not blocked by the run
        assert app.main_screen.editor.text.rstrip().endswith("# still typing")
        await pilot.press("ctrl+t")
        await settle(pilot)
        text = results_text(app)
        assert "■ Stopped" in text
        assert not app.main_screen.runs.running
        # The draft was saved before the run, and nothing typed since is lost on quit.
        await pilot.press("ctrl+q")
    assert ProgressStore().draft("basics/double").rstrip().endswith("# still typing")


async def test_hints_one_at_a_time_solution_and_reset_after_confirmation():
    app = make_app("basics/make-range")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        markdown = lambda: app.main_screen.explanation.text  # noqa: E731
        await pilot.press("f2")
        await settle(pilot)
        assert "Hint 1 of 2" in markdown() and "Hint 2 of 2" not in markdown()
        await pilot.press("f2")
        await settle(pilot)
        assert "Hint 2 of 2" in markdown()
        assert app.store.hints_used("basics/make-range") == 2

        # The solution: a question first; "n" says no, "y" shows it and records it.
        await pilot.press("f8")
        await settle(pilot)
        assert type(app.screen).__name__ == "Confirm"
        await pilot.press("n")
        await settle(pilot)
        assert "Solution" not in markdown() and not app.store.solution_revealed("basics/make-range")
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "torch.arange(6)" in markdown() and app.store.solution_revealed("basics/make-range")

        # Reset to the starter (asked first), and ctrl+z in the editor brings the code back.
        app.main_screen.editor.focus()
        await type_text(pilot, "torch.zeros(3)")
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("escape")  # Escape means "no" in a question: never destructive
        await settle(pilot)
        assert "torch.zeros(3)" in app.main_screen.editor.text
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.main_screen.editor.text == app.main_screen.current.starter
        assert app.focused is app.main_screen.editor
        await pilot.press("ctrl+z")
        assert "torch.zeros(3)" in app.main_screen.editor.text


async def test_device_picker_switches_device_and_keeps_the_draft(monkeypatch):
    chosen = []
    app = make_app("basics/double")
    monkeypatch.setattr(app.session, "set_device", lambda device: chosen.append(device))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_text(pilot, "x * 2")
        await pilot.press("f4")
        await settle(pilot)
        assert type(app.screen).__name__ == "DevicePicker"
        options = app.screen.query_one("OptionList")
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == ["cpu", "cuda:0", "cuda:1"]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert chosen == ["cuda:0"]
        assert app.main_screen.editor.text.startswith("y = x * 2")
        assert "cuda:0" in app.main_screen.devices.states


async def test_command_palette_goes_to_an_exercise_by_title():
    app = make_app("basics/make-range")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "row becomes")
        await settle(pilot)
        frames: list[tuple[str, str]] = []  # (screen, exercise) of every frame after Enter
        display = app._display

        def spy(screen, renderable) -> None:
            if renderable is not None:
                frames.append((type(app.screen).__name__, app.main_screen.current.full_id))
            display(screen, renderable)

        app._display = spy
        await pilot.press("enter")
        await settle(pilot)
        app._display = display
        assert app.main_screen.current.full_id == "shapes/square"
        assert app.focused is app.main_screen.editor
        # The palette's close and the jump are one frame: the main screen never shows the old
        # exercise after Enter (tutor/app/app.py, delay_update).
        shown = [exercise for screen, exercise in frames if screen == "MainScreen"]
        assert shown and set(shown) == {"shapes/square"}


async def test_lesson_tree_opens_an_exercise_and_f3_hides_it():
    app = make_app("basics/make-range")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.main_screen.tree.display
        labels = [str(node.label) for node in app.main_screen.tree.root.children]
        assert labels == ["0/2 Tensor basics", "0/1 Shapes"]
        await pilot.press("f3")  # hide
        await settle(pilot)
        assert not app.main_screen.tree.display and app.focused is app.main_screen.editor
        await pilot.press("f3")  # show, focused
        await settle(pilot)
        assert app.main_screen.tree.display and app.focused is app.main_screen.tree
        # The cursor is on the open exercise; other lessons start collapsed. Down, down to
        # "Shapes", Enter expands it, down to its exercise, Enter opens it.
        assert app.main_screen.tree.cursor_node.data == "basics/make-range"
        await pilot.press("down", "down", "enter", "down", "enter")
        await settle(pilot)
        assert app.main_screen.current.full_id == "shapes/square"
        assert app.focused is app.main_screen.editor


async def test_narrow_terminal_hides_the_lessons_until_asked():
    app = make_app("basics/make-range")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.main_screen.tree.display
        await pilot.press("f3")
        await settle(pilot)
        assert app.main_screen.tree.display and app.focused is app.main_screen.tree


async def test_a_crashing_worker_loses_no_code_and_the_next_run_passes():
    app = make_app("basics/double")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_text(pilot, "x * 2\nimport os\nos._exit(3)")
        text = await run_check(pilot)
        assert "Crashed" in text
        assert app.main_screen.editor.text.startswith("y = x * 2\nimport os\nos._exit(3)")
        for _ in range(len("import os\nos._exit(3)")):
            await pilot.press("backspace")
        text = await run_check(pilot)
        assert "✔ Passed" in text


async def test_a_device_that_cannot_start_says_so_and_switching_back_works():
    app = make_app("basics/double")  # the real session: cuda:0 is offered by the fixed device list
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_text(pilot, "x * 2")
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("down", "enter")  # cuda:0
        await settle(pilot)
        if app.main_screen.devices.states.get("cuda:0") == "ready":
            return  # this machine has a GPU: nothing failed to show
        assert app.main_screen.devices.states.get("cuda:0") == "failed"
        assert "cuda:0 failed" in app.main_screen.sub_title
        assert app.main_screen.editor.text.startswith("y = x * 2")
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("up", "enter")  # back to cpu
        await wait_ready(pilot)
        text = await run_check(pilot)
        assert "✔ Passed" in text


async def test_the_sessions_long_lived_objects_are_kept_out_of_the_collectors_sight():
    """A full garbage collection over Textual, rich and the lessons took ~100 ms, inside key
    presses; once the first screen is up, what lives all session is frozen out of its walk."""
    import gc

    gc.unfreeze()  # what an earlier app in this test process froze
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert gc.get_freeze_count() > 10_000
    gc.unfreeze()
