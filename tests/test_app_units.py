"""The app's pure parts: where it opens, time spent, how a verdict reads, the placeholder selection."""

from __future__ import annotations

from rich.console import Console

from apptools import APP_PACK
from tutor.app.coach import external_editor_command, placeholder_selection
from tutor.app.resume import starting_exercise
from tutor.app.screens.help import help_text
from tutor.app.tracking import ActivityClock
from tutor.app.widgets.results import follow_up
from tutor.checking.verdict import CheckResult, ErrorInfo, Mismatch, Verdict
from tutor.lessons import Catalog
from tutor.progress.store import ExerciseProgress
from tutor.render import render_verdict

CATALOG = Catalog.load([APP_PACK])


def progress(**statuses: str) -> dict[str, ExerciseProgress]:
    return {full_id.replace("__", "/"): ExerciseProgress(full_id.replace("__", "/"), status)
            for full_id, status in statuses.items()}


def test_opens_at_the_first_exercise_for_a_new_learner():
    assert starting_exercise(CATALOG, {}, None).full_id == "basics/make-range"


def test_resumes_at_the_last_position_while_it_is_unfinished():
    state = progress(basics__make_range="in_progress")
    assert starting_exercise(CATALOG, state, "shapes/square").full_id == "shapes/square"


def test_a_finished_position_moves_on_to_the_next_unfinished_one_wrapping_round():
    state = progress(**{"basics__make-range": "done", "shapes__square": "done"})
    assert starting_exercise(CATALOG, state, "basics/make-range").full_id == "basics/double"
    assert starting_exercise(CATALOG, state, "shapes/square").full_id == "basics/double"


def test_all_done_stays_where_the_learner_was():
    state = progress(**{"basics__make-range": "done", "basics__double": "done", "shapes__square": "done"})
    assert starting_exercise(CATALOG, state, "basics/double").full_id == "basics/double"


def test_an_unknown_position_starts_from_the_beginning():
    assert starting_exercise(CATALOG, {}, "gone/away").full_id == "basics/make-range"


def test_activity_clock_caps_idle_gaps():
    now = [0.0]
    clock = ActivityClock(now=lambda: now[0], idle_cap=60)
    clock.start()
    now[0] = 10
    clock.touch()
    now[0] = 3610  # an hour away from the keyboard counts as one minute
    clock.touch()
    assert clock.take() == 70
    assert clock.take() == 0


def render(verdict: Verdict, show_timing: bool = True, next_title: str | None = None, width: int = 80) -> str:
    """As the results pane renders it: the app's follow-up line, the error's line marked."""
    console = Console(width=width, color_system=None)
    with console.capture() as captured:
        console.print(render_verdict(verdict, show_timing=show_timing, follow_up=follow_up(verdict, next_title),
                                     marked_line=True))
    return captured.get()


MISMATCH = Mismatch(count=1, total=2, max_abs_diff=1.0, max_index=(1,), first_index=(1,),
                    expected=[["0", "1"]], got=[["0", "2"]], differs=[[False, True]],
                    row_labels=[""], col_labels=["0", "1"])


def test_a_failed_verdict_shows_each_check_and_the_side_by_side():
    verdict = Verdict("a/b", "failed", "1 of 2 checks failed.", checks=(
        CheckResult("tensor", "r", False, "`r`: 1 of 2 elements is wrong", MISMATCH),
        CheckResult("forbid", "loops", True)), duration_ms=3.2)
    text = render(verdict, show_timing=False)
    assert "✘ Failed" in text and "ms" not in text
    assert "1 of 2 checks failed." in text
    assert "✘ tensor r  `r`: 1 of 2 elements is wrong" in text and "✔ forbid loops" in text
    assert "expected (left) vs yours (right)" in text
    assert "(3.2 ms on cpu)" in render(verdict, show_timing=True)


def test_a_pass_offers_the_next_exercise():
    verdict = Verdict("a/b", "passed", "All 1 check passed.", checks=(CheckResult("tensor", "r", True),))
    assert "Next: Twice as much  (ctrl+n)" in render(verdict, next_title="Twice as much")
    assert "last exercise" in render(verdict, next_title=None)


def test_an_error_names_the_marked_line_and_a_stop_is_not_a_timeout():
    error = ErrorInfo("NameError", "name 'q' is not defined", ('  File "<your code>", line 2',), line=2)
    text = render(Verdict("a/b", "error", "Your code raised NameError.", error=error, stdout="hi\n"))
    assert "line 2 is marked" in text and "NameError: name 'q' is not defined" in text
    assert "stdout" in text and "hi" in text
    stopped = render(Verdict("a/b", "stopped", "You stopped the run after 1.0 s."))
    assert "■ Stopped" in stopped and "Timed out" not in stopped


def test_the_starter_placeholder_is_selected_with_its_todo():
    selection = placeholder_selection("import torch\n\nr = ...  # TODO\n")
    assert (selection.start, selection.end) == ((2, 4), (2, 15))
    selection = placeholder_selection("def f(x):\n    ...\n")
    assert (selection.start, selection.end) == ((1, 4), (1, 7))
    assert placeholder_selection("y = x * 2\n").start == (0, 0)  # no placeholder: at line 1, column 1


def test_help_names_where_progress_lives_and_the_worker():
    text = help_text("/data/progress.db", None)
    assert "`/data/progress.db`" in text and "same Python as the tutor" in text
    assert "`/opt/conda/bin/python`" in help_text("/data/progress.db", "/opt/conda/bin/python")


