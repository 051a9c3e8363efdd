"""The main screen's panes and the keys that move between them or scroll them (a mixin of
MainScreen): which of the lesson browser and the exercise pane shows (F3), the scroll keys that
work from the editor, and editing keys pressed in a reading pane, which go to the editor.

Focus is marked by the stylesheet (a heavier border and a reversed title on the focused pane), so
it shows without colour too. Tab goes lessons -> exercise -> editor -> results; in the editor Tab
indents and the first Escape leaves it for the results (TextArea's own Escape in indent mode: it
moves the focus on and keeps the selection, so coming back finds the placeholder still selected).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events

from tutor.app.widgets.footer import NARROW_WIDTH
from tutor.app.widgets.more import scroll_page

if TYPE_CHECKING:
    from textual.app import App

    from tutor.app.widgets.code_editor import CodeEditor
    from tutor.app.widgets.explanation import Explanation
    from tutor.app.widgets.lesson_tree import LessonTree
    from tutor.app.widgets.results import Results

# Keys of the editor that do nothing in a reading pane: pressed there, they go to the editor
# (select the line / everything, paste, undo, redo), as the learner meant.
EDITOR_KEYS = {"f6": "select_line", "f7": "select_all", "ctrl+v": "paste", "ctrl+z": "undo", "ctrl+y": "redo"}
READING_PANES = ("explanation", "results")


class PaneKeys:
    lessons_wanted: bool | None = None  # F3's choice; None: by the terminal's width

    if TYPE_CHECKING:  # what the mixin uses of MainScreen
        app: App
        editor: CodeEditor
        results: Results
        explanation: Explanation
        tree: LessonTree

        def notify(self, message: str, **kwargs) -> None: ...

    # -- the lesson browser (F3) --------------------------------------------------------------------
    def action_toggle_lessons(self) -> None:
        showing = self.tree.display
        self.lessons_wanted = not showing
        self.apply_lesson_visibility()
        if showing:
            self.editor.focus()
        else:
            self.tree.focus()

    def apply_lesson_visibility(self) -> None:
        """The lesson browser shows on a wide terminal unless F3 hid it; on a narrow one only when
        F3 asked, and then in the exercise pane's place. Set on the two panes themselves: a class on
        the screen restyled every widget under it (F3 took 0.4-1 s on a loaded machine)."""
        narrow = self.app.size.width < NARROW_WIDTH
        shown = self.lessons_wanted if self.lessons_wanted is not None else not narrow
        if self.tree.display != shown:
            self.tree.display = shown
        explanation = not (narrow and shown)
        if self.explanation.display != explanation:
            self.explanation.display = explanation

    def on_resize(self, event: events.Resize) -> None:
        self.apply_lesson_visibility()

    # -- scrolling from anywhere --------------------------------------------------------------------
    def action_scroll_results_down(self) -> None:
        self._scroll(self.results, +1)

    def action_scroll_results_up(self) -> None:
        self._scroll(self.results, -1)

    def action_scroll_exercise_down(self) -> None:
        self._scroll(self.explanation, +1)

    def action_scroll_exercise_up(self) -> None:
        self._scroll(self.explanation, -1)

    def _scroll(self, pane, direction: int) -> None:
        if not pane.display:  # the exercise pane gives way to the lessons at 80 columns
            self.notify("The lesson browser is in its place: F3 brings the exercise back.", timeout=3)
            return
        if not scroll_page(pane, direction):
            self.app.bell()

    # -- editing keys in a reading pane -------------------------------------------------------------
    async def on_key(self, event: events.Key) -> None:
        """A key nothing else took, pressed in the exercise or results pane: the editing keys and
        typed characters go to the editor (F7 there used to do nothing, then F5 ran the starter)."""
        focused = self.app.focused
        if focused is None or focused.id not in READING_PANES:
            return
        if event.key in EDITOR_KEYS:
            event.stop()
            self.editor.focus()
            await self.editor.run_action(EDITOR_KEYS[event.key])
        elif event.is_printable and event.character:
            event.stop()
            self.editor.focus()
            self.editor.replace(event.character, *self.editor.selection, maintain_selection_offset=False)

    def on_paste(self, event: events.Paste) -> None:
        focused = self.app.focused
        if focused is not None and focused.id in READING_PANES:
            event.stop()
            self.editor.focus()
            self.editor.replace(event.text, *self.editor.selection, maintain_selection_offset=False)
