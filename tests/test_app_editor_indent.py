"""The editor indents like a code editor, driven by real key presses in a minimal app."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from textual.app import App, ComposeResult
from textual.widgets import Input
from textual.widgets.text_area import Selection

from test_app_editor_keys import send_burst
from tutor.app.widgets.code_editor import CodeEditor


class EditorApp(App[None]):
    """A CodeEditor 40 cells wide and 12 high (36 x 10 inside its border) above an Input."""

    CSS = "CodeEditor { width: 40; height: 12; }"

    def __init__(self, code: str = "", selection: Selection | None = None, read_only: bool = False) -> None:
        super().__init__()
        self.code = code
        self.start_selection = selection
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        yield CodeEditor.code_editor("", language="python", read_only=self.read_only)
        yield Input(id="elsewhere")

    def on_mount(self) -> None:
        # As the tutor opens its first exercise: while mounting, before the layout is done.
        self.editor.open_code(self.code, self.start_selection)
        self.editor.focus()

    @property
    def editor(self) -> CodeEditor:
        return self.query_one(CodeEditor)


def keys_for(text: str) -> list[str]:
    return ["enter" if char == "\n" else char for char in text]


def run_printed(code: str) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(code, "<editor>", "exec"), {})
    return out.getvalue()


# -- Enter ----------------------------------------------------------------------------------------
async def test_the_loop_from_the_issue_is_indented_and_runs():
    app = EditorApp()
    async with app.run_test() as pilot:
        await pilot.press(*keys_for("for i in range(3):\nprint(i)"))
        assert app.editor.text == "for i in range(3):\n    print(i)"
        assert run_printed(app.editor.text) == "0\n1\n2\n"


async def test_a_class_typed_line_by_line():
    app = EditorApp()
    async with app.run_test() as pilot:
        await pilot.press(*keys_for("class Counter:\ndef __init__(self):\nself.count = 0\n\n"))
        await pilot.press("backspace")  # out of __init__, back to the class body
        await pilot.press(*keys_for("def add(self, n):\nself.count += n\nreturn self.count\n"))
        await pilot.press(*keys_for("print(Counter().add(5))"))
        assert app.editor.text == (
            "class Counter:\n"
            "    def __init__(self):\n"
            "        self.count = 0\n"
            "\n"  # the blank line keeps no trailing spaces
            "    def add(self, n):\n"
            "        self.count += n\n"
            "        return self.count\n"
            "    print(Counter().add(5))"  # one level back after return
        )
        await pilot.press("shift+tab")
        assert app.editor.text.endswith("\nprint(Counter().add(5))")
        assert run_printed(app.editor.text) == "5\n"


async def test_a_colon_before_a_comment_still_opens_a_block():
    app = EditorApp()
    async with app.run_test() as pilot:
        await pilot.press(*keys_for('while x == "#":  # forever:\nx'))
        assert app.editor.text == 'while x == "#":  # forever:\n    x'


async def test_a_colon_in_a_comment_or_a_string_does_not():
    app = EditorApp()
    async with app.run_test() as pilot:
        await pilot.press(*keys_for('# not code:\ns = "a:"  # text\nt'))
        assert app.editor.text == '# not code:\ns = "a:"  # text\nt'


async def test_block_ending_statements_dedent_the_next_line():
    app = EditorApp()
    async with app.run_test() as pilot:
        await pilot.press(*keys_for("for x in xs:\nif x:\nbreak\ncontinue\ny = 1\n"))
        await pilot.press(*keys_for("raise ValueError(x)\nz"))
        assert app.editor.text == (
            "for x in xs:\n"
            "    if x:\n"
            "        break\n"
            "    continue\n"
            "y = 1\n"
            "raise ValueError(x)\n"  # nothing shallower than the left edge
            "z"
        )


async def test_enter_in_the_middle_of_a_line_splits_it_indented():
    app = EditorApp("    if ready: go()", Selection.cursor((0, len("    if ready:"))))
    async with app.run_test() as pilot:
        await pilot.press("enter")
        assert app.editor.text == "    if ready:\n        go()"
        assert app.editor.cursor_location == (1, 8)


async def test_enter_inside_leading_spaces_moves_the_line_down_unchanged():
    app = EditorApp("def f():\n    return 1", Selection.cursor((1, 2)))
    async with app.run_test() as pilot:
        await pilot.press("enter")
        assert app.editor.text == "def f():\n\n    return 1"
        assert app.editor.cursor_location == (2, 4)


async def test_enter_replaces_a_selection():
    app = EditorApp("if a:\n    b = ...  # TODO", Selection((1, 8), (1, 19)))
    async with app.run_test() as pilot:
        await pilot.press("enter")
        assert app.editor.text == "if a:\n    b =\n    "


async def test_a_burst_of_typed_lines_lands_indented():
    """tmux send-keys, a paste without bracketed paste or a laggy link: every key in one go."""
    app = EditorApp()
    async with app.run_test() as pilot:
        send_burst(app, list("for i in range(3):") + ["enter"] + list("print(i)") + ["enter"]
                   + ["backspace"] + list("print('done')"))
        await pilot.pause()
        assert app.editor.text == "for i in range(3):\n    print(i)\nprint('done')"
        assert run_printed(app.editor.text) == "0\n1\n2\ndone\n"


async def test_one_ctrl_z_takes_back_a_newline_and_its_indent():
    app = EditorApp()
    async with app.run_test() as pilot:
        await pilot.press(*keys_for("def f(x):\n"))
        assert app.editor.text == "def f(x):\n    "
        await pilot.press("ctrl+z")
        assert app.editor.text == "def f(x):"
        assert app.editor.cursor_location == (0, 9)
        await pilot.press("ctrl+y")
        assert app.editor.text == "def f(x):\n    "


# -- Backspace ------------------------------------------------------------------------------------
async def test_backspace_in_leading_spaces_goes_back_one_level():
    app = EditorApp("if a:\n      b\n    c", Selection.cursor((1, 6)))
    async with app.run_test() as pilot:
        await pilot.press("backspace")
        assert app.editor.text == "if a:\n    b\n    c"  # 6 -> 4: to the previous multiple of 4
        await pilot.press("ctrl+z")  # the whole dedent is one edit
        assert app.editor.text == "if a:\n      b\n    c"
        await pilot.press("backspace", "backspace")
        assert app.editor.text == "if a:\nb\n    c"


async def test_backspace_after_text_removes_one_character():
    app = EditorApp("    ab  ", Selection.cursor((0, 8)))
    async with app.run_test() as pilot:
        await pilot.press("backspace", "backspace", "backspace")
        assert app.editor.text == "    a"


# -- Tab and shift+Tab ----------------------------------------------------------------------------
async def test_tab_and_shift_tab_indent_and_dedent_a_selection():
    code = "a = 1\nb = 2\n\nc = 3\nd = 4"
    app = EditorApp(code)
    async with app.run_test() as pilot:
        await pilot.press("shift+down", "shift+down", "shift+down", "shift+end")  # rows 0-3
        await pilot.press("tab")
        assert app.editor.text == "    a = 1\n    b = 2\n\n    c = 3\nd = 4"  # a blank line stays blank
        assert app.editor.selection == Selection((0, 0), (3, 9))  # the same lines, still selected
        await pilot.press("tab")
        assert app.editor.text.startswith("        a = 1\n        b = 2\n\n        c = 3\n")
        await pilot.press("shift+tab")
        assert app.editor.text == "    a = 1\n    b = 2\n\n    c = 3\nd = 4"
        await pilot.press("ctrl+z")  # one step per key
        assert app.editor.text.startswith("        a = 1\n")
        await pilot.press("ctrl+z", "ctrl+z")
        assert app.editor.text == code
        assert app.editor.has_focus  # Tab indents in the editor; it does not move the focus


async def test_a_selection_ending_at_column_0_leaves_that_line_alone():
    app = EditorApp("a\nb\nc", Selection((0, 0), (2, 0)))
    async with app.run_test() as pilot:
        await pilot.press("tab")
        assert app.editor.text == "    a\n    b\nc"


async def test_tab_without_a_selection_inserts_an_indent_at_the_cursor():
    app = EditorApp("x = 1", Selection.cursor((0, 1)))
    async with app.run_test() as pilot:
        await pilot.press("tab")
        assert app.editor.text == "x    = 1"  # to the next multiple of 4
        await pilot.press("home", "tab")
        assert app.editor.text == "    x    = 1"


async def test_shift_tab_without_a_selection_dedents_the_cursor_line():
    app = EditorApp("if a:\n        b = 1", Selection.cursor((1, 12)))
    async with app.run_test() as pilot:
        await pilot.press("shift+tab")
        assert app.editor.text == "if a:\n    b = 1"
        assert app.editor.cursor_location == (1, 8)  # still after "b = "
        await pilot.press("shift+tab", "shift+tab")
        assert app.editor.text == "if a:\nb = 1"


async def test_escape_still_leaves_the_editor():
    app = EditorApp("x")
    async with app.run_test() as pilot:
        await pilot.press("escape")
        assert app.focused is app.query_one("#elsewhere")


async def test_a_read_only_editor_takes_no_edits_and_tab_moves_on():
    app = EditorApp("if a:\n    b", Selection.cursor((1, 4)), read_only=True)
    async with app.run_test() as pilot:
        await pilot.press("enter", "backspace")
        assert app.editor.text == "if a:\n    b"
        await pilot.press("tab")
        assert app.focused is app.query_one("#elsewhere")


# -- Opening code: line 1, column 1, with the placeholder on screen -------------------------------
CSV_STARTER = ("import numpy as np\nimport torch\n\n"
               "table = ...  # TODO: read the numeric columns of patients.csv\nfeatures = ...\n")
LONG_LINE = "total = " + " + ".join(f"weights[{i}]" for i in range(12)) + " + ..."
LOSS_FN_PITFALL = ("loss_function = nn.BCEWithLogitsLoss()\n" + "".join(f"step_{i}()\n" for i in range(14)))


def screen_lines(editor: CodeEditor) -> list[str]:
    """What the editor shows, line by line (line numbers included)."""
    return [editor.render_line(y).text for y in range(editor.scrollable_content_region.height)]


async def opened(app: EditorApp, pilot) -> CodeEditor:
    await pilot.pause()
    await pilot.pause()
    return app.editor


async def test_a_selection_running_off_the_right_edge_opens_at_column_1():
    """creating-tensors/csv-to-tensor: "...  # TODO..." is selected to the end of a long line."""
    line = CSV_STARTER.splitlines()[3]
    app = EditorApp(CSV_STARTER, Selection((3, 8), (3, len(line))))
    async with app.run_test() as pilot:
        editor = await opened(app, pilot)
        assert editor.scroll_offset == (0, 0)
        lines = screen_lines(editor)
        assert lines[0].split() == ["1", "import", "numpy", "as", "np"]
        assert lines[3].split()[:4] == ["4", "table", "=", "..."]
        assert editor.selected_text == line[8:]  # still selected: typing replaces it
        await pilot.press(*"np.loadtxt")
        assert editor.document[3] == "table = np.loadtxt"


async def test_a_placeholder_past_the_right_edge_is_scrolled_into_view():
    code = "import torch\n" + LONG_LINE + "\n"
    app = EditorApp(code, Selection((1, len(LONG_LINE) - 3), (1, len(LONG_LINE))))
    async with app.run_test() as pilot:
        editor = await opened(app, pilot)
        assert editor.scroll_offset.x > 0
        assert editor.scroll_offset.y == 0
        shown = screen_lines(editor)[1]
        assert shown.rstrip().endswith("+ ...")
        assert "weights[10]" in shown  # some of what comes before it, for context


async def test_a_placeholder_below_the_fold_is_scrolled_into_view_with_lines_above():
    code = "".join(f"line_{row} = {row}\n" for row in range(40)) + "answer = ...\n"
    app = EditorApp(code, Selection((40, 9), (40, 12)))
    async with app.run_test() as pilot:
        editor = await opened(app, pilot)
        lines = screen_lines(editor)
        assert editor.scroll_offset.x == 0
        row = next(index for index, text in enumerate(lines) if "answer = ..." in text)
        assert 0 < row < len(lines) - 1  # not stuck to the bottom edge
        assert "line_39 = 39" in lines[row - 1]


async def test_code_without_a_placeholder_opens_at_line_1():
    """training-loop/loss-fn-pitfall: the cursor at the end of long code hid line 1."""
    end = (LOSS_FN_PITFALL.count("\n"), 0)
    app = EditorApp(LOSS_FN_PITFALL, Selection.cursor(end))
    async with app.run_test() as pilot:
        editor = await opened(app, pilot)
        assert editor.scroll_offset == (0, 0)
        assert "loss_function = nn.BCEWithLogitsLoss()" in screen_lines(editor)[0]
        assert editor.cursor_location == end


async def test_opening_other_code_scrolls_back_to_the_start():
    placeholder = Selection((1, len(LONG_LINE) - 3), (1, len(LONG_LINE)))
    app = EditorApp("import torch\n" + LONG_LINE + "\n", placeholder)
    async with app.run_test() as pilot:
        editor = await opened(app, pilot)
        assert editor.scroll_offset.x > 0
        editor.open_code(CSV_STARTER, Selection((3, 8), (3, 11)))
        await pilot.pause()
        assert editor.scroll_offset == (0, 0)
        assert "import numpy as np" in screen_lines(editor)[0]
        await pilot.press("ctrl+z")  # opening starts a fresh history: nothing to undo
        assert editor.text == CSV_STARTER


async def test_a_key_straight_after_opening_keeps_the_cursor_in_view():
    code = "answer = ...\n" + "".join(f"line_{row} = {row}\n" for row in range(40))
    app = EditorApp()
    async with app.run_test() as pilot:
        editor = await opened(app, pilot)
        editor.open_code(code, Selection((0, 9), (0, 12)))
        editor.move_cursor((40, 0))  # as ctrl+end would, before the screen refreshed
        await pilot.pause()
        assert "line_39 = 39" in "".join(screen_lines(editor))