def test_external_editor_prefers_visual_then_editor(monkeypatch):
    monkeypatch.setenv("VISUAL", "code --wait")
    monkeypatch.setenv("EDITOR", "vim")
    assert external_editor_command() == ["code", "--wait"]
    monkeypatch.delenv("VISUAL")
    assert external_editor_command() == ["vim"]


def test_an_unknown_exercise_is_a_usage_error_before_the_app_starts():
    import argparse

    import pytest

    from tutor.cli import UsageError
    from tutor.cli.app_command import run_app

    args = argparse.Namespace(lessons=[APP_PACK], exercise="nope", color_system="auto", device="cpu",
                              python="python3", memory_limit=2**30, threads=1)
    with pytest.raises(UsageError, match="no exercise 'nope'"):
        run_app(args)


def test_app_keys_never_shadow_the_editors_and_escape_destroys_nothing():
    from textual.widgets import TextArea

    from tutor.app.app import TutorApp
    from tutor.app.main_screen import MainScreen

    def keys(bindings) -> set[str]:
        return {key.strip() for binding in bindings for key in binding.key.split(",")}

    from tutor.app.widgets.code_editor import CodeEditor

    # Every key the editor binds, its base classes' too (ScrollableContainer's ctrl+pageup/pagedown).
    editor_keys = keys(TextArea.BINDINGS) | set(CodeEditor.code_editor("")._bindings.key_to_bindings)
    app_keys = keys(MainScreen.BINDINGS) | keys(TutorApp.BINDINGS)
    assert {"f6", "f7", "ctrl+a", "ctrl+e", "ctrl+k", "ctrl+u", "ctrl+w", "ctrl+z", "ctrl+y",
            "ctrl+pageup", "ctrl+pagedown"} <= editor_keys
    assert {"ctrl+up", "ctrl+down", "ctrl+shift+up", "ctrl+shift+down"} <= app_keys  # the scroll keys
    assert not app_keys & editor_keys
    assert "escape" not in app_keys and "ctrl+b" not in app_keys  # SSH lag; tmux's prefix
    for key in app_keys:  # F-keys or ctrl combinations only: what survives SSH and tmux
        assert key.startswith(("f", "ctrl+")) and (key.startswith("ctrl+") or key[1:].isdigit()), key


def test_one_table_of_actions_feeds_bindings_footer_palette_and_help():
    from textual.app import App
    from textual.screen import Screen

    from tutor.app.actions import ACTIONS, key_label, palette_actions, wide_only
    from tutor.app.app import TutorApp
    from tutor.app.main_screen import MainScreen

    where = {"screen": MainScreen, "app": TutorApp}
    bound = {(binding.key, binding.action, scope) for scope, node in where.items() for binding in node.BINDINGS}
    text = help_text("/data/progress.db", None)
    for action in ACTIONS:
        if action.scope == "textual":  # Textual binds these itself: the table only documents them
            textual_keys = {binding.key for binding in Screen.BINDINGS} | {App.COMMAND_PALETTE_BINDING}
            assert set(action.keys) <= textual_keys, action
        else:
            assert {(key, action.id, action.scope) for key in action.keys} <= bound, action
            assert callable(getattr(where[action.scope], f"action_{action.id}", None)), action
        if action.keys:  # every key is in the help, with the action's help line
            row = next(line for line in text.splitlines() if action.help in line)
            assert all(f"**{key_label(key)}**" in row for key in action.keys), row
    # The footer shows the first key of each action in the footer, in the table's order.
    shown = [binding.action for binding in [*MainScreen.BINDINGS, *TutorApp.BINDINGS] if binding.show]
    assert shown == [action.id for action in ACTIONS if action.footer != "never" and action.scope != "textual"]
    assert wide_only() == {"quit", "device", "toggle_lessons", "external_editor"}
    assert {action.id for action in palette_actions()} == {"help", "hint", "solution", "reset_code", "device",
                                                          "external_editor", "toggle_theme"}
    assert "{keys}" not in text and "| Key | What it does |" in text


def test_every_app_message_is_a_dataclass_nested_in_what_posts_it():
    import dataclasses
    import importlib
    import inspect

    from textual.message import Message

    from conftest import TESTS

    found = {}
    for path in (TESTS.parent / "tutor" / "app").rglob("*.py"):
        module = importlib.import_module(".".join(path.relative_to(TESTS.parent).with_suffix("").parts)
                                         .removesuffix(".__init__"))
        for owner in [value for value in vars(module).values() if inspect.isclass(value)
                      and value.__module__ == module.__name__]:
            for name, value in vars(owner).items():
                if inspect.isclass(value) and issubclass(value, Message):
                    found[value.__qualname__] = value
        assert not [value for value in vars(module).values() if inspect.isclass(value) and
                    issubclass(value, Message) and value.__module__ == module.__name__ and "." not in
                    value.__qualname__], f"{module.__name__}: a message at module level"
    assert {"LessonTree.ExerciseChosen", "RunController.Finished", "RunController.Failed", "Coach.AidShown",
            "DeviceWatch.StateChanged"} <= set(found)
    assert all(dataclasses.is_dataclass(message) for message in found.values()), found
    assert found["LessonTree.ExerciseChosen"].handler_name == "on_lesson_tree_exercise_chosen"
    assert "check_ms" in {field.name for field in dataclasses.fields(found["RunController.Finished"])}
